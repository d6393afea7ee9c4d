//! An email as its agent opens it, under `/api/v1/contacts/{id}/email` (seeds-uccx.md §2.9).
//!
//! The envelope comes from the replicated state; the body and attachments from the mailbox,
//! read when asked (decision 0028) by whichever node serves the desktop: reading changes nothing
//! on the server, so any node may. The body is sanitised before it leaves the node, and an
//! attachment is always a download (`application/octet-stream`, `nosniff`), never rendered by
//! the browser, so an HTML attachment cannot run in the desktop's origin. Who may open an email
//! is who may see its contact.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use serde::Serialize;
use tandem_domain::{
    Channel, ContactId, EmailReply, Envelope, InboundEmail, MailCredentials, MailServer, Mailbox, PredefinedResponse,
};

use super::principal::guard_user;
use super::{ApiError, AppState};
use crate::mail::read::{self, RenderedBody};

/// What the desktop shows of an email and starts a reply with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailView {
    /// The email contact.
    pub contact: ContactId,
    /// The headers read at ingest.
    pub envelope: Envelope,
    /// The message's size on the server, in bytes.
    pub size: u64,
    /// The body and attachments, read from the mailbox now; absent when it could not be read.
    pub body: Option<RenderedBody>,
    /// Why the body could not be read.
    pub body_error: Option<String>,
    /// A reply to the customer.
    pub reply: Option<EmailReply>,
    /// A reply to everyone the customer wrote to.
    pub reply_all: Option<EmailReply>,
    /// The reply saved so far, if any (it replaces `reply` in the desktop).
    pub draft: Option<tandem_domain::EmailDraft>,
    /// The email predefined responses of the email's CSQ (seeds-uccx.md §2.13), inserted at
    /// the end of a reply.
    pub predefined_responses: Vec<PredefinedResponse>,
}

struct Source {
    email: InboundEmail,
    server: MailServer,
    mailbox: Mailbox,
    inbox: String,
}

/// The ingested email behind contact `id`, if the principal may see it.
fn source(state: &AppState, request: &HttpRequest, id: u64) -> Result<(Source, EmailView), ApiError> {
    let viewer = guard_user(state, request)?.viewer();
    let contact = ContactId(id);
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("There is no contact with id {id}."));
    let shared = state.replica.state();
    let data = shared.read();
    let center = &data.center;
    let csq =
        center.contact(contact).filter(|found| center.viewer_sees_contact(&viewer, found)).ok_or_else(not_found)?.csq;
    let Some(email) = center.email_envelope(contact).cloned() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Contact {id} did not arrive from a mailbox: it has no message to read."),
        ));
    };
    let view = EmailView {
        contact,
        envelope: email.envelope.clone().unwrap_or_default(),
        size: email.size,
        body: None,
        body_error: None,
        reply: center.email_reply_draft(contact, false),
        reply_all: center.email_reply_draft(contact, true),
        draft: center.email_draft(contact).cloned(),
        predefined_responses: center
            .predefined_responses_for(csq)
            .into_iter()
            .filter(|response| response.channel == Channel::Email)
            .cloned()
            .collect(),
    };
    let gone = |what: &str| ApiError::new(StatusCode::CONFLICT, "invalid_state", format!("The email's {what}."));
    let server = center.mail_server().cloned().ok_or_else(|| gone("mail server was removed"))?;
    let mailbox = center
        .mailbox(email.csq)
        .filter(|mailbox| mailbox.address.eq_ignore_ascii_case(&email.mailbox))
        .cloned()
        .ok_or_else(|| gone("mailbox was removed or changed its address"))?;
    let inbox = center.mailbox_folders(&mailbox).inbox;
    Ok((Source { email, server, mailbox, inbox }, view))
}

async fn raw(state: &AppState, source: &Source) -> Result<Vec<u8>, String> {
    let MailCredentials::Password { sealed_password } = &source.mailbox.credentials else {
        return Err("OAuth2 (XOAUTH2) mailboxes cannot be read yet".into());
    };
    let password = crate::mail::open_credential(
        &state.cluster_key,
        &source.server,
        &source.mailbox.address,
        &source.mailbox.credentials,
        sealed_password,
    )
    .map_err(|error| error.to_string())?;
    let tls = crate::mail::trust(&state.config)?.imap;
    read::fetch(tls, &source.server, &source.mailbox, &password, &source.inbox, &source.email).await
}

/// `GET /api/v1/contacts/{id}/email`: the envelope, the sanitised body, the attachments'
/// names and the reply drafts.
async fn email_get(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    let (source, mut view) = source(&state, &request, id.into_inner())?;
    match raw(&state, &source).await {
        Ok(raw) => view.body = Some(read::render(&raw)),
        Err(error) => view.body_error = Some(error),
    }
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/v1/contacts/{id}/email/attachments/{index}`: one attachment, as a download.
async fn attachment_get(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(u64, u32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = path.into_inner();
    let (source, _) = source(&state, &request, id)?;
    let raw = raw(&state, &source).await.map_err(|error| {
        ApiError::new(StatusCode::BAD_GATEWAY, "mail_server", format!("Reading the email: {error}"))
    })?;
    let Some((info, bytes)) = read::attachment(&raw, index) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Email {id} has no attachment {index}."),
        ));
    };
    let encoded: String = info
        .name
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => char::from(byte).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    let ascii: String = info.name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"; filename*=UTF-8''{encoded}", ascii.replace('\\', "_")),
        ))
        .body(bytes))
}

pub fn routes(scope: Scope) -> Scope {
    scope
        .route("/contacts/{id}/email", web::get().to(email_get))
        .route("/contacts/{id}/email/attachments/{index}", web::get().to(attachment_get))
}
