//! `tandem call`: a load generator for the built-in switch's trunk side.
//!
//! It places calls to a dialed number (or an extension) at a steady rate over the REST API,
//! the same `POST /api/v1/calls` a SIP front would drive, and plays each caller: it waits for an
//! agent to answer, talks for the talk time and hangs up, or abandons after its patience runs
//! out. Agents answer from their desktops (or a script), so the generator needs nothing from
//! them. The report says how many calls were placed, answered, abandoned and refused, and how
//! long callers waited; `--json` prints it for scripts and benchmarks.
//!
//! Callers learn that an agent answered, or that the call ended, from one CTI session of the
//! client library logged in with the admin token (it sees every event), so a thousand callers
//! cost one WebSocket, not a thousand pollers. Where that session cannot be had (an HTTPS node
//! with `--insecure`), each caller asks `GET /api/v1/calls/{id}` every quarter second instead.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::cli::{Client, Target};

/// Calls one run places at most.
const CALL_COUNT_MAX: u64 = 1_000_000;
/// How often a caller asks the node about its call, without the event session.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How often a caller looks at what the event session saw of its call.
const WATCH_INTERVAL: Duration = Duration::from_millis(20);

/// What the event session saw of one call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seen {
    /// When an agent's connection on it first talked.
    answered: Option<Instant>,
    /// The call is gone.
    ended: bool,
}

/// The calls the event session has seen, by call id.
pub(crate) type Watched = Arc<Mutex<BTreeMap<u64, Seen>>>;

#[derive(Debug, clap::Args)]
pub struct CallArgs {
    #[command(flatten)]
    target: Target,
    /// The number to call: a dialed number (routed through its CSQ) or an agent's extension.
    #[arg(long)]
    to: String,
    /// How many calls to place.
    #[arg(long, default_value_t = 1)]
    calls: u64,
    /// Calls placed per second.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// How long a caller talks once an agent answered, in seconds.
    #[arg(long, default_value_t = 30.0)]
    talk: f64,
    /// How long a caller waits for an answer before hanging up, in seconds.
    #[arg(long, default_value_t = 120.0)]
    patience: f64,
    /// The calling numbers are this prefix followed by the call's number (1, 2, ...).
    #[arg(long, default_value = "+1555")]
    ani_prefix: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// What happened to one call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fate {
    /// An agent answered; the caller talked and hung up.
    Completed { waited_ms: u64 },
    /// The caller hung up before an agent answered.
    Abandoned,
    /// The call ended on the center's side (cleared by the agent, or transferred away and
    /// released) before the caller hung up.
    EndedByCenter { waited_ms: Option<u64> },
    /// The switch refused the call (the code says why).
    Refused(String),
    /// The API could not be reached or answered something unexpected.
    Failed(String),
}

pub fn call(args: CallArgs) -> anyhow::Result<()> {
    if args.calls == 0 || args.calls > CALL_COUNT_MAX {
        anyhow::bail!("--calls must be 1 to {CALL_COUNT_MAX}");
    }
    if !(args.rate.is_finite() && args.rate > 0.0 && args.rate <= 10_000.0) {
        anyhow::bail!("--rate must be above 0 and at most 10000 calls per second");
    }
    for (name, value) in [("--talk", args.talk), ("--patience", args.patience)] {
        if !(value.is_finite() && (0.0..=86_400.0).contains(&value)) {
            anyhow::bail!("{name} must be 0 to 86400 seconds");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: CallArgs) -> anyhow::Result<()> {
    let client = Arc::new(Client::new(&args.target)?);
    let watched = watch(&args.target).await;
    let bar = if args.json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(args.calls);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} calls ended {elapsed_precise} {msg}")
        {
            bar.set_style(style);
        }
        bar
    };
    let started = Instant::now();
    let gap = Duration::from_secs_f64(1.0 / args.rate);
    let talk = Duration::from_secs_f64(args.talk);
    let patience = Duration::from_secs_f64(args.patience);
    let mut callers = tokio::task::JoinSet::new();
    for n in 1..=args.calls {
        tokio::time::sleep_until(started + gap.mul_f64((n - 1) as f64)).await;
        let (client, node, to, ani, bar) =
            (client.clone(), args.target.node.clone(), args.to.clone(), format!("{}{n}", args.ani_prefix), bar.clone());
        let watched = watched.clone();
        callers.spawn(async move {
            let fate = caller(&client, watched.as_ref(), &node, &to, &ani, talk, patience).await;
            bar.inc(1);
            fate
        });
    }
    let mut fates = Vec::new();
    while let Some(fate) = callers.join_next().await {
        fates.push(fate.unwrap_or_else(|error| Fate::Failed(error.to_string())));
    }
    bar.finish_and_clear();
    report(&args, &fates, started.elapsed(), watched.is_some());
    Ok(())
}

