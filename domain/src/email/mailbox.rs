//! Where email comes from and goes to: the center's mail server (seeds-uccx.md §2.4) and each
//! email CSQ's mailbox on it (§2.5).
//!
//! One mail server per center: its kind (generic IMAP/SMTP, Exchange, Office 365, Gmail) sets
//! the default folder names; IMAP and SMTP hosts are names, never IP addresses (the spec), with
//! the spec's default ports. Each email CSQ may have one mailbox of its own (no two CSQs share
//! an address, the spec's dedicated mailbox) with credentials, folders, a poll interval of 60 to
//! 3,600 s (180) and a snapshot age of 60 to 43,200 minutes (120). A mailbox needs the mail
//! server first, and the server cannot go while a mailbox uses it.
//!
//! Credentials arrive sealed by the node (the domain never sees a password, decision 0027) and
//! leave the domain only sealed: events and views carry whether a credential is set, never it.

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::CsqId;
use crate::limits::{AUTO_ACKNOWLEDGEMENT_LENGTH_MAX, EMAIL_SUBJECT_LENGTH_MAX};
use crate::limits::{
    MAIL_ADDRESS_LENGTH_MAX, MAIL_FOLDER_LENGTH_MAX, MAIL_HOST_LENGTH_MAX, MAIL_POLL_INTERVAL_SECONDS_DEFAULT,
    MAIL_POLL_INTERVAL_SECONDS_MAX, MAIL_POLL_INTERVAL_SECONDS_MIN, MAIL_SEALED_LENGTH_MAX,
    MAIL_SNAPSHOT_AGE_MINUTES_DEFAULT, MAIL_SNAPSHOT_AGE_MINUTES_MAX, MAIL_SNAPSHOT_AGE_MINUTES_MIN, NAME_LENGTH_MAX,
};
use crate::outcome::{Applied, Event};
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_body, text_optional, text_required};
use crate::EmailEvent;

/// The kind of mail server; it sets the default folder names.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailServerKind {
    /// Any IMAP4rev1 and SMTP submission server (Dovecot and Postfix, for one).
    Generic,
    /// Microsoft Exchange 2013, 2016 or 2019.
    Exchange,
    /// Office 365.
    Office365,
    /// Gmail.
    Gmail,
}

impl MailServerKind {
    /// The default Inbox, Drafts, Outbox and Sent Items folder names (English locale).
    pub fn default_folders(self) -> MailFolders {
        let folders = |inbox: &str, drafts: &str, outbox: &str, sent: &str| MailFolders {
            inbox: inbox.into(),
            drafts: drafts.into(),
            outbox: outbox.into(),
            sent_items: sent.into(),
        };
        match self {
            MailServerKind::Generic => folders("INBOX", "Drafts", "Outbox", "Sent"),
            MailServerKind::Exchange | MailServerKind::Office365 => folders("Inbox", "Drafts", "Outbox", "Sent Items"),
            MailServerKind::Gmail => folders("INBOX", "[Gmail]/Drafts", "Outbox", "[Gmail]/Sent Mail"),
        }
    }
}

/// How a connection is secured.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailSecurity {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// A plain connection upgraded with STARTTLS before anything else (IMAP 143, submission 587).
    Starttls,
}

/// The four folders a mailbox uses.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailFolders {
    /// Where customers' emails arrive.
    pub inbox: String,
    /// Where drafts are kept.
    pub drafts: String,
    /// Checked by the test action (the spec's four folders).
    pub outbox: String,
    /// Where a sent reply is copied.
    pub sent_items: String,
}

/// One endpoint: host, port, security.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailEndpoint {
    /// A host name (fully qualified, or `localhost`); never an IP address (seeds-uccx.md §2.4).
    pub host: String,
    /// 1 to 65,535; the spec's defaults are 993 for IMAP and 587 for SMTP.
    pub port: u16,
    /// TLS or STARTTLS; never plain text.
    pub security: MailSecurity,
}

/// The center's mail server, as set and stored (it holds no secret).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailServer {
    /// Sets the default folders.
    pub kind: MailServerKind,
    /// Incoming mail (IMAP).
    pub imap: MailEndpoint,
    /// Outgoing mail (SMTP submission).
    pub smtp: MailEndpoint,
    /// The folders every mailbox uses unless it names its own; absent: the kind's defaults.
    #[serde(default)]
    pub folders: Option<MailFolders>,
    /// Up to 100 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// How a mailbox logs in, sealed by the node (`s1.` text): the domain never sees a secret.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum MailCredentials {
    /// IMAP LOGIN / SASL PLAIN and SMTP AUTH with the mailbox address and a password.
    Password {
        /// The password, sealed.
        sealed_password: String,
    },
    /// SASL XOAUTH2 with an access token from `token_endpoint` (client credentials, or a
    /// refresh token when one is set).
    Oauth2 {
        /// The authorization server's token endpoint (https).
        token_endpoint: String,
        /// The application's client id.
        client_id: String,
        /// The client secret, sealed.
        sealed_client_secret: String,
        /// A refresh token, sealed; absent: the client credentials grant.
        #[serde(default)]
        sealed_refresh_token: Option<String>,
        /// The scope asked for (Gmail: `https://mail.google.com/`).
        scope: String,
    },
}

