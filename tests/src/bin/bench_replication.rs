//! Replicated-write benchmark: Tandem's three-node cluster against etcd 3.4's, side by side in
//! one run on the same loopback, then Tandem's failover time over repeated leader kills.
//!
//! Both systems fsync their write-ahead log before acknowledging, both get three members on
//! 127.0.0.1, and both are driven by the same closed-loop HTTP/1.1 JSON clients spread over two
//! members (followers forward to the leader in both). A Tandem write is a realistic admin
//! change (an agent update); an etcd write is a key put through its JSON gateway.
//!
//! Run: `bench/run` (or `cargo run -p tandem-tests --bin bench-replication -- --help`).
//! Prints a table and writes `bench/results/replication.json`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tandem_tests::{free_port, wait_until, Body, Cluster, Method, RaftTuning};

struct Options {
    seconds: u64,
    concurrency: Vec<u32>,
    failover_runs: u32,
    out: PathBuf,
    etcd: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        seconds: 10,
        concurrency: vec![16, 64],
        failover_runs: 10,
        out: PathBuf::from("bench/results/replication.json"),
        etcd: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => options.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--concurrency" => {
                options.concurrency = value()?
                    .split(',')
                    .map(|c| c.trim().parse::<u32>().map_err(|e| format!("--concurrency: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--failover-runs" => {
                options.failover_runs = value()?.parse().map_err(|e| format!("--failover-runs: {e}"))?
            }
            "--out" => options.out = PathBuf::from(value()?),
            "--no-etcd" => options.etcd = false,
            "--help" | "-h" => {
                return Err("usage: bench-replication [--seconds 10] [--concurrency 16,64] [--failover-runs 10] \
                     [--out bench/results/replication.json] [--no-etcd]"
                    .into())
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    if options.concurrency.iter().any(|c| *c == 0 || *c > 256) {
        return Err("--concurrency values must be 1 to 256".into());
    }
    Ok(options)
}

/// Latency figures of one load run.
#[derive(Debug, Clone)]
struct LoadResult {
    concurrency: u32,
    write_count: u64,
    error_count: u64,
    writes_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl LoadResult {
    fn to_json(&self) -> Value {
        json!({
            "concurrency": self.concurrency, "writes": self.write_count, "errors": self.error_count,
            "writes_per_second": round(self.writes_per_second), "p50_ms": round(self.p50_ms), "p99_ms": round(self.p99_ms)
        })
    }
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Runs `concurrency` closed-loop writers for `seconds`; `write(worker, sequence)` does one write.
fn closed_loop(
    concurrency: u32,
    seconds: u64,
    write: Arc<dyn Fn(u32, u64) -> Result<(), String> + Send + Sync>,
) -> LoadResult {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let stop = stop.clone();
            let write = write.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut error_count = 0u64;
                let mut sequence = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let begun = Instant::now();
                    match write(worker, sequence) {
                        Ok(()) => latencies.push(begun.elapsed()),
                        Err(_) => error_count += 1,
                    }
                    sequence += 1;
                }
                (latencies, error_count)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    let mut error_count = 0;
    for worker in workers {
        let (mut own, errors) = worker.join().unwrap_or_default();
        latencies.append(&mut own);
        error_count += errors;
    }
    latencies.sort();
    LoadResult {
        concurrency,
        write_count: latencies.len() as u64,
        error_count,
        writes_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
    }
}

fn tandem_cluster() -> Cluster {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    cluster.start_all();
    cluster
}

fn tandem_load(cluster: &Cluster, concurrency: u32, seconds: u64) -> LoadResult {
    let clients = [cluster.client(1), cluster.client(2)];
    let skill = clients[0].post("/api/v1/skills", &json!({ "name": format!("bench-skill-{concurrency}") }));
    let skill_id = skill.ok().and_then(|r| r.json["id"].as_u64()).unwrap_or(1);
    let mut agent_ids = Vec::new();
    for worker in 0..concurrency {
        let body = json!({ "login_name": format!("bench-{concurrency}-{worker}"), "name": "Bench Agent",
            "skills": [{ "skill": skill_id, "competence": 5 }] });
        let reply = clients[(worker % 2) as usize].post("/api/v1/agents", &body).expect("creating a bench agent");
        assert_eq!(reply.status, 201, "creating a bench agent: {}", reply.text);
        agent_ids.push(reply.json["id"].as_u64().unwrap_or(0));
    }
    let clients = Arc::new(clients);
    let agent_ids = Arc::new(agent_ids);
    closed_loop(
        concurrency,
        seconds,
        Arc::new(move |worker, sequence| {
            let client = &clients[(worker % 2) as usize];
            let id = agent_ids[worker as usize];
            let body = json!({ "login_name": format!("bench-{concurrency}-{worker}"), "name": "Bench Agent",
                "alias": format!("update {sequence}"), "skills": [{ "skill": skill_id, "competence": 1 + sequence % 10 }] });
            let reply = client.send(Method::PUT, &format!("/api/v1/agents/{id}"), &Body::Json(body), None)?;
            if reply.status == 200 {
                Ok(())
            } else {
                Err(format!("HTTP {}", reply.status))
            }
        }),
    )
}

/// Three etcd members on loopback, killed on drop.
struct Etcd {
    children: Vec<Child>,
    client_urls: Vec<String>,
    _root: tempfile::TempDir,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        for child in &mut self.children {
            // Already-exited children are fine; wait() reaps either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn etcd_cluster() -> Result<Etcd, String> {
    let root = tempfile::Builder::new().prefix("tandem-bench-etcd-").tempdir().map_err(|e| e.to_string())?;
    let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let initial = ports
        .iter()
        .enumerate()
        .map(|(i, (_, peer))| format!("e{i}=http://127.0.0.1:{peer}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut children = Vec::new();
    let mut client_urls = Vec::new();
    for (i, (client, peer)) in ports.iter().enumerate() {
        let log = std::fs::File::create(root.path().join(format!("e{i}.log"))).map_err(|e| e.to_string())?;
        let child = Command::new("etcd")
            .args([
                "--name",
                &format!("e{i}"),
                "--data-dir",
                &root.path().join(format!("e{i}")).display().to_string(),
                "--listen-client-urls",
                &format!("http://127.0.0.1:{client}"),
                "--advertise-client-urls",
                &format!("http://127.0.0.1:{client}"),
                "--listen-peer-urls",
                &format!("http://127.0.0.1:{peer}"),
                "--initial-advertise-peer-urls",
                &format!("http://127.0.0.1:{peer}"),
                "--initial-cluster",
                &initial,
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                "tandem-bench",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| {
                format!("starting etcd (install Debian's etcd-server: TANDEM_WITH_ETCD=1 scripts/setup-debian): {e}")
            })?;
        children.push(child);
        client_urls.push(format!("http://127.0.0.1:{client}"));
    }
    let etcd = Etcd { children, client_urls, _root: root };
    let http = reqwest::blocking::Client::new();
    for url in &etcd.client_urls {
        wait_until(Duration::from_secs(30), "etcd member health", || {
            let reply = http.get(format!("{url}/health")).send().map_err(|e| e.to_string())?;
            let body: Value = reply.json().map_err(|e| e.to_string())?;
            if body["health"] == "true" {
                Ok(())
            } else {
                Err(body.to_string())
            }
        });
    }
    Ok(etcd)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn etcd_load(etcd: &Etcd, concurrency: u32, seconds: u64) -> LoadResult {
    let urls = Arc::new([etcd.client_urls[0].clone(), etcd.client_urls[1].clone()]);
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().expect("HTTP client");
    closed_loop(
        concurrency,
        seconds,
        Arc::new(move |worker, sequence| {
            let url = format!("{}/v3/kv/put", urls[(worker % 2) as usize]);
            let body = json!({ "key": base64(format!("bench/{worker}").as_bytes()),
                "value": base64(format!("update {sequence}").as_bytes()) });
            let reply = http.post(url).json(&body).send().map_err(|e| e.to_string())?;
            if reply.status().is_success() {
                Ok(())
            } else {
                Err(format!("HTTP {}", reply.status()))
            }
        }),
    )
}

/// Kills the leader and times until a write through a surviving side-A/B node succeeds.
fn failover_runs(cluster: &mut Cluster, runs: u32) -> Vec<f64> {
    let mut gaps_ms = Vec::new();
    for run in 0..runs {
        let leader = cluster.wait_for_leader();
        let survivor = [1, 2].into_iter().find(|id| *id != leader).unwrap_or(1);
        let client = cluster.client(survivor);
        cluster.kill(leader);
        let killed = Instant::now();
        let mut attempt = 0u64;
        loop {
            let body = json!({ "name": format!("failover-{run}-{attempt}") });
            if let Ok(reply) = client.post_with_key("/api/v1/skills", &body, &format!("failover-{run}-{attempt}")) {
                if reply.status == 201 {
                    break;
                }
            }
            attempt += 1;
            if killed.elapsed() > Duration::from_secs(30) {
                panic!("no successful write within 30 s of killing node {leader}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let gap = killed.elapsed().as_secs_f64() * 1000.0;
        println!("  failover {}/{runs}: killed node {leader}, first write after {gap:.0} ms", run + 1);
        gaps_ms.push(gap);
        cluster.start(leader);
        cluster.wait_healthy(leader);
        std::thread::sleep(Duration::from_secs(2));
    }
    gaps_ms
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    println!("Replicated writes, 3 members on loopback, synced WAL, {} s per run", options.seconds);
    let mut rows = Vec::new();
    let mut cluster = tandem_cluster();
    let etcd = if options.etcd { Some(etcd_cluster().unwrap_or_else(|e| panic!("{e}"))) } else { None };
    for &concurrency in &options.concurrency {
        let tandem = tandem_load(&cluster, concurrency, options.seconds);
        let etcd_result = etcd.as_ref().map(|etcd| etcd_load(etcd, concurrency, options.seconds));
        rows.push((tandem, etcd_result));
    }
    drop(etcd);
    println!(
        "{:>11} {:>14} {:>9} {:>9} {:>14} {:>9} {:>9} {:>7}",
        "clients", "tandem w/s", "p50 ms", "p99 ms", "etcd w/s", "p50 ms", "p99 ms", "ratio"
    );
    for (tandem, etcd) in &rows {
        let (etcd_rate, etcd_p50, etcd_p99) =
            etcd.as_ref().map(|e| (e.writes_per_second, e.p50_ms, e.p99_ms)).unwrap_or_default();
        let ratio = if etcd_rate > 0.0 { tandem.writes_per_second / etcd_rate } else { 0.0 };
        println!(
            "{:>11} {:>14.0} {:>9.1} {:>9.1} {:>14.0} {:>9.1} {:>9.1} {:>7.2}",
            tandem.concurrency,
            tandem.writes_per_second,
            tandem.p50_ms,
            tandem.p99_ms,
            etcd_rate,
            etcd_p50,
            etcd_p99,
            ratio
        );
    }
    println!("Failover: SIGKILL the leader, time to the first successful write ({} runs)", options.failover_runs);
    let mut gaps = failover_runs(&mut cluster, options.failover_runs);
    gaps.sort_by(f64::total_cmp);
    let median = gaps.get(gaps.len() / 2).copied().unwrap_or(0.0);
    let max = gaps.last().copied().unwrap_or(0.0);
    println!("  median {median:.0} ms, max {max:.0} ms");

    let result = json!({
        "benchmark": "replication",
        "command": "bench/run",
        "machine": { "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        "build": "dev profile: workspace opt-level 1 with debug assertions, dependencies opt-level 3",
        "seconds_per_run": options.seconds,
        "tandem": rows.iter().map(|(t, _)| t.to_json()).collect::<Vec<_>>(),
        "etcd": rows.iter().filter_map(|(_, e)| e.as_ref().map(LoadResult::to_json)).collect::<Vec<_>>(),
        "ratio_tandem_over_etcd": rows.iter().filter_map(|(t, e)| e.as_ref().map(|e| round(t.writes_per_second / e.writes_per_second.max(1e-9)))).collect::<Vec<_>>(),
        "failover_ms": { "runs": gaps.iter().map(|g| round(*g)).collect::<Vec<_>>(), "median": round(median), "max": round(max) },
    });
    if let Some(parent) = options.out.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    match std::fs::write(&options.out, serde_json::to_string_pretty(&result).unwrap_or_default() + "\n") {
        Ok(()) => println!("wrote {}", options.out.display()),
        Err(e) => eprintln!("writing {}: {e}", options.out.display()),
    }
}
