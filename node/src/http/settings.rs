//! Center-wide settings and supervisor broadcasts under `/api/v1`: the agent desk settings
//! (wrap-up, reasons, ring-no-answer, chat levels, the switch's options) and team messages.
//!
//! Settings are one replicated record: `PUT` replaces it whole, so two administrators cannot
//! interleave half-updates, and every desktop gets `DeskSettingsUpdated`. Team messages posted
//! here name their sender; supervisors post from their desktops (the `publish_team_message`
//! agent action) and are checked against the teams they supervise either way.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use tandem_domain::{Command, DeskSettings, Event, Outcome, TeamMessage, TeamMessageId, TeamMessageSpec};
use tandem_domain::{ConfigCommand, SupervisionCommand, SupervisionEvent};

use super::{guard, guard_user, submit, ApiError, AppState};

async fn desk_get(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let settings = state.replica.state().read().center.desk_settings().clone();
    Ok(HttpResponse::Ok().json(settings))
}

async fn desk_put(
    state: web::Data<AppState>,
    request: HttpRequest,
    settings: web::Json<DeskSettings>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    match submit(&state, &request, Command::Config(ConfigCommand::SetDeskSettings(settings.into_inner()))).await? {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(_) => {
            let settings = state.replica.state().read().center.desk_settings().clone();
            Ok(HttpResponse::Ok().json(settings))
        }
    }
}

async fn messages_list(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let shared = state.replica.state();
    let data = shared.read();
    let messages: Vec<&TeamMessage> = data.center.team_messages().collect();
    Ok(HttpResponse::Ok().json(messages))
}

async fn message_publish(
    state: web::Data<AppState>,
    request: HttpRequest,
    spec: web::Json<TeamMessageSpec>,
) -> Result<HttpResponse, ApiError> {
    // Any user: the domain lets a supervisor publish as itself to the teams it supervises.
    guard_user(&state, &request)?;
    match submit(&state, &request, Command::Supervision(SupervisionCommand::PublishTeamMessage(spec.into_inner())))
        .await?
    {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(applied) => match applied.events.iter().find_map(|event| match event {
            Event::Supervision(SupervisionEvent::TeamMessagePublished(message)) => Some(message),
            _ => None,
        }) {
            Some(message) => Ok(HttpResponse::Created().json(message)),
            None => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The team message applied but produced no TeamMessagePublished event.",
            )),
        },
    }
}

async fn message_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    // An administrator deletes any message; a supervisor its own (the domain checks).
    let principal = guard_user(&state, &request)?;
    let by = principal.viewer().agent();
    let command =
        Command::Supervision(SupervisionCommand::DeleteTeamMessage { id: TeamMessageId(id.into_inner()), by });
    match submit(&state, &request, command).await? {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(_) => Ok(HttpResponse::NoContent().finish()),
    }
}

/// Adds the settings and team message routes to the `/api/v1` scope.
pub fn routes(scope: Scope) -> Scope {
    scope
        .route("/settings/desk", web::get().to(desk_get))
        .route("/settings/desk", web::put().to(desk_put))
        .route("/team-messages", web::get().to(messages_list))
        .route("/team-messages", web::post().to(message_publish))
        .route("/team-messages/{id}", web::delete().to(message_delete))
}
