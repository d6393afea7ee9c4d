//! The Test Configuration action of an email CSQ's mailbox (seeds-uccx.md §2.5): connect and
//! log in to IMAP, find the Inbox, Drafts, Outbox and Sent Items folders and whether they can
//! be written, connect and authenticate to SMTP; one result per check, each in words an
//! administrator can act on. Nothing on the server changes: folders are opened, not written.

use serde::Serialize;
use tandem_domain::{MailFolders, MailServer, Mailbox};

use super::imap::{self, STEP_TIMEOUT};
use super::outbox::Trust;

/// One check and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CheckResult {
    /// `imap_login`, `folder_inbox`, `folder_drafts`, `folder_outbox`, `folder_sent_items`,
    /// `smtp_login`.
    pub check: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, or why it failed.
    pub detail: String,
}

fn result(check: &str, outcome: Result<String, String>) -> CheckResult {
    match outcome {
        Ok(detail) => CheckResult { check: check.into(), ok: true, detail },
        Err(detail) => CheckResult { check: check.into(), ok: false, detail },
    }
}

/// Every check, in order; a failed IMAP login skips the folder checks (they say so).
pub async fn run(
    trust: &Trust,
    server: &MailServer,
    mailbox: &Mailbox,
    password: &str,
    folders: &MailFolders,
) -> Vec<CheckResult> {
    let mut results = Vec::new();
    let named = [
        ("folder_inbox", &folders.inbox),
        ("folder_drafts", &folders.drafts),
        ("folder_outbox", &folders.outbox),
        ("folder_sent_items", &folders.sent_items),
    ];
    match imap::login(&server.imap, trust.imap.clone(), &mailbox.address, password).await {
        Err(error) => {
            results.push(result("imap_login", Err(error.to_string())));
            for (check, folder) in named {
                results.push(result(check, Err(format!("{folder:?} not checked: the IMAP login failed"))));
            }
        }
        Ok(mut session) => {
            let host = format!("{}:{}", server.imap.host, server.imap.port);
            results.push(result("imap_login", Ok(format!("logged in to {host} as {}", mailbox.address))));
            for (check, folder) in named {
                let opened = tokio::time::timeout(STEP_TIMEOUT, session.select(folder.as_str())).await;
                let outcome = match opened {
                    Err(_) => Err(format!("{folder:?}: no answer within {STEP_TIMEOUT:?}")),
                    Ok(Err(error)) => Err(format!("{folder:?} cannot be opened: {error}")),
                    // A folder whose flags cannot be changed is read-only to this user.
                    Ok(Ok(selected)) if selected.permanent_flags.is_empty() => {
                        Err(format!("{folder:?} exists but is read-only for {}", mailbox.address))
                    }
                    Ok(Ok(selected)) => Ok(format!("{folder:?} exists and is writable ({} messages)", selected.exists)),
                };
                results.push(result(check, outcome));
            }
            let _ = tokio::time::timeout(STEP_TIMEOUT, session.logout()).await;
        }
    }
    results.push(result("smtp_login", smtp(trust, server, &mailbox.address, password).await));
    results
}

async fn smtp(trust: &Trust, server: &MailServer, user: &str, password: &str) -> Result<String, String> {
    let transport = super::outbox::transport(trust, server, user, password)?;
    let host = format!("{}:{}", server.smtp.host, server.smtp.port);
    match transport.test_connection().await {
        Ok(true) => Ok(format!("authenticated to {host} as {user}")),
        Ok(false) => Err(format!("{host} closed the connection")),
        Err(error) => Err(format!("{host}: {error}")),
    }
}
