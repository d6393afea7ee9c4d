//! Desktop sessions through the client library (the CTI protocol): login rules, requests applied
//! once, heartbeats, and failover to the other side with nothing lost or repeated.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tandem_client::{Client, ClientError, Credentials, Profile, Update};
use tandem_tests::{created_id, voice_csq, wait_until, ApiClient, Cluster, EventStream, Proxy, RaftTuning};

const PASSWORD: &str = "correct horse battery";

/// A voice CSQ and `count` agents with users (`agentNN`), all able to take its calls.
fn configure(client: &ApiClient, count: u64) -> (u64, Vec<u64>) {
    let (skill, csq) = voice_csq(client);
    let agents = (1..=count)
        .map(|n| {
            let agent = created_id(
                client,
                "/api/v1/agents",
                json!({"login_name": format!("agent{n:03}"), "name": format!("Agent {n}"),
                       "skills": [{"skill": skill, "competence": 5}]}),
            );
            created_id(
                client,
                "/api/v1/users",
                json!({"login_name": format!("user{n:03}"), "role": "agent", "agent": agent, "password": PASSWORD}),
            );
            agent
        })
        .collect();
    (csq, agents)
}

fn cti_url(client: &ApiClient) -> String {
    format!("{}/api/v1/cti", client.base_url().replacen("http://", "ws://", 1))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime")
}

fn credentials(login: &str, password: &str) -> Credentials {
    Credentials { login: login.into(), password: password.into() }
}

/// The voice state an event says the agent entered, if it is such an event.
fn entered_state(event: &Value, agent: u64) -> Option<String> {
    let change = event.get("AgentStateChanged")?;
    (change["agent"].as_u64() == Some(agent)).then(|| change["state"].as_str().unwrap_or_default().to_owned())
}

