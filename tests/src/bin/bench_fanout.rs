//! Event fan-out to desktops: with N sessions connected through the client library (half on
//! side A, half on side B), how long from submitting a command to its event reaching every
//! desktop, and how much memory a connected session costs a node.
//!
//! Run with `bench/fanout` (or `target/debug/bench-fanout --sessions 10000 --probes 20`).
//!
//! Every session is an administrator's (a supervisor of everything), so every probe event goes
//! to every session: the worst case of fan-out, one event × N deliveries. A probe is a skill
//! created over REST on the leader; a session records when the `SkillCreated` event for it
//! arrives. Latency is measured in this one process (sender and receivers share the clock).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use tandem_client::{Client, Credentials, Profile, Update};
use tandem_tests::bench::{options_or_exit, percentile, write_result};
use tandem_tests::{Cluster, RaftTuning};

struct Options {
    sessions: usize,
    probes: usize,
    interval_ms: u64,
    out: String,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options { sessions: 1_000, probes: 20, interval_ms: 250, out: String::new() };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--sessions" => options.sessions = value()?.parse().map_err(|e| format!("--sessions: {e}"))?,
            "--probes" => options.probes = value()?.parse().map_err(|e| format!("--probes: {e}"))?,
            "--interval-ms" => options.interval_ms = value()?.parse().map_err(|e| format!("--interval-ms: {e}"))?,
            "--out" => options.out = value()?,
            "--help" | "-h" => {
                return Err("usage: bench-fanout [--sessions 1000] [--probes 20] [--interval-ms 250] \
                            [--out bench/results/fanout-<sessions>.json]"
                    .into())
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    if options.sessions == 0 || options.probes == 0 {
        return Err("--sessions and --probes must be at least 1".into());
    }
    if options.out.is_empty() {
        options.out = format!("bench/results/fanout-{}.json", options.sessions);
    }
    Ok(options)
}

fn resident_mib(cluster: &Cluster, id: u64) -> f64 {
    cluster.node(id).resident_mib().unwrap_or(f64::NAN)
}

fn main() {
    let options = options_or_exit(parse_options);
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    let leader = cluster.start_all();
    // The witness serves no clients (and may win an election, issue 16): then write through
    // side B, which forwards to it.
    let admin = cluster.client(if leader == 3 { 2 } else { leader });
    let urls: Vec<String> = [1, 2]
        .iter()
        .map(|&id| format!("{}/api/v1/cti", cluster.client(id).base_url().replacen("http://", "ws://", 1)))
        .collect();
    let before = [resident_mib(&cluster, 1), resident_mib(&cluster, 2)];
    println!("three-node cluster up (leader {leader}); connecting {} sessions", options.sessions);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; options.probes]));
    let (samples_tx, samples_rx) = std::sync::mpsc::channel::<(usize, f64)>();
    let token = cluster.token().to_owned();
    let connected_at = Instant::now();
    let clients: Vec<Client> = rt.block_on(async {
        futures::stream::iter(0..options.sessions)
            .map(|n| {
                let (primary, secondary) = (urls[n % 2].clone(), urls[(n + 1) % 2].clone());
                let credentials = Credentials { login: String::new(), password: token.clone() };
                let (sent, samples) = (sent.clone(), samples_tx.clone());
                async move {
                    let (client, mut updates) =
                        Client::connect(Profile::new(primary, Some(secondary)), credentials).await.expect("a session");
                    tokio::spawn(async move {
                        while let Some(update) = updates.recv().await {
                            let Update::Event { event, .. } = update else { continue };
                            let Some(name) = event["SkillCreated"]["name"].as_str() else { continue };
                            let Some(probe) = name.strip_prefix("probe-").and_then(|n| n.parse::<usize>().ok()) else {
                                continue;
                            };
                            let at = sent.lock().ok().and_then(|sent| sent.get(probe).copied().flatten());
                            if let Some(at) = at {
                                let _ = samples.send((probe, at.elapsed().as_secs_f64() * 1000.0));
                            }
                        }
                    });
                    client
                }
            })
            .buffer_unordered(64)
            .collect()
            .await
    });
    drop(samples_tx);
    println!("{} sessions connected in {:.1} s", clients.len(), connected_at.elapsed().as_secs_f64());
    std::thread::sleep(Duration::from_secs(2));
    let after = [resident_mib(&cluster, 1), resident_mib(&cluster, 2)];
    let per_node = options.sessions as f64 / 2.0;
    let kib_per_session: Vec<f64> = (0..2).map(|i| (after[i] - before[i]) * 1024.0 / per_node).collect();
    println!(
        "resident MiB before/after: A {:.0} → {:.0}, B {:.0} → {:.0} ({:.1} / {:.1} KiB per session)",
        before[0], after[0], before[1], after[1], kib_per_session[0], kib_per_session[1]
    );

    for probe in 0..options.probes {
        if let Ok(mut sent) = sent.lock() {
            sent[probe] = Some(Instant::now());
        }
        let reply = admin.post("/api/v1/skills", &json!({"name": format!("probe-{probe}")})).expect("a probe");
        assert_eq!(reply.status, 201, "{}", reply.text);
        std::thread::sleep(Duration::from_millis(options.interval_ms));
    }
    let expected = options.probes * options.sessions;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut samples = Vec::with_capacity(expected);
    let mut last_per_probe = vec![0f64; options.probes];
    while samples.len() < expected && Instant::now() < deadline {
        if let Ok((probe, ms)) = samples_rx.recv_timeout(Duration::from_millis(200)) {
            last_per_probe[probe] = last_per_probe[probe].max(ms);
            samples.push(ms);
        }
    }
    samples.sort_by(f64::total_cmp);
    last_per_probe.sort_by(f64::total_cmp);
    let delivered = samples.len();
    println!(
        "{delivered} of {expected} deliveries; command to event at a desktop: min {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         to the last desktop per probe: p50 {:.1} ms, max {:.1} ms",
        percentile(&samples, 0.0),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        percentile(&samples, 1.0),
        percentile(&last_per_probe, 0.5),
        percentile(&last_per_probe, 1.0)
    );
    let result = json!({
        "benchmark": "fanout",
        "cluster": "three nodes on loopback (A, B, witness), synced WAL; sessions split over A and B",
        "sessions": options.sessions,
        "probes": options.probes,
        "deliveries": delivered,
        "deliveries_expected": expected,
        "latency_ms": {"min": percentile(&samples, 0.0), "p50": percentile(&samples, 0.5), "p99": percentile(&samples, 0.99), "max": percentile(&samples, 1.0)},
        "last_desktop_per_probe_ms": {"p50": percentile(&last_per_probe, 0.5), "max": percentile(&last_per_probe, 1.0)},
        "resident_mib": {"a_before": before[0], "a_after": after[0], "b_before": before[1], "b_after": after[1]},
        "kib_per_session": {"a": kib_per_session[0], "b": kib_per_session[1]},
        "note": "sender and receivers share one process and its 2 cores with the three nodes",
    });
    write_result(&options.out, &result);
    for client in &clients {
        client.close();
    }
}
