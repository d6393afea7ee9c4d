//! Who may do what, black-box: users' tokens over REST, the event streams and CTI sessions.
//!
//! Sam supervises team Blue (alice); bob is in no team; root is an administrator. Each role gets
//! a table of requests it may and may not make, with the status codes. Writes are decided by the
//! domain from the actor in the entry (`forbidden`, 403); reads by the domain's read rules (an
//! agent the caller may not see is `not_found`, 404, as if it did not exist).

use std::time::Duration;

use serde_json::{json, Value};
use tandem_client::{Client, Credentials, Profile};
use tandem_tests::{created_id, wait_until, ApiClient, Body, Cluster, EventStream, Method, RaftTuning};

const PASSWORD: &str = "correct horse battery";

struct Floor {
    admin: ApiClient,
    sam: u64,
    alice: u64,
    bob: u64,
    team: u64,
}

fn floor(admin: &ApiClient) -> Floor {
    let sam = created_id(admin, "/api/v1/agents", json!({"login_name": "sam", "name": "Sam"}));
    let team = created_id(admin, "/api/v1/teams", json!({"name": "Blue", "primary_supervisor": sam}));
    let alice = created_id(admin, "/api/v1/agents", json!({"login_name": "alice", "name": "Alice", "team": team}));
    let bob = created_id(admin, "/api/v1/agents", json!({"login_name": "bob", "name": "Bob"}));
    for (login, role, agent) in [("u-sam", "supervisor", Some(sam)), ("u-alice", "agent", Some(alice))]
        .into_iter()
        .chain([("u-bob", "agent", Some(bob)), ("root", "administrator", None)])
    {
        let mut user = json!({"login_name": login, "role": role, "password": PASSWORD});
        if let Some(agent) = agent {
            user["agent"] = json!(agent);
        }
        created_id(admin, "/api/v1/users", user);
    }
    Floor { admin: admin.clone(), sam, alice, bob, team }
}

/// A user's token from `POST /api/v1/sessions`.
fn token(admin: &ApiClient, login: &str) -> String {
    let anonymous = admin.with_token(None);
    let reply = anonymous.post("/api/v1/sessions", &json!({"login": login, "password": PASSWORD})).expect("a reply");
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json["token"].as_str().expect("a token").to_owned()
}

/// One request and the status it must get; a 403 or 401 also checks the JSON error code.
fn check(who: &str, client: &ApiClient, rows: &[(Method, String, Option<Value>, u16)]) {
    for (method, path, body, expected) in rows {
        let body = body.clone().map_or(Body::None, Body::Json);
        let reply = client.send(method.clone(), path, &body, None).expect("a reply");
        assert_eq!(reply.status, *expected, "{who}: {method} {path}: {}", reply.text);
        match expected {
            403 => assert_eq!(reply.code(), "forbidden", "{who}: {method} {path}: {}", reply.text),
            401 => assert_eq!(reply.code(), "unauthorized", "{who}: {method} {path}: {}", reply.text),
            _ => {}
        }
    }
}

fn action(agent: u64) -> String {
    format!("/api/v1/agents/{agent}/actions")
}

fn state(state: &str) -> Option<Value> {
    Some(json!({"action": "set_state", "state": state}))
}

