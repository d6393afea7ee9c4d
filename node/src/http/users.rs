//! Users under `/api/v1/users`: who may open a desktop session, with which role.
//!
//! The body carries a password; the node hashes it (Argon2id, on the blocking pool) and
//! proposes only the hash, so no password reaches the log, a snapshot or an event. Reads never
//! return the hash. An update without `password` keeps the current one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use serde::Deserialize;
use tandem_domain::{AgentId, Command, Event, Outcome, Role, UserId, UserSpec, UserView};
use tandem_domain::{ConfigCommand, ConfigEvent};

use super::{guard, submit, ApiError, AppState};
use crate::credentials::PASSWORD_LENGTH_MAX;

/// Characters a new password needs at least.
pub const PASSWORD_LENGTH_MIN: usize = 8;

/// A user as a client writes it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// 1 to 64 characters, no whitespace, unique among users ignoring case.
    pub login_name: String,
    /// `agent`, `supervisor` or `administrator`.
    pub role: Role,
    /// The agent this user is: required for agents and supervisors, absent for administrators.
    #[serde(default)]
    pub agent: Option<AgentId>,
    /// 8 to 1024 characters. Required on create; omitted on update keeps the current password.
    #[serde(default)]
    pub password: Option<String>,
}

async fn hashed(state: &AppState, password: &str) -> Result<String, ApiError> {
    let length = password.chars().count();
    if !(PASSWORD_LENGTH_MIN..=PASSWORD_LENGTH_MAX).contains(&length) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("password must be {PASSWORD_LENGTH_MIN} to {PASSWORD_LENGTH_MAX} characters"),
        ));
    }
    state
        .passwords
        .hash(password.to_owned())
        .await
        .map_err(|error| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", error))
}

fn respond(outcome: Outcome, status: StatusCode) -> Result<HttpResponse, ApiError> {
    match outcome {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(_) if status == StatusCode::NO_CONTENT => Ok(HttpResponse::NoContent().finish()),
        Outcome::Applied(applied) => {
            let view = applied.events.into_iter().find_map(|event| match event {
                Event::Config(ConfigEvent::UserCreated(view)) | Event::Config(ConfigEvent::UserUpdated(view)) => {
                    Some(view)
                }
                _ => None,
            });
            match view {
                Some(view) => Ok(HttpResponse::build(status).json(view)),
                None => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "no user event")),
            }
        }
    }
}

async fn list(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let users: Vec<UserView> = state.replica.state().read().center.users().map(UserView::from).collect();
    Ok(HttpResponse::Ok().json(users))
}

async fn get(state: web::Data<AppState>, request: HttpRequest, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let id = UserId(id.into_inner());
    match state.replica.state().read().center.user(id).map(UserView::from) {
        Some(view) => Ok(HttpResponse::Ok().json(view)),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("There is no user with id {id}."))),
    }
}

async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    input: web::Json<UserInput>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let input = input.into_inner();
    let Some(password) = input.password.as_deref() else {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "password is required"));
    };
    let password_hash = hashed(&state, password).await?;
    let spec = UserSpec { login_name: input.login_name, role: input.role, agent: input.agent, password_hash };
    respond(submit(&state, &request, Command::Config(ConfigCommand::CreateUser(spec))).await?, StatusCode::CREATED)
}

async fn update(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
    input: web::Json<UserInput>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let id = UserId(id.into_inner());
    let input = input.into_inner();
    let password_hash = match input.password.as_deref() {
        Some(password) => hashed(&state, password).await?,
        None => match state.replica.state().read().center.user(id) {
            Some(user) => user.password_hash.clone(),
            None => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("There is no user with id {id}."),
                ))
            }
        },
    };
    let spec = UserSpec { login_name: input.login_name, role: input.role, agent: input.agent, password_hash };
    respond(submit(&state, &request, Command::Config(ConfigCommand::UpdateUser { id, spec })).await?, StatusCode::OK)
}

async fn delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let command = Command::Config(ConfigCommand::DeleteUser { id: UserId(id.into_inner()) });
    respond(submit(&state, &request, command).await?, StatusCode::NO_CONTENT)
}

pub fn routes(scope: Scope) -> Scope {
    scope
        .route("/users", web::get().to(list))
        .route("/users", web::post().to(create))
        .route("/users/{id}", web::get().to(get))
        .route("/users/{id}", web::put().to(update))
        .route("/users/{id}", web::delete().to(delete))
}
