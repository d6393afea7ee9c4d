//! The mail server and the email CSQs' mailboxes under `/api/v1` (seeds-uccx.md §2.4–2.5).
//!
//! Credentials come in clear over the API (TLS), are sealed here with the cluster key before
//! they are proposed, and never come back out: a mailbox is shown with which kind of credential
//! it has, not the credential. Changing a mailbox without giving credentials keeps the ones it
//! has, so an administrator need not type a password again to change a poll interval.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use serde::{Deserialize, Serialize};
use tandem_domain::{
    Command, CsqId, EmailCommand, MailCredentials, MailEndpoint, MailFolders, MailSecurity, MailServer, MailServerKind,
    Mailbox, Outcome,
};

use super::{guard, submit, ApiError, AppState};
use crate::secrets::Purpose;

/// The presets of the spec's server kinds: the public hosts and the spec's default ports.
pub fn presets() -> Vec<MailServer> {
    let server = |kind: MailServerKind, imap: &str, smtp: &str| MailServer {
        kind,
        imap: MailEndpoint {
            host: imap.into(),
            port: tandem_domain::MAIL_IMAP_PORT_DEFAULT,
            security: MailSecurity::Tls,
        },
        smtp: MailEndpoint {
            host: smtp.into(),
            port: tandem_domain::MAIL_SMTP_PORT_DEFAULT,
            security: MailSecurity::Starttls,
        },
        folders: Some(kind.default_folders()),
        description: None,
    };
    vec![
        server(MailServerKind::Generic, "imap.example.com", "smtp.example.com"),
        server(MailServerKind::Exchange, "mail.example.com", "mail.example.com"),
        server(MailServerKind::Office365, "outlook.office365.com", "smtp.office365.com"),
        server(MailServerKind::Gmail, "imap.gmail.com", "smtp.gmail.com"),
    ]
}

async fn server_get(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    match state.replica.state().read().center.mail_server() {
        Some(server) => Ok(HttpResponse::Ok().json(server)),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "No mail server is configured.")),
    }
}

async fn server_put(
    state: web::Data<AppState>,
    request: HttpRequest,
    server: web::Json<MailServer>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let command = Command::Email(EmailCommand::SetMailServer(Box::new(server.into_inner())));
    match submit(&state, &request, command).await? {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(_) => Ok(HttpResponse::Ok().json(state.replica.state().read().center.mail_server())),
    }
}

async fn server_delete(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    match submit(&state, &request, Command::Email(EmailCommand::DeleteMailServer)).await? {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(_) => Ok(HttpResponse::NoContent().finish()),
    }
}

async fn server_presets(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    Ok(HttpResponse::Ok().json(presets()))
}

/// A mailbox as an administrator sets it: credentials in clear (sealed before they are
/// proposed). Neither `password` nor `oauth2`: keep the mailbox's present credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxBody {
    /// The address the CSQ receives at and sends as; also the IMAP and SMTP user name.
    pub address: String,
    /// The mailbox's password (IMAP LOGIN, SMTP AUTH).
    #[serde(default)]
    pub password: Option<String>,
    /// OAuth 2.0 for SASL XOAUTH2 instead of a password.
    #[serde(default)]
    pub oauth2: Option<OauthBody>,
    /// Its own folders; absent: the mail server's.
    #[serde(default)]
    pub folders: Option<MailFolders>,
    /// 60 to 3600; default 180.
    #[serde(default = "tandem_domain::mail_poll_interval_default")]
    pub poll_interval_seconds: u32,
    /// 60 to 43200; default 120.
    #[serde(default = "tandem_domain::mail_snapshot_age_default")]
    pub snapshot_age_minutes: u32,
    /// The automatic answer sent once to each new email; absent: none.
    #[serde(default)]
    pub auto_acknowledgement: Option<tandem_domain::AutoAcknowledgement>,
}

/// OAuth 2.0 for SASL XOAUTH2.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OauthBody {
    /// The token endpoint (https).
    pub token_endpoint: String,
    /// The application's client id.
    pub client_id: String,
    /// The client secret (sealed, never returned).
    pub client_secret: String,
    /// A refresh token (sealed, never returned); absent: the client credentials grant.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The scope asked for (Gmail: https://mail.google.com/).
    pub scope: String,
}

