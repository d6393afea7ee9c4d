//! Agent desktops at scale: N agents, each logged in through the client library with its own
//! user (half on side A, half on side B), all serving one voice CSQ (so every desktop is pushed
//! that CSQ's statistics on the node's schedule), as a contact center runs. Measures
//!
//! 1. fan-out: command to event at the desktops it concerns (the agent's own), for state
//!    changes made over REST while every desktop is connected;
//! 2. memory per connected session on the nodes;
//! 3. resync after a node loss: SIGKILL side A and time until every desktop that used it is
//!    logged back in on side B (AutoLogin with its resume token, events resumed after its last
//!    index), and check that every desktop then shows the agent state the cluster has.
//!
//! Run with `bench/desktops` (or `target/debug/bench-desktops --agents 10000`). Writes
//! `bench/results/desktops-<agents>.json`. Sender, desktops and the three nodes share this
//! machine, so the figures include the desktops' own work.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use tandem_client::{Client, Credentials, Profile, Update};
use tandem_tests::bench::{options_or_exit, percentile, write_result};
use tandem_tests::{created_id, ApiClient, Cluster, RaftTuning};

const PASSWORD: &str = "bench desk password";
/// Parallel REST writers while configuring.
const WRITERS: usize = 8;
/// Logins in flight at once (each is an Argon2id verification on a node).
const LOGINS_IN_FLIGHT: usize = 16;

struct Options {
    agents: usize,
    probes: usize,
    interval_ms: u64,
    out: String,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options { agents: 1_000, probes: 200, interval_ms: 20, out: String::new() };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--agents" => options.agents = value()?.parse().map_err(|e| format!("--agents: {e}"))?,
            "--probes" => options.probes = value()?.parse().map_err(|e| format!("--probes: {e}"))?,
            "--interval-ms" => options.interval_ms = value()?.parse().map_err(|e| format!("--interval-ms: {e}"))?,
            "--out" => options.out = value()?,
            "--help" | "-h" => {
                return Err("usage: bench-desktops [--agents 1000] [--probes 200] [--interval-ms 20] \
                            [--out bench/results/desktops-<agents>.json]"
                    .into())
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    if options.agents < 2 || options.probes == 0 {
        return Err("--agents must be at least 2 and --probes at least 1".into());
    }
    if options.out.is_empty() {
        options.out = format!("bench/results/desktops-{}.json", options.agents);
    }
    Ok(options)
}

/// Runs `work` for 0..count on `WRITERS` threads, each with its own client of `client`'s node;
/// returns the results in order.
fn parallel<T: Send + 'static>(
    client: &ApiClient,
    count: usize,
    work: impl Fn(&ApiClient, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let work = Arc::new(work);
    let next = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (client, work, next) = (client.clone(), work.clone(), next.clone());
            std::thread::spawn(move || {
                let mut done = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if n >= count {
                        return done;
                    }
                    done.push((n, work(&client, n)));
                }
            })
        })
        .collect();
    let mut all: Vec<(usize, T)> = threads.into_iter().flat_map(|thread| thread.join().expect("a writer")).collect();
    all.sort_by_key(|(n, _)| *n);
    all.into_iter().map(|(_, value)| value).collect()
}

/// What one desktop has seen.
#[derive(Default)]
struct Desk {
    state: String,
    failed_over_at: Option<Instant>,
}

