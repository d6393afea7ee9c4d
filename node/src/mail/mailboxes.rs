//! The mailbox actors: on the leader only, one task per email CSQ with a mailbox, reading new
//! messages over IMAP and proposing one `IngestEmail` each (decision 0028).
//!
//! A supervisor looks once a second at whether this node leads and which mailboxes the state
//! holds; it starts a reader for each, stops them all when leadership goes, and restarts one
//! whose configuration changed. Fencing is the domain's: an ingest is applied once per
//! (UIDVALIDITY, UID) whoever proposes it, so a deposed leader's reader that has not stopped yet
//! proposes nothing that can apply twice, and a new leader resumes from the replicated cursor.
//! Messages are read with `BODY.PEEK[]`: nothing on the server changes, before or after ingest.
//! The same supervisor runs the outbox sender (`outbox.rs`) while this node leads.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use tandem_domain::{Command, CsqId, EmailCommand, InboundEmail, MailCredentials, MailServer, Mailbox, Outcome};
use tokio::task::JoinHandle;

use super::imap::{self, ImapError, STEP_TIMEOUT};
use crate::http::AppState;

/// How often the supervisor looks at leadership and the mailboxes.
const SUPERVISE_EVERY: Duration = Duration::from_secs(1);
/// Messages fetched per `UID FETCH`.
const FETCH_BATCH: usize = 20;
/// The longest wait between two attempts after an error.
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Starts the supervisor; it runs as long as the node.
pub fn spawn(state: AppState) -> anyhow::Result<JoinHandle<()>> {
    let trust = super::trust(&state.config).map_err(|error| anyhow::anyhow!(error))?;
    Ok(tokio::spawn(supervise(state, trust)))
}

struct Running {
    configuration: String,
    task: JoinHandle<()>,
}

async fn supervise(state: AppState, trust: super::outbox::Trust) {
    let mut running: BTreeMap<CsqId, Running> = BTreeMap::new();
    let mut sender: Option<JoinHandle<()>> = None;
    let mut side_said = false;
    let mut tick = tokio::time::interval(SUPERVISE_EVERY);
    loop {
        tick.tick().await;
        let leading = leads(&state);
        // A new leader says its side first: if the active side changed, the domain requeues
        // every open email (issue 14 item 7); said again until it commits.
        if !leading {
            side_said = false;
        } else if !side_said {
            let side = state.config.side.as_str().to_owned();
            let command = Command::Email(EmailCommand::LeaderSide { side });
            match crate::http::submit_as(&state, crate::http::generated_request_id(), command).await {
                Ok(Outcome::Applied(_)) => side_said = true,
                Ok(Outcome::Rejected(rejection)) => tracing::warn!(%rejection.message, "leader side refused"),
                Err(error) => tracing::warn!(error = %error.message, "leader side not committed yet"),
            }
        }
        match (&sender, leading) {
            (None, true) => {
                tracing::info!("outbox sender started");
                sender = Some(tokio::spawn(super::outbox::run(state.clone(), trust.clone())));
            }
            (Some(task), false) => {
                task.abort();
                sender = None;
                tracing::info!("outbox sender stopped");
            }
            _ => {}
        }
        let wanted = if leading { wanted(&state) } else { BTreeMap::new() };
        running.retain(|csq, reader| {
            let keep = wanted.get(csq).is_some_and(|(configuration, _)| *configuration == reader.configuration);
            if !keep {
                reader.task.abort();
                tracing::info!(csq = csq.0, "mailbox reader stopped");
            }
            keep
        });
        for (csq, (configuration, (server, mailbox))) in wanted {
            if running.contains_key(&csq) {
                continue;
            }
            tracing::info!(csq = csq.0, address = %mailbox.address, "mailbox reader started");
            let task = tokio::spawn(read(state.clone(), trust.imap.clone(), csq, server, mailbox));
            running.insert(csq, Running { configuration, task });
        }
    }
}

fn leads(state: &AppState) -> bool {
    state.failure.get().is_none() && state.replica.leads()
}

type Wanted = BTreeMap<CsqId, (String, (MailServer, Mailbox))>;

fn wanted(state: &AppState) -> Wanted {
    let shared = state.replica.state();
    let read = shared.read();
    let Some(server) = read.center.mail_server() else { return BTreeMap::new() };
    read.center
        .mailboxes()
        .map(|(csq, mailbox)| {
            let configuration = serde_json::to_string(&(server, mailbox)).unwrap_or_default();
            (csq, (configuration, (server.clone(), mailbox.clone())))
        })
        .collect()
}

