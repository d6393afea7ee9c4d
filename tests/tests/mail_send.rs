//! Replies through a real Postfix into a real Dovecot, black-box (issue 14, items 4 and 5): a
//! customer's email arrives over SMTP, is ingested and routed to a Ready agent, and the agent's
//! reply leaves through the CSQ's mailbox with the thread's headers and the signature, is
//! copied to Sent Items, and reaches the customer's mailbox.

use std::time::Duration;

use serde_json::{json, Value};
use tandem_tests::dovecot::{mailbox_csq, Dovecot};
use tandem_tests::postfix::Postfix;
use tandem_tests::{created_id, ApiClient, Cluster};

const ADDRESS: &str = "support@example.com";
const PASSWORD: &str = "mailbox-password-5d2a";
const CUSTOMER: &str = "ann@customer.example";
const SALES: &str = "sales@example.com";

fn act(client: &ApiClient, agent: u64, action: Value) -> Value {
    let reply = client.post(&format!("/api/v1/agents/{agent}/actions"), &action).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.status, 200, "{action}: {}", reply.text);
    reply.json
}

/// The email contact with `subject`, once routed to an agent.
fn assigned_email(admin: &ApiClient, subject: &str) -> Result<u64, String> {
    let contacts = admin.get("/api/v1/contacts")?;
    let found = contacts.json.as_array().and_then(|list| {
        list.iter().find(|contact| contact["channel"] == "email" && contact["subject"] == subject).cloned()
    });
    match found {
        Some(contact) if contact["state"].get("active").is_some() => Ok(contact["id"].as_u64().unwrap_or(0)),
        Some(contact) => Err(format!("not assigned yet: {contact}")),
        None => Err(format!("not ingested yet: {}", contacts.text)),
    }
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    raw.lines().take_while(|line| !line.is_empty()).find_map(|line| line.strip_prefix(prefix.as_str()))
}