/// An email CSQ's mailbox, as set and stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mailbox {
    /// The address the CSQ receives at and sends as; also the IMAP and SMTP user name.
    pub address: String,
    /// How it logs in.
    pub credentials: MailCredentials,
    /// Its own folders; absent: the mail server's.
    #[serde(default)]
    pub folders: Option<MailFolders>,
    /// Seconds between polls when the server offers no IDLE.
    #[serde(default = "mail_poll_interval_default")]
    pub poll_interval_seconds: u32,
    /// Only emails received this many minutes back are fetched.
    #[serde(default = "mail_snapshot_age_default")]
    pub snapshot_age_minutes: u32,
    /// Sent once to the customer for each email ingested (seeds-ece.md §2.4); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_acknowledgement: Option<AutoAcknowledgement>,
}

/// The automatic answer to every new email (seeds-ece.md §2.4's auto-acknowledgement), never to
/// mail sent automatically, bounces, or the center's own addresses (a loop guard).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoAcknowledgement {
    /// 1 to 255 characters; `{{subject}}` becomes the customer's subject.
    pub subject: String,
    /// 1 to 4,000 characters; `{{subject}}` becomes the customer's subject.
    pub body: String,
}

/// [`MAIL_POLL_INTERVAL_SECONDS_DEFAULT`], for serde defaults here and in API bodies.
pub fn mail_poll_interval_default() -> u32 {
    MAIL_POLL_INTERVAL_SECONDS_DEFAULT
}

/// [`MAIL_SNAPSHOT_AGE_MINUTES_DEFAULT`], for serde defaults here and in API bodies.
pub fn mail_snapshot_age_default() -> u32 {
    MAIL_SNAPSHOT_AGE_MINUTES_DEFAULT
}

/// A mailbox as events and the API show it: which kind of credential is set, never the
/// credential, sealed or not.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxView {
    /// The email CSQ.
    pub csq: CsqId,
    /// The address.
    pub address: String,
    /// `password` or `oauth2`.
    pub authentication: String,
    /// For OAuth 2.0: the token endpoint, client id and scope (not secrets).
    #[serde(default)]
    pub oauth2: Option<OauthView>,
    /// The folders in use (its own, else the server's, else the kind's defaults).
    pub folders: MailFolders,
    /// Seconds between polls.
    pub poll_interval_seconds: u32,
    /// Minutes back that are fetched.
    pub snapshot_age_minutes: u32,
    /// The automatic answer to each new email, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_acknowledgement: Option<AutoAcknowledgement>,
}

/// The parts of an OAuth 2.0 credential that are not secret.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OauthView {
    /// The authorization server's token endpoint.
    pub token_endpoint: String,
    /// The application's client id.
    pub client_id: String,
    /// The scope asked for.
    pub scope: String,
    /// Whether a refresh token is set.
    pub refresh_token_set: bool,
}

impl Center {
    /// The mail server, once set.
    pub fn mail_server(&self) -> Option<&MailServer> {
        self.mail_server.as_ref()
    }

    /// An email CSQ's mailbox, as stored (credentials sealed).
    pub fn mailbox(&self, csq: CsqId) -> Option<&Mailbox> {
        self.mailboxes.get(&csq)
    }

    /// Every mailbox, by CSQ.
    pub fn mailboxes(&self) -> impl Iterator<Item = (CsqId, &Mailbox)> {
        self.mailboxes.iter().map(|(csq, mailbox)| (*csq, mailbox))
    }

    /// What the API and events show of a mailbox.
    pub fn mailbox_view(&self, csq: CsqId) -> Option<MailboxView> {
        let mailbox = self.mailboxes.get(&csq)?;
        let (authentication, oauth2) = match &mailbox.credentials {
            MailCredentials::Password { .. } => ("password", None),
            MailCredentials::Oauth2 { token_endpoint, client_id, sealed_refresh_token, scope, .. } => (
                "oauth2",
                Some(OauthView {
                    token_endpoint: token_endpoint.clone(),
                    client_id: client_id.clone(),
                    scope: scope.clone(),
                    refresh_token_set: sealed_refresh_token.is_some(),
                }),
            ),
        };
        Some(MailboxView {
            csq,
            address: mailbox.address.clone(),
            authentication: authentication.into(),
            oauth2,
            folders: self.mailbox_folders(mailbox),
            poll_interval_seconds: mailbox.poll_interval_seconds,
            snapshot_age_minutes: mailbox.snapshot_age_minutes,
            auto_acknowledgement: mailbox.auto_acknowledgement.clone(),
        })
    }

