//! The keys users' tokens are signed with: created on the first login, rotated by an
//! administrator, held sealed in the replicated state.
//!
//! A node seals a new key with the cluster key before it proposes it, so the Raft log and the
//! snapshots only ever hold ciphertext (decision 0027). New tokens are signed with the newest
//! key; a token names its key, so tokens signed before a rotation keep working until they
//! expire (the grace period is the token lifetime), unless the rotation retires the other keys
//! at once, for a key that may have leaked.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use serde::{Deserialize, Serialize};
use tandem_domain::{Center, Command, Outcome, SystemCommand};

use super::{principal, ApiError, AppState};
use crate::credentials::{self, TokenKey};
use crate::secrets::Purpose;

/// The key `id`, opened, while the center holds it and this node's cluster key opens it.
pub fn opened(state: &AppState, center: &Center, id: u32) -> Option<TokenKey> {
    let key = center.session_key(id)?;
    match state.cluster_key.open(Purpose::SessionKey, &key.sealed) {
        Ok(secret) => Some(TokenKey { id, secret }),
        Err(error) => {
            tracing::error!(key = id, %error, "a session key does not open");
            None
        }
    }
}

/// The key new tokens are signed with, proposing the cluster's first one if there is none.
pub async fn current(state: &AppState) -> Result<TokenKey, String> {
    let existing = state.replica.state().read().center.session_key_current().map(|key| key.id);
    if existing.is_none() {
        propose(state, None, false, super::generated_request_id()).await?;
    }
    let id = super::cti::applied_here(state, |center| center.session_key_current().map(|key| key.id))
        .await
        .ok_or_else(|| "the session key was set but has not reached this node yet; log in again".to_owned())?;
    let shared = state.replica.state();
    let data = shared.read();
    opened(state, &data.center, id).ok_or_else(|| {
        "this node cannot open the cluster's session key: every node needs the same cluster.key (compare the \
         fingerprints the nodes log at start)"
            .to_owned()
    })
}

/// Proposes a new key, sealed, to follow `replaces`.
async fn propose(
    state: &AppState,
    replaces: Option<u32>,
    retire_others: bool,
    request_id: String,
) -> Result<Outcome, String> {
    let sealed = state
        .cluster_key
        .seal(Purpose::SessionKey, &credentials::new_session_secret())
        .map_err(|error| error.to_string())?;
    let command = Command::System(SystemCommand::AddSessionKey { sealed, replaces, retire_others });
    super::submit_as(state, request_id, command).await.map_err(|error| error.message)
}

/// A key as the API shows it: never the key itself, sealed or not.
#[derive(Debug, Serialize)]
pub struct KeyView {
    pub id: u32,
    pub created_ms: u64,
    /// Whether new tokens are signed with it.
    pub current: bool,
}

fn views(center: &Center) -> Vec<KeyView> {
    let current = center.session_key_current().map(|key| key.id);
    let keys = center.session_keys().iter();
    keys.map(|key| KeyView { id: key.id, created_ms: key.created_ms, current: Some(key.id) == current }).collect()
}

/// `GET /api/v1/cluster/session-keys`: the keys held, oldest first.
async fn list(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    principal::guard(&state, &request)?;
    Ok(HttpResponse::Ok().json(views(&state.replica.state().read().center)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Drop every other key now: every token issued before stops working (a leaked key).
    /// Otherwise they keep working until they expire.
    #[serde(default)]
    pub retire_others: bool,
}

/// `POST /api/v1/cluster/session-keys`: a new key signs new tokens from now on.
async fn rotate(state: web::Data<AppState>, request: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    principal::guard(&state, &request)?;
    let rotation: Rotation = if body.iter().all(u8::is_ascii_whitespace) {
        Rotation::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("The body is not a rotation: {error}."),
            )
        })?
    };
    let replaces = state.replica.state().read().center.session_key_current().map(|key| key.id);
    let request_id = super::request_key(&request)?.unwrap_or_else(super::generated_request_id);
    let refused = |message: String| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_leader", message);
    match propose(&state, replaces, rotation.retire_others, request_id).await.map_err(refused)? {
        Outcome::Applied(_) => {}
        Outcome::Rejected(rejection) => return Err(ApiError::from(rejection)),
    }
    let keys = super::cti::applied_here(&state, |center| {
        (center.session_key_current().map(|key| key.id) != replaces).then(|| views(center))
    })
    .await
    .ok_or_else(|| refused("the new key was added but has not reached this node yet; list the keys again".into()))?;
    tracing::info!(
        target: "audit",
        actor = %principal::recorded(&request)?.describe(),
        command = "RotateSessionKey",
        retire_others = rotation.retire_others,
        outcome = "applied"
    );
    Ok(HttpResponse::Created().json(keys))
}

pub fn routes(scope: Scope) -> Scope {
    scope.route("/cluster/session-keys", web::get().to(list)).route("/cluster/session-keys", web::post().to(rotate))
}