fn status(client: &ApiClient, agent: u64) -> String {
    let reply = client.get(&format!("/api/v1/agents/{agent}/status")).expect("a status");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["state"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn login_requests_and_refusals() {
    let mut cluster = Cluster::new(&[(1, "a")], RaftTuning::fast());
    cluster.set_env(1, "TANDEM_CTI__HEARTBEAT_INTERVAL_MS", "300");
    cluster.set_env(1, "TANDEM_CTI__HEARTBEAT_RETRIES", "2");
    cluster.start_all();
    let admin = cluster.client(1);
    let (_, agents) = configure(&admin, 2);
    let url = cti_url(&admin);
    let rt = runtime();

    // A wrong password and an unknown user get the same refusal; nothing is logged in.
    for (login, password) in [("user001", "wrong password"), ("nobody", PASSWORD)] {
        let refused = rt.block_on(Client::connect(Profile::new(url.clone(), None), credentials(login, password)));
        match refused {
            Err(ClientError::LoginRefused { code, message }) => {
                assert_eq!(code, "unauthorized");
                assert_eq!(message, "The login name or password is not valid.");
            }
            Err(other) => panic!("{login}: expected a refusal, got {other}"),
            Ok(_) => panic!("{login}: logged in with a wrong password"),
        }
    }
    assert_eq!(status(&admin, agents[0]), "logged_out");

    // The agent's login name works as well as the user's; logging in logs the agent in.
    let (client, mut updates) = rt
        .block_on(Client::connect(Profile::new(url.clone(), None), credentials("agent001", PASSWORD)))
        .expect("login");
    let login = client.login().expect("a login result");
    assert_eq!((login.role.as_str(), login.agent), ("agent", agents[0]));
    assert_eq!(status(&admin, agents[0]), "not_ready");

    rt.block_on(async {
        // A request applies once, however often it is sent with its id.
        let ready = json!({"action": "set_state", "state": "ready"});
        let id = client.next_request_id();
        for _ in 0..3 {
            let reply = client.request_with_id(id.clone(), None, ready.clone()).await.expect("a reply");
            assert!(reply.ok, "{}: {}", reply.code, reply.message);
        }
        // A refusal carries the spec's code and text.
        let reply = client.request(None, json!({"action": "set_state", "state": "login"})).await.expect("a reply");
        assert!(!reply.ok);
        assert_eq!(
            (reply.spec_code, reply.message.as_str()),
            (10102, "The agent is already LOGGED ON."),
            "{}",
            reply.code
        );
        // An agent acts for itself only.
        let reply =
            client.request(Some(agents[1]), json!({"action": "set_state", "state": "login"})).await.expect("a reply");
        assert_eq!(reply.code, "forbidden", "{}", reply.message);
        // A malformed action is refused, not applied.
        let reply = client.request(None, json!({"action": "dance"})).await.expect("a reply");
        assert_eq!(reply.code, "invalid_body");
    });
    let mut ready_events = 0;
    let mut statistics = Vec::new();
    let mut queues = Vec::new();
    while let Ok(update) = updates.try_recv() {
        match update {
            Update::Event { event, controls, .. } if entered_state(&event, agents[0]).as_deref() == Some("ready") => {
                ready_events += 1;
                // Events about the session's agent carry its call-control buttons.
                let controls = controls.unwrap_or_else(|| panic!("controls with {event}"));
                assert_eq!((controls["answer"].as_bool(), controls["make_call"].as_bool()), (Some(false), Some(false)));
            }
            Update::Statistics { agents, time_ms } => statistics.push((time_ms, agents)),
            Update::SkillGroupStatistics { csqs, .. } => queues.push(csqs),
            _ => {}
        }
    }
    assert_eq!(ready_events, 1, "three sends of one request id: one state change");
    // The CSQ the agent serves, with its figures, came at once (then every 10 s).
    let csqs = queues.first().cloned().unwrap_or_else(|| panic!("no skill-group statistics frame"));
    assert_eq!(csqs.as_array().map(Vec::len), Some(1), "{csqs}");
    assert!(csqs[0]["waiting_count"].as_u64().is_some(), "{csqs}");
    // The cluster's agent statistics came at login: the own agent's, logged in.
    let (time_ms, first) = statistics.first().cloned().unwrap_or_else(|| panic!("no statistics frame"));
    assert!(time_ms > 0);
    assert_eq!(first[0]["agent"].as_u64(), Some(agents[0]), "{first}");
    assert!(first[0]["counters"]["logged_in_since_ms"].as_u64().is_some(), "{first}");

    // A second login while logged in is warned about (WarnIfAlreadyLoggedIn, the default).
    let (second, mut second_updates) = rt
        .block_on(Client::connect(Profile::new(url.clone(), None), credentials("user001", PASSWORD)))
        .expect("a second login is allowed");
    let notice = rt.block_on(async {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), second_updates.recv()).await {
                Ok(Some(Update::Notice { code, message })) => return (code, message),
                Ok(Some(_)) => continue,
                _ => panic!("no already-logged-in notice"),
            }
        }
    });
    assert_eq!(notice, ("already_logged_in".to_owned(), format!("Agent {} is already logged in.", agents[0])));
    second.close();
    client.close();

    // The node closes a session that answers no heartbeat: interval × (retries + 1) = 900 ms.
    let (mut raw, _) = tungstenite::connect(url.as_str()).expect("a raw socket");
    let login = json!({"login": {"version": 1, "login": "user002", "password": PASSWORD}});
    raw.send(tungstenite::Message::Text(login.to_string().into())).expect("login sent");
    let first = raw.read().expect("a login result");
    assert!(first.to_text().unwrap_or_default().starts_with("{\"login_result\""), "{first}");
    let started = Instant::now();
    let mut heartbeats = 0;
    loop {
        match raw.read() {
            Ok(tungstenite::Message::Text(text)) if text.as_str() == "{\"heartbeat\":{}}" => heartbeats += 1,
            Ok(tungstenite::Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the node never closed the silent session");
    }
    assert_eq!(heartbeats, 2, "HeartbeatRetrys requests before closing");
    assert!(started.elapsed() >= Duration::from_millis(800), "closed after {:?}", started.elapsed());
}

/// What one desktop saw.
#[derive(Default)]
struct Desk {
    indexes: Vec<u64>,
    state: String,
    failed_over_at: Option<Instant>,
    disconnected_at: Option<Instant>,
    offers: u64,
    /// The index of the first snapshot: earlier events are in it, not on the stream.
    snapshot: Option<u64>,
}

#[test]
fn a_hundred_desktops_fail_over_to_the_other_side_without_relogin_or_loss() {
    const AGENTS: u64 = 100;
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    cluster.start_all();
    let (a, b) = (cluster.client(1), cluster.client(2));
    let (csq, agents) = configure(&a, AGENTS);
    let (url_a, url_b) = (cti_url(&a), cti_url(&b));
    let rt = runtime();

    // Half the desktops use side A first, half side B.
    let desks: BTreeMap<u64, Arc<Mutex<Desk>>> =
        agents.iter().map(|&agent| (agent, Arc::new(Mutex::new(Desk::default())))).collect();
    let mut clients = BTreeMap::new();
    for (n, &agent) in agents.iter().enumerate() {
        let (primary, secondary) =
            if n % 2 == 0 { (url_a.clone(), url_b.clone()) } else { (url_b.clone(), url_a.clone()) };
        let mut profile = Profile::new(primary, Some(secondary));
        // A half-open link is noticed after 300 ms × (2 + 1); a dead socket at once.
        profile.heartbeat = Duration::from_millis(300);
        profile.max_heartbeats = 2;
        let login = credentials(&format!("user{:03}", n + 1), PASSWORD);
        let (client, mut updates) = rt.block_on(Client::connect(profile, login)).expect("login");
        let desk = desks[&agent].clone();
        let answering = client.clone();
        rt.spawn(async move {
            while let Some(update) = updates.recv().await {
                let mut desk = desk.lock().expect("desk");
                match update {
                    Update::Event { index, event, .. } => {
                        desk.indexes.push(index);
                        if let Some(state) = entered_state(&event, agent) {
                            desk.state = state;
                        }
                        let offered = event.get("ContactOffered").is_some_and(|o| o["agent"].as_u64() == Some(agent));
                        if offered {
                            desk.offers += 1;
                            let client = answering.clone();
                            tokio::spawn(async move { client.request(None, json!({"action": "answer_call"})).await });
                        }
                    }
                    Update::Snapshot { index, view } => {
                        desk.snapshot.get_or_insert(index);
                        desk.state = view["agents"][0]["status"]["state"].as_str().unwrap_or_default().to_owned();
                    }
                    Update::Connected { failover: true, .. } => desk.failed_over_at = Some(Instant::now()),
                    Update::Disconnected { .. } => desk.disconnected_at = Some(Instant::now()),
                    _ => {}
                }
            }
        });
        clients.insert(agent, client);
    }
    // Everyone Ready, then one call each: every desktop answers its offer.
    rt.block_on(async {
        for client in clients.values() {
            let reply = client.request(None, json!({"action": "set_state", "state": "ready"})).await.expect("reply");
            assert!(reply.ok, "{}", reply.message);
        }
    });
    for n in 0..AGENTS {
        let call = json!({"channel": "voice", "csq": csq, "customer_name": format!("Caller {n}")});
        let reply = b.post("/api/v1/contacts", &call).expect("a call");
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    wait_until(Duration::from_secs(30), "every agent talking", || {
        let talking = agents.iter().filter(|&&agent| status(&b, agent) == "talking").count();
        if talking == agents.len() {
            Ok(())
        } else {
            Err(format!("{talking} talking"))
        }
    });

    // SIGKILL side A. Every desktop that used it puts its call on hold at once: the request
    // waits in the library's buffer during the failover and applies once on side B.
    let killed_at = Instant::now();
    cluster.kill(1);
    let holds: Vec<_> = clients
        .values()
        .map(|client| {
            let client = client.clone();
            rt.spawn(async move { client.request(None, json!({"action": "hold_call"})).await })
        })
        .collect();
    rt.block_on(async {
        for hold in holds {
            let reply = hold.await.expect("the task").expect("a reply");
            assert!(reply.ok, "hold after failover: {} {}", reply.code, reply.message);
        }
    });
    let on_a: Vec<u64> = agents.iter().copied().step_by(2).collect();
    wait_until(Duration::from_secs(10), "every desktop back and in sync", || {
        let behind: Vec<u64> =
            agents.iter().copied().filter(|agent| desks[agent].lock().expect("desk").state != "hold").collect();
        if behind.is_empty() {
            Ok(())
        } else {
            Err(format!("agents not yet showing hold: {behind:?}"))
        }
    });
    let mut slowest = Duration::ZERO;
    for agent in &on_a {
        let desk = desks[agent].lock().expect("desk");
        let back = desk.failed_over_at.unwrap_or_else(|| panic!("agent {agent}'s desktop never failed over"));
        slowest = slowest.max(back.duration_since(killed_at));
    }
    println!("slowest failover of {} desktops: {slowest:?}", on_a.len());
    assert!(slowest <= Duration::from_secs(3), "a desktop took {slowest:?} to come back");

    // Against the whole event history on side B: each desktop got every event that names its
    // agent, once, in order, and the one hold it asked for.
    let mut stream = EventStream::connect(b.base_url(), "/api/v1/events?after=0", cluster.token()).expect("stream");
    let mut history: Vec<(u64, Value)> = Vec::new();
    let mut idle = 0;
    while idle < 3 {
        match stream.next_frame().expect("the stream") {
            Some(frame) if frame["index"].as_u64().is_some() => {
                history.push((frame["index"].as_u64().unwrap_or_default(), frame["event"].clone()));
                idle = 0;
            }
            Some(_) => {}
            None => idle += 1,
        }
    }
    for &agent in &agents {
        let desk = desks[&agent].lock().expect("desk");
        assert!(
            desk.indexes.windows(2).all(|pair| pair[0] < pair[1]),
            "agent {agent}: indexes out of order or repeated"
        );
        let seen: BTreeSet<u64> = desk.indexes.iter().copied().collect();
        let naming: Vec<u64> = history
            .iter()
            .filter(|(_, event)| {
                event
                    .as_object()
                    .and_then(|o| o.values().next())
                    .is_some_and(|inner| inner["agent"].as_u64() == Some(agent))
            })
            .map(|(index, _)| *index)
            .filter(|index| *index > desk.snapshot.unwrap_or_default())
            .collect();
        let missed: Vec<&u64> = naming.iter().filter(|index| !seen.contains(index)).collect();
        assert!(missed.is_empty(), "agent {agent} missed events {missed:?}");
        let holds = history
            .iter()
            .filter(|(_, event)| event.get("CallHeld").is_some_and(|held| held["agent"].as_u64() == Some(agent)))
            .count();
        assert_eq!(holds, 1, "agent {agent}: the buffered hold applied once");
        assert_eq!(desk.state, status(&b, agent), "agent {agent}: the desktop shows the cluster's state");
        assert_eq!(desk.offers, 1, "agent {agent}: one offer");
    }
}

#[test]
fn a_half_open_link_is_noticed_by_heartbeats_and_the_desktop_moves_to_the_other_side() {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    // Side A also notices the dead desktop: 200 ms × (2 + 1).
    cluster.set_env(1, "TANDEM_CTI__HEARTBEAT_INTERVAL_MS", "200");
    cluster.set_env(1, "TANDEM_CTI__HEARTBEAT_RETRIES", "2");
    cluster.start_all();
    let (a, b) = (cluster.client(1), cluster.client(2));
    let (_, agents) = configure(&a, 1);
    let proxy = Proxy::start(format!("127.0.0.1:{}", cluster.node(1).api_port).parse().expect("an address"));
    let through_proxy = format!("ws://127.0.0.1:{}/api/v1/cti", proxy.port());
    let rt = runtime();

    let mut profile = Profile::new(through_proxy, Some(cti_url(&b)));
    profile.heartbeat = Duration::from_millis(300);
    profile.max_heartbeats = 2;
    let (client, mut updates) = rt.block_on(Client::connect(profile, credentials("user001", PASSWORD))).expect("login");
    assert_eq!(client.node(), 1);
    rt.block_on(async {
        let reply = client.request(None, json!({"action": "set_state", "state": "ready"})).await.expect("reply");
        assert!(reply.ok, "{}", reply.message);
    });

    // The link goes silent without breaking. The request made now waits in the buffer.
    proxy.black_hole();
    let silent_at = Instant::now();
    let request = {
        let client = client.clone();
        rt.spawn(async move { client.request(None, json!({"action": "set_state", "state": "not_ready"})).await })
    };
    // Every state change the desktop is shown, across the failover.
    let mut changes = Vec::new();
    let (disconnected, connected) = rt.block_on(async {
        let mut disconnected = None;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), updates.recv()).await {
                Ok(Some(Update::Disconnected { reason, .. })) => disconnected = Some((silent_at.elapsed(), reason)),
                Ok(Some(Update::Connected { node, failover: true, .. })) => {
                    return (disconnected, (silent_at.elapsed(), node))
                }
                Ok(Some(Update::Event { event, .. })) => changes.extend(entered_state(&event, agents[0])),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => panic!("the desktop never failed over"),
            }
        }
    });
    let (noticed, reason) = disconnected.expect("a disconnect before the failover");
    println!("half-open link noticed after {noticed:?} ({reason}); on node {} after {:?}", connected.1, connected.0);
    assert!(reason.contains("heartbeats"), "noticed by heartbeats: {reason}");
    // The profile's bound is 300 ms × (2 + 1) = 900 ms; allow for a loaded machine.
    assert!(noticed >= Duration::from_millis(850), "noticed after {noticed:?}, before the bound");
    assert!(noticed <= Duration::from_millis(900 + 1_500), "noticed after {noticed:?}");
    assert_eq!(connected.1, 2, "moved to side B");
    let reply = rt.block_on(request).expect("the task").expect("a reply");
    assert!(reply.ok, "{}", reply.message);
    assert_eq!(status(&b, agents[0]), "not_ready");

    // Side A closes its end of the dead session by its own heartbeats, without logging the
    // agent out: the desktop lives on, on side B.
    std::thread::sleep(Duration::from_millis(1_000));
    assert_eq!(status(&b, agents[0]), "not_ready");
    let reply = rt.block_on(client.request(None, json!({"action": "set_state", "state": "ready"}))).expect("reply");
    assert!(reply.ok, "{}", reply.message);
    rt.block_on(async {
        while let Ok(Some(update)) = tokio::time::timeout(Duration::from_millis(500), updates.recv()).await {
            if let Update::Event { event, .. } = update {
                changes.extend(entered_state(&event, agents[0]));
            }
        }
    });
    // Login happened before the first snapshot; then Ready, Not Ready (buffered), Ready: each
    // shown once, in order, whichever side delivered it.
    assert_eq!(changes, ["ready", "not_ready", "ready"], "each change once, in order");
}

