//! Routing end to end against the embedded default node: 50 scripted agents handle 1,000
//! contacts over voice, chat and email, driven only by the public REST API and the supervisor's
//! WebSocket event stream.
//!
//! Checks: every contact closes exactly once; no contact is taken twice or offered to two
//! agents at once; every contact not abandoned was taken exactly once; the live statistics add
//! up (offered = handled + abandoned + still open) mid-run and at the end; the agents' counters
//! match what the stream showed; a stream resumed from an index replays exactly the events after
//! it; an agent's own stream carries only that agent's offers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tandem_tests::{created_id, ApiClient, Cluster, EventStream};

const AGENT_COUNT: u64 = 50;
const CONTACT_COUNT: u64 = 1000;
const INJECTOR_COUNT: u64 = 4;
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// The channel of the i-th contact: 40% voice, 30% chat, 30% email.
fn channel_of(i: u64) -> &'static str {
    match i % 10 {
        0..=3 => "voice",
        4..=6 => "chat",
        _ => "email",
    }
}

/// Every 20th voice call and chat is abandoned by its customer right after arriving.
fn abandons(i: u64) -> bool {
    matches!(i % 20, 0 | 5)
}

/// Skills, one CSQ per channel and 50 agents qualified for all three. Returns (CSQs by channel,
/// agent ids).
fn configure(client: &ApiClient) -> (BTreeMap<&'static str, u64>, Vec<u64>) {
    let skills: Vec<u64> = ["Sales", "Billing", "Support"]
        .iter()
        .map(|name| created_id(client, "/api/v1/skills", json!({"name": name})))
        .collect();
    let mut csqs = BTreeMap::new();
    for (channel, selection, skill) in [
        ("voice", "longest_available", skills[0]),
        ("chat", "most_skilled", skills[1]),
        ("email", "longest_available", skills[2]),
    ] {
        let body = json!({"name": format!("{channel} queue"), "channel": channel, "selection": selection,
            "skills": [{"skill": skill, "min_competence": 1}]});
        csqs.insert(channel, created_id(client, "/api/v1/csqs", body));
    }
    let agents = (1..=AGENT_COUNT)
        .map(|n| {
            let levels: Vec<Value> =
                skills.iter().map(|&skill| json!({"skill": skill, "competence": 1 + (n % 10)})).collect();
            created_id(
                client,
                "/api/v1/agents",
                json!({"login_name": format!("agent{n:02}"), "name": format!("Agent {n}"), "skills": levels}),
            )
        })
        .collect();
    (csqs, agents)
}

fn act(client: &ApiClient, agent: u64, action: Value) -> Value {
    let path = format!("/api/v1/agents/{agent}/actions");
    let reply = client.post(&path, &action).unwrap_or_else(|e| panic!("{e}"));
    match reply.status {
        200 => reply.json,
        // The customer's side can win a race (hung up, closed the chat): the action is refused
        // with the domain's code and nothing changes.
        409 if reply.json["code"] == "invalid_state" => Value::Null,
        _ => panic!("agent {agent} {action}: {} {}", reply.status, reply.text),
    }
}

/// The agent's voice state after an action, from the events it produced.
fn last_voice_state(applied: &Value, agent: u64) -> Option<String> {
    applied["events"].as_array()?.iter().rev().find_map(|event| {
        let changed = event.get("AgentStateChanged")?;
        (changed["agent"].as_u64() == Some(agent)).then(|| changed["state"].as_str().unwrap_or_default().to_string())
    })
}

/// One scripted agent: answers what it is offered, ends it, and goes Ready again.
fn agent_script(client: ApiClient, agent: u64, work: mpsc::Receiver<Value>) {
    for event in work {
        let (kind, body) = event.as_object().and_then(|o| o.iter().next()).expect("an event is one tagged object");
        let contact = body["contact"].as_u64().unwrap_or_default();
        let channel = body["channel"].as_str().unwrap_or_default();
        let after = match (kind.as_str(), channel) {
            ("ContactOffered", "voice") => act(&client, agent, json!({"action": "answer_call"})),
            ("ContactOffered", "chat") => act(&client, agent, json!({"action": "accept_chat", "contact": contact})),
            ("ContactAccepted", "voice") => act(&client, agent, json!({"action": "end_call"})),
            ("ContactAccepted", "chat") => act(&client, agent, json!({"action": "end_chat", "contact": contact})),
            ("ContactAccepted", "email") => act(&client, agent, json!({"action": "send_email", "contact": contact})),
            ("ChatEnded", _) => act(&client, agent, json!({"action": "end_chat", "contact": contact})),
            ("AgentStateChanged", _) => Value::Null,
            _ => continue,
        };
        let state = match kind.as_str() {
            "AgentStateChanged" => body["state"].as_str().map(str::to_string),
            _ => last_voice_state(&after, agent),
        };
        if matches!(state.as_deref(), Some("work_ready" | "work_not_ready" | "not_ready")) {
            act(&client, agent, json!({"action": "set_state", "state": "ready"}));
        }
    }
}

