//! Who is calling the REST API and the streams: the administrator token, or a user's token.
//!
//! A user logs in with a password (`POST /api/v1/sessions`, or a desktop's CTI login) and gets
//! a signed, expiring token that any node accepts, the same as a desktop's resume token. The
//! node only authenticates: it finds the [`Principal`] and puts its [`Actor`] in every entry it
//! proposes, and the domain decides at apply whether the actor may (`forbidden` if not). Reads
//! are scoped by the domain's read rules (`Center::viewer_sees_agent`, `viewer_sees_contact`).
//!
//! Endpoints are administrators' unless their handler says otherwise: [`guard`] admits the
//! administrator token and administrator users only; [`guard_user`] admits every user and
//! leaves the rest to the domain. Either records the principal in the request, where
//! [`super::submit`] finds it, so a handler cannot submit as someone it did not authenticate.

use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, Scope};
use serde::{Deserialize, Serialize};
use tandem_domain::{Actor, AgentId, Command, Role, SystemCommand, User, Viewer, LOGIN_LOCKOUT_THRESHOLD};

use super::{refuse_unless_serving, ApiError, AppState};
use crate::credentials;

/// Who made a request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The administrator token.
    Operator,
    /// A user, as the center held it when the request was authenticated.
    User {
        /// The user.
        user: User,
        /// What the user may see.
        viewer: Viewer,
    },
}

impl Principal {
    /// Who the entries this request proposes are from.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::Operator => Actor::Operator,
            Principal::User { user, .. } => Actor::User(user.id),
        }
    }

    /// Who this is, for the access and audit logs: `operator` or `user 3 (alice)`.
    pub fn describe(&self) -> String {
        match self {
            Principal::Operator => "operator".to_owned(),
            Principal::User { user, .. } => format!("user {} ({})", user.id.get(), user.login_name),
        }
    }

    /// What the caller may see.
    pub fn viewer(&self) -> Viewer {
        match self {
            Principal::Operator => Viewer::Everything,
            Principal::User { viewer, .. } => viewer.clone(),
        }
    }

    /// The user's agent (agents and supervisors).
    pub fn agent(&self) -> Option<AgentId> {
        match self {
            Principal::Operator => None,
            Principal::User { user, .. } => user.agent,
        }
    }

    /// The user (none for the administrator token).
    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::Operator => None,
            Principal::User { user, .. } => Some(user),
        }
    }

    /// A user as the center sees it now.
    pub fn for_user(state: &AppState, user: User) -> Principal {
        let viewer = state.replica.state().read().center.viewer_for(&user);
        Principal::User { user, viewer }
    }

    fn is_administrator(&self) -> bool {
        match self {
            Principal::Operator => true,
            Principal::User { user, .. } => user.role == Role::Administrator,
        }
    }
}

/// The token in `Authorization: Bearer`, or a user's token in `access_token` for a browser's
/// WebSocket (which cannot set headers); never the administrator token in a URL.
pub fn authenticate(
    state: &AppState,
    request: &HttpRequest,
    access_token: Option<&str>,
) -> Result<Principal, ApiError> {
    let header = request.headers().get("authorization").and_then(|value| value.to_str().ok());
    let given = match (header, access_token) {
        (Some(header), _) => header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .ok_or_else(|| unauthorized("The Authorization header must be 'Bearer <token>'."))?,
        (None, Some(token)) => {
            // A URL ends up in access logs, proxy logs and browser history: the one credential
            // that never expires must not travel there. Users' tokens expire and can be revoked.
            if crate::token::matches(&state.token, token) {
                return Err(unauthorized(
                    "The administrator token is never accepted in a URL; send it as 'Authorization: Bearer <token>', \
                     or use a user's token from POST /api/v1/sessions in access_token.",
                ));
            }
            token
        }
        (None, None) => {
            return Err(unauthorized(
                "Missing bearer token: send 'Authorization: Bearer <token>' with the administrator token or a \
                 user's token from POST /api/v1/sessions.",
            ))
        }
    };
    if crate::token::matches(&state.token, given) {
        return Ok(Principal::Operator);
    }
    from_token(state, given, "bearer token")
}