/// A node serving its API over HTTPS (`tandem run --tls`) takes desktops over `wss://`; the
/// client trusts the node's certificate by its PEM, and refuses a node it cannot verify.
#[test]
fn desktops_connect_over_wss_and_check_the_certificate() {
    let root = tempfile::Builder::new().prefix("tandem-wss-").tempdir().expect("a temporary directory");
    let port = tandem_tests::free_port();
    let listen = format!("127.0.0.1:{port}");
    let data = root.path().join("data");
    let mut node = tandem_tests::tandem_command()
        .args(["run", "--no-demo", "--tls", "--listen", &listen, "--data-dir"])
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("tandem run --tls");
    struct Kill<'a>(&'a mut std::process::Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _guard = Kill(&mut node);
    let (pem, token) = wait_until(Duration::from_secs(20), "the certificate and the admin token", || {
        let pem = std::fs::read(data.join("tls/api.crt")).map_err(|e| e.to_string())?;
        let token = std::fs::read_to_string(data.join("admin-token")).map_err(|e| e.to_string())?;
        Ok((pem, token.trim().to_owned()))
    });
    let https = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("the node's certificate"))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTPS client");
    let base = format!("https://127.0.0.1:{port}");
    let post = |path: &str, body: Value| {
        wait_until(Duration::from_secs(20), &format!("POST {path}"), || {
            let reply = https
                .post(format!("{base}{path}"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .map_err(|e| e.to_string())?;
            let status = reply.status().as_u16();
            let json: Value = reply.json().map_err(|e| e.to_string())?;
            if status == 201 {
                Ok(json["id"].as_u64().unwrap_or_default())
            } else {
                Err(format!("{status} {json}"))
            }
        })
    };
    let agent = post("/api/v1/agents", json!({"login_name": "tls-agent", "name": "TLS Agent"}));
    post("/api/v1/users", json!({"login_name": "tls.user", "role": "agent", "agent": agent, "password": PASSWORD}));

    let url = format!("wss://127.0.0.1:{port}/api/v1/cti");
    let rt = runtime();
    let mut profile = Profile::new(url.clone(), None);
    profile.tls = Some(tandem_client::tls_config(Some(&pem)).expect("a TLS config"));
    let (client, _updates) =
        rt.block_on(Client::connect(profile, credentials("tls.user", PASSWORD))).expect("a wss login");
    let reply = rt.block_on(client.request(None, json!({"action": "set_state", "state": "ready"}))).expect("a reply");
    assert!(reply.ok, "{} {}", reply.code, reply.message);
    client.close();

    // Without the node's certificate (the public roots), the handshake fails: nothing logs in.
    let mut untrusting = Profile::new(url, None);
    untrusting.auto_login = false;
    let refused = rt.block_on(Client::connect(untrusting, credentials("tls.user", PASSWORD)));
    match refused {
        Err(ClientError::Unreachable(message)) => assert!(message.to_lowercase().contains("certificate"), "{message}"),
        Err(other) => panic!("expected an unverifiable certificate, got {other}"),
        Ok(_) => panic!("a node with an unknown certificate was trusted"),
    }
    assert!(matches!(tandem_client::tls_config(Some(b"not a certificate")), Err(ClientError::Tls(_))));
}