/// The agent an event is work for, if it is.
fn work_for(event: &Value) -> Option<u64> {
    let (kind, body) = event.as_object()?.iter().next()?;
    match kind.as_str() {
        "ContactOffered" | "ContactAccepted" => body["agent"].as_u64(),
        "AgentStateChanged" if body["state"] == "not_ready" || body["state"] == "work_ready" => body["agent"].as_u64(),
        _ => None,
    }
}

fn statistics(client: &ApiClient) -> Value {
    let reply = client.get("/api/v1/statistics").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

/// offered = handled + abandoned + open, per CSQ, from one snapshot.
fn assert_statistics_add_up(snapshot: &Value) -> u64 {
    let mut offered_total = 0;
    for csq in snapshot["csqs"].as_array().expect("csqs") {
        let counters = &csq["counters"];
        let offered = counters["offered_count"].as_u64().unwrap_or_default();
        let handled = counters["handled_count"].as_u64().unwrap_or_default();
        let abandoned = counters["abandoned_count"].as_u64().unwrap_or_default();
        let open = csq["open_count"].as_u64().unwrap_or_default();
        let waiting = csq["waiting_count"].as_u64().unwrap_or_default();
        assert!(waiting <= open, "waiting is part of open: {csq}");
        assert_eq!(offered, handled + abandoned + open, "offered = handled + abandoned + still open: {csq}");
        offered_total += offered;
    }
    offered_total
}

#[test]
fn fifty_agents_route_a_thousand_contacts_over_three_channels_exactly_once() {
    let cluster = Cluster::embedded_single();
    let client = cluster.client(1);
    let base_url = client.base_url().to_string();
    let token = cluster.token().to_string();
    let (csqs, agents) = configure(&client);

    // The supervisor's stream, from now on.
    let mut stream = EventStream::connect(&base_url, "/api/v1/events", &token).expect("the supervisor stream");
    let hello = stream.next_frame().expect("hello").expect("a hello frame");
    let start_index = hello["hello"]["after"].as_u64().expect("hello.after");
    let mut agent_stream = EventStream::connect(&base_url, &format!("/api/v1/agents/{}/events", agents[0]), &token)
        .expect("agent 1's stream");

    let mut scripts = BTreeMap::new();
    let mut script_threads = Vec::new();
    for &agent in &agents {
        let (sender, receiver) = mpsc::channel();
        scripts.insert(agent, sender);
        let script_client = client.clone();
        script_threads.push(thread::spawn(move || agent_script(script_client, agent, receiver)));
        act(&client, agent, json!({"action": "set_state", "state": "login"}));
        act(&client, agent, json!({"action": "set_state", "state": "ready"}));
        act(&client, agent, json!({"action": "set_digital_state", "state": "ready"}));
    }

    let injectors: Vec<_> = (0..INJECTOR_COUNT)
        .map(|injector| {
            let client = client.clone();
            let csqs = csqs.clone();
            thread::spawn(move || {
                let mut injected = Vec::new();
                for i in (injector..CONTACT_COUNT).step_by(INJECTOR_COUNT as usize) {
                    let channel = channel_of(i);
                    let mut body =
                        json!({"channel": channel, "csq": csqs[channel], "customer_name": format!("Customer {i}")});
                    if channel == "email" {
                        body["subject"] = json!(format!("Question {i}"));
                    }
                    let reply = client.post("/api/v1/contacts", &body).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(reply.status, 201, "{}", reply.text);
                    let contact = reply.json["contact"].as_u64().expect("the new contact's id");
                    if channel != "email" && abandons(i) {
                        let reply = client
                            .post(&format!("/api/v1/contacts/{contact}/actions"), &json!({"action": "customer_left"}))
                            .unwrap_or_else(|e| panic!("{e}"));
                        assert!(reply.status == 200 || reply.status == 409, "{}", reply.text);
                    }
                    injected.push(contact);
                }
                injected
            })
        })
        .collect();

    // Dispatch the stream to the scripted agents until every contact closed.
    let started = Instant::now();
    let mut events: Vec<(u64, Value)> = Vec::new();
    let mut closed: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut mid_run_checked = false;
    while closed.len() < CONTACT_COUNT as usize {
        assert!(started.elapsed() < RUN_TIMEOUT, "only {} of {CONTACT_COUNT} contacts closed", closed.len());
        let Some(frame) = stream.next_frame().expect("the supervisor stream") else { continue };
        if frame.get("gap").is_some() {
            panic!("the stream reported a gap: {frame}");
        }
        let Some(index) = frame["index"].as_u64() else { continue };
        let event = frame["event"].clone();
        if let Some(body) = event.get("ContactClosed") {
            let contact = body["contact"].as_u64().expect("contact");
            closed.entry(contact).or_default().push(body["outcome"].as_str().unwrap_or_default().to_string());
        }
        if let Some(agent) = work_for(&event) {
            if let Some(script) = scripts.get(&agent) {
                script.send(event.clone()).expect("the agent's script runs");
            }
        }
        if !mid_run_checked && closed.len() >= CONTACT_COUNT as usize / 2 {
            assert_statistics_add_up(&statistics(&client));
            mid_run_checked = true;
        }
        events.push((index, event));
    }
    let injected: BTreeSet<u64> = injectors.into_iter().flat_map(|t| t.join().expect("injector")).collect();
    assert_eq!(injected.len() as u64, CONTACT_COUNT);
    drop(scripts);
    for script in script_threads {
        script.join().expect("an agent script");
    }

    // Indexes are consecutive: the stream skipped nothing.
    for (offset, (index, _)) in events.iter().enumerate() {
        assert_eq!(*index, start_index + 1 + offset as u64, "event indexes are consecutive");
    }

    // Every contact closed exactly once; routed exactly once unless abandoned first.
    assert_eq!(closed.keys().copied().collect::<BTreeSet<_>>(), injected, "every injected contact closed");
    let mut accepted: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut offered_to: BTreeMap<u64, u64> = BTreeMap::new();
    for (_, event) in &events {
        let (kind, body) = event.as_object().and_then(|o| o.iter().next()).expect("tagged");
        let contact = body["contact"].as_u64();
        match kind.as_str() {
            "ContactAccepted" => {
                accepted.entry(contact.expect("contact")).or_default().push(body["agent"].as_u64().expect("agent"))
            }
            "ContactOffered" => {
                let previous = offered_to.insert(contact.expect("contact"), body["agent"].as_u64().expect("agent"));
                assert!(previous.is_none(), "contact {contact:?} offered while already offered: {event}");
            }
            _ => {}
        }
        if matches!(kind.as_str(), "ContactAccepted" | "ContactNotAnswered" | "ContactClosed") {
            offered_to.remove(&contact.expect("contact"));
        }
    }
    let mut abandoned_count = 0;
    for (contact, outcomes) in &closed {
        assert_eq!(outcomes.len(), 1, "contact {contact} closed once: {outcomes:?}");
        let takers = accepted.get(contact).map_or(0, Vec::len);
        match outcomes[0].as_str() {
            "abandoned" => {
                abandoned_count += 1;
                assert_eq!(takers, 0, "abandoned contact {contact} was never taken");
            }
            "handled" | "sent" => assert_eq!(takers, 1, "contact {contact} was taken exactly once"),
            other => panic!("contact {contact} closed as {other}"),
        }
    }
    assert!(abandoned_count > 0, "the script abandons some contacts");
    eprintln!(
        "{} events in {:?}: {} contacts taken, {abandoned_count} abandoned, {} offers not answered",
        events.len(),
        started.elapsed(),
        accepted.len(),
        events.iter().filter(|(_, e)| e.get("ContactNotAnswered").is_some()).count()
    );

    // The statistics add up, and agree with the stream.
    let snapshot = statistics(&client);
    assert_eq!(assert_statistics_add_up(&snapshot), CONTACT_COUNT, "every contact was offered to a CSQ once");
    let abandoned_stat: u64 = snapshot["csqs"]
        .as_array()
        .expect("csqs")
        .iter()
        .map(|c| c["counters"]["abandoned_count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(abandoned_stat, abandoned_count);
    let accepted_stat: u64 = snapshot["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| a["counters"]["accepted_count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(accepted_stat, accepted.values().map(|a| a.len() as u64).sum::<u64>());

    // A stream resumed from the middle replays exactly what followed.
    let (middle, _) = events[events.len() / 2];
    let mut resumed =
        EventStream::connect(&base_url, &format!("/api/v1/events?after={middle}"), &token).expect("resumed stream");
    resumed.next_frame().expect("hello").expect("a hello frame");
    for (index, event) in events.iter().filter(|(index, _)| *index > middle).take(200) {
        let frame = loop {
            if let Some(frame) = resumed.next_frame().expect("resumed stream") {
                if frame.get("index").is_some() {
                    break frame;
                }
            }
        };
        assert_eq!(frame["index"].as_u64(), Some(*index));
        assert_eq!(&frame["event"], event);
    }

    // The first agent's stream carried its own offers and no one else's.
    let mut own_offers = 0;
    while let Some(frame) = agent_stream.next_frame().expect("agent stream") {
        if let Some(offer) = frame["event"].get("ContactOffered") {
            assert_eq!(offer["agent"].as_u64(), Some(agents[0]), "{frame}");
            own_offers += 1;
        }
    }
    let expected_offers = events
        .iter()
        .filter(|(_, e)| e.get("ContactOffered").is_some_and(|o| o["agent"].as_u64() == Some(agents[0])))
        .count();
    assert_eq!(own_offers, expected_offers, "the agent's stream carried every offer it got");
}
