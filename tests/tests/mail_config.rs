//! The mail server and email CSQs' mailboxes over REST, black-box (issue 14, item 1): the
//! spec's rules and ranges, credentials sealed with the cluster key before they reach the log
//! and never returned, and kept when a mailbox changes without them.

use serde_json::json;
use tandem_tests::{created_id, Body, Cluster, Method};

const PASSWORD: &str = "correct-horse-mailbox-7c1e";

/// Whether any file under `dir` holds `needle` (RocksDB runs without compression here).
fn on_disk(dir: &std::path::Path, needle: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            on_disk(&path, needle)
        } else {
            std::fs::read(&path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|window| window == needle.as_bytes()))
        }
    })
}

#[test]
fn mailboxes_are_configured_with_sealed_credentials_that_never_come_back() {
    let cluster = Cluster::embedded_single();
    let admin = cluster.client(1);
    let put =
        |path: &str, body: serde_json::Value| admin.send(Method::PUT, path, &Body::Json(body), None).expect("a reply");
    let server = |host: &str| {
        json!({"kind": "generic", "imap": {"host": host, "port": 993, "security": "tls"},
               "smtp": {"host": host, "port": 587, "security": "starttls"}})
    };

    let presets = admin.get("/api/v1/mail-server/presets").expect("a reply");
    let kinds: Vec<&str> =
        presets.json.as_array().expect("presets").iter().filter_map(|p| p["kind"].as_str()).collect();
    assert_eq!(kinds, ["generic", "exchange", "office365", "gmail"]);
    assert_eq!(presets.json[3]["folders"]["sent_items"], "[Gmail]/Sent Mail");

    let skill = created_id(&admin, "/api/v1/skills", json!({"name": "Support"}));
    let csq = created_id(
        &admin,
        "/api/v1/csqs",
        json!({"name": "Support email", "channel": "email",
        "selection": "longest_available", "skills": [{"skill": skill, "min_competence": 1}]}),
    );
    let mailbox_path = format!("/api/v1/csqs/{csq}/mailbox");
    let early = put(&mailbox_path, json!({"address": "support@example.com", "password": PASSWORD}));
    assert_eq!((early.status, early.code()), (409, "invalid_state"), "{}", early.text);

    let ip = put("/api/v1/mail-server", server("127.0.0.1"));
    assert_eq!((ip.status, ip.code()), (422, "invalid_field"), "{}", ip.text);
    assert!(ip.message().contains("not an IP address"), "{}", ip.text);
    let set = put("/api/v1/mail-server", server("localhost"));
    assert_eq!(set.status, 200, "{}", set.text);

    let created = put(&mailbox_path, json!({"address": "support@example.com", "password": PASSWORD}));
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.json["authentication"], "password");
    assert_eq!(created.json["folders"]["inbox"], "INBOX");
    assert_eq!(
        (created.json["poll_interval_seconds"].as_u64(), created.json["snapshot_age_minutes"].as_u64()),
        (Some(180), Some(120))
    );
    for reply in
        [created.clone(), admin.get(&mailbox_path).expect("a reply"), admin.get("/api/v1/mailboxes").expect("a reply")]
    {
        assert!(
            !reply.text.contains(PASSWORD) && !reply.text.contains("s1."),
            "a credential came back: {}",
            reply.text
        );
    }
    let data = cluster.node(1).dir.join("data");
    assert!(!on_disk(&data, PASSWORD), "the password is on disk in clear");
    assert!(on_disk(&data, "\"sealed_password\":\"s1."), "no sealed password on disk");

    // A change without credentials keeps them; a new mailbox needs some.
    let changed = put(&mailbox_path, json!({"address": "support@example.com", "poll_interval_seconds": 60}));
    assert_eq!((changed.status, changed.json["poll_interval_seconds"].as_u64()), (200, Some(60)), "{}", changed.text);
    assert_eq!(changed.json["authentication"], "password");
    let out_of_range = put(&mailbox_path, json!({"address": "support@example.com", "poll_interval_seconds": 59}));
    assert_eq!((out_of_range.status, out_of_range.code()), (422, "invalid_field"), "{}", out_of_range.text);
    let other = created_id(
        &admin,
        "/api/v1/csqs",
        json!({"name": "Sales email", "channel": "email",
        "selection": "longest_available", "skills": [{"skill": skill, "min_competence": 1}]}),
    );
    let bare = put(&format!("/api/v1/csqs/{other}/mailbox"), json!({"address": "sales@example.com"}));
    assert_eq!((bare.status, bare.code()), (422, "invalid_field"), "{}", bare.text);
    let shared =
        put(&format!("/api/v1/csqs/{other}/mailbox"), json!({"address": "SUPPORT@example.com", "password": "x"}));
    assert_eq!(shared.code(), "duplicate_value", "{}", shared.text);

    let busy = admin.send(Method::DELETE, "/api/v1/mail-server", &Body::None, None).expect("a reply");
    assert_eq!((busy.status, busy.code()), (409, "in_use"), "{}", busy.text);
    assert_eq!(admin.delete(&mailbox_path).expect("a reply").status, 204);
    assert_eq!(admin.delete("/api/v1/mail-server").expect("a reply").status, 204);
    assert_eq!(admin.get("/api/v1/mail-server").expect("a reply").status, 404);
}