/// The user a signed token (a bearer token, a desktop's resume token) names, while it is valid
/// and the user exists. `what` names the token in the refusal.
pub fn from_token(state: &AppState, token: &str, what: &str) -> Result<Principal, ApiError> {
    let user = {
        let shared = state.replica.state();
        let data = shared.read();
        let invalid = || unauthorized(&format!("The {what} is not valid or has expired; log in again."));
        let key_id = credentials::token_key_id(token).ok_or_else(invalid)?;
        let key = super::session_keys::opened(state, &data.center, key_id).ok_or_else(invalid)?;
        let (id, issued) =
            credentials::check_resume_token_issued(&key, token, state.clock.now_ms()).ok_or_else(invalid)?;
        if issued <= data.center.tokens_revoked_at(id) {
            return Err(unauthorized(&format!(
                "The {what} was revoked (a logout, or a change of the user's password or role); log in again."
            )));
        }
        data.center.user(id).cloned().ok_or_else(|| unauthorized(&format!("The {what}'s user no longer exists.")))?
    };
    Ok(Principal::for_user(state, user))
}

/// The user a login name and password are. An unknown login and a wrong password get the same
/// answer after the same work: an unknown login is checked against a hash nobody has, so the
/// time taken does not tell which login names exist.
///
/// Before any work, `peer` (the client's address) must be within its login rate
/// (`rate_limited` otherwise). A user with too many failed logins in a row is locked out on
/// every node (`locked_out`) for 15 minutes after the last checked failure; every checked
/// failure is recorded in the replicated state, attempts while locked are not, and a success
/// clears the count.
pub async fn password_user(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    login: &str,
    password: String,
) -> Result<User, ApiError> {
    let result = password_checked(state, peer, login, password).await;
    let peer = peer.map(|address| address.to_string()).unwrap_or_default();
    match &result {
        Ok(user) => {
            tracing::info!(target: "audit", actor = %format!("user {} ({login})", user.id.get()), command = "Login", outcome = "applied", %peer)
        }
        Err(error) => {
            tracing::info!(target: "audit", actor = %format!("login {login:?}"), command = "Login", outcome = "rejected", code = %error.code, %peer)
        }
    }
    result
}

async fn password_checked(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    login: &str,
    password: String,
) -> Result<User, ApiError> {
    if let Some(address) = peer {
        if let Err(seconds) = state.logins.admit(address) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Too many logins from {address}; retry in {seconds} s."),
            ));
        }
    }
    let refused = || unauthorized("The login name or password is not valid.");
    if password.len() > credentials::PASSWORD_LENGTH_MAX {
        return Err(refused());
    }
    let (user, locked_until) = {
        let shared = state.replica.state();
        let read = shared.read();
        let user = read.center.user_for_login(login).cloned();
        let now_ms = state.clock.now_ms().max(read.center.time_ms());
        let locked_until = user.as_ref().and_then(|user| read.center.login_locked_until(user.id, now_ms));
        (user, locked_until)
    };
    // A locked-out user's password is not checked: the answer is `locked_out` whatever it is,
    // and a flood of guesses at one user must buy neither Argon2 work nor replicated writes
    // (the attempt is not recorded and does not extend the lockout). The answer already says
    // the user is locked, so its speed tells nothing more.
    if let (Some(user), Some(_)) = (&user, locked_until) {
        return Err(locked_out(state, user));
    }
    let hash = user.as_ref().map_or(credentials::NOBODYS_HASH, |user| &user.password_hash).to_owned();
    let verified = state.passwords.verify(hash, password).await;
    let Some(verified) = verified else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Too many logins are waiting for a password check; retry shortly.",
        ));
    };
    let Some(user) = user else { return Err(refused()) };
    if verified && locked_until.is_none() {
        if state.replica.state().read().center.login_failures(user.id) > 0 {
            record_login(state, SystemCommand::LoginSucceeded { user: user.id }).await;
        }
        return Ok(user);
    }
    record_login(state, SystemCommand::LoginFailed { user: user.id }).await;
    let now_ms = state.clock.now_ms();
    match state.replica.state().read().center.login_locked_until(user.id, now_ms) {
        Some(_) => Err(locked_out(state, &user)),
        None => Err(refused()),
    }
}

/// The refusal of a login as a locked-out user, saying for how long.
fn locked_out(state: &AppState, user: &User) -> ApiError {
    let now_ms = state.clock.now_ms();
    let until = state.replica.state().read().center.login_locked_until(user.id, now_ms).unwrap_or(now_ms);
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "locked_out",
        format!(
            "Logins as {} are refused after {LOGIN_LOCKOUT_THRESHOLD} failed attempts in a row; try again in {} minutes.",
            user.login_name,
            until.saturating_sub(now_ms).div_ceil(60_000)
        ),
    )
}

