//! Routing benchmark of the pure core: routing decision time and apply throughput with 100 to
//! 100,000 logged-in agents and 10,000 waiting contacts, and the memory the center takes.
//!
//! Run with `bench/routing` (or `target/debug/examples/bench_routing [--quick] [--out F]`).
//! For each agent count N it builds a center with 20 skills, 40 voice CSQs (half Longest
//! Available, half Most Skilled, one or two required skills each) and N agents with four
//! random skills each, all logged in, then measures:
//!
//! - **Contact-side decision** (N agents Ready, empty queues): applying an `InjectContact`,
//!   which picks the best Ready agent of the CSQ. The customer then hangs up (untimed) so the
//!   agent is Ready again.
//! - **Agent-side decision** (10,000 contacts waiting, agents Not Ready): applying an agent's
//!   `Ready`, which picks the first contact of the agent's CSQs by priority and arrival. The
//!   agent then answers, ends and goes Not Ready, and one new contact keeps 10,000 waiting.
//! - **Apply throughput**: every command of the agent-side loop (ready, answer, end, not ready,
//!   inject) per second.
//! - **Memory**: the process's resident set after the center is built, and the size of its
//!   serialized snapshot.
//!
//! Time comes from `Instant` here, in the benchmark, never in the domain. Randomness is a
//! seeded generator, so every run builds the same centers.

// The domain's clippy configuration bans clocks; this program measures the domain from outside.
#![allow(clippy::disallowed_types)]

use std::time::{Duration, Instant};
use tandem_domain::{AgentCommand, ConfigCommand, QueueCommand, QueueEvent, VoiceCommand};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tandem_domain::{
    AgentId, AgentSpec, AgentStateRequest, Center, Channel, Command, ContactId, ContactSpec, CsqId, CsqSpec,
    DeskSettings, Entry, Event, Outcome, Selection, SkillId, SkillLevel, SkillRequirement, SkillSpec, WrapUpMode,
};

const SKILL_COUNT: u64 = 20;
const CSQ_COUNT: u64 = 40;
const AGENT_SKILL_COUNT: usize = 4;
const WAITING_CONTACT_COUNT: u64 = 10_000;
const SEED: u64 = 20_261_123;

struct Bench {
    center: Center,
    time_ms: u64,
    applied: u64,
}

impl Bench {
    fn apply(&mut self, command: Command) -> Vec<Event> {
        self.time_ms += 1;
        self.applied += 1;
        match self.center.apply(&Entry {
            request_id: None,
            time_ms: self.time_ms,
            command,
            by: tandem_domain::Actor::Operator,
        }) {
            Outcome::Applied(applied) => applied.events,
            Outcome::Rejected(rejection) => panic!("the benchmark's command was refused: {rejection}"),
        }
    }

    /// Applies and times one command.
    fn timed(&mut self, command: Command, samples: &mut Vec<Duration>) -> Vec<Event> {
        let started = Instant::now();
        let events = self.apply(command);
        samples.push(started.elapsed());
        events
    }

    fn state(&mut self, agent: AgentId, state: AgentStateRequest) -> Vec<Event> {
        self.apply(Command::Agent(AgentCommand::SetAgentState { agent, state, reason: None }))
    }
}

fn voice(csq: CsqId) -> Command {
    Command::Queue(QueueCommand::InjectContact(ContactSpec {
        channel: Channel::Voice,
        csq,
        priority: None,
        customer_name: None,
        customer_address: None,
        subject: None,
    }))
}

fn offered(events: &[Event]) -> Option<(ContactId, AgentId)> {
    events.iter().find_map(|event| match event {
        Event::Queue(QueueEvent::ContactOffered { contact, agent, .. }) => Some((*contact, *agent)),
        _ => None,
    })
}

/// A center with `agent_count` agents, all logged in (Not Ready), and wrap-up required.
fn build(agent_count: u64, rng: &mut StdRng) -> Bench {
    let mut bench = Bench { center: Center::default(), time_ms: 1_700_000_000_000, applied: 0 };
    bench.apply(Command::Config(ConfigCommand::SetDeskSettings(DeskSettings {
        wrap_up_incoming: WrapUpMode::Required,
        ..DeskSettings::default()
    })));
    for skill in 1..=SKILL_COUNT {
        bench.apply(Command::Config(ConfigCommand::CreateSkill(SkillSpec { name: format!("skill {skill}") })));
    }
    for csq in 1..=CSQ_COUNT {
        let first = SkillId(1 + (csq - 1) % SKILL_COUNT);
        let mut skills = vec![SkillRequirement { skill: first, min_competence: 1 }];
        if csq % 2 == 0 {
            let second = SkillId(1 + csq % SKILL_COUNT);
            skills.push(SkillRequirement { skill: second, min_competence: 1 });
        }
        let selection = if csq % 2 == 0 { Selection::MostSkilled } else { Selection::LongestAvailable };
        bench.apply(Command::Queue(QueueCommand::CreateCsq(CsqSpec {
            name: format!("queue {csq}"),
            channel: Channel::Voice,
            selection,
            skills,
        })));
    }
    for agent in 1..=agent_count {
        let mut skills: Vec<u64> = Vec::new();
        while skills.len() < AGENT_SKILL_COUNT {
            let skill = rng.gen_range(1..=SKILL_COUNT);
            if !skills.contains(&skill) {
                skills.push(skill);
            }
        }
        let skills = skills
            .into_iter()
            .map(|skill| SkillLevel { skill: SkillId(skill), competence: rng.gen_range(1..=10) })
            .collect();
        bench.apply(Command::Agent(AgentCommand::CreateAgent(AgentSpec {
            login_name: format!("agent{agent}"),
            name: format!("Agent {agent}"),
            alias: None,
            team: None,
            skills,
            extension: None,
        })));
        bench.state(AgentId(agent), AgentStateRequest::Login);
    }
    bench
}

