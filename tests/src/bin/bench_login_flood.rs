//! A password-guessing flood against logged-in desktops (the hardening issue's target: 1,000
//! wrong-password logins per second from one address must not slow logged-in desktops, their
//! command-to-event p99 unchanged within 20 %).
//!
//! Three nodes on loopback with the default login limits. N agents log in through the client
//! library (half on side A, half on side B). Probes change agents' states over REST and each
//! agent's desktop times the event; first with no flood, then while other threads, from
//! another loopback address (127.0.0.2), send wrong passwords for one user to side A at a fixed
//! rate, open loop. Prints both latency distributions, their ratio, what the flood was answered
//! and how long a legitimate password login took during it, and writes
//! `bench/results/login-flood.json`.
//!
//! Run with `bench/login-flood` (or `target/debug/bench-login-flood --rate 1000`).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use tandem_client::{Client, Credentials, Profile, Update};
use tandem_tests::bench::{options_or_exit, percentile, write_result};
use tandem_tests::{created_id, Cluster, RaftTuning};

const PASSWORD: &str = "bench desk password";
/// Threads sending the flood; each paces its share of the rate.
const FLOOD_THREADS: usize = 8;
/// Where the flood comes from: another loopback address than the desktops'.
const FLOOD_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// Desktop logins in flight at once.
const LOGINS_IN_FLIGHT: usize = 16;
/// The flood runs this long before the measured probes, so its burst and the lockout are past.
const FLOOD_WARM_UP: Duration = Duration::from_secs(2);

struct Options {
    agents: usize,
    probes: usize,
    interval_ms: u64,
    rate: u64,
    out: String,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        agents: 100,
        probes: 1_000,
        interval_ms: 10,
        rate: 1_000,
        out: "bench/results/login-flood.json".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--agents" => options.agents = value()?.parse().map_err(|e| format!("--agents: {e}"))?,
            "--probes" => options.probes = value()?.parse().map_err(|e| format!("--probes: {e}"))?,
            "--interval-ms" => options.interval_ms = value()?.parse().map_err(|e| format!("--interval-ms: {e}"))?,
            "--rate" => options.rate = value()?.parse().map_err(|e| format!("--rate: {e}"))?,
            "--out" => options.out = value()?,
            "--help" | "-h" => {
                return Err("usage: bench-login-flood [--agents 100] [--probes 1000] [--interval-ms 10] [--rate 1000] \
                            [--out bench/results/login-flood.json]"
                    .into())
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    // The desktops log in from one address too, under the default limit: a burst of 50 per node.
    if !(2..=100).contains(&options.agents) || options.probes == 0 || options.rate == 0 {
        return Err(
            "--agents must be 2 to 100 (the default login burst of two nodes), --probes and --rate at least 1".into()
        );
    }
    Ok(options)
}

/// What the flood was answered, by code.
#[derive(Default)]
struct FloodCounts {
    by_code: Mutex<BTreeMap<String, u64>>,
    sent: AtomicU64,
}

/// Sends wrong passwords for `login` to `url` at `rate` per second across the threads until
/// `stop`, open loop (a late request is sent at once, never skipped).
fn flood(
    url: String,
    login: &'static str,
    rate: u64,
    stop: Arc<AtomicBool>,
    counts: Arc<FloodCounts>,
) -> Vec<std::thread::JoinHandle<()>> {
    let interval = Duration::from_secs_f64(FLOOD_THREADS as f64 / rate as f64);
    (0..FLOOD_THREADS)
        .map(|thread| {
            let (url, stop, counts) = (url.clone(), stop.clone(), counts.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .local_address(FLOOD_ADDRESS)
                    .timeout(Duration::from_secs(5))
                    .build()
                    .expect("an HTTP client");
                let mut due = Instant::now() + interval.mul_f64(thread as f64 / FLOOD_THREADS as f64);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    due += interval;
                    n += 1;
                    let body = json!({"login": login, "password": format!("guess {thread} {n}")});
                    let code = match http.post(&url).json(&body).send() {
                        Ok(response) => {
                            let value: serde_json::Value = response.json().unwrap_or_default();
                            value["code"].as_str().unwrap_or("none").to_owned()
                        }
                        Err(error) if error.is_timeout() => "timeout".to_owned(),
                        Err(_) => "transport".to_owned(),
                    };
                    counts.sent.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut by_code) = counts.by_code.lock() {
                        *by_code.entry(code).or_default() += 1;
                    }
                }
            })
        })
        .collect()
}