/// Records a login's result in the replicated state; a failure to record is logged, and does
/// not change the answer (the password check already decided it).
async fn record_login(state: &AppState, command: SystemCommand) {
    let result = super::submit_as(state, super::generated_request_id(), Command::System(command)).await;
    if let Err(error) = result {
        tracing::warn!(code = %error.code, message = %error.message, "could not record a login");
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

fn remember(request: &HttpRequest, principal: &Principal) {
    request.extensions_mut().insert(principal.clone());
}

/// The principal [`guard`] or [`guard_user`] recorded for this request.
pub fn recorded(request: &HttpRequest) -> Result<Principal, ApiError> {
    request.extensions().get::<Principal>().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The request was not authenticated before submitting.",
        )
    })
}

/// Administrators only (the token, or a user with the administrator role), on any node (the
/// cluster endpoints answer on a witness too).
pub fn authorize(state: &AppState, request: &HttpRequest) -> Result<Principal, ApiError> {
    let principal = authenticate(state, request, None)?;
    if !principal.is_administrator() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Only an administrator may use this endpoint."));
    }
    remember(request, &principal);
    Ok(principal)
}

/// Administrators only; not on a witness.
pub fn guard(state: &AppState, request: &HttpRequest) -> Result<Principal, ApiError> {
    let principal = authorize(state, request)?;
    refuse_unless_serving(state)?;
    Ok(principal)
}

/// Any user; the domain decides what they may do and see. Not on a witness.
pub fn guard_user(state: &AppState, request: &HttpRequest) -> Result<Principal, ApiError> {
    let principal = authenticate(state, request, None)?;
    refuse_unless_serving(state)?;
    remember(request, &principal);
    Ok(principal)
}

/// Refuses to show `agent` to a principal who may not see it, as if it did not exist (an agent
/// does not learn which ids are in use).
pub fn check_sees_agent(state: &AppState, principal: &Principal, agent: AgentId) -> Result<(), ApiError> {
    let viewer = principal.viewer();
    if state.replica.state().read().center.viewer_sees_agent(&viewer, agent) {
        return Ok(());
    }
    Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("There is no agent with id {agent}.")))
}

/// A login with a password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The user's login name (or its agent's login name or id).
    pub login: String,
    /// The password.
    pub password: String,
}

/// A user's bearer token for REST and streams.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionToken {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When it stops being accepted (milliseconds since the Unix epoch).
    pub expires_ms: u64,
    /// The user.
    pub user: u64,
    /// `agent`, `supervisor` or `administrator`.
    pub role: &'static str,
    /// The user's agent, if any.
    pub agent: Option<u64>,
}

/// `POST /api/v1/sessions`: a password for a token. An unknown login and a wrong password get
/// the same answer.
async fn create_session(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<SessionRequest>,
) -> Result<HttpResponse, ApiError> {
    refuse_unless_serving(&state)?;
    let body = body.into_inner();
    let peer = request.peer_addr().map(|address| address.ip());
    let user = password_user(&state, peer, &body.login, body.password).await?;
    let key = super::session_keys::current(&state)
        .await
        .map_err(|error| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_leader", error))?;
    let now_ms = token_issued_ms(&state);
    Ok(HttpResponse::Created().json(SessionToken {
        token: credentials::resume_token(&key, user.id, now_ms),
        expires_ms: now_ms + credentials::RESUME_TOKEN_LIFETIME_MS,
        user: user.id.get(),
        role: user.role.as_str(),
        agent: user.agent.map(AgentId::get),
    }))
}

/// Adds the session route to the `/api/v1` scope.
/// `DELETE /api/v1/sessions`: logs the caller out everywhere: every token issued to its user
/// until now (REST and desktop resume tokens, on every node) stops working.
async fn delete_session(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let principal = authorize(&state, &request)?;
    remember(&request, &principal);
    if let Some(user) = principal.user() {
        let revoke = Command::System(SystemCommand::RevokeTokens { user: user.id });
        match super::submit_by(&state, Actor::Operator, super::generated_request_id(), revoke).await? {
            tandem_domain::Outcome::Applied(_) => {}
            tandem_domain::Outcome::Rejected(rejection) => return Err(rejection.into()),
        }
        tracing::info!(target: "audit", actor = %principal.describe(), command = "Logout", outcome = "applied");
    }
    Ok(HttpResponse::NoContent().finish())
}

/// When a token issued now is stamped: this node's clock, but never at or before the center's
/// time, so a token issued just after a revocation (applied at the leader's clock, which may be
/// ahead of this node's) is not taken for one issued before it.
pub fn token_issued_ms(state: &AppState) -> u64 {
    let center_ms = state.replica.state().read().center.time_ms();
    state.clock.now_ms().max(center_ms + 1)
}

pub fn routes(scope: Scope) -> Scope {
    scope.route("/sessions", web::post().to(create_session)).route("/sessions", web::delete().to(delete_session))
}