/// One mailbox, for as long as this node leads and its configuration stays: sessions one after
/// another, backing off after each failure.
async fn read(state: AppState, tls: Arc<rustls::ClientConfig>, csq: CsqId, server: MailServer, mailbox: Mailbox) {
    let mut backoff = Duration::from_secs(1);
    let mut reported = None;
    loop {
        let error = match session(&state, tls.clone(), csq, &server, &mailbox, &mut backoff, &mut reported).await {
            Ok(never) => match never {},
            Err(error) => error,
        };
        report_reader(&state, csq, &mailbox.address, Some(error.clone()), &mut reported).await;
        tracing::warn!(csq = csq.0, address = %mailbox.address, %error, retry_in = ?backoff, "mailbox");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// Makes the reader's status the mailbox's visible one (`ReportMailboxReader`), proposing only
/// a change from what this reader last had committed.
async fn report_reader(
    state: &AppState,
    csq: CsqId,
    address: &str,
    error: Option<String>,
    reported: &mut Option<Option<String>>,
) {
    if reported.as_ref() == Some(&error) {
        return;
    }
    let command =
        Command::Email(EmailCommand::ReportMailboxReader { csq, address: address.to_owned(), error: error.clone() });
    match crate::http::submit_as(state, crate::http::generated_request_id(), command).await {
        Ok(Outcome::Applied(_)) => *reported = Some(error),
        Ok(Outcome::Rejected(rejection)) => tracing::warn!(csq = csq.0, %rejection.message, "mailbox status refused"),
        Err(failure) => tracing::warn!(csq = csq.0, error = %failure.message, "mailbox status not committed"),
    }
}

/// One IMAP session: read what is new, wait (IDLE, or the poll interval), again, until an
/// error, which it returns.
async fn session(
    state: &AppState,
    tls: Arc<rustls::ClientConfig>,
    csq: CsqId,
    server: &MailServer,
    mailbox: &Mailbox,
    backoff: &mut Duration,
    reported: &mut Option<Option<String>>,
) -> Result<std::convert::Infallible, String> {
    let MailCredentials::Password { sealed_password } = &mailbox.credentials else {
        return Err("OAuth2 (XOAUTH2) mailboxes are not read yet; use a password".into());
    };
    let password =
        super::open_credential(&state.cluster_key, server, &mailbox.address, &mailbox.credentials, sealed_password)
            .map_err(|error| error.to_string())?;
    let mut session =
        imap::login(&server.imap, tls, &mailbox.address, &password).await.map_err(|error| error.to_string())?;
    let folders = state.replica.state().read().center.mailbox_folders(mailbox);
    let text = |error: async_imap::error::Error| ImapError::Protocol(error.to_string()).to_string();
    let timed = |what: &'static str| move |_| ImapError::Timeout(what, STEP_TIMEOUT).to_string();
    let capabilities = tokio::time::timeout(STEP_TIMEOUT, session.capabilities()).await.map_err(timed("CAPABILITY"))?;
    let idle = capabilities.map_err(text)?.has_str("IDLE");
    let selected = tokio::time::timeout(STEP_TIMEOUT, session.select(&folders.inbox))
        .await
        .map_err(timed("SELECT"))?
        .map_err(|error| format!("selecting {:?} on {}: {error}", folders.inbox, server.imap.host))?;
    let uid_validity = selected.uid_validity.filter(|value| *value > 0).ok_or("the folder has no UIDVALIDITY")?;
    *backoff = Duration::from_secs(1);
    report_reader(state, csq, &mailbox.address, None, reported).await;
    loop {
        let cursor = state.replica.state().read().center.mail_cursor(csq, &mailbox.address);
        let from = match cursor {
            Some(cursor) if cursor.uid_validity == uid_validity => cursor.last_uid.saturating_add(1),
            _ => 1,
        };
        let search = tokio::time::timeout(STEP_TIMEOUT, session.uid_search(format!("UID {from}:*")))
            .await
            .map_err(timed("UID SEARCH"))?
            .map_err(text)?;
        let mut uids: Vec<u32> = search.into_iter().filter(|uid| *uid >= from).collect();
        uids.sort_unstable();
        for batch in uids.chunks(FETCH_BATCH) {
            let set: Vec<String> = batch.iter().map(u32::to_string).collect();
            let fetched = async {
                let stream = session.uid_fetch(set.join(","), "(UID BODY.PEEK[])").await?;
                stream.try_collect::<Vec<_>>().await
            };
            let mut fetched =
                tokio::time::timeout(STEP_TIMEOUT * 4, fetched).await.map_err(timed("UID FETCH"))?.map_err(text)?;
            fetched.sort_by_key(|fetch| fetch.uid);
            for fetch in fetched {
                let Some(uid) = fetch.uid.filter(|uid| *uid >= from) else { continue };
                let raw = fetch.body().unwrap_or_default();
                let email = super::parse::inbound(csq, &mailbox.address, uid_validity, uid, raw);
                ingest(state, email).await?;
            }
        }
        let wait = Duration::from_secs(u64::from(mailbox.poll_interval_seconds));
        if idle {
            let mut handle = session.idle();
            tokio::time::timeout(STEP_TIMEOUT, handle.init()).await.map_err(timed("IDLE"))?.map_err(text)?;
            let (waiting, _stop) = handle.wait_with_timeout(wait);
            waiting.await.map_err(text)?;
            session = tokio::time::timeout(STEP_TIMEOUT, handle.done()).await.map_err(timed("DONE"))?.map_err(text)?;
        } else {
            tokio::time::sleep(wait).await;
            tokio::time::timeout(STEP_TIMEOUT, session.noop()).await.map_err(timed("NOOP"))?.map_err(text)?;
        }
    }
}

/// Proposes one message. A refusal for want of room keeps the cursor (the message is read
/// again later); any other refusal is the node's parse disagreeing with the domain, so the
/// message is stored as malformed with the refusal's text and the cursor moves on.
async fn ingest(state: &AppState, email: InboundEmail) -> Result<(), String> {
    let propose = |email: InboundEmail| {
        let command = Command::Email(EmailCommand::IngestEmail(Box::new(email)));
        crate::http::submit_as(state, crate::http::generated_request_id(), command)
    };
    match propose(email.clone()).await.map_err(|error| error.message)? {
        Outcome::Applied(_) => Ok(()),
        Outcome::Rejected(rejection) if rejection.code == tandem_domain::RejectionCode::LimitExceeded => {
            Err(format!("not ingested yet: {}", rejection.message))
        }
        Outcome::Rejected(rejection) => {
            let malformed = InboundEmail { envelope: None, error: Some(rejection.message.clone()), ..email };
            match propose(malformed).await.map_err(|error| error.message)? {
                Outcome::Applied(_) => Ok(()),
                Outcome::Rejected(again) => Err(format!("the message cannot be stored: {}", again.message)),
            }
        }
    }
}