/// A probe waiting for its event: the phase it belongs to, the state set, when.
type Sent = Arc<Mutex<BTreeMap<u64, (usize, String, Instant)>>>;

fn main() {
    let options = options_or_exit(parse_options);
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    let leader = cluster.start_all();
    let admin = cluster.client(if leader == 3 { 2 } else { leader });
    let urls: Vec<String> = [1, 2]
        .iter()
        .map(|&id| format!("{}/api/v1/cti", cluster.client(id).base_url().replacen("http://", "ws://", 1)))
        .collect();

    let skill = created_id(&admin, "/api/v1/skills", json!({"name": "General"}));
    let csq = json!({"name": "General", "channel": "voice", "selection": "longest_available",
                     "skills": [{"skill": skill, "min_competence": 1}]});
    created_id(&admin, "/api/v1/csqs", csq);
    let mut agents = Vec::new();
    for n in 0..=options.agents {
        let agent = created_id(
            &admin,
            "/api/v1/agents",
            json!({"login_name": format!("agent{n:05}"), "name": format!("Agent {n}"),
                   "skills": [{"skill": skill, "competence": 5}]}),
        );
        let login = if n == options.agents { "victim".to_owned() } else { format!("user{n:05}") };
        created_id(
            &admin,
            "/api/v1/users",
            json!({"login_name": login, "role": "agent", "agent": agent, "password": PASSWORD}),
        );
        agents.push(agent);
    }
    agents.pop();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let sent: Sent = Arc::new(Mutex::new(BTreeMap::new()));
    let (samples_tx, samples_rx) = std::sync::mpsc::channel::<(usize, f64)>();
    let clients: Vec<Client> = rt.block_on(async {
        futures::stream::iter(0..options.agents)
            .map(|n| {
                let (primary, secondary) = (urls[n % 2].clone(), urls[(n + 1) % 2].clone());
                let credentials = Credentials { login: format!("user{n:05}"), password: PASSWORD.into() };
                let (sent, samples, agent) = (sent.clone(), samples_tx.clone(), agents[n]);
                async move {
                    let (client, mut updates) =
                        Client::connect(Profile::new(primary, Some(secondary)), credentials).await.expect("a session");
                    tokio::spawn(async move {
                        while let Some(update) = updates.recv().await {
                            let Update::Event { event, .. } = update else { continue };
                            let Some(change) = event.get("AgentStateChanged") else { continue };
                            if change["agent"].as_u64() != Some(agent) {
                                continue;
                            }
                            let state = change["state"].as_str().unwrap_or_default();
                            let Ok(mut sent) = sent.lock() else { continue };
                            if sent.get(&agent).is_some_and(|(_, expected, _)| expected == state) {
                                if let Some((phase, _, at)) = sent.remove(&agent) {
                                    let _ = samples.send((phase, at.elapsed().as_secs_f64() * 1000.0));
                                }
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
    println!("{} desktops logged in", clients.len());

    // Probe k sets agent k mod N to ready or not ready, alternating by round.
    let probe = |phase: usize, k: usize| {
        let agent = agents[k % agents.len()];
        let state = if (k / agents.len()).is_multiple_of(2) { "ready" } else { "not_ready" };
        if let Ok(mut sent) = sent.lock() {
            sent.insert(agent, (phase, state.to_owned(), Instant::now()));
        }
        let reply = admin
            .post(&format!("/api/v1/agents/{agent}/actions"), &json!({"action": "set_state", "state": state}))
            .expect("a probe");
        assert_eq!(reply.status, 200, "{}", reply.text);
        std::thread::sleep(Duration::from_millis(options.interval_ms));
    };
    let collect = |count: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut samples = Vec::with_capacity(count);
        while samples.len() < count && Instant::now() < deadline {
            if let Ok((_, ms)) = samples_rx.recv_timeout(Duration::from_millis(200)) {
                samples.push(ms);
            }
        }
        samples.sort_by(f64::total_cmp);
        samples
    };
    // Warm the path (first events, connections) before either phase is measured.
    for k in 0..agents.len() {
        probe(0, k);
    }
    let _ = collect(agents.len());

    let baseline_started = Instant::now();
    for k in 0..options.probes {
        probe(1, agents.len() + k);
    }
    let baseline = collect(options.probes);
    let baseline_s = baseline_started.elapsed().as_secs_f64();

    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(FloodCounts::default());
    let flood_url = cluster.client(1).url("/api/v1/sessions");
    let flood_started = Instant::now();
    let threads = flood(flood_url, "victim", options.rate, stop.clone(), counts.clone());
    std::thread::sleep(FLOOD_WARM_UP);
    let during_started = Instant::now();
    for k in 0..options.probes {
        probe(2, agents.len() + options.probes + k);
    }
    let during = collect(options.probes);
    // A legitimate password login on the flooded node, from the desktops' address.
    let legitimate_started = Instant::now();
    let legitimate = cluster
        .client(1)
        .with_token(None)
        .post("/api/v1/sessions", &json!({"login": "user00000", "password": PASSWORD}))
        .map(|reply| reply.status)
        .unwrap_or(0);
    let legitimate_ms = legitimate_started.elapsed().as_secs_f64() * 1000.0;
    let during_s = during_started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    let flood_s = flood_started.elapsed().as_secs_f64();
    let flood_sent = counts.sent.load(Ordering::Relaxed);
    let by_code = counts.by_code.lock().map(|codes| codes.clone()).unwrap_or_default();

    let ratio = percentile(&during, 0.99) / percentile(&baseline, 0.99);
    println!(
        "without the flood: {} of {} probes seen in {baseline_s:.1} s; command to event p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        baseline.len(),
        options.probes,
        percentile(&baseline, 0.5),
        percentile(&baseline, 0.99),
        percentile(&baseline, 1.0)
    );
    println!(
        "during {:.0} wrong-password logins/s from {FLOOD_ADDRESS} to side A: {} of {} probes seen in {during_s:.1} s; \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        flood_sent as f64 / flood_s,
        during.len(),
        options.probes,
        percentile(&during, 0.5),
        percentile(&during, 0.99),
        percentile(&during, 1.0)
    );
    println!("p99 during / without: {ratio:.2} (target ≤ 1.20)");
    println!("flood answers: {by_code:?}");
    println!("a legitimate login on side A during the flood: HTTP {legitimate} in {legitimate_ms:.0} ms");

    let summary = |samples: &[f64]| json!({"seen": samples.len(), "p50": percentile(samples, 0.5), "p99": percentile(samples, 0.99), "max": percentile(samples, 1.0)});
    write_result(
        &options.out,
        &json!({
            "benchmark": "login-flood",
            "cluster": "three nodes on loopback (A, B, witness), default login limits; desktops split over A and B",
            "agents": options.agents,
            "probes_per_phase": options.probes,
            "command_to_event_ms": {"without_flood": summary(&baseline), "during_flood": summary(&during)},
            "p99_ratio": ratio,
            "target_p99_ratio_max": 1.2,
            "flood": {"target_per_second": options.rate, "achieved_per_second": flood_sent as f64 / flood_s,
                      "from": FLOOD_ADDRESS.to_string(), "to": "side A", "answers": by_code},
            "legitimate_login_during_flood": {"status": legitimate, "ms": legitimate_ms},
            "note": "the flood's senders, every desktop and the three nodes share this machine's 2 cores",
        }),
    );
    for client in &clients {
        client.close();
    }
}