/// How long a mailbox change waits for this node to apply the mail server it depends on.
const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
}

/// The stored credentials for `body`: its new ones sealed, bound to the mail server and the
/// address (`crate::mail`), or the mailbox's present ones if they are still bound to those.
async fn credentials(state: &AppState, csq: CsqId, body: &MailboxBody) -> Result<MailCredentials, ApiError> {
    // A follower may not have applied a mail server the client set a moment ago through another
    // node (reads here are local, and there is no read barrier yet): give it a moment.
    let waited = tokio::time::Instant::now();
    while !state.replica.leads()
        && state.replica.state().read().center.mail_server().is_none()
        && waited.elapsed() < CATCH_UP_WAIT
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (server, present) = {
        let shared = state.replica.state();
        let read = shared.read();
        (read.center.mail_server().cloned(), read.center.mailbox(csq).map(|mailbox| mailbox.credentials.clone()))
    };
    let Some(server) = server else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_state",
            "configure the mail server before an email CSQ's mailbox",
        ));
    };
    let secret = |field: &str, value: &str, token_endpoint: Option<&str>| {
        if value.is_empty() || value.len() > 4_096 || value.chars().any(char::is_control) {
            return Err(invalid(format!("{field} must be 1 to 4096 characters without control characters")));
        }
        let binding = crate::mail::credential_binding(&server, &body.address, token_endpoint);
        state.cluster_key.seal(Purpose::MailCredential { binding: &binding }, value.as_bytes()).map_err(|error| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("sealing a credential: {error}"))
        })
    };
    match (&body.password, &body.oauth2) {
        (Some(_), Some(_)) => Err(invalid("give password or oauth2, not both")),
        (Some(password), None) => {
            Ok(MailCredentials::Password { sealed_password: secret("password", password, None)? })
        }
        (None, Some(oauth)) => {
            let endpoint = Some(oauth.token_endpoint.as_str());
            Ok(MailCredentials::Oauth2 {
                token_endpoint: oauth.token_endpoint.clone(),
                client_id: oauth.client_id.clone(),
                sealed_client_secret: secret("client_secret", &oauth.client_secret, endpoint)?,
                sealed_refresh_token: oauth
                    .refresh_token
                    .as_deref()
                    .map(|token| secret("refresh_token", token, endpoint))
                    .transpose()?,
                scope: oauth.scope.clone(),
            })
        }
        (None, None) => {
            let Some(present) = present else {
                return Err(invalid("a new mailbox needs a password or oauth2 credentials"));
            };
            let sealed = match &present {
                MailCredentials::Password { sealed_password } => sealed_password,
                MailCredentials::Oauth2 { sealed_client_secret, .. } => sealed_client_secret,
            };
            crate::mail::open_credential(&state.cluster_key, &server, &body.address, &present, sealed)
                .map_err(|error| invalid(format!("{error} (password or oauth2)")))?;
            Ok(present)
        }
    }
}

fn no_mailbox(csq: CsqId) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("CSQ {csq} has no mailbox."))
}

fn csq_id(id: web::Path<u64>) -> CsqId {
    CsqId(id.into_inner())
}

async fn mailbox_get(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let csq = csq_id(id);
    match state.replica.state().read().center.mailbox_view(csq) {
        Some(view) => Ok(HttpResponse::Ok().json(view)),
        None => Err(no_mailbox(csq)),
    }
}

async fn mailbox_put(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
    body: web::Json<MailboxBody>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let csq = csq_id(id);
    let body = body.into_inner();
    let mailbox = Mailbox {
        credentials: credentials(&state, csq, &body).await?,
        address: body.address,
        folders: body.folders,
        poll_interval_seconds: body.poll_interval_seconds,
        snapshot_age_minutes: body.snapshot_age_minutes,
        auto_acknowledgement: body.auto_acknowledgement.clone(),
    };
    match submit(&state, &request, Command::Email(EmailCommand::SetMailbox { csq, mailbox: Box::new(mailbox) })).await?
    {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(_) => Ok(HttpResponse::Ok().json(state.replica.state().read().center.mailbox_view(csq))),
    }
}