    /// The folders a mailbox uses: its own, else the server's, else the server kind's.
    pub fn mailbox_folders(&self, mailbox: &Mailbox) -> MailFolders {
        let server = self.mail_server.as_ref();
        let server_folders = server.and_then(|server| server.folders.clone());
        let defaults = || server.map_or(MailServerKind::Generic, |server| server.kind).default_folders();
        mailbox.folders.clone().or(server_folders).unwrap_or_else(defaults)
    }

    pub(crate) fn mail_server_set(&mut self, server: &MailServer) -> Result<Applied, Rejection> {
        let server = MailServer {
            kind: server.kind,
            imap: endpoint_checked("imap", &server.imap)?,
            smtp: endpoint_checked("smtp", &server.smtp)?,
            folders: server.folders.as_ref().map(folders_checked).transpose()?,
            description: text_optional("description", server.description.as_deref(), NAME_LENGTH_MAX)?,
        };
        self.mail_server = Some(server.clone());
        Ok(Applied::event(Event::Email(EmailEvent::MailServerUpdated(server))))
    }

    pub(crate) fn mail_server_delete(&mut self) -> Result<Applied, Rejection> {
        if self.mail_server.is_none() {
            return Err(Rejection::new(RejectionCode::NotFound, "no mail server is configured"));
        }
        if !self.mailboxes.is_empty() {
            let references: Vec<String> =
                self.mailboxes.keys().map(|csq| format!("the mailbox of CSQ {csq}")).collect();
            return Err(Rejection::in_use("the mail server", &references));
        }
        self.mail_server = None;
        Ok(Applied::event(Event::Email(EmailEvent::MailServerDeleted)))
    }

    pub(crate) fn mailbox_set(&mut self, csq: CsqId, mailbox: &Mailbox) -> Result<Applied, Rejection> {
        let channel = self.csqs.get(csq).map(|found| found.channel).ok_or_else(|| Rejection::not_found("CSQ", csq))?;
        if channel != Channel::Email {
            return Err(Rejection::invalid_field(format!(
                "CSQ {csq} is a {} CSQ; only an email CSQ has a mailbox",
                channel.as_str()
            )));
        }
        if self.mail_server.is_none() {
            return Err(Rejection::invalid_state("configure the mail server before an email CSQ's mailbox"));
        }
        let address = address_checked(&mailbox.address)?;
        let taken = self
            .mailboxes
            .iter()
            .find(|(other, found)| **other != csq && equal_ignoring_case(&found.address, &address));
        if let Some((other, _)) = taken {
            let message =
                format!("{address} is already the mailbox of CSQ {other}; each email CSQ needs its own mailbox");
            return Err(Rejection::new(RejectionCode::DuplicateValue, message));
        }
        let mailbox = Mailbox {
            address,
            credentials: credentials_checked(&mailbox.credentials)?,
            folders: mailbox.folders.as_ref().map(folders_checked).transpose()?,
            poll_interval_seconds: in_range(
                "poll_interval_seconds",
                mailbox.poll_interval_seconds,
                MAIL_POLL_INTERVAL_SECONDS_MIN,
                MAIL_POLL_INTERVAL_SECONDS_MAX,
            )?,
            snapshot_age_minutes: in_range(
                "snapshot_age_minutes",
                mailbox.snapshot_age_minutes,
                MAIL_SNAPSHOT_AGE_MINUTES_MIN,
                MAIL_SNAPSHOT_AGE_MINUTES_MAX,
            )?,
            auto_acknowledgement: mailbox
                .auto_acknowledgement
                .as_ref()
                .map(|ack| -> Result<AutoAcknowledgement, Rejection> {
                    Ok(AutoAcknowledgement {
                        subject: text_required("auto_acknowledgement.subject", &ack.subject, EMAIL_SUBJECT_LENGTH_MAX)?,
                        body: text_body("auto_acknowledgement.body", &ack.body, AUTO_ACKNOWLEDGEMENT_LENGTH_MAX)?,
                    })
                })
                .transpose()?,
        };
        self.mailboxes.insert(csq, mailbox);
        let view = self.mailbox_view(csq).ok_or_else(|| Rejection::not_found("mailbox of CSQ", csq))?;
        Ok(Applied::event(Event::Email(EmailEvent::MailboxUpdated(view))))
    }

