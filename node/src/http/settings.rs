//! Center-wide settings and supervisor broadcasts under `/api/v1`: the agent desk settings
//! (wrap-up, reasons, ring-no-answer, chat levels, the switch's options), the chat and email
//! channel parameters, the statistics settings, and team messages.
//!
//! Each setting is one replicated record: `PUT` replaces it whole, so two administrators cannot
//! interleave half-updates, and every desktop gets the `...Updated` event. Team messages posted
//! here name their sender; supervisors post from their desktops (the `publish_team_message`
//! agent action) and are checked against the teams they supervise either way.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tandem_domain::{
    Center, ChannelParameters, Command, DeskSettings, Event, Outcome, StatisticsSettings, TeamMessage, TeamMessageId,
    TeamMessageSpec,
};
use tandem_domain::{ConfigCommand, SupervisionCommand, SupervisionEvent};

use super::{guard, guard_user, submit, ApiError, AppState};

/// One center-wide settings record under `/api/v1/settings/`.
pub trait Setting: 'static {
    /// The path segment after `settings/`.
    const PATH: &'static str;
    /// Its schema in the OpenAPI document.
    const SCHEMA: &'static str;
    /// What it is, for the OpenAPI document.
    const SUMMARY: &'static str;
    type Value: Serialize + DeserializeOwned + Clone;
    fn get(center: &Center) -> Self::Value;
    fn set(value: Self::Value) -> Command;
}

macro_rules! setting {
    ($setting:ident, $path:literal, $value:ident, $get:ident, $set:ident, $summary:literal) => {
        pub struct $setting;
        impl Setting for $setting {
            const PATH: &'static str = $path;
            const SCHEMA: &'static str = stringify!($value);
            const SUMMARY: &'static str = $summary;
            type Value = $value;
            fn get(center: &Center) -> $value {
                center.$get().clone()
            }
            fn set(value: $value) -> Command {
                Command::Config(ConfigCommand::$set(value))
            }
        }
    };
}

setting!(
    Desk,
    "desk",
    DeskSettings,
    desk_settings,
    SetDeskSettings,
    "The agent desk settings: wrap-up, reason codes, ring no answer, chat levels, the switch's options"
);
setting!(
    Channels,
    "channels",
    ChannelParameters,
    channel_parameters,
    SetChannelParameters,
    "The chat and email channel parameters (seeds-uccx.md §2.7): no-answer, join and inactivity timeouts, \
     blending, chats and emails per agent, the sticky email timeout; new contacts take them as they are when \
     they arrive"
);
setting!(
    Statistics,
    "statistics",
    StatisticsSettings,
    statistics_settings,
    SetStatisticsSettings,
    "The statistics settings: the service level threshold"
);

/// Every setting's path segment, schema and summary, for the OpenAPI document.
pub const SETTINGS: [(&str, &str, &str); 3] = [
    (Desk::PATH, Desk::SCHEMA, Desk::SUMMARY),
    (Channels::PATH, Channels::SCHEMA, Channels::SUMMARY),
    (Statistics::PATH, Statistics::SCHEMA, Statistics::SUMMARY),
];

async fn setting_get<S: Setting>(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let value = S::get(&state.replica.state().read().center);
    Ok(HttpResponse::Ok().json(value))
}

/// Replaces the record whole: two administrators cannot interleave half-updates.
async fn setting_put<S: Setting>(
    state: web::Data<AppState>,
    request: HttpRequest,
    value: web::Json<S::Value>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    match submit(&state, &request, S::set(value.into_inner())).await? {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(_) => {
            let value = S::get(&state.replica.state().read().center);
            Ok(HttpResponse::Ok().json(value))
        }
    }
}

fn setting_routes<S: Setting>(scope: Scope) -> Scope {
    let path = format!("/settings/{}", S::PATH);
    scope.route(&path, web::get().to(setting_get::<S>)).route(&path, web::put().to(setting_put::<S>))
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
    let scope = setting_routes::<Desk>(scope);
    let scope = setting_routes::<Channels>(scope);
    let scope = setting_routes::<Statistics>(scope);
    scope
        .route("/team-messages", web::get().to(messages_list))
        .route("/team-messages", web::post().to(message_publish))
        .route("/team-messages/{id}", web::delete().to(message_delete))
}
