//! An email's body for the desktop: read from the mail server when it is opened, checked
//! against the hash the log holds, rendered safe (decision 0028: the body never enters the log).
//!
//! The message is fetched by (UIDVALIDITY, UID) with `BODY.PEEK[]`, so reading changes nothing
//! on the server; after the server renumbered the folder it is found by its Message-ID. The
//! bytes must hash to the content hash committed at ingest: a server that changed the message
//! since is reported, never shown as the customer's words. HTML is cleaned with `ammonia` (an
//! allow-list: no scripts, no event handlers, no forms, links made `noopener noreferrer`), and
//! attachment names lose any directory part, so a name like `../../etc/passwd` is `passwd`.

use std::sync::Arc;

use mail_parser::{MessageParser, MimeHeaders};
use serde::Serialize;
use tandem_domain::{InboundEmail, MailServer, Mailbox};

use super::imap::{self, STEP_TIMEOUT};

/// An email as the desktop shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RenderedBody {
    /// The text part, or the HTML part's text when there is no text part.
    pub text: String,
    /// The HTML part, sanitised; absent for a text-only email.
    pub html: Option<String>,
    /// The attachments, in the order the message carries them.
    pub attachments: Vec<AttachmentInfo>,
}

/// One attachment, without its bytes (`GET .../email/attachments/{index}` has them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AttachmentInfo {
    /// Its position, from 0.
    pub index: u32,
    /// Its file name without any directory part; `attachment-<index>` when it has none.
    pub name: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its decoded size in bytes.
    pub size: u64,
}

/// The body and attachments of `raw`, safe to show.
pub fn render(raw: &[u8]) -> RenderedBody {
    let Some(message) = MessageParser::default().parse(raw) else {
        return RenderedBody { text: String::new(), html: None, attachments: Vec::new() };
    };
    // mail-parser lists a text-only message's text part as its HTML body too: only a real
    // text/html part counts.
    let has_html = message
        .html_body
        .iter()
        .any(|id| message.part(*id).is_some_and(|part| matches!(part.body, mail_parser::PartType::Html(_))));
    let text = message.body_text(0).map(|text| text.into_owned()).unwrap_or_default();
    let html = if has_html { message.body_html(0).map(|html| sanitise(&html)) } else { None };
    let attachments = message
        .attachments()
        .enumerate()
        .map(|(index, part)| attachment_info(u32::try_from(index).unwrap_or(u32::MAX), part))
        .collect();
    RenderedBody { text, html, attachments }
}

/// Attachment `index` of `raw`: its safe name, type and decoded bytes.
pub fn attachment(raw: &[u8], index: u32) -> Option<(AttachmentInfo, Vec<u8>)> {
    let message = MessageParser::default().parse(raw)?;
    let part = message.attachments().nth(index as usize)?;
    Some((attachment_info(index, part), part.contents().to_vec()))
}

fn attachment_info(index: u32, part: &mail_parser::MessagePart<'_>) -> AttachmentInfo {
    AttachmentInfo {
        index,
        name: safe_name(part.attachment_name(), index),
        content_type: part.content_type().map_or_else(
            || "application/octet-stream".into(),
            |kind| match kind.subtype() {
                Some(subtype) => format!("{}/{subtype}", kind.ctype()),
                None => kind.ctype().to_owned(),
            },
        ),
        size: part.len() as u64,
    }
}

/// HTML cleaned for display.
pub fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto", "cid"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

/// A file name a browser saves where the user says: no directories, no control characters,
/// at most 255 bytes.
fn safe_name(name: Option<&str>, index: u32) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let mut cleaned: String = base.chars().filter(|c| !c.is_control() && *c != '"').collect();
    cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    while cleaned.len() > 255 {
        cleaned.pop();
    }
    if cleaned.is_empty() {
        format!("attachment-{index}")
    } else {
        cleaned
    }
}

/// The raw message of an ingested email, read from its mailbox and checked against the hash
/// the log holds.
pub async fn fetch(
    tls: Arc<rustls::ClientConfig>,
    server: &MailServer,
    mailbox: &Mailbox,
    password: &str,
    inbox: &str,
    email: &InboundEmail,
) -> Result<Vec<u8>, String> {
    use futures::TryStreamExt;
    let mut session = imap::login(&server.imap, tls, &mailbox.address, password).await.map_err(|e| e.to_string())?;
    let read = async {
        let selected = session.examine(inbox).await.map_err(|error| format!("opening {inbox:?}: {error}"))?;
        let uid = if selected.uid_validity == Some(email.uid_validity) {
            email.uid
        } else {
            // Renumbered since: find it by Message-ID, then the hash tells which is it.
            let Some(message_id) = email.envelope.as_ref().and_then(|envelope| envelope.message_id.as_deref()) else {
                return Err("the folder was renumbered and the message has no Message-ID to find it by".into());
            };
            if message_id.contains(['"', '\\', '\r', '\n']) {
                return Err("the message's Message-ID cannot be searched for".into());
            }
            let found = session
                .uid_search(format!("HEADER Message-ID \"{message_id}\""))
                .await
                .map_err(|error| format!("searching {inbox:?}: {error}"))?;
            found.into_iter().max().ok_or("the message is no longer in the mailbox")?
        };
        let fetched: Vec<_> = session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .await
            .map_err(|error| format!("fetching: {error}"))?
            .try_collect()
            .await
            .map_err(|error| format!("fetching: {error}"))?;
        fetched
            .iter()
            .find(|fetch| fetch.uid == Some(uid))
            .and_then(|fetch| fetch.body().map(<[u8]>::to_vec))
            .ok_or_else(|| "the message is no longer in the mailbox".to_owned())
    };
    let raw = tokio::time::timeout(STEP_TIMEOUT * 4, read).await.map_err(|_| "reading the message timed out")??;
    let _ = tokio::time::timeout(STEP_TIMEOUT, session.logout()).await;
    if super::parse::content_hash(&raw) != email.content_hash {
        return Err("the message on the server is not the one ingested (its content changed)".into());
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bad input: HTML with scripts, event handlers and javascript: links reaches no desktop;
    /// attachment names lose their directories.
    #[test]
    fn html_is_sanitised_and_attachment_names_lose_their_directories() {
        let raw = "From: a@example.net\r\nTo: s@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
                   Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
                   --b\r\nContent-Type: text/html\r\n\r\n\
                   <p onclick=\"steal()\">Hi<script>alert(1)</script> <a href=\"javascript:alert(2)\">x</a> \
                   <a href=\"https://example.net\">y</a></p>\r\n\
                   --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\
                   Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n\
                   --b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"C:\\\\x\\\\..\\\\evil.txt\"\r\n\r\nhey\r\n\
                   --b--\r\n";
        let rendered = render(raw.as_bytes());
        let html = rendered.html.expect("an HTML part");
        assert!(!html.contains("script") && !html.contains("onclick") && !html.contains("javascript"), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""), "{html}");
        assert!(html.contains("Hi"), "{html}");
        let names: Vec<&str> = rendered.attachments.iter().map(|info| info.name.as_str()).collect();
        assert_eq!(names, ["passwd", "evil.txt"]);
        assert_eq!(rendered.attachments[0].content_type, "application/pdf");
        let (info, bytes) = attachment(raw.as_bytes(), 0).expect("the first attachment");
        assert_eq!((info.name.as_str(), bytes.as_slice()), ("passwd", b"hello".as_slice()));
        assert_eq!(safe_name(Some("..."), 3), "attachment-3");
        assert_eq!(safe_name(None, 0), "attachment-0");
    }
}