async fn mailbox_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let csq = csq_id(id);
    match submit(&state, &request, Command::Email(EmailCommand::DeleteMailbox { csq })).await? {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(_) => Ok(HttpResponse::NoContent().finish()),
    }
}

/// `GET /api/v1/csqs/{id}/mailbox/ingest`: the cursor, counts and malformed messages.
async fn ingest_get(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let csq = csq_id(id);
    match state.replica.state().read().center.mail_inbound(csq) {
        Some(view) => Ok(HttpResponse::Ok().json(view)),
        None => Err(no_mailbox(csq)),
    }
}

/// What Test Configuration found: one result per check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailboxTest {
    /// Whether every check passed.
    pub ok: bool,
    /// IMAP login, the four folders, SMTP login, in that order.
    pub checks: Vec<crate::mail::check::CheckResult>,
}

/// `POST /api/v1/csqs/{id}/mailbox/test`: the spec's Test Configuration, run from this node.
async fn mailbox_test(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let csq = csq_id(id);
    let (server, mailbox, folders) = {
        let shared = state.replica.state();
        let read = shared.read();
        let center = &read.center;
        let Some(mailbox) = center.mailbox(csq).cloned() else {
            return Err(no_mailbox(csq));
        };
        let Some(server) = center.mail_server().cloned() else {
            return Err(ApiError::new(StatusCode::CONFLICT, "invalid_state", "configure the mail server first"));
        };
        let folders = center.mailbox_folders(&mailbox);
        (server, mailbox, folders)
    };
    let trust = crate::mail::trust(&state.config)
        .map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", error))?;
    let password = match &mailbox.credentials {
        MailCredentials::Password { sealed_password } => crate::mail::open_credential(
            &state.cluster_key,
            &server,
            &mailbox.address,
            &mailbox.credentials,
            sealed_password,
        )
        .map_err(|error| error.to_string()),
        MailCredentials::Oauth2 { .. } => Err("OAuth2 (XOAUTH2) mailboxes cannot be tested yet".into()),
    };
    let checks = match password {
        Ok(password) => crate::mail::check::run(&trust, &server, &mailbox, &password, &folders).await,
        Err(error) => vec![crate::mail::check::CheckResult { check: "credentials".into(), ok: false, detail: error }],
    };
    Ok(HttpResponse::Ok().json(MailboxTest { ok: checks.iter().all(|check| check.ok), checks }))
}

/// `GET /api/v1/csqs/{id}/mailbox/outbox`: the CSQ's replies, queued, sent or failed.
async fn outbox_get(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let csq = csq_id(id);
    let shared = state.replica.state();
    let data = shared.read();
    if data.center.csq(csq).is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("CSQ {csq} does not exist.")));
    }
    let views: Vec<_> = data.center.outbox().filter(|entry| entry.csq == csq).map(|entry| entry.view()).collect();
    Ok(HttpResponse::Ok().json(views))
}

async fn mailboxes_list(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let shared = state.replica.state();
    let data = shared.read();
    let views: Vec<_> = data.center.mailboxes().filter_map(|(csq, _)| data.center.mailbox_view(csq)).collect();
    Ok(HttpResponse::Ok().json(views))
}

pub fn routes(scope: Scope) -> Scope {
    scope
        .route("/mail-server", web::get().to(server_get))
        .route("/mail-server", web::put().to(server_put))
        .route("/mail-server", web::delete().to(server_delete))
        .route("/mail-server/presets", web::get().to(server_presets))
        .route("/mailboxes", web::get().to(mailboxes_list))
        .route("/csqs/{id}/mailbox", web::get().to(mailbox_get))
        .route("/csqs/{id}/mailbox", web::put().to(mailbox_put))
        .route("/csqs/{id}/mailbox", web::delete().to(mailbox_delete))
        .route("/csqs/{id}/mailbox/ingest", web::get().to(ingest_get))
        .route("/csqs/{id}/mailbox/outbox", web::get().to(outbox_get))
        .route("/csqs/{id}/mailbox/test", web::post().to(mailbox_test))
}
