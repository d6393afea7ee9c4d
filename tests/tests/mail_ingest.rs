//! Email ingest from a real Dovecot, black-box (issue 14, item 2): the leader's mailbox actor
//! logs in over IMAPS, reads new messages (IDLE), and each becomes one email contact.

use std::time::Duration;

use tandem_tests::dovecot::{mailbox_csq, Dovecot};
use tandem_tests::Cluster;

const ADDRESS: &str = "support@example.com";
const PASSWORD: &str = "mailbox-password-5d2a";

fn message(n: u32) -> String {
    format!(
        "From: Customer {n} <customer{n}@example.net>\nTo: {ADDRESS}\nSubject: Order {n}\n\
         Message-ID: <order-{n}@example.net>\nDate: Tue, 14 Nov 2023 22:13:20 +0000\n\nWhere is order {n}?\n"
    )
}

fn email_subjects(admin: &tandem_tests::ApiClient) -> Vec<String> {
    let contacts = admin.get("/api/v1/contacts").expect("contacts");
    let mut subjects: Vec<String> = contacts
        .json
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|contact| contact["channel"] == "email")
                .filter_map(|contact| contact["subject"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    subjects.sort();
    subjects
}

/// Invariants: every message in the inbox becomes exactly one email contact, across a kill -9
/// and restart of the node (the cursor is replicated state); a message without a sender is
/// stored as malformed and does not stop the ones after it; nothing is removed from the
/// server (the originals stay in the inbox).
#[test]
fn messages_in_dovecot_become_email_contacts_exactly_once() {
    let dovecot = Dovecot::start(&[(ADDRESS, PASSWORD)]);
    // The node trusts the CA of the test's Dovecot (the mail_ca_file setting).
    let mut cluster = dovecot.single_node();
    let admin = cluster.client(1).clone();
    // Mail waiting before the mailbox is configured is read too.
    dovecot.deliver(ADDRESS, &message(1));
    let (_, csq) = mailbox_csq(&admin, &dovecot, 587, ADDRESS, PASSWORD);

    let expect = |wanted: &[u32]| {
        let wanted: Vec<String> = wanted.iter().map(|n| format!("Order {n}")).collect();
        tandem_tests::wait_until(Duration::from_secs(20), "the emails are ingested", || {
            let subjects = email_subjects(&admin);
            if subjects == wanted {
                Ok(())
            } else {
                Err(format!("{subjects:?}, want {wanted:?}\n{}", dovecot.log()))
            }
        });
    };
    expect(&[1]);
    // New mail while the actor waits in IDLE, and a message with no sender between two good ones.
    dovecot.deliver(ADDRESS, &message(2));
    dovecot.deliver(ADDRESS, "Subject: nobody sent this\n\nNo From header.\n");
    dovecot.deliver(ADDRESS, &message(3));
    expect(&[1, 2, 3]);
    let ingest = admin.get(&format!("/api/v1/csqs/{csq}/mailbox/ingest")).expect("the ingest");
    assert_eq!(ingest.json["ingested"], 4, "{}", ingest.text);
    assert_eq!(ingest.json["errors"][0]["error"], "the message has no From address to answer", "{}", ingest.text);
    assert_eq!(ingest.json["cursor"]["last_uid"], 4, "{}", ingest.text);

    // kill -9 and restart: the node reads the folder again from the replicated cursor, and
    // nothing is routed twice; new mail still arrives.
    cluster.kill(1);
    dovecot.deliver(ADDRESS, &message(4));
    cluster.start(1);
    cluster.wait_healthy(1);
    expect(&[1, 2, 3, 4]);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(email_subjects(&admin).len(), 4, "nothing ingested twice");
    let on_server = std::fs::read_dir(dovecot.maildir(ADDRESS).join("cur")).map(|entries| entries.count()).unwrap_or(0)
        + std::fs::read_dir(dovecot.maildir(ADDRESS).join("new")).map(|entries| entries.count()).unwrap_or(0);
    assert_eq!(on_server, 5, "the originals stay in the inbox");
}

struct TestReply {
    json: serde_json::Value,
    text: String,
}

/// The mailbox's reader status as `GET .../mailbox/ingest` shows it, after it settles.
fn reader_error(admin: &tandem_tests::ApiClient, csq: u64, wanted: Option<&str>) -> Option<String> {
    tandem_tests::wait_until(Duration::from_secs(30), &format!("the reader's status to be {wanted:?}"), || {
        let view = admin.get(&format!("/api/v1/csqs/{csq}/mailbox/ingest")).map_err(|error| error.to_string())?;
        let error = view.json["reader"]["error"].as_str().map(str::to_owned);
        let connected = view.json["reader"].is_object();
        match (wanted, &error) {
            (None, None) if connected => Ok(None),
            (Some(part), Some(text)) if text.contains(part) => Ok(error.clone()),
            _ => Err(view.text),
        }
    })
}

/// The fault catalogue where a real server produces the fault (seeds-ece.md §7.2 item 6, §7.6
/// items 8 and 9), each failure the mailbox's visible status in its own words, and cleared when
/// reading resumes with nothing lost: a server certificate the node does not trust (its CA not
/// configured), a wrong password, Dovecot stopped and restarted. Invariant: every message put
/// in the inbox during the faults is ingested once they are over, exactly once.
#[test]
fn the_readers_failures_are_shown_and_reading_resumes_after_them() {
    let dovecot = Dovecot::start(&[(ADDRESS, PASSWORD)]);
    // No mail_ca_file: the node does not trust the test CA.
    let mut cluster = Cluster::embedded_single();
    let admin = cluster.client(1).clone();
    let (_, csq) = mailbox_csq(&admin, &dovecot, 587, ADDRESS, PASSWORD);
    dovecot.deliver(ADDRESS, &message(1));
    reader_error(&admin, csq, Some("invalid peer certificate"));

    // The CA configured: it reads.
    dovecot.trusted_by(&mut cluster);
    cluster.kill(1);
    cluster.start(1);
    cluster.wait_healthy(1);
    reader_error(&admin, csq, None);

    // A wrong password, then the right one.
    let put = |password: &str| {
        let body = tandem_tests::Body::Json(serde_json::json!({"address": ADDRESS, "password": password}));
        let reply = admin.send(tandem_tests::Method::PUT, &format!("/api/v1/csqs/{csq}/mailbox"), &body, None);
        assert_eq!(reply.expect("a reply").status, 200);
    };
    put("not the password");
    dovecot.deliver(ADDRESS, &message(2));
    reader_error(&admin, csq, Some("refused the login"));
    // Test Configuration says the same, and skips the folders.
    // (Dovecot delays a failed login's answer, so this takes longer than the harness's usual
    // request timeout.)
    let started = std::time::Instant::now();
    let tested = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(90))
        .build()
        .expect("a client")
        .post(admin.url(&format!("/api/v1/csqs/{csq}/mailbox/test")))
        .bearer_auth(cluster.token())
        .send()
        .expect("a reply");
    let text = tested.text().expect("a body");
    let tested: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    println!("test configuration answered in {:?}", started.elapsed());
    let tested = TestReply { json: tested, text };
    assert_eq!(tested.json["checks"][0]["check"], "imap_login", "{}", tested.text);
    assert!(tested.json["checks"][0]["detail"].as_str().unwrap_or("").contains("refused the login"), "{}", tested.text);
    assert!(tested.json["checks"][1]["detail"].as_str().unwrap_or("").contains("not checked"), "{}", tested.text);
    put(PASSWORD);
    reader_error(&admin, csq, None);

    // Dovecot stopped: unreachable; mail arrives meanwhile; restarted: read.
    dovecot.stop();
    reader_error(&admin, csq, Some("cannot reach"));
    dovecot.deliver(ADDRESS, &message(3));
    dovecot.restart();
    reader_error(&admin, csq, None);
    tandem_tests::wait_until(Duration::from_secs(90), "every message ingested once", || {
        let subjects = email_subjects(&admin);
        if subjects == ["Order 1", "Order 2", "Order 3"] {
            Ok(())
        } else {
            Err(format!("{subjects:?}"))
        }
    });
}