/// Invariants: the reply reaches the customer's mailbox once, From the CSQ's address, To the
/// customer, answering their Message-ID (In-Reply-To, References) with the Message-ID the log
/// fixed, and ending with the CSQ's signature; a copy is in the CSQ's Sent Items; the
/// customer's original stays in the CSQ's inbox. A reply the server refuses for good (an
/// unknown recipient, 5xx) is marked failed with the server's words, and never retried.
#[test]
fn a_customer_email_is_answered_through_postfix_with_its_thread_and_a_copy_in_sent_items() {
    let dovecot =
        Dovecot::start(&[(ADDRESS, PASSWORD), (CUSTOMER, "customer-password-1"), (SALES, "sales-password-1")]);
    let postfix = Postfix::start(&dovecot, &[ADDRESS, CUSTOMER, SALES]);
    let cluster = dovecot.single_node();
    let admin = cluster.client(1).clone();
    let (skill, csq) = mailbox_csq(&admin, &dovecot, postfix.submission_port, ADDRESS, PASSWORD);
    let agent = created_id(
        &admin,
        "/api/v1/agents",
        json!({"login_name": "alice", "name": "Alice", "alias": "Alice K.", "skills": [{"skill": skill, "competence": 5}]}),
    );
    created_id(
        &admin,
        "/api/v1/email-signatures",
        json!({"name": "Support", "content": "Kind regards, {{agent_alias}}", "tags": {"csqs": [csq]}}),
    );
    // Test Configuration: every check passes against Dovecot and Postfix.
    let tested = admin.post(&format!("/api/v1/csqs/{csq}/mailbox/test"), &json!({})).expect("a reply");
    assert_eq!(tested.status, 200, "{}", tested.text);
    assert_eq!(tested.json["ok"], true, "{}", tested.text);
    let checks: Vec<&str> =
        tested.json["checks"].as_array().into_iter().flatten().filter_map(|check| check["check"].as_str()).collect();
    assert_eq!(
        checks,
        ["imap_login", "folder_inbox", "folder_drafts", "folder_outbox", "folder_sent_items", "smtp_login"]
    );
    // An auto-acknowledgement on the mailbox (the credentials given before are kept).
    let acknowledged = admin
        .send(
            tandem_tests::Method::PUT,
            &format!("/api/v1/csqs/{csq}/mailbox"),
            &tandem_tests::Body::Json(json!({"address": ADDRESS, "auto_acknowledgement": {
                "subject": "We have your email: {{subject}}", "body": "We will answer within a day."}})),
            None,
        )
        .expect("a reply");
    assert_eq!(acknowledged.status, 200, "{}", acknowledged.text);
    act(&admin, agent, json!({"action": "set_state", "state": "login"}));
    act(&admin, agent, json!({"action": "set_digital_state", "state": "ready"}));

    // The customer writes, through their mail server.
    let sent = postfix.send(
        CUSTOMER,
        &[ADDRESS],
        &format!(
            "From: Ann <{CUSTOMER}>\nTo: {ADDRESS}\nSubject: Where is my order?\n\
             Message-ID: <q1@customer.example>\nReferences: <q0@customer.example>\n\nOrder 77 has not arrived.\n"
        ),
    );
    assert!(sent.starts_with("250"), "{sent}");
    let contact = tandem_tests::wait_until(Duration::from_secs(30), "the email reaches alice", || {
        assigned_email(&admin, "Where is my order?").map_err(|error| format!("{error}\n{}", postfix.log()))
    });

    // Alice replies.
    let reply = json!({"to": [CUSTOMER], "subject": "Re: Where is my order?", "body": "It ships today."});
    act(&admin, agent, json!({"action": "reply_email", "contact": contact, "reply": reply}));
    let received = tandem_tests::wait_until(Duration::from_secs(30), "the reply reaches Ann", || {
        let messages = dovecot.messages(CUSTOMER, "");
        let replies: Vec<&String> =
            messages.iter().filter(|raw| header(raw, "Subject") == Some("Re: Where is my order?")).collect();
        match replies.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(format!("{} messages for Ann\n{}\n{}", messages.len(), postfix.log(), cluster.logs())),
        }
    });
    // The auto-acknowledgement came first, once, marked as automatic.
    let acks: Vec<String> = dovecot
        .messages(CUSTOMER, "")
        .into_iter()
        .filter(|raw| header(raw, "Subject") == Some("We have your email: Where is my order?"))
        .collect();
    assert_eq!(acks.len(), 1, "one auto-acknowledgement");
    assert_eq!(header(&acks[0], "Auto-Submitted"), Some("auto-replied"), "{}", acks[0]);
    assert_eq!(header(&acks[0], "In-Reply-To"), Some("<q1@customer.example>"), "{}", acks[0]);
    assert_eq!(header(&received, "From"), Some(ADDRESS), "{received}");
    assert_eq!(header(&received, "To"), Some(CUSTOMER), "{received}");
    assert_eq!(header(&received, "Subject"), Some("Re: Where is my order?"), "{received}");
    assert_eq!(header(&received, "In-Reply-To"), Some("<q1@customer.example>"), "{received}");
    assert_eq!(header(&received, "References"), Some("<q0@customer.example> <q1@customer.example>"), "{received}");
    let message_id = header(&received, "Message-ID").expect("a Message-ID").to_owned();
    assert!(message_id.starts_with("<tandem.2.") && message_id.ends_with("@example.com>"), "{message_id}");
    assert!(received.contains("It ships today."), "{received}");
    assert!(received.contains("Kind regards, Alice K."), "the CSQ's signature, with the alias: {received}");

    // The outbox: the acknowledgement (no agent, automatic), then alice's reply; both sent and
    // copied to Sent Items.
    let outbox = tandem_tests::wait_until(Duration::from_secs(30), "the replies are sent and copied", || {
        let outbox = admin.get(&format!("/api/v1/csqs/{csq}/mailbox/outbox")).map_err(|error| error.to_string())?;
        let done = |entry: &Value| entry["state"]["state"] == "sent" && entry["copied_to_sent"] == true;
        match outbox.json.as_array() {
            Some(entries) if entries.len() == 2 && entries.iter().all(done) => Ok(entries.clone()),
            _ => Err(outbox.text),
        }
    });
    assert_eq!((outbox[0]["automatic"].clone(), outbox[0]["agent"].clone()), (json!(true), Value::Null));
    assert_eq!(outbox[1]["agent"], agent);
    assert_eq!(outbox[1]["message_id"].as_str().map(|id| format!("<{id}>")), Some(message_id.clone()));
    assert_eq!(outbox[1]["attempts"], 1, "sent at the first attempt: {outbox:?}");
    let sent_items = dovecot.messages(ADDRESS, "Sent");
    assert_eq!(sent_items.len(), 2, "one copy of each in Sent Items");
    assert!(sent_items.iter().any(|raw| header(raw, "Message-ID") == Some(message_id.as_str())));
    assert_eq!(dovecot.messages(ADDRESS, "").len(), 1, "the customer's original stays in the inbox");

    // A second email, answered to an address the server does not know: refused for good.
    let sent = postfix.send(
        CUSTOMER,
        &[ADDRESS],
        &format!(
            "From: {CUSTOMER}\nTo: {ADDRESS}\nSubject: Second question\nMessage-ID: <q2@customer.example>\n\nAnd?\n"
        ),
    );
    assert!(sent.starts_with("250"), "{sent}");
    let contact = tandem_tests::wait_until(Duration::from_secs(30), "the second email reaches alice", || {
        assigned_email(&admin, "Second question")
    });
    let reply = json!({"to": ["nobody@example.com"], "subject": "Re: Second question", "body": "Answer."});
    act(&admin, agent, json!({"action": "reply_email", "contact": contact, "reply": reply}));
    let failed = tandem_tests::wait_until(Duration::from_secs(30), "the reply fails", || {
        let outbox = admin.get(&format!("/api/v1/csqs/{csq}/mailbox/outbox")).map_err(|error| error.to_string())?;
        let entry = outbox.json[3].clone();
        if entry["state"]["state"] == "failed" {
            Ok(entry)
        } else {
            Err(outbox.text)
        }
    });
    let reason = failed["state"]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("550") || reason.contains("5.1.1"), "the server's words: {failed}");
    assert_eq!(failed["attempts"], 1, "a permanent error is not retried: {failed}");
    assert_eq!(
        dovecot.messages(CUSTOMER, "").len(),
        3,
        "nothing else reached Ann: one acknowledgement for each email (the second one's too) and the reply"
    );

    // A third email, forwarded to sales: the original attached whole, Reply-To Ann.
    let sent = postfix.send(
        CUSTOMER,
        &[ADDRESS],
        &format!("From: {CUSTOMER}\nTo: {ADDRESS}\nSubject: Bulk order\nMessage-ID: <q3@customer.example>\n\nOrder 88, please.\n"),
    );
    assert!(sent.starts_with("250"), "{sent}");
    let contact = tandem_tests::wait_until(Duration::from_secs(30), "the third email reaches alice", || {
        assigned_email(&admin, "Bulk order")
    });
    let forward = json!({"to": [SALES], "subject": "Fw: Bulk order", "body": "Can you take this one?"});
    act(&admin, agent, json!({"action": "forward_email", "contact": contact, "forward": forward}));
    let forwarded = tandem_tests::wait_until(Duration::from_secs(30), "the forward reaches sales", || {
        match dovecot.messages(SALES, "").as_slice() {
            [one] => Ok(one.clone()),
            other => Err(format!("{} messages\n{}", other.len(), postfix.log())),
        }
    });
    assert_eq!(header(&forwarded, "Reply-To"), Some(CUSTOMER), "{forwarded}");
    assert_eq!(header(&forwarded, "Subject"), Some("Fw: Bulk order"), "{forwarded}");
    assert!(forwarded.contains("Can you take this one?"), "{forwarded}");
    assert!(forwarded.contains("Content-Type: message/rfc822"), "{forwarded}");
    assert!(forwarded.contains("Message-ID: <q3@customer.example>"), "the original, whole: {forwarded}");
    assert!(forwarded.contains("Order 88, please."), "{forwarded}");
}