    pub(crate) fn mailbox_delete(&mut self, csq: CsqId) -> Result<Applied, Rejection> {
        if self.mailboxes.remove(&csq).is_none() {
            return Err(Rejection::not_found("mailbox of CSQ", csq));
        }
        Ok(Applied::event(Event::Email(EmailEvent::MailboxDeleted(csq))))
    }

    /// The mailbox using an email CSQ, named for an `in_use` message.
    pub(crate) fn csq_mailbox_references(&self, csq: CsqId) -> Vec<String> {
        self.mailboxes.get(&csq).map(|mailbox| format!("mailbox {}", mailbox.address)).into_iter().collect()
    }
}

fn in_range(field: &str, value: u32, min: u32, max: u32) -> Result<u32, Rejection> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Rejection::invalid_field(format!("{field} must be between {min} and {max} (got {value})")))
    }
}

fn endpoint_checked(which: &str, endpoint: &MailEndpoint) -> Result<MailEndpoint, Rejection> {
    let host = text_required(&format!("{which}.host"), &endpoint.host, MAIL_HOST_LENGTH_MAX)?.to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.trim_matches(['[', ']']).parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(Rejection::invalid_field(format!(
            "{which}.host must be a host name, not an IP address (the server's certificate names it)"
        )));
    }
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !host.trim_end_matches('.').split('.').all(label_ok) {
        return Err(Rejection::invalid_field(format!(
            "{which}.host must be a host name of letters, digits, hyphens and dots (got {host:?})"
        )));
    }
    if endpoint.port == 0 {
        return Err(Rejection::invalid_field(format!("{which}.port must be between 1 and 65535")));
    }
    Ok(MailEndpoint { host, port: endpoint.port, security: endpoint.security })
}

fn folders_checked(folders: &MailFolders) -> Result<MailFolders, Rejection> {
    let folder = |field: &str, value: &str| text_required(&format!("folders.{field}"), value, MAIL_FOLDER_LENGTH_MAX);
    Ok(MailFolders {
        inbox: folder("inbox", &folders.inbox)?,
        drafts: folder("drafts", &folders.drafts)?,
        outbox: folder("outbox", &folders.outbox)?,
        sent_items: folder("sent_items", &folders.sent_items)?,
    })
}

/// An address as SMTP carries it: one `@`, a local part and a host name, no spaces, quotes or
/// angle brackets (nothing a header could be injected through).
fn address_checked(address: &str) -> Result<String, Rejection> {
    address_checked_as("address", address)
}

/// [`address_checked`] for the field `field` (a reply's `to`, `cc`, `bcc`).
pub(crate) fn address_checked_as(field: &str, address: &str) -> Result<String, Rejection> {
    let address = text_required(field, address, MAIL_ADDRESS_LENGTH_MAX)?;
    let valid = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && domain.split('.').all(|label| !label.is_empty())
                && address
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '(' | ')' | '\\'))
        }
        None => false,
    };
    if !valid {
        return Err(Rejection::invalid_field(format!(
            "{field} must be an email address like csq@example.com (got {address:?})"
        )));
    }
    Ok(address)
}

fn sealed_checked(field: &str, sealed: &str) -> Result<String, Rejection> {
    if sealed.is_empty()
        || sealed.len() > MAIL_SEALED_LENGTH_MAX as usize
        || !sealed.bytes().all(|byte| byte.is_ascii_graphic())
    {
        return Err(Rejection::invalid_field(format!(
            "{field} must be sealed text of 1 to {MAIL_SEALED_LENGTH_MAX} characters"
        )));
    }
    Ok(sealed.to_owned())
}

fn credentials_checked(credentials: &MailCredentials) -> Result<MailCredentials, Rejection> {
    Ok(match credentials {
        MailCredentials::Password { sealed_password } => {
            MailCredentials::Password { sealed_password: sealed_checked("password", sealed_password)? }
        }
        MailCredentials::Oauth2 { token_endpoint, client_id, sealed_client_secret, sealed_refresh_token, scope } => {
            let token_endpoint = text_required("token_endpoint", token_endpoint, MAIL_ADDRESS_LENGTH_MAX)?;
            if !token_endpoint.starts_with("https://") || token_endpoint.contains(char::is_whitespace) {
                return Err(Rejection::invalid_field("token_endpoint must be an https:// URL"));
            }
            MailCredentials::Oauth2 {
                token_endpoint,
                client_id: text_required("client_id", client_id, MAIL_ADDRESS_LENGTH_MAX)?,
                sealed_client_secret: sealed_checked("client_secret", sealed_client_secret)?,
                sealed_refresh_token: sealed_refresh_token
                    .as_deref()
                    .map(|token| sealed_checked("refresh_token", token))
                    .transpose()?,
                scope: text_required("scope", scope, MAIL_ADDRESS_LENGTH_MAX)?,
            }
        }
    })
}