struct Summary {
    count: usize,
    mean_us: f64,
    p50_us: f64,
    p99_us: f64,
}

fn summary(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| micros(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    let total: Duration = samples.iter().sum();
    Summary { count: samples.len(), mean_us: micros(total) / samples.len() as f64, p50_us: at(0.5), p99_us: at(0.99) }
}

fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn run(agent_count: u64, decisions: usize) -> serde_json::Value {
    let mut rng = StdRng::seed_from_u64(SEED);
    let rss_before = resident_mib();
    let build_started = Instant::now();
    let mut bench = build(agent_count, &mut rng);
    let build_s = build_started.elapsed().as_secs_f64();

    // Contact side: every agent Ready, queues empty.
    for agent in 1..=agent_count {
        bench.state(AgentId(agent), AgentStateRequest::Ready);
    }
    let mut contact_side = Vec::with_capacity(decisions);
    for k in 0..decisions {
        let csq = CsqId(1 + k as u64 % CSQ_COUNT);
        let events = bench.timed(voice(csq), &mut contact_side);
        if let Some((contact, _)) = offered(&events) {
            bench.apply(Command::Queue(QueueCommand::CustomerLeft { contact }));
        }
    }

    // Agent side: everyone Not Ready, then 10,000 contacts waiting.
    for agent in 1..=agent_count {
        bench.state(AgentId(agent), AgentStateRequest::NotReady);
    }
    for k in 0..WAITING_CONTACT_COUNT {
        bench.apply(voice(CsqId(1 + k % CSQ_COUNT)));
    }
    let rss_after = resident_mib();
    let snapshot_bytes = serde_json::to_vec(&bench.center).map(|bytes| bytes.len()).unwrap_or(0);

    let mut agent_side = Vec::with_capacity(decisions);
    let applied_before = bench.applied;
    let loop_started = Instant::now();
    let mut routed = 0u64;
    for k in 0..decisions {
        let agent = AgentId(1 + (k as u64 * 7919) % agent_count);
        let events = bench.timed(
            Command::Agent(AgentCommand::SetAgentState { agent, state: AgentStateRequest::Ready, reason: None }),
            &mut agent_side,
        );
        if offered(&events).is_some() {
            routed += 1;
            bench.apply(Command::Voice(VoiceCommand::AnswerCall { agent }));
            bench.apply(Command::Voice(VoiceCommand::EndCall { agent }));
            bench.apply(voice(CsqId(1 + k as u64 % CSQ_COUNT)));
        }
        bench.state(agent, AgentStateRequest::NotReady);
    }
    let loop_s = loop_started.elapsed().as_secs_f64();
    let commands = bench.applied - applied_before;
    let contact = summary(contact_side);
    let agent = summary(agent_side);
    let throughput = commands as f64 / loop_s;
    println!(
        "{agent_count:>7} agents | contact-side p50 {:>6.1} µs p99 {:>7.1} µs | agent-side p50 {:>6.1} µs p99 {:>7.1} µs | apply {:>8.0} cmd/s | RSS +{:>6.1} MiB | snapshot {:>6.1} MiB | built in {build_s:.1} s",
        contact.p50_us,
        contact.p99_us,
        agent.p50_us,
        agent.p99_us,
        throughput,
        rss_after - rss_before,
        snapshot_bytes as f64 / (1024.0 * 1024.0),
    );
    json!({
        "agents": agent_count,
        "waiting_contacts": bench.center.contacts().filter(|c| !c.is_closed()).count(),
        "contact_side_decision_us": {"count": contact.count, "mean": contact.mean_us, "p50": contact.p50_us, "p99": contact.p99_us},
        "agent_side_decision_us": {"count": agent.count, "mean": agent.mean_us, "p50": agent.p50_us, "p99": agent.p99_us, "routed": routed},
        "apply_commands_per_s": throughput,
        "resident_mib_added": rss_after - rss_before,
        "snapshot_mib": snapshot_bytes as f64 / (1024.0 * 1024.0),
        "build_s": build_s,
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut quick = false;
    let mut out = String::from("bench/results/routing.json");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => match args.next() {
                Some(path) => out = path,
                None => {
                    eprintln!("--out needs a path");
                    std::process::exit(2);
                }
            },
            "--help" | "-h" => {
                println!("bench_routing [--quick] [--out bench/results/routing.json]");
                return;
            }
            other => {
                eprintln!("unknown argument {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    let sizes: &[u64] = if quick { &[100, 1_000] } else { &[100, 1_000, 10_000, 100_000] };
    let decisions = if quick { 500 } else { 5_000 };
    println!("Routing decisions on the pure core ({CSQ_COUNT} voice CSQs, {SKILL_COUNT} skills, {WAITING_CONTACT_COUNT} waiting contacts for the agent side)");
    let runs: Vec<serde_json::Value> = sizes.iter().map(|&n| run(n, decisions)).collect();
    let result = json!({
        "benchmark": "routing",
        "profile": "dev (tandem-domain at opt-level 3, debug assertions on; docs/decisions/0002)",
        "seed": SEED,
        "decisions_per_size": decisions,
        "runs": runs,
    });
    if let Some(parent) = std::path::Path::new(&out).parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    match std::fs::write(&out, serde_json::to_string_pretty(&result).unwrap_or_default()) {
        Ok(()) => println!("wrote {out}"),
        Err(error) => {
            eprintln!("writing {out}: {error}");
            std::process::exit(1);
        }
    }
}