/// One CTI session with the admin token, recording when each call is answered and ends; `None`
/// when it cannot be had (callers then poll).
pub(crate) async fn watch(target: &Target) -> Option<Watched> {
    let token = Client::new(target).ok()?.token().to_owned();
    let mut profile = tandem_client::Profile::new(tandem_client::cti_url(&target.node), None);
    if target.insecure {
        return None;
    }
    if let Some(ca) = &target.ca {
        let pem = std::fs::read(ca).ok()?;
        profile.tls = Some(tandem_client::tls_config(Some(&pem)).ok()?);
    }
    let credentials = tandem_client::Credentials { login: String::new(), password: token };
    let (session, mut updates) = tandem_client::Client::connect(profile, credentials).await.ok()?;
    let watched: Watched = Arc::default();
    let seen = watched.clone();
    tokio::spawn(async move {
        let _session = session;
        while let Some(update) = updates.recv().await {
            let tandem_client::Update::Event { event, .. } = update else { continue };
            let Ok(mut seen) = seen.lock() else { return };
            note_event(&mut seen, &event);
        }
    });
    Some(watched)
}

/// Records what one event says about answered and ended calls.
fn note_event(seen: &mut BTreeMap<u64, Seen>, event: &Value) {
    let answered_by_agent =
        |connection: &Value| connection.pointer("/party/agent").is_some() && connection["state"] == "talking";
    if let Some(begin) = event.get("BeginCall") {
        let call = &begin["call"];
        let talking = call["connections"].as_array().is_some_and(|all| all.iter().any(answered_by_agent));
        if let (Some(id), true) = (call["id"].as_u64(), talking) {
            seen.entry(id).or_default().answered.get_or_insert_with(Instant::now);
        }
    } else if let Some(established) = event.get("CallEstablished") {
        if let (Some(id), true) = (established["call"].as_u64(), established.pointer("/party/agent").is_some()) {
            seen.entry(id).or_default().answered.get_or_insert_with(Instant::now);
        }
    } else if let Some(ended) = event.get("EndCall").or_else(|| event.get("CallCleared")) {
        if let Some(id) = ended["call"].as_u64() {
            seen.entry(id).or_default().ended = true;
        }
    }
}

/// One caller: dial, wait for an agent, talk, hang up.
pub(crate) async fn caller(
    client: &Client,
    watched: Option<&Watched>,
    node: &str,
    to: &str,
    ani: &str,
    talk: Duration,
    patience: Duration,
) -> Fate {
    let body = json!({ "dialed_number": to, "ani": ani });
    let placed = Instant::now();
    let answer = match client.send(client.http.post(format!("{node}/api/v1/calls")).json(&body)).await {
        Ok(answer) => answer,
        Err(error) => {
            let text = error.to_string();
            return if text.starts_with('4') { Fate::Refused(text) } else { Fate::Failed(text) };
        }
    };
    let Some(call) = answer.get("call").and_then(Value::as_u64) else {
        return Fate::Failed(format!("no call in the answer: {answer}"));
    };
    let url = format!("{node}/api/v1/calls/{call}");
    let mut answered: Option<Instant> = None;
    loop {
        let deadline = match answered {
            Some(at) => at + talk,
            None => placed + patience,
        };
        if Instant::now() >= deadline {
            break;
        }
        if let Some(watched) = watched {
            tokio::time::sleep(WATCH_INTERVAL.min(deadline - Instant::now())).await;
            let seen = watched.lock().ok().and_then(|seen| seen.get(&call).copied()).unwrap_or_default();
            if answered.is_none() {
                answered = seen.answered;
            }
            if seen.ended {
                return Fate::EndedByCenter {
                    waited_ms: answered.map(|at| millis(at.saturating_duration_since(placed))),
                };
            }
            continue;
        }
        tokio::time::sleep(POLL_INTERVAL.min(deadline - Instant::now())).await;
        match client.send(client.http.get(&url)).await {
            Ok(found) => {
                if answered.is_none() && agent_talking(&found) {
                    answered = Some(Instant::now());
                }
            }
            Err(error) if error.to_string().starts_with("404") => {
                let waited_ms = answered.map(|at| millis(at - placed));
                return Fate::EndedByCenter { waited_ms };
            }
            Err(_) => {} // A node failing over: keep calling; the deadline still holds.
        }
    }
    let hang_up = json!({ "action": "hang_up", "number": ani });
    // A refused hang-up means the call ended meanwhile; the caller is gone either way.
    let _ = client.send(client.http.post(format!("{url}/actions")).json(&hang_up)).await;
    match answered {
        Some(at) => Fate::Completed { waited_ms: millis(at.saturating_duration_since(placed)) },
        None => Fate::Abandoned,
    }
}

