//! Limits at the public doors, black-box against the built binary (hardening hole 5): the
//! login rate per client address, the lockout after failed logins (on every node), and no
//! plain HTTP on a non-loopback address unless asked for; and tokens (hole 4): revoked on logout
//! and password change, and the administrator token never in a URL.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use tandem_tests::{created_id, tandem_binary, Body, Cluster, Method, RaftTuning};

const PASSWORD: &str = "correct horse battery";

/// Hardening hole 5: with no limit at the doors one address could try passwords as fast as
/// the node checks them, and a user could be guessed at forever. Now an address gets its
/// burst and then its rate, cheaply refused past it (no Argon2 run), and three wrong
/// passwords in a row lock the user out on both nodes, until an administrator resets it.
#[test]
fn hole_5_logins_are_limited_per_address_and_locked_out_per_user_on_every_node() {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    for id in [1, 2, 3] {
        cluster.set_env(id, "TANDEM_LOGINS__PER_ADDRESS_PER_SECOND", "5");
        cluster.set_env(id, "TANDEM_LOGINS__PER_ADDRESS_BURST", "5");
    }
    cluster.start_all();
    let admin = cluster.client(1).clone();
    let root = created_id(
        &admin,
        "/api/v1/users",
        json!({"login_name": "root", "role": "administrator", "password": PASSWORD}),
    );
    created_id(&admin, "/api/v1/users", json!({"login_name": "other", "role": "administrator", "password": PASSWORD}));
    let anonymous = |node: u64| cluster.client(node).with_token(None);
    let login = |node: u64, name: &str, password: &str| {
        let reply =
            anonymous(node).post("/api/v1/sessions", &json!({"login": name, "password": password})).expect("a reply");
        (reply.status, reply.code().to_owned(), reply.text.clone())
    };

    // The rate: 100 attempts at once from one address; past the burst of 5 they are refused
    // without a password check.
    let started = Instant::now();
    let answers: Vec<(u16, String, String)> = (0..100).map(|n| login(1, &format!("nobody-{n}"), "guess")).collect();
    let limited = answers.iter().filter(|(status, code, _)| *status == 429 && code == "rate_limited").count();
    let checked = answers.iter().filter(|(status, _, _)| *status == 401).count();
    assert!(checked <= 6 && limited >= 94, "{checked} checked, {limited} limited: {:?}", &answers[..8]);
    assert!(answers.iter().any(|(_, _, text)| text.contains("Too many logins from 127.0.0.1; retry in")));
    println!("100 attempts from one address: {checked} checked, {limited} refused in {:?}", started.elapsed());
    std::thread::sleep(Duration::from_millis(1_200));

    // The lockout: three wrong passwords for root on node 1 lock root out on node 2 too, even
    // with the right password; another user is not affected.
    for _ in 0..3 {
        assert_eq!(login(1, "root", "wrong").0, 401);
    }
    let (status, code, text) = login(2, "root", PASSWORD);
    assert_eq!((status, code.as_str()), (401, "locked_out"), "{text}");
    assert!(
        text.contains("Logins as root are refused after 3 failed attempts in a row; try again in 15 minutes."),
        "{text}"
    );
    assert_eq!(login(2, "other", PASSWORD).0, 201, "another user logs in");
    std::thread::sleep(Duration::from_millis(1_200));

    // Attempts while locked are neither checked nor written to the log: a flood at a locked user
    // buys no Argon2 work and no replicated writes.
    let log_index = |node: u64| cluster.status(node).expect("node 1's status").last_log_index;
    let before = log_index(1);
    for _ in 0..4 {
        assert_eq!(login(1, "root", "wrong").1, "locked_out");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(log_index(1), before, "locked attempts wrote to the log");
    std::thread::sleep(Duration::from_millis(1_200));

    // An administrator's change of the password lifts it.
    let reset = json!({"login_name": "root", "role": "administrator", "password": PASSWORD});
    let reply = admin.send(Method::PUT, &format!("/api/v1/users/{root}"), &Body::Json(reset), None).expect("a reply");
    assert_eq!(reply.status, 200, "{}", reply.text);
    tandem_tests::wait_until(Duration::from_secs(10), "root's login on node 2", || match login(2, "root", PASSWORD) {
        (201, _, _) => Ok(()),
        other => Err(format!("{other:?}")),
    });
}

/// Hardening hole 5: the API listened in plain HTTP on any address without a word.
#[test]
fn hole_5_plain_http_on_a_non_loopback_address_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = Command::new(tandem_binary())
        .args(["run", "--no-demo", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .expect("tandem runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it must not start: {stderr}");
    assert!(
        stderr.contains("api_listen 0.0.0.0:0 is not a loopback address and api_tls is \"none\""),
        "the reason and what to set: {stderr}"
    );
}

/// A user's token from `POST /api/v1/sessions` on `node`.
fn log_in(cluster: &Cluster, node: u64, login: &str) -> String {
    let reply = cluster
        .client(node)
        .with_token(None)
        .post("/api/v1/sessions", &json!({"login": login, "password": PASSWORD}))
        .expect("a reply");
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json["token"].as_str().expect("a token").to_owned()
}

/// The status of a read on `node` with `token`: 200 while it works, 401 once it does not.
fn status_with(cluster: &Cluster, node: u64, token: &str) -> u16 {
    cluster.client(node).with_token(Some(token)).get("/api/v1/skills").expect("a reply").status
}

/// Hardening hole 4: tokens survived logout and password changes. Now a logout ends every
/// token of the user on every node, and so does an administrator's change of its password.
#[test]
fn hole_4_logout_and_a_password_change_revoke_the_users_tokens_on_every_node() {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    cluster.start_all();
    let admin = cluster.client(1).clone();
    let ada = created_id(
        &admin,
        "/api/v1/users",
        json!({"login_name": "ada", "role": "administrator", "password": PASSWORD}),
    );
    let token = |node: u64| log_in(&cluster, node, "ada");
    let works = |node: u64, token: &str| status_with(&cluster, node, token);

    // Node 2 reads its own state: it knows ada once it has applied her creation.
    tandem_tests::wait_until(Duration::from_secs(10), "ada known on node 2", || {
        let reply = cluster.client(2).get(&format!("/api/v1/users/{ada}")).map_err(|error| error.to_string())?;
        if reply.status == 200 {
            Ok(())
        } else {
            Err(reply.text)
        }
    });
    let (first, second) = (token(1), token(2));
    assert_eq!((works(1, &first), works(2, &second)), (200, 200));
    let logout = cluster
        .client(2)
        .with_token(Some(&second))
        .send(Method::DELETE, "/api/v1/sessions", &Body::None, None)
        .expect("a reply");
    assert_eq!(logout.status, 204, "{}", logout.text);
    tandem_tests::wait_until(Duration::from_secs(10), "both tokens refused on both nodes", || {
        match [works(1, &first), works(2, &first), works(1, &second), works(2, &second)] {
            [401, 401, 401, 401] => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let refused = cluster.client(1).with_token(Some(&first)).get("/api/v1/skills").expect("a reply");
    assert!(refused.text.contains("was revoked"), "{}", refused.text);

    let fresh = token(1);
    assert_eq!(works(2, &fresh), 200, "a login after the logout works");
    let change = json!({"login_name": "ada", "role": "administrator", "password": "another long password"});
    let reply = admin.send(Method::PUT, &format!("/api/v1/users/{ada}"), &Body::Json(change), None).expect("a reply");
    assert_eq!(reply.status, 200, "{}", reply.text);
    tandem_tests::wait_until(Duration::from_secs(10), "the token refused after the password change", || {
        match works(2, &fresh) {
            401 => Ok(()),
            other => Err(format!("{other}")),
        }
    });
}

/// Hardening hole 4: the administrator token, which never expires, was accepted in a URL's
/// `access_token`, where proxies, access logs and browser histories keep it. Now only a
/// user's token (which expires and can be revoked) is accepted there.
#[test]
fn hole_4_the_administrator_token_is_refused_in_a_url() {
    let cluster = Cluster::embedded_single();
    let admin = cluster.client(1).clone();
    created_id(&admin, "/api/v1/users", json!({"login_name": "ada", "role": "administrator", "password": PASSWORD}));
    let login = admin.with_token(None).post("/api/v1/sessions", &json!({"login": "ada", "password": PASSWORD}));
    let login = login.expect("a reply");
    assert_eq!(login.status, 201, "{}", login.text);
    let user_token = login.json["token"].as_str().expect("a token").to_owned();
    let anonymous = admin.with_token(None);
    for path in ["/api/v1/events", "/api/v1/statistics/stream"] {
        let in_url = anonymous.get(&format!("{path}?access_token={}", cluster.token())).expect("a reply");
        assert_eq!(in_url.status, 401, "{path}: {}", in_url.text);
        assert!(in_url.text.contains("never accepted in a URL"), "{}", in_url.text);
        // The same token in the header passes authentication (and then wants a WebSocket).
        let in_header = admin.get(path).expect("a reply");
        assert_eq!((in_header.status, in_header.code()), (400, "websocket_required"), "{path}: {}", in_header.text);
    }
    // A user's token is still accepted in the URL, for browsers that cannot set headers.
    let user = anonymous.get(&format!("/api/v1/events?access_token={user_token}")).expect("a reply");
    assert_eq!((user.status, user.code()), (400, "websocket_required"), "{}", user.text);
}

/// Every file under a node's data directory, as bytes (RocksDB is configured without
/// compression, so what the log and snapshots hold shows as written).
fn data_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(data_files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((path, bytes));
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

/// Hardening hole 4: the key resume tokens are signed with sat in the Raft log in clear (any
/// copy of a data directory or backup could forge tokens for every user) and could never
/// change. Now it enters the log sealed with the cluster key, which never leaves its file; an
/// administrator rotates it on any node; tokens signed before keep working until they expire,
/// unless the rotation retires the old keys, which ends them on every node at once.
#[test]
fn hole_4_session_keys_are_sealed_in_the_log_and_rotate_with_a_grace_period() {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    cluster.start_all();
    let admin = cluster.client(1).clone();
    created_id(&admin, "/api/v1/users", json!({"login_name": "ada", "role": "administrator", "password": PASSWORD}));
    let token = |node: u64| log_in(&cluster, node, "ada");
    let works = |node: u64, token: &str| status_with(&cluster, node, token);
    let first = token(1);
    assert!(first.starts_with("v2.1."), "{first}");

    // Every node loaded the same cluster key (they log its fingerprint, never the key).
    let fingerprints: std::collections::BTreeSet<String> = cluster
        .logs()
        .lines()
        .filter(|line| line.contains("cluster key loaded"))
        .filter_map(|line| line.split("fingerprint=").nth(1))
        .map(|rest| rest.trim_matches('"').chars().take_while(char::is_ascii_hexdigit).collect())
        .collect();
    assert_eq!(fingerprints.len(), 1, "{fingerprints:?}");

    // The key is in the replicated state only sealed, on every node.
    tandem_tests::wait_until(Duration::from_secs(10), "the sealed key on every node's disk", || {
        for id in [1, 2, 3] {
            let files = data_files(&cluster.node(id).dir.join("data"));
            if files.iter().any(|(_, bytes)| contains(bytes, "SetSessionKey")) {
                panic!("node {id} holds a session key in clear");
            }
            if !files.iter().any(|(_, bytes)| contains(bytes, "\"sealed\":\"s1.")) {
                return Err(format!("node {id}: no sealed key yet"));
            }
        }
        Ok(())
    });

    // A rotation on node 2: the old token keeps working on both nodes, new ones use key 2.
    let keys = cluster.client(2).post("/api/v1/cluster/session-keys", &json!({})).expect("a reply");
    assert_eq!(keys.status, 201, "{}", keys.text);
    assert_eq!(
        keys.json,
        json!([{"id": 1, "created_ms": keys.json[0]["created_ms"], "current": false},
                                 {"id": 2, "created_ms": keys.json[1]["created_ms"], "current": true}])
    );
    assert!(!keys.text.contains("s1."), "the API shows a sealed key: {}", keys.text);
    let second = token(1);
    assert!(second.starts_with("v2.2."), "{second}");
    assert_eq!([works(1, &first), works(2, &first), works(1, &second), works(2, &second)], [200; 4]);

    // A rotation that retires the others: every earlier token ends, on every node.
    let retire = cluster.client(1).post("/api/v1/cluster/session-keys", &json!({"retire_others": true}));
    assert_eq!(retire.expect("a reply").status, 201);
    tandem_tests::wait_until(Duration::from_secs(10), "earlier tokens refused on both nodes", || {
        match [works(1, &first), works(2, &first), works(1, &second), works(2, &second)] {
            [401, 401, 401, 401] => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let third = token(2);
    assert!(third.starts_with("v2.3."), "{third}");
    assert_eq!(works(1, &third), 200);

    let listed = admin.get("/api/v1/cluster/session-keys").expect("a reply");
    assert_eq!(listed.json.as_array().map(Vec::len), Some(1), "{}", listed.text);
    let bad = admin.send(Method::POST, "/api/v1/cluster/session-keys", &Body::Raw("{\"retire\":1}".into()), None);
    let bad = bad.expect("a reply");
    assert_eq!((bad.status, bad.code()), (422, "invalid_body"), "{}", bad.text);
    let user = cluster.client(1).with_token(Some(&third));
    let by_user = user.post("/api/v1/cluster/session-keys", &json!({})).expect("a reply");
    assert_eq!(by_user.status, 201, "an administrator user may rotate too: {}", by_user.text);
}