fn main() {
    let options = options_or_exit(parse_options);
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    // Ten thousand desktops log in from this one address: lift the per-address login rate.
    for id in [1, 2, 3] {
        cluster.set_env(id, "TANDEM_LOGINS__PER_ADDRESS_PER_SECOND", "1000000");
        cluster.set_env(id, "TANDEM_LOGINS__PER_ADDRESS_BURST", "1000000");
    }
    let leader = cluster.start_all();
    // The witness serves no clients (and may win an election, issue 16): then write through
    // side B, which forwards to it.
    let admin = cluster.client(if leader == 3 { 2 } else { leader });
    let urls: Vec<String> = [1, 2]
        .iter()
        .map(|&id| format!("{}/api/v1/cti", cluster.client(id).base_url().replacen("http://", "ws://", 1)))
        .collect();

    let started = Instant::now();
    // One voice CSQ every agent serves: each desktop is pushed its skill-group statistics.
    let skill = created_id(&admin, "/api/v1/skills", json!({"name": "General"}));
    let csq = json!({"name": "General", "channel": "voice", "selection": "longest_available",
                     "skills": [{"skill": skill, "min_competence": 1}]});
    created_id(&admin, "/api/v1/csqs", csq);
    let agents: Vec<u64> = parallel(&admin, options.agents, move |client, n| {
        created_id(
            client,
            "/api/v1/agents",
            json!({"login_name": format!("agent{n:05}"), "name": format!("Agent {n}"),
                   "skills": [{"skill": skill, "competence": 5}]}),
        )
    });
    parallel(&admin, options.agents, {
        let agents = agents.clone();
        move |client, n| {
            let body =
                json!({"login_name": format!("user{n:05}"), "role": "agent", "agent": agents[n], "password": PASSWORD});
            created_id(client, "/api/v1/users", body)
        }
    });
    println!("{} agents and users created in {:.1} s", agents.len(), started.elapsed().as_secs_f64());

    // A node's password workers take one Argon2 hash's memory (19 MiB each) on their first
    // login and keep it: checking a few passwords on A and B first keeps that out of the
    // per-session figure.
    for node in [1, 2] {
        parallel(&cluster.client(node), 8, |client, n| {
            let body = json!({"login": format!("user{n:05}"), "password": PASSWORD});
            let reply = client.with_token(None).post("/api/v1/sessions", &body).expect("a password check");
            assert_eq!(reply.status, 201, "{}", reply.text);
        });
    }
    let resident = |id: u64| cluster.node(id).resident_mib().unwrap_or(f64::NAN);
    let before = [resident(1), resident(2)];
    // The witness applies every login too and holds no desktop: its growth is what the
    // replicated state of N logged-in agents costs a node, apart from the sessions.
    let witness_before = resident(3);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let desks: Arc<Vec<Mutex<Desk>>> = Arc::new((0..options.agents).map(|_| Mutex::new(Desk::default())).collect());
    // Probe k sets agent `probe_agent[k]` Ready; its desktop records the latency.
    let sent: Arc<Mutex<BTreeMap<u64, Instant>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let (samples_tx, samples_rx) = std::sync::mpsc::channel::<f64>();
    let connected_at = Instant::now();
    let clients: Vec<Client> = rt.block_on(async {
        futures::stream::iter(0..options.agents)
            .map(|n| {
                let (primary, secondary) = (urls[n % 2].clone(), urls[(n + 1) % 2].clone());
                let credentials = Credentials { login: format!("user{n:05}"), password: PASSWORD.into() };
                let (desks, sent, samples, agent) = (desks.clone(), sent.clone(), samples_tx.clone(), agents[n]);
                async move {
                    let (client, mut updates) =
                        Client::connect(Profile::new(primary, Some(secondary)), credentials).await.expect("a session");
                    tokio::spawn(async move {
                        while let Some(update) = updates.recv().await {
                            match update {
                                Update::Event { event, .. } => {
                                    let Some(change) = event.get("AgentStateChanged") else { continue };
                                    if change["agent"].as_u64() != Some(agent) {
                                        continue;
                                    }
                                    let state = change["state"].as_str().unwrap_or_default().to_owned();
                                    if state == "ready" {
                                        let at = sent.lock().ok().and_then(|sent| sent.get(&agent).copied());
                                        if let Some(at) = at {
                                            let _ = samples.send(at.elapsed().as_secs_f64() * 1000.0);
                                        }
                                    }
                                    if let Ok(mut desk) = desks[n].lock() {
                                        desk.state = state;
                                    }
                                }
                                Update::Snapshot { view, .. } => {
                                    let state = view["agents"][0]["status"]["state"].as_str().unwrap_or_default();
                                    if let Ok(mut desk) = desks[n].lock() {
                                        desk.state = state.to_owned();
                                    }
                                }
                                Update::Connected { failover: true, .. } => {
                                    if let Ok(mut desk) = desks[n].lock() {
                                        desk.failed_over_at.get_or_insert_with(Instant::now);
                                    }
                                }
                                _ => {}
                            }
                        }
                    });
                    client
                }
            })
            .buffer_unordered(LOGINS_IN_FLIGHT)
            .collect()
            .await
    });
    drop(samples_tx);
    println!("{} desktops logged in in {:.1} s", clients.len(), connected_at.elapsed().as_secs_f64());
    std::thread::sleep(Duration::from_secs(2));
    let after = [resident(1), resident(2)];
    let witness_after = resident(3);
    let per_node = options.agents as f64 / 2.0;
    let kib_per_session: Vec<f64> = (0..2).map(|i| (after[i] - before[i]) * 1024.0 / per_node).collect();
    let state_mib = witness_after - witness_before;
    let kib_per_session_alone: Vec<f64> =
        (0..2).map(|i| (after[i] - before[i] - state_mib) * 1024.0 / per_node).collect();
    println!(
        "resident MiB before/after login: A {:.0} → {:.0}, B {:.0} → {:.0} ({:.1} / {:.1} KiB per session); \
         witness {:.0} → {:.0} (the logged-in agents' state); sessions alone {:.1} / {:.1} KiB",
        before[0],
        after[0],
        before[1],
        after[1],
        kib_per_session[0],
        kib_per_session[1],
        witness_before,
        witness_after,
        kib_per_session_alone[0],
        kib_per_session_alone[1]
    );

    // Fan-out: each probe makes a different agent Ready over REST on the leader.
    let probes = options.probes.min(options.agents);
    let step = options.agents / probes;
    // The REST reply comes once the leader has applied the command: how much of the latency at
    // the desktop is the replicated write itself.
    let mut writes_ms = Vec::with_capacity(probes);
    for probe in 0..probes {
        let agent = agents[probe * step];
        if let Ok(mut sent) = sent.lock() {
            sent.insert(agent, Instant::now());
        }
        let written = Instant::now();
        let reply = admin
            .post(&format!("/api/v1/agents/{agent}/actions"), &json!({"action": "set_state", "state": "ready"}))
            .expect("a probe");
        writes_ms.push(written.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(reply.status, 200, "{}", reply.text);
        std::thread::sleep(Duration::from_millis(options.interval_ms));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut samples = Vec::with_capacity(probes);
    while samples.len() < probes && Instant::now() < deadline {
        if let Ok(ms) = samples_rx.recv_timeout(Duration::from_millis(200)) {
            samples.push(ms);
        }
    }
    samples.sort_by(f64::total_cmp);
    writes_ms.sort_by(f64::total_cmp);
    println!(
        "fan-out: {} of {probes} probes seen; command to event at the desktop: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         the write alone (REST reply from the leader): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        percentile(&samples, 1.0),
        percentile(&writes_ms, 0.5),
        percentile(&writes_ms, 0.99),
        percentile(&writes_ms, 1.0)
    );

    // Resync: SIGKILL side A; every desktop that used it comes back on B by itself.
    let on_a: Vec<usize> = (0..options.agents).step_by(2).collect();
    let killed_at = Instant::now();
    cluster.kill(1);
    let deadline = Instant::now() + Duration::from_secs(120);
    let back = loop {
        let back = on_a.iter().filter(|&&n| desks[n].lock().is_ok_and(|desk| desk.failed_over_at.is_some())).count();
        if back == on_a.len() || Instant::now() >= deadline {
            break back;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut times: Vec<f64> = on_a
        .iter()
        .filter_map(|&n| desks[n].lock().ok().and_then(|desk| desk.failed_over_at))
        .map(|at| at.duration_since(killed_at).as_secs_f64() * 1000.0)
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "resync after SIGKILL of side A: {back} of {} desktops back on B; p50 {:.0} ms, p99 {:.0} ms, slowest {:.0} ms",
        on_a.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0)
    );

    // Every desktop shows what the cluster says (read on B).
    let b = cluster.client(2);
    std::thread::sleep(Duration::from_secs(1));
    let checked: Vec<(u64, String, String)> = parallel(&b, options.agents, {
        let (agents, desks) = (agents.clone(), desks.clone());
        move |client, n| {
            let reply = client.get(&format!("/api/v1/agents/{}/status", agents[n])).expect("a status");
            let truth = reply.json["state"].as_str().unwrap_or_default().to_owned();
            let shown = desks[n].lock().map(|desk| desk.state.clone()).unwrap_or_default();
            (agents[n], truth, shown)
        }
    });
    let wrong: Vec<&(u64, String, String)> = checked.iter().filter(|(_, truth, shown)| truth != shown).collect();
    println!("{} desktops show a state other than the cluster's", wrong.len());
    for (agent, truth, shown) in wrong.iter().take(5) {
        println!("  agent {agent}: cluster {truth}, desktop {shown}");
    }

    let result = json!({
        "benchmark": "desktops",
        "csq": "one voice CSQ, every agent a resource of it",
        "cluster": "three nodes on loopback (A, B, witness), synced WAL; desktops split over A and B",
        "agents": options.agents,
        "fanout": {
            "probes": probes,
            "seen": samples.len(),
            "latency_ms": {"p50": percentile(&samples, 0.5), "p99": percentile(&samples, 0.99), "max": percentile(&samples, 1.0)},
            "write_ms": {"p50": percentile(&writes_ms, 0.5), "p99": percentile(&writes_ms, 0.99), "max": percentile(&writes_ms, 1.0)},
        },
        "resident_mib": {"a_before": before[0], "a_after": after[0], "b_before": before[1], "b_after": after[1]},
        "witness_resident_mib": {"before": witness_before, "after": witness_after},
        "kib_per_session": {"a": kib_per_session[0], "b": kib_per_session[1]},
        "kib_per_session_without_state": {"a": kib_per_session_alone[0], "b": kib_per_session_alone[1]},
        "resync": {
            "desktops_on_a": on_a.len(),
            "back_on_b": back,
            "ms_after_kill": {"p50": percentile(&times, 0.5), "p99": percentile(&times, 0.99), "max": percentile(&times, 1.0)},
            "desktops_out_of_sync": wrong.len(),
        },
        "note": "the sender, every desktop and the three nodes share this machine's 2 cores",
    });
    write_result(&options.out, &result);
    for client in &clients {
        client.close();
    }
}
