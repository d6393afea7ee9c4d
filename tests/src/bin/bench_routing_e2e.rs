//! End-to-end routing on the local three-node cluster (side A, side B, witness; synced WAL):
//! routed contacts per second with batched commands, and arrival-to-offer latency at a fixed
//! arrival rate.
//!
//! Run with `bench/routing-e2e` (or `target/debug/bench-routing-e2e --help`).
//!
//! - **Throughput**: closed-loop clients, each repeating: inject a batch of voice calls
//!   (`POST /api/v1/batch`), answer every offered call in one batch, end them in one batch.
//!   The cluster routes each call to the longest-available Ready agent as it applies the
//!   inject. Figure: calls offered to an agent per second, and commands applied per second.
//! - **Latency**: calls arrive one per request at a fixed rate (open loop, spread over both
//!   serving nodes); the arrival-to-offer latency is from sending the inject to receiving its
//!   answer, which carries the `ContactOffered` event (the offer is decided in the same apply
//!   and committed on a quorum). A handler thread answers and ends offered calls in batches so
//!   agents come back.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tandem_tests::{ApiClient, Cluster, RaftTuning};

struct Options {
    seconds: u64,
    clients: u32,
    batch: usize,
    agents: u64,
    rate: u64,
    snapshot_every: u64,
    phases: String,
    out: String,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        seconds: 10,
        clients: 4,
        batch: 500,
        agents: 4_000,
        rate: 1_000,
        snapshot_every: RaftTuning::fast().snapshot_every_entries,
        phases: "throughput,latency".into(),
        out: "bench/results/routing-e2e.json".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => options.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--clients" => options.clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?,
            "--batch" => options.batch = value()?.parse().map_err(|e| format!("--batch: {e}"))?,
            "--agents" => options.agents = value()?.parse().map_err(|e| format!("--agents: {e}"))?,
            "--rate" => options.rate = value()?.parse().map_err(|e| format!("--rate: {e}"))?,
            "--snapshot-every" => {
                options.snapshot_every = value()?.parse().map_err(|e| format!("--snapshot-every: {e}"))?
            }
            "--phases" => options.phases = value()?,
            "--out" => options.out = value()?,
            "--help" | "-h" => {
                return Err("bench-routing-e2e [--seconds 10] [--clients 4] [--batch 500] [--agents 4000] \
                            [--rate 1000] [--snapshot-every 10000] [--phases throughput,latency] \
                            [--out bench/results/routing-e2e.json]"
                    .into())
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    if options.batch == 0 || options.batch > 1000 || options.clients == 0 || options.agents == 0 || options.rate == 0 {
        return Err("--batch must be 1 to 1000; --clients, --agents and --rate at least 1".into());
    }
    Ok(options)
}

fn batch(client: &ApiClient, items: Vec<Value>) -> Result<Vec<Value>, String> {
    let reply = client.post("/api/v1/batch", &json!({ "items": items }))?;
    if reply.status != 200 {
        return Err(format!("batch: HTTP {} {}", reply.status, reply.text));
    }
    Ok(reply.json["results"].as_array().cloned().unwrap_or_default())
}

/// (contact, agent) of every offer in the results.
fn offers(results: &[Value]) -> Vec<(u64, u64)> {
    results
        .iter()
        .flat_map(|result| result["events"].as_array().cloned().unwrap_or_default())
        .filter_map(|event| {
            let offer = event.get("ContactOffered")?;
            Some((offer["contact"].as_u64()?, offer["agent"].as_u64()?))
        })
        .collect()
}

fn errors(results: &[Value]) -> usize {
    results.iter().filter(|result| result.get("error").is_some()).count()
}

fn setup(client: &ApiClient, agents: u64) -> u64 {
    let skill =
        client.post("/api/v1/skills", &json!({"name": "Calls"})).expect("skill").json["id"].as_u64().expect("id");
    let csq = client
        .post(
            "/api/v1/csqs",
            &json!({"name": "Calls", "channel": "voice", "selection": "longest_available",
                "skills": [{"skill": skill, "min_competence": 1}]}),
        )
        .expect("csq")
        .json["id"]
        .as_u64()
        .expect("csq id");
    // Agents are created by 8 parallel clients (creation is an admin write, one per request).
    let creators: Vec<_> = (0..8u64)
        .map(|creator| {
            let client = client.clone();
            thread::spawn(move || {
                (1..=agents)
                    .filter(|n| n % 8 == creator)
                    .map(|n| {
                        let body = json!({"login_name": format!("e2e{n}"), "name": format!("Agent {n}"),
                            "skills": [{"skill": skill, "competence": 1 + n % 10}]});
                        let reply = client.post("/api/v1/agents", &body).expect("agent");
                        assert_eq!(reply.status, 201, "{}", reply.text);
                        reply.json["id"].as_u64().expect("agent id")
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut ids: Vec<u64> = creators.into_iter().flat_map(|c| c.join().expect("agent creator")).collect();
    ids.sort_unstable();
    for state in ["login", "ready"] {
        for chunk in ids.chunks(1000) {
            let items = chunk
                .iter()
                .map(|&agent| json!({"agent": agent, "action": {"action": "set_state", "state": state}}))
                .collect();
            let results = batch(client, items).expect("agent states");
            assert_eq!(errors(&results), 0, "{results:?}");
        }
    }
    csq
}

/// Answers and ends the offered calls in two batches; agents end Ready (wrap-up optional).
fn handle(client: &ApiClient, offered: &[(u64, u64)]) -> Result<u64, String> {
    if offered.is_empty() {
        return Ok(0);
    }
    let answers =
        offered.iter().map(|&(_, agent)| json!({"agent": agent, "action": {"action": "answer_call"}})).collect();
    let answered = batch(client, answers)?;
    let ends = offered.iter().map(|&(_, agent)| json!({"agent": agent, "action": {"action": "end_call"}})).collect();
    let ended = batch(client, ends)?;
    let failed = errors(&answered) + errors(&ended);
    if failed > 0 {
        return Err(format!(
            "{failed} answer/end actions refused, e.g. {:?}",
            answered.iter().chain(&ended).find(|r| r.get("error").is_some())
        ));
    }
    // Agents whose call ended in wrap-up go Ready again.
    let wrap_ups: Vec<Value> = ended
        .iter()
        .flat_map(|result| result["events"].as_array().cloned().unwrap_or_default())
        .filter_map(|event| {
            let changed = event.get("AgentStateChanged")?;
            let state = changed["state"].as_str()?;
            (state != "ready")
                .then(|| json!({"agent": changed["agent"], "action": {"action": "set_state", "state": "ready"}}))
        })
        .collect();
    let commands = (answered.len() + ended.len() + wrap_ups.len()) as u64;
    if !wrap_ups.is_empty() {
        batch(client, wrap_ups)?;
    }
    Ok(commands)
}

fn throughput(cluster: &Cluster, csq: u64, options: &Options) -> Value {
    let stop = Arc::new(AtomicBool::new(false));
    let routed = Arc::new(AtomicU64::new(0));
    let commands = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..options.clients)
        .map(|worker| {
            let client = cluster.client(1 + u64::from(worker % 2));
            let (stop, routed, commands) = (stop.clone(), routed.clone(), commands.clone());
            let size = options.batch;
            thread::spawn(move || -> Result<(), String> {
                while !stop.load(Ordering::Relaxed) {
                    let injects = (0..size).map(|_| json!({"inject": {"channel": "voice", "csq": csq}})).collect();
                    let results = batch(&client, injects)?;
                    let offered = offers(&results);
                    routed.fetch_add(offered.len() as u64, Ordering::Relaxed);
                    let handled = handle(&client, &offered)?;
                    commands.fetch_add(size as u64 + handled, Ordering::Relaxed);
                    // Calls no agent could take wait in the queue; their customers hang up.
                    let taken: BTreeSet<u64> = offered.iter().map(|&(contact, _)| contact).collect();
                    let left: Vec<Value> = results
                        .iter()
                        .filter_map(|result| result["contact"].as_u64())
                        .filter(|contact| !taken.contains(contact))
                        .map(|contact| json!({"contact": contact, "action": {"action": "customer_left"}}))
                        .collect();
                    if !left.is_empty() {
                        commands.fetch_add(left.len() as u64, Ordering::Relaxed);
                        batch(&client, left)?;
                    }
                }
                Ok(())
            })
        })
        .collect();
    thread::sleep(Duration::from_secs(options.seconds));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        if let Ok(Err(error)) = worker.join() {
            eprintln!("a throughput client failed: {error}");
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let routed = routed.load(Ordering::Relaxed);
    let commands = commands.load(Ordering::Relaxed);
    println!(
        "throughput: {:.0} calls routed/s, {:.0} commands/s ({} clients, batches of {}, {:.1} s)",
        routed as f64 / elapsed,
        commands as f64 / elapsed,
        options.clients,
        options.batch,
        elapsed
    );
    json!({"routed_per_s": routed as f64 / elapsed, "commands_per_s": commands as f64 / elapsed,
        "routed": routed, "commands": commands, "seconds": elapsed, "clients": options.clients, "batch": options.batch})
}

fn latency(cluster: &Cluster, csq: u64, options: &Options) -> Value {
    let (offered_tx, offered_rx) = mpsc::channel::<(u64, u64)>();
    let stop = Arc::new(AtomicBool::new(false));
    let handler = {
        let client = cluster.client(1);
        let stop = stop.clone();
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(20));
                let offered: Vec<(u64, u64)> = offered_rx.try_iter().collect();
                if let Err(error) = handle(&client, &offered) {
                    eprintln!("latency handler: {error}");
                }
            }
        })
    };
    let senders = 8u64;
    let per_sender_interval = Duration::from_secs_f64(senders as f64 / options.rate as f64);
    let total = options.rate * options.seconds;
    let started = Instant::now();
    let threads: Vec<_> = (0..senders)
        .map(|sender| {
            let client = cluster.client(1 + sender % 2);
            let offered_tx = offered_tx.clone();
            let count = total / senders;
            thread::spawn(move || {
                let mut samples = Vec::with_capacity(count as usize);
                let mut not_routed = 0u64;
                let origin = Instant::now() + per_sender_interval.mul_f64(sender as f64 / senders as f64);
                for k in 0..count {
                    let due = origin + per_sender_interval * k as u32;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        thread::sleep(wait);
                    }
                    // Open loop: latency counts from when the call was due to arrive.
                    let reply = client.post("/api/v1/contacts", &json!({"channel": "voice", "csq": csq}));
                    let elapsed = due.elapsed();
                    match reply {
                        Ok(reply) if reply.status == 201 => {
                            let offered = offers(std::slice::from_ref(&reply.json));
                            match offered.first() {
                                Some(&offer) => {
                                    samples.push(elapsed);
                                    let _ = offered_tx.send(offer);
                                }
                                None => not_routed += 1,
                            }
                        }
                        _ => not_routed += 1,
                    }
                }
                (samples, not_routed)
            })
        })
        .collect();
    drop(offered_tx);
    let mut samples = Vec::new();
    let mut not_routed = 0;
    for thread in threads {
        if let Ok((mut part, missed)) = thread.join() {
            samples.append(&mut part);
            not_routed += missed;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let _ = handler.join();
    samples.sort();
    let at = |q: f64| {
        samples.get(((samples.len().max(1) - 1) as f64 * q).round() as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let achieved = samples.len() as f64 / elapsed;
    println!(
        "latency at {} calls/s offered ({achieved:.0}/s achieved): arrival-to-offer p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {not_routed} not routed at once",
        options.rate,
        at(0.5),
        at(0.99),
        at(1.0)
    );
    json!({"rate_per_s": options.rate, "achieved_per_s": achieved, "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0),
        "samples": samples.len(), "not_routed_at_once": not_routed})
}

/// Resident memory of each node's process, in MiB, from /proc.
fn resident_mib(cluster: &Cluster) -> Value {
    let mut nodes = serde_json::Map::new();
    for id in cluster.ids() {
        nodes.insert(format!("node {id}"), json!(cluster.node(id).resident_mib()));
    }
    Value::Object(nodes)
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let tuning = RaftTuning { snapshot_every_entries: options.snapshot_every, ..RaftTuning::fast() };
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], tuning);
    let leader = cluster.start_all();
    println!("three-node cluster up (leader: node {leader}); creating {} agents", options.agents);
    let csq = setup(&cluster.client(1), options.agents);
    let resident_after_setup = resident_mib(&cluster);
    println!("{} agents logged in and Ready; resident memory per node (MiB): {resident_after_setup}", options.agents);
    let phases: Vec<&str> = options.phases.split(',').map(str::trim).collect();
    let throughput = if phases.contains(&"throughput") { throughput(&cluster, csq, &options) } else { Value::Null };
    let latency = if phases.contains(&"latency") { latency(&cluster, csq, &options) } else { Value::Null };
    let result = json!({
        "benchmark": "routing-e2e",
        "cluster": "three nodes on loopback (A, B, witness), synced WAL, mutual TLS between nodes",
        "agents": options.agents,
        "snapshot_every_entries": options.snapshot_every,
        "resident_mib_after_setup": resident_after_setup,
        "resident_mib_at_end": resident_mib(&cluster),
        "throughput": throughput,
        "latency": latency,
    });
    if let Some(parent) = std::path::Path::new(&options.out).parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    match std::fs::write(&options.out, serde_json::to_string_pretty(&result).unwrap_or_default()) {
        Ok(()) => println!("wrote {}", options.out),
        Err(error) => eprintln!("writing {}: {error}", options.out),
    }
}