#[test]
fn each_role_may_do_what_it_may_and_nothing_else() {
    let mut cluster = Cluster::new(&[(1, "a")], RaftTuning::fast());
    cluster.start_all();
    let floor = floor(&cluster.client(1));
    let Floor { admin, sam, alice, bob, team } = &floor;
    let (sam, alice, bob, team) = (*sam, *alice, *bob, *team);
    let as_alice = admin.with_token(Some(&token(admin, "u-alice")));
    let as_sam = admin.with_token(Some(&token(admin, "sam"))); // the agent's login name works too
    let as_root = admin.with_token(Some(&token(admin, "root")));
    let status = |agent: u64| format!("/api/v1/agents/{agent}/status");
    let message = |sender: u64| Some(json!({"sender": sender, "text": "Lunch", "teams": [team], "expiry_minutes": 30}));
    let desk = admin.get("/api/v1/settings/desk").expect("the desk settings").json;

    use Method as M;
    check(
        "alice (agent)",
        &as_alice,
        &[
            (M::POST, action(alice), state("login"), 200),
            (M::POST, action(alice), state("ready"), 200),
            (M::GET, status(alice), None, 200),
            (M::GET, "/api/v1/contacts".into(), None, 200),
            (M::POST, action(bob), state("login"), 403),
            (M::POST, action(sam), state("login"), 403),
            (M::GET, status(bob), None, 404),
            (M::GET, status(sam), None, 404),
            (M::GET, "/api/v1/skills".into(), None, 403),
            (M::POST, "/api/v1/skills".into(), Some(json!({"name": "Sneaky"})), 403),
            (M::GET, "/api/v1/users".into(), None, 403),
            (M::POST, "/api/v1/contacts".into(), Some(json!({"channel": "voice", "csq": 1})), 403),
            (M::POST, "/api/v1/team-messages".into(), message(sam), 403),
            (M::GET, "/api/v1/statistics".into(), None, 403),
            (M::PUT, "/api/v1/settings/desk".into(), Some(desk.clone()), 403),
            (M::GET, "/api/v1/cluster/status".into(), None, 403),
        ],
    );
    check(
        "sam (supervisor)",
        &as_sam,
        &[
            (M::POST, action(sam), state("login"), 200),
            (M::POST, action(alice), state("not_ready"), 200),
            (M::GET, status(alice), None, 200),
            (M::GET, status(sam), None, 200),
            (M::POST, action(sam), Some(json!({"action": "start_silent_monitor", "agent": alice})), 200),
            (M::POST, "/api/v1/team-messages".into(), message(sam), 201),
            (M::POST, action(bob), state("login"), 403),
            (M::GET, status(bob), None, 404),
            (M::POST, action(alice), Some(json!({"action": "send_chat", "to": sam, "text": "as alice"})), 403),
            (M::POST, "/api/v1/skills".into(), Some(json!({"name": "Sneaky"})), 403),
            (
                M::POST,
                "/api/v1/users".into(),
                Some(json!({"login_name": "x", "role": "administrator", "password": PASSWORD})),
                403,
            ),
            (M::POST, "/api/v1/calls".into(), Some(json!({"dialed_number": "5000", "ani": "5551234"})), 403),
            (M::GET, "/api/v1/statistics".into(), None, 403),
        ],
    );
    check(
        "root (administrator)",
        &as_root,
        &[
            (M::POST, "/api/v1/skills".into(), Some(json!({"name": "Billing"})), 201),
            (M::GET, "/api/v1/users".into(), None, 200),
            (M::POST, action(bob), state("login"), 200),
            (M::GET, status(bob), None, 200),
            (M::GET, status(alice), None, 200),
            (M::POST, "/api/v1/team-messages".into(), message(sam), 201),
            (M::GET, "/api/v1/statistics".into(), None, 200),
            (M::GET, "/api/v1/contacts".into(), None, 200),
            (M::GET, "/api/v1/cluster/status".into(), None, 200),
            (M::GET, "/api/v1/settings/desk".into(), None, 200),
        ],
    );
    let nobody = admin.with_token(None);
    let forged = admin.with_token(Some("v1.2.1.deadbeef"));
    for client in [&nobody, &forged] {
        check(
            "no valid token",
            client,
            &[
                (M::GET, status(alice), None, 401),
                (M::POST, action(alice), state("ready"), 401),
                (M::GET, "/api/v1/contacts".into(), None, 401),
            ],
        );
    }
    let refused = nobody.post("/api/v1/sessions", &json!({"login": "u-alice", "password": "wrong"})).expect("a reply");
    assert_eq!((refused.status, refused.code()), (401, "unauthorized"), "{}", refused.text);
    let unknown = nobody.post("/api/v1/sessions", &json!({"login": "u-nobody", "password": "wrong"})).expect("a reply");
    assert_eq!(unknown.text, refused.text, "an unknown login is refused as a wrong password is");

    // A deleted user's token opens nothing and acts no more.
    let users = admin.list("users").expect("users");
    let bob_user = users.iter().find(|user| user["login_name"] == "u-bob").and_then(|user| user["id"].as_u64());
    let as_bob = admin.with_token(Some(&token(admin, "u-bob")));
    assert_eq!(as_bob.get(&status(bob)).expect("a reply").status, 200);
    let deleted = admin.delete(&format!("/api/v1/users/{}", bob_user.expect("bob's user"))).expect("a reply");
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    check("bob, deleted", &as_bob, &[(M::GET, status(bob), None, 401), (M::POST, action(bob), state("ready"), 401)]);
}