/// Invariants (seeds-ece.md §7.6 items 7 and 14): the leader is killed with -9 while replies
/// are being sent; the new leader sends what is not confirmed, with the same Message-IDs, after
/// looking for them in Sent Items. Every committed reply ends sent; every reply reaches the
/// customer at least once; a reply reaches them twice only across the crash (so at most one
/// extra message, and with the same Message-ID); nothing is lost.
#[test]
fn replies_survive_a_sigkill_of_the_leader_mid_send() {
    const REPLIES: usize = 30;
    let dovecot = Dovecot::start(&[(ADDRESS, PASSWORD), (CUSTOMER, "customer-password-1")]);
    let postfix = Postfix::start(&dovecot, &[ADDRESS, CUSTOMER]);
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], tandem_tests::RaftTuning::fast());
    dovecot.trusted_by(&mut cluster);
    let leader = cluster.start_all();
    let survivor = if leader == 1 { 2 } else { 1 };
    let admin = cluster.client(survivor);
    let (skill, csq) = mailbox_csq(&admin, &dovecot, postfix.submission_port, ADDRESS, PASSWORD);
    let agent = created_id(
        &admin,
        "/api/v1/agents",
        json!({"login_name": "alice", "name": "Alice", "skills": [{"skill": skill, "competence": 5}]}),
    );
    act(&admin, agent, json!({"action": "set_state", "state": "login"}));
    act(&admin, agent, json!({"action": "set_digital_state", "state": "ready"}));

    // Emails arrive over the API (no mailbox behind them: no thread), alice answers each.
    for n in 0..REPLIES {
        let injected = admin
            .post(
                "/api/v1/contacts",
                &json!({"channel": "email", "csq": csq, "customer_address": CUSTOMER, "subject": format!("Question {n}")}),
            )
            .expect("injected");
        assert_eq!(injected.status, 201, "{}", injected.text);
        let contact = injected.json["contact"].as_u64().expect("the contact id");
        let reply = json!({"to": [CUSTOMER], "subject": format!("Re: Question {n}"), "body": format!("Answer {n}.")});
        act(&admin, agent, json!({"action": "reply_email", "contact": contact, "reply": reply}));
    }
    // The leader is sending; kill it.
    tandem_tests::wait_until(Duration::from_secs(30), "the first replies reach Ann", || {
        let count = dovecot.messages(CUSTOMER, "").len();
        if count >= 1 {
            Ok(())
        } else {
            Err(format!("{count}\n{}", postfix.log()))
        }
    });
    let leader = cluster.leader_id().expect("a leader");
    cluster.kill(leader);
    // A side A or B node (a witness serves no clients).
    let admin = cluster.client(if leader == 1 { 2 } else { 1 });

    let outbox = tandem_tests::wait_until(Duration::from_secs(90), "every reply sent after the failover", || {
        let outbox = admin.get(&format!("/api/v1/csqs/{csq}/mailbox/outbox")).map_err(|error| error.to_string())?;
        let entries = outbox.json.as_array().cloned().unwrap_or_default();
        let sent = entries.iter().filter(|entry| entry["state"]["state"] == "sent").count();
        if entries.len() == REPLIES && sent == REPLIES {
            Ok(entries)
        } else {
            Err(format!("{sent} of {} sent\n{}", entries.len(), outbox.text))
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    let received: Vec<String> =
        dovecot.messages(CUSTOMER, "").iter().filter_map(|raw| header(raw, "Message-ID").map(str::to_owned)).collect();
    let mut counts = std::collections::BTreeMap::new();
    for id in &received {
        *counts.entry(id.clone()).or_insert(0) += 1;
    }
    for entry in &outbox {
        let id = format!("<{}>", entry["message_id"].as_str().unwrap_or(""));
        assert!(counts.contains_key(&id), "{id} never reached Ann: {counts:?}");
    }
    assert_eq!(counts.len(), REPLIES, "each reply is one Message-ID: {counts:?}");
    let extra = received.len() - REPLIES;
    assert!(extra <= 1, "at most one duplicate, across the one crash: {counts:?}");
    println!("replies: {REPLIES}, received: {}, duplicates across the crash: {extra}", received.len());
}