/// Invariant (seeds-ece.md §7.6 items 1 and 14): the leader is killed with -9 while it ingests
/// a full inbox; the new leader resumes from the replicated cursor, and every message becomes
/// exactly one email contact: none lost, none twice.
#[test]
fn a_sigkill_of_the_leader_mid_ingest_loses_and_duplicates_nothing() {
    const MESSAGES: u32 = 300;
    let dovecot = Dovecot::start(&[(ADDRESS, PASSWORD)]);
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], tandem_tests::RaftTuning::fast());
    dovecot.trusted_by(&mut cluster);
    let leader = cluster.start_all();
    // A side A or B node that is not the leader answers throughout (a witness serves no clients).
    let survivor = if leader == 1 { 2 } else { 1 };
    let admin = cluster.client(survivor);
    for n in 1..=MESSAGES {
        dovecot.deliver(ADDRESS, &message(n));
    }
    let (_, csq) = mailbox_csq(&admin, &dovecot, 587, ADDRESS, PASSWORD);
    let ingested = |admin: &tandem_tests::ApiClient| {
        admin
            .get(&format!("/api/v1/csqs/{csq}/mailbox/ingest"))
            .map(|view| view.json["ingested"].as_u64().unwrap_or(0))
            .unwrap_or(0)
    };
    tandem_tests::wait_until(Duration::from_secs(60), "the ingest under way", || {
        let count = ingested(&admin);
        if count >= 20 {
            Ok(())
        } else {
            Err(format!("{count} ingested"))
        }
    });
    let leader = cluster.leader_id().expect("a leader");
    let before = ingested(&admin);
    cluster.kill(leader);
    let admin = cluster.client(if leader == 1 { 2 } else { 1 });
    tandem_tests::wait_until(Duration::from_secs(120), "every message ingested after the failover", || {
        let count = ingested(&admin);
        if count == u64::from(MESSAGES) {
            Ok(())
        } else {
            Err(format!("{count} of {MESSAGES} ingested"))
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    let subjects = email_subjects(&admin);
    let unique: std::collections::BTreeSet<&String> = subjects.iter().collect();
    assert_eq!(subjects.len(), MESSAGES as usize, "one contact per message");
    assert_eq!(unique.len(), MESSAGES as usize, "none twice");
    println!("killed the leader with {before} of {MESSAGES} ingested; all {MESSAGES} ingested once after");
}