/// Streams: an agent's token opens its own stream, not another agent's, and the all-events
/// stream carries it only what its desktop would get.
#[test]
fn an_agents_token_reads_only_its_own_events() {
    let mut cluster = Cluster::new(&[(1, "a")], RaftTuning::fast());
    cluster.start_all();
    let floor = floor(&cluster.client(1));
    let Floor { admin, alice, bob, .. } = &floor;
    let (alice, bob) = (*alice, *bob);
    let alice_token = token(admin, "u-alice");
    let base = admin.base_url().to_owned();

    let refused = EventStream::connect(&base, &format!("/api/v1/agents/{bob}/events"), &alice_token);
    assert!(refused.as_ref().is_err_and(|error| error.contains("404")), "bob's stream: {:?}", refused.err());
    let mut own = EventStream::connect(&base, &format!("/api/v1/agents/{alice}/events"), &alice_token).expect("own");
    let mut all = EventStream::connect(&base, "/api/v1/events", &alice_token).expect("the all-events stream");
    // Users are the administrators' business: an agent's streams do not carry them. Created
    // before the logins, so it would be on the streams before alice's login.
    let body = json!({"login_name": "u-carol", "role": "administrator", "password": "carol's password"});
    let reply = admin.post("/api/v1/users", &body).expect("a reply");
    assert_eq!(reply.status, 201, "{}", reply.text);
    for agent in [bob, alice] {
        let reply = admin.post(&action(agent), &json!({"action": "set_state", "state": "login"})).expect("a reply");
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    for (name, stream) in [("own", &mut own), ("all", &mut all)] {
        let mut agents = Vec::new();
        wait_until(Duration::from_secs(10), "alice's login on the stream", || {
            while let Some(frame) = stream.next_frame()? {
                assert!(frame["event"].get("UserCreated").is_none(), "{name}: alice's token saw a user: {frame}");
                if let Some(change) = frame["event"].get("AgentStateChanged") {
                    agents.push(change["agent"].as_u64().unwrap_or_default());
                }
            }
            if agents.contains(&alice) {
                Ok(())
            } else {
                Err(format!("{name}: state changes seen for {agents:?}"))
            }
        });
        assert!(!agents.contains(&bob), "{name}: alice's token saw bob's login: {agents:?}");
    }
}

/// CTI sessions: a request for an agent the user may not act for is `forbidden` by the domain.
#[test]
fn a_desktop_acts_only_within_its_users_reach() {
    let mut cluster = Cluster::new(&[(1, "a")], RaftTuning::fast());
    cluster.start_all();
    let floor = floor(&cluster.client(1));
    let url = tandem_client::cti_url(floor.admin.base_url());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        for (login, own, other_ok, other_refused) in
            [("u-sam", floor.sam, Some(floor.alice), floor.bob), ("u-alice", floor.alice, None, floor.sam)]
        {
            let credentials = Credentials { login: login.into(), password: PASSWORD.into() };
            let (client, _updates) =
                Client::connect(Profile::new(url.clone(), None), credentials).await.expect("logged in");
            let reply =
                client.request(Some(own), json!({"action": "set_state", "state": "ready"})).await.expect("a reply");
            assert!(reply.ok, "{login} for itself: {} {}", reply.code, reply.message);
            if let Some(agent) = other_ok {
                let reply = client
                    .request(Some(agent), json!({"action": "set_state", "state": "login"}))
                    .await
                    .expect("a reply");
                assert!(reply.ok || reply.code != "forbidden", "{login} for {agent}: {}", reply.message);
            }
            let reply = client
                .request(Some(other_refused), json!({"action": "set_state", "state": "login"}))
                .await
                .expect("a reply");
            assert_eq!(reply.code, "forbidden", "{login} for {other_refused}: {}", reply.message);
            client.close();
        }
    });
}