/// Whether an agent's connection on the call (as `GET /calls/{id}` shows it) is talking.
fn agent_talking(call: &Value) -> bool {
    call.get("connections").and_then(Value::as_array).is_some_and(|connections| {
        connections.iter().any(|connection| {
            connection.pointer("/party/agent").is_some()
                && connection.get("state").and_then(Value::as_str) == Some("talking")
        })
    })
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64)).ceil() as usize;
    sorted.get(rank.saturating_sub(1).min(sorted.len() - 1)).copied()
}

fn report(args: &CallArgs, fates: &[Fate], elapsed: Duration, watched: bool) {
    let mut waits: Vec<u64> = fates
        .iter()
        .filter_map(|fate| match fate {
            Fate::Completed { waited_ms } => Some(*waited_ms),
            Fate::EndedByCenter { waited_ms } => *waited_ms,
            _ => None,
        })
        .collect();
    waits.sort_unstable();
    let count = |pick: fn(&Fate) -> bool| fates.iter().filter(|fate| pick(fate)).count();
    let mut problems: BTreeMap<String, usize> = BTreeMap::new();
    for fate in fates {
        if let Fate::Refused(text) | Fate::Failed(text) = fate {
            *problems.entry(text.clone()).or_default() += 1;
        }
    }
    let report = json!({
        "to": args.to,
        "placed": fates.len(),
        "completed": count(|fate| matches!(fate, Fate::Completed { .. })),
        "ended_by_center": count(|fate| matches!(fate, Fate::EndedByCenter { .. })),
        "abandoned": count(|fate| matches!(fate, Fate::Abandoned)),
        "refused": count(|fate| matches!(fate, Fate::Refused(_))),
        "failed": count(|fate| matches!(fate, Fate::Failed(_))),
        "wait_ms": { "p50": percentile(&waits, 50.0), "p95": percentile(&waits, 95.0), "max": waits.last() },
        "elapsed_s": elapsed.as_secs_f64(),
        "watched_by": if watched { "events" } else { "polling" },
        "problems": problems,
    });
    if args.json {
        println!("{report}");
        return;
    }
    let wait = |key: &str| report["wait_ms"][key].as_u64().map_or("-".to_string(), |ms| format!("{ms} ms"));
    println!("{} calls to {} in {:.1} s", fates.len(), args.to, elapsed.as_secs_f64());
    println!(
        "  completed {}  ended by the center {}  abandoned {}  refused {}  failed {}",
        report["completed"], report["ended_by_center"], report["abandoned"], report["refused"], report["failed"]
    );
    println!("  wait for an agent: p50 {}  p95 {}  max {}", wait("p50"), wait("p95"), wait("max"));
    for (problem, times) in &problems {
        println!("  {times} x {problem}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_mark_calls_answered_and_ended() {
        let mut seen = BTreeMap::new();
        // A queued call begins with the caller alone; an agent answering is CALL_ESTABLISHED.
        note_event(
            &mut seen,
            &json!({"BeginCall": {"call": {"id": 4, "connections": [
            {"party": {"external": "+1555"}, "state": "talking"}]}, "agents": []}}),
        );
        assert!(seen.get(&4).is_none_or(|s| s.answered.is_none()));
        note_event(&mut seen, &json!({"CallEstablished": {"call": 4, "party": {"external": "+1555"}, "agents": []}}));
        assert!(seen.get(&4).is_none_or(|s| s.answered.is_none()), "the caller talking is not an answer");
        note_event(&mut seen, &json!({"CallEstablished": {"call": 4, "party": {"agent": 2}, "agents": [2]}}));
        assert!(seen[&4].answered.is_some());
        // A call that appears at an agent already talking (a transfer) is answered too.
        note_event(
            &mut seen,
            &json!({"BeginCall": {"call": {"id": 5, "connections": [
            {"party": {"external": "+1556"}, "state": "talking"}, {"party": {"agent": 3}, "state": "talking"}]},
            "agents": [3]}}),
        );
        assert!(seen[&5].answered.is_some());
        note_event(&mut seen, &json!({"EndCall": {"call": 4, "agents": [2]}}));
        assert!(seen[&4].ended && !seen[&5].ended);
    }
}
