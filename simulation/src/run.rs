//! One run: boot the cluster, load the center, drive traffic and faults, heal, check, report.
//!
//! The run owns a current-thread Tokio runtime with a paused clock and a seeded scheduler, and
//! seeds openraft's per-thread generator, so the seed decides everything: the cluster's
//! elections, the network's fate for each message, the faults and the people. The wall clock
//! is read only to report speed, never inside the simulation.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tandem_domain::{AgentCommand, ConfigCommand, QueueCommand};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tandem_domain::{
    AgentId, AgentSpec, Channel, Command, CsqSpec, EntityRef, Entry, Outcome, ReasonCodeSpec, ReasonKind, RequestId,
    SkillId, SkillLevel, SkillRequirement, SkillSpec, TeamId, TeamSpec,
};
use tandem_raft::{NodeId, Side};
use tandem_storage::SimFaults;
use tokio::sync::mpsc;

use crate::checker::{Checker, Violation};
use crate::cluster::Cluster;
use crate::config::CenterConfig;
use crate::desktops::Desktops;
use crate::faults::{self, Fault};
use crate::options::{FaultKind, Plant, SimOptions};
use crate::trace::Kind;
use crate::workload::{self, Directory, Purpose, Reply, Workload};

/// The run loop's step: workload, faults and checks happen at this granularity.
const STEP: Duration = Duration::from_millis(25);
/// How long a node whose disk failed stays down before its supervisor restarts it.
const FATAL_RESTART_MS: u64 = 1_000;
const NODE_A: NodeId = 1;
const NODE_B: NodeId = 2;
const WITNESS: NodeId = 3;
const EXTRA: NodeId = 4;

/// What a run did and found.
#[derive(Debug, Clone)]
pub struct Report {
    pub seed: u64,
    pub replay_command: String,
    pub simulated_ms: u64,
    pub wall_ms: u64,
    pub trace_hash: u64,
    pub trace_record_count: u64,
    pub faults_injected: u64,
    pub fault_schedule: Vec<String>,
    pub invariant_checks: u64,
    pub contacts_injected: u64,
    pub contacts_routed: u64,
    /// Calls agents transferred or conferenced (call control under faults).
    pub calls_transferred_or_conferenced: u64,
    pub writes_acknowledged: u64,
    pub messages: u64,
    pub messages_dropped: u64,
    pub messages_duplicated: u64,
    pub leader_changes: u64,
    pub worst_failover_gap_ms: u64,
    pub converged_after_ms: Option<u64>,
    /// Simulated desktops, the sessions they opened, their failovers to the other side,
    /// sessions resumed from their last index, reloads (snapshots after the first) and events
    /// delivered to them.
    pub desktops: u64,
    pub desk_sessions: u64,
    pub desk_failovers: u64,
    pub desk_resumes: u64,
    pub desk_reloads: u64,
    pub desk_events_delivered: u64,
    pub violations: Vec<Violation>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// One line on the run's desktops: sessions, failovers, resumes, reloads, events.
    pub fn desk_summary(&self) -> String {
        format!(
            "{} desktops: {} sessions, {} failovers to the other side, {} resumed from their last index, \
             {} reloads, {} events delivered",
            self.desktops,
            self.desk_sessions,
            self.desk_failovers,
            self.desk_resumes,
            self.desk_reloads,
            self.desk_events_delivered
        )
    }

    /// Simulated seconds per wall second.
    pub fn speed(&self) -> f64 {
        self.simulated_ms as f64 / (self.wall_ms.max(1) as f64)
    }
}

/// Progress for a bar: simulated ms done of the total.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub simulated_ms: u64,
    pub total_ms: u64,
}

/// Runs one seed.
pub fn run(options: &SimOptions) -> Report {
    run_with_progress(options, &mut |_| {})
}

thread_local! {
    /// The first panic message on this thread during a run: a panicking task (openraft's core,
    /// a state machine apply) dies alone, so the run loop looks here after every step.
    static PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Installs, once per process, a panic hook that also records the message for the run loop.
fn record_panics() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.to_string();
            // try_with: a panic while the thread-local is being torn down records nothing.
            let _ = PANIC.try_with(|cell| {
                if let Ok(mut slot) = cell.try_borrow_mut() {
                    slot.get_or_insert(message);
                }
            });
            previous(info);
        }));
    });
}

fn take_panic() -> Option<String> {
    PANIC.try_with(|cell| cell.try_borrow_mut().ok().and_then(|mut slot| slot.take())).ok().flatten()
}

/// Runs one seed, calling `progress` about once per simulated second.
pub fn run_with_progress(options: &SimOptions, progress: &mut dyn FnMut(Progress)) -> Report {
    assert!(Plant::AVAILABLE || options.plants.is_empty(), "planted bugs need the planted-bugs feature");
    let started = std::time::Instant::now();
    record_panics();
    take_panic();
    tandem_raft::runtime::seed_thread_rng(options.seed);
    let mut report = empty_report(options);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .rng_seed(tokio::runtime::RngSeed::from_bytes(&options.seed.to_le_bytes()))
        .build();
    match runtime {
        Err(error) => report.violations.push(violation(0, "the runtime starts", error.to_string())),
        Ok(runtime) => {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                // A LocalSet on the same thread: each node's actix actors (`LeaderTimers`) run as
                // local tasks beside the replicas, in the same virtual time.
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, simulate(options, progress, &mut report));
                drop(local);
            }));
            if let Err(panic) = outcome {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
                    .unwrap_or_else(|| "a task panicked".into());
                report.violations.push(violation(report.simulated_ms, "no node panics", message));
            }
            drop(runtime);
        }
    }
    tandem_raft::runtime::unseed_thread_rng();
    report.wall_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report
}

/// Runs a seed twice and compares the traces. `Err` names both hashes.
pub fn check_determinism(options: &SimOptions) -> Result<Report, Box<(Report, Report)>> {
    let first = run(options);
    let second = run(options);
    if first.trace_hash == second.trace_hash && first.trace_record_count == second.trace_record_count {
        Ok(first)
    } else {
        Err(Box::new((first, second)))
    }
}

fn violation(at_ms: u64, invariant: &'static str, detail: String) -> Violation {
    Violation { at_ms, invariant, detail }
}

fn empty_report(options: &SimOptions) -> Report {
    Report {
        seed: options.seed,
        replay_command: options.replay_command(),
        simulated_ms: 0,
        wall_ms: 0,
        trace_hash: 0,
        trace_record_count: 0,
        faults_injected: 0,
        fault_schedule: Vec::new(),
        invariant_checks: 0,
        contacts_injected: 0,
        contacts_routed: 0,
        calls_transferred_or_conferenced: 0,
        writes_acknowledged: 0,
        messages: 0,
        messages_dropped: 0,
        messages_duplicated: 0,
        leader_changes: 0,
        worst_failover_gap_ms: 0,
        converged_after_ms: None,
        desktops: 0,
        desk_sessions: 0,
        desk_failovers: 0,
        desk_resumes: 0,
        desk_reloads: 0,
        desk_events_delivered: 0,
        violations: Vec::new(),
    }
}

/// Something due later in the run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Later {
    Link { from: NodeId, to: NodeId, cut: bool, heal: LinkHeal },
    Restart(NodeId),
    ClockReset(NodeId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkHeal {
    Cut,
    Delay,
    Loss,
    Duplicate,
    Jitter,
}

struct Run {
    cluster: Arc<Cluster>,
    checker: Checker,
    later: BTreeMap<(u64, u64), Later>,
    later_sequence: u64,
    rng: ChaCha8Rng,
    retired: BTreeSet<NodeId>,
    faults_injected: u64,
}

async fn simulate(options: &SimOptions, progress: &mut dyn FnMut(Progress), report: &mut Report) {
    let cluster = Cluster::new(options.seed);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let boot = boot(&cluster, options).await;
    let mut directory = match boot {
        Ok(directory) => directory,
        Err(error) => {
            report.violations.push(violation(cluster.now_ms(), "the cluster boots and takes the center", error));
            return;
        }
    };
    #[cfg(feature = "planted-bugs")]
    if options.plants.contains(&Plant::EarlyAck) {
        cluster.plant_early_ack();
    }
    #[cfg(feature = "planted-bugs")]
    cluster.plant_desk(crate::desktops::DeskPlants {
        gap_after_resume: options.plants.contains(&Plant::DeskGap),
        leak_in_catch_up: options.plants.contains(&Plant::DeskLeak),
    });
    let start_ms = cluster.now_ms();
    let heal_ms = start_ms + options.heal_at_ms();
    let end_ms = start_ms + options.duration_ms;
    let schedule = faults::schedule(&mut rng, &options.faults, options.heal_at_ms());
    report.fault_schedule = schedule.iter().map(|fault| fault.to_string()).collect();
    let (desk_plans, desk_users): (Vec<_>, Vec<_>) = std::mem::take(&mut directory.desks).into_iter().unzip();
    let desk_rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x6465_736b_746f_7073);
    let mut desktops = Desktops::new(desk_rng, desk_plans, desk_users, [NODE_A, NODE_B], start_ms);
    let (replies, mut answers) = mpsc::unbounded_channel::<Reply>();
    let workload_rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x776f_726b_6c6f_6164);
    let mut workload =
        Workload::new(workload_rng, directory, options.center.traffic.clone(), [NODE_A, NODE_B], replies, start_ms);
    let mut run = Run {
        cluster: cluster.clone(),
        checker: Checker::new(),
        later: BTreeMap::new(),
        later_sequence: 0,
        rng,
        retired: BTreeSet::new(),
        faults_injected: 0,
    };
    let operators = OperatorPlan::new(options, start_ms);
    let operator_done = Arc::new(std::sync::Mutex::new(Vec::<&'static str>::new()));
    let mut operator_stage = 0;
    let mut pending = schedule.into_iter().peekable();
    let mut healed = false;
    let mut converged_after = None;
    let mut progress_ms = 0;
    loop {
        let now = cluster.now_ms();
        if now >= end_ms {
            break;
        }
        while let Some(fault) = pending.next_if(|fault| start_ms + fault.at_ms <= now) {
            if now < heal_ms {
                run.inject(&fault, now).await;
            }
        }
        run.due_later(now).await;
        run.restart_fatal(now).await;
        operator_stage = run.operators(&operators, operator_stage, &operator_done, now).await;
        if !healed && now >= heal_ms {
            healed = true;
            run.heal_everything(now).await;
            workload.stop_arrivals();
        }
        workload.run_due(&cluster, now);
        desktops.step(&cluster, now);
        while let Ok(reply) = answers.try_recv() {
            if let Some(outcome) = &reply.outcome {
                run.checker.on_ack(&cluster, &reply.request_id, outcome, now);
            }
            workload.on_reply(&reply, now);
        }
        run.checker.step(&cluster, now);
        if let Some(message) = take_panic() {
            run.checker.violations.push(violation(now, "no node panics", message));
        }
        if !run.checker.violations.is_empty() {
            break;
        }
        if healed && converged_after.is_none() && run.checker.converged(&cluster) {
            converged_after = Some(now - heal_ms);
        }
        if now >= progress_ms + 1_000 {
            progress_ms = now;
            progress(Progress { simulated_ms: now - start_ms, total_ms: options.duration_ms });
        }
        tokio::time::sleep(STEP).await;
    }
    let now = cluster.now_ms();
    if run.checker.violations.is_empty() {
        run.checker.step(&cluster, now);
        if converged_after.is_none() {
            let detail = format!(
                "{} ms after faults stopped the nodes still disagree on the leader or the applied state",
                now.saturating_sub(heal_ms)
            );
            run.checker.violations.push(violation(now, "the cluster converges after faults stop", detail));
        } else {
            run.checker.finish(now);
            let reference_last = run.checker.reference_event_index();
            let violations = desktops.check(&run.checker.published, reference_last, heal_ms, now);
            run.checker.violations.extend(violations);
        }
    }
    let desks = desktops.counts();
    report.desktops = desks.desktops;
    report.desk_sessions = desks.sessions;
    report.desk_failovers = desks.failovers;
    report.desk_resumes = desks.resumes;
    report.desk_reloads = desks.reloads;
    report.desk_events_delivered = desks.events_delivered;
    let stats = cluster.stats();
    report.simulated_ms = now;
    report.trace_hash = run.checker.trace.hash();
    report.trace_record_count = run.checker.trace.record_count();
    report.faults_injected = run.faults_injected;
    report.invariant_checks = run.checker.check_count;
    report.contacts_injected = run.checker.injected_count;
    report.contacts_routed = run.checker.routed_count;
    report.calls_transferred_or_conferenced = run.checker.call_control_count;
    report.writes_acknowledged = run.checker.acked_count;
    report.messages = stats.message_count;
    report.messages_dropped = stats.dropped_count;
    report.messages_duplicated = stats.duplicated_count;
    report.leader_changes = run.checker.leader_change_count;
    report.worst_failover_gap_ms = run.checker.worst_gap_ms;
    report.converged_after_ms = converged_after;
    report.violations.append(&mut run.checker.violations);
    for id in cluster.node_ids() {
        cluster.crash(id).await;
    }
}

/// Starts A, B and the witness, forms the cluster and writes the center through it.
async fn boot(cluster: &Arc<Cluster>, options: &SimOptions) -> Result<Directory, String> {
    for (id, side) in [(NODE_A, Side::A), (NODE_B, Side::B), (WITNESS, Side::Witness)] {
        cluster.add_slot(id, side);
        cluster.start(id).await?;
    }
    let voters = [(NODE_A, Side::A), (NODE_B, Side::B), (WITNESS, Side::Witness)]
        .into_iter()
        .map(|(id, side)| (id, Cluster::member(id, side)))
        .collect();
    let Some(first) = cluster.replica(NODE_A) else { return Err("node 1 did not start".into()) };
    first.initialize(voters).await.map_err(|e| e.to_string())?;
    let mut bootstrap = Bootstrap { cluster: cluster.clone(), count: 0 };
    #[cfg(feature = "planted-bugs")]
    {
        let bugs = tandem_domain::PlantedBugs {
            skip_capacity_check: options.plants.contains(&Plant::Capacity),
            random_tie_break: options.plants.contains(&Plant::Tie),
            hash_order_dispatch: options.plants.contains(&Plant::HashOrder),
        };
        if bugs != tandem_domain::PlantedBugs::default() {
            bootstrap
                .write_all(vec![(
                    "planted bugs".into(),
                    Command::System(tandem_domain::SystemCommand::PlantBugs(bugs)),
                )])
                .await?;
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x6365_6e74_6572);
    load_center(&mut bootstrap, &options.center, &mut rng).await
}

struct Bootstrap {
    cluster: Arc<Cluster>,
    count: u64,
}

impl Bootstrap {
    /// Writes commands concurrently (so they batch) and returns what each created, in order.
    async fn write_all(&mut self, commands: Vec<(String, Command)>) -> Result<Vec<Option<EntityRef>>, String> {
        let (replies, mut answers) = mpsc::unbounded_channel();
        let total = commands.len();
        for (index, (_, command)) in commands.iter().enumerate() {
            self.count += 1;
            let entry = Entry {
                request_id: Some(RequestId(format!("boot-{}", self.count))),
                time_ms: 0,
                command: command.clone(),
                by: tandem_domain::Actor::Operator,
            };
            let purpose = Purpose::Agent(index);
            tokio::spawn(workload::submit(self.cluster.clone(), [NODE_A, NODE_B], entry, purpose, replies.clone()));
        }
        let mut created = vec![None; total];
        for _ in 0..total {
            let Some(reply) = answers.recv().await else { return Err("bootstrap writes stopped".into()) };
            let Purpose::Agent(index) = reply.purpose else { continue };
            let what = commands.get(index).map(|(what, _)| what.as_str()).unwrap_or("?");
            match reply.outcome {
                Some(Outcome::Applied(applied)) => {
                    if let Some(slot) = created.get_mut(index) {
                        *slot = applied.created;
                    }
                }
                Some(Outcome::Rejected(rejection)) => return Err(format!("the center refused {what}: {rejection}")),
                None => return Err(format!("no answer for {what}")),
            }
        }
        Ok(created)
    }
}

async fn load_center(
    bootstrap: &mut Bootstrap,
    center: &CenterConfig,
    rng: &mut ChaCha8Rng,
) -> Result<Directory, String> {
    let skills = center.skills.iter().map(|skill| {
        (
            format!("skill '{}'", skill.name),
            Command::Config(ConfigCommand::CreateSkill(SkillSpec { name: skill.name.clone() })),
        )
    });
    let created = bootstrap.write_all(skills.collect()).await?;
    let skill_ids: BTreeMap<String, SkillId> = center
        .skills
        .iter()
        .zip(created)
        .filter_map(|(skill, created)| match created {
            Some(EntityRef::Skill(id)) => Some((skill.name.clone(), id)),
            _ => None,
        })
        .collect();
    let mut team_names: Vec<String> = center.teams.iter().map(|team| team.name.clone()).collect();
    team_names.extend((1..=center.generated.teams).map(|index| format!("Generated Team {index}")));
    let teams = team_names.iter().map(|name| {
        let spec = TeamSpec { name: name.clone(), primary_supervisor: None, secondary_supervisors: Vec::new() };
        (format!("team '{name}'"), Command::Config(ConfigCommand::CreateTeam(spec)))
    });
    let created = bootstrap.write_all(teams.collect()).await?;
    let team_ids: Vec<(String, TeamId)> = team_names
        .iter()
        .zip(created)
        .filter_map(|(name, created)| match created {
            Some(EntityRef::Team(id)) => Some((name.clone(), id)),
            _ => None,
        })
        .collect();
    let team_of = |name: &str| team_ids.iter().find(|(team, _)| team == name).map(|(_, id)| *id);
    let mut agents = Vec::new();
    for agent in &center.agents {
        let skills = agent
            .skills
            .iter()
            .filter_map(|(name, level)| {
                skill_ids.get(name).map(|skill| SkillLevel { skill: *skill, competence: *level })
            })
            .collect();
        let spec = AgentSpec {
            login_name: agent.login.clone(),
            name: agent.name.clone().unwrap_or_else(|| agent.login.clone()),
            alias: None,
            team: agent.team.as_deref().and_then(team_of),
            skills,
            extension: None,
        };
        agents.push((format!("agent '{}'", agent.login), spec));
    }
    let all_skills: Vec<SkillId> = skill_ids.values().copied().collect();
    let generated_teams: Vec<TeamId> = team_ids.iter().skip(center.teams.len()).map(|(_, id)| *id).collect();
    for index in 0..center.generated.count {
        let count = rng.gen_range(1..=center.generated.skills_per_agent_max.min(all_skills.len() as u32).max(1));
        let mut skills: Vec<SkillLevel> = Vec::new();
        for _ in 0..count {
            let skill = all_skills[rng.gen_range(0..all_skills.len())];
            if skills.iter().all(|level| level.skill != skill) {
                skills.push(SkillLevel { skill, competence: rng.gen_range(1..=10) });
            }
        }
        let team = (!generated_teams.is_empty()).then(|| generated_teams[index as usize % generated_teams.len()]);
        let login = format!("agent{}", index + 1);
        let name = format!("Agent {}", index + 1);
        let spec = AgentSpec { login_name: login.clone(), name, alias: None, team, skills, extension: None };
        agents.push((format!("agent '{login}'"), spec));
    }
    let commands =
        agents.iter().map(|(what, spec)| (what.clone(), Command::Agent(AgentCommand::CreateAgent(spec.clone()))));
    let created = bootstrap.write_all(commands.collect()).await?;
    let mut agent_ids = Vec::new();
    let mut members: BTreeMap<TeamId, Vec<AgentId>> = BTreeMap::new();
    for ((_, spec), created) in agents.iter().zip(created) {
        if let Some(EntityRef::Agent(id)) = created {
            agent_ids.push(id);
            if let Some(team) = spec.team {
                members.entry(team).or_default().push(id);
            }
        }
    }
    let mut supervisors = Vec::new();
    let mut directory_teams = Vec::new();
    for (name, id) in &team_ids {
        let Some(team_members) = members.get(id) else { continue };
        let Some(supervisor) = team_members.first().copied() else { continue };
        let spec =
            TeamSpec { name: name.clone(), primary_supervisor: Some(supervisor), secondary_supervisors: Vec::new() };
        supervisors
            .push((format!("team '{name}' supervisor"), Command::Config(ConfigCommand::UpdateTeam { id: *id, spec })));
        directory_teams.push((*id, supervisor, team_members.clone()));
    }
    bootstrap.write_all(supervisors).await?;
    let csqs = center.csqs.iter().map(|csq| {
        let skills = csq
            .skills
            .iter()
            .filter_map(|(name, min)| {
                skill_ids.get(name).map(|skill| SkillRequirement { skill: *skill, min_competence: *min })
            })
            .collect();
        let spec = CsqSpec { name: csq.name.clone(), channel: csq.channel, selection: csq.selection, skills };
        (format!("csq '{}'", csq.name), Command::Queue(QueueCommand::CreateCsq(spec)))
    });
    let created = bootstrap.write_all(csqs.collect()).await?;
    let csq_ids: Vec<(tandem_domain::CsqId, Channel)> = center
        .csqs
        .iter()
        .zip(created)
        .filter_map(|(csq, created)| match created {
            Some(EntityRef::Csq(id)) => Some((id, csq.channel)),
            _ => None,
        })
        .collect();
    let reasons = [
        (ReasonKind::NotReady, 1, "Break"),
        (ReasonKind::NotReady, 2, "Lunch"),
        (ReasonKind::NotReady, 3, "Meeting"),
        (ReasonKind::NotReady, 4, "Training"),
        (ReasonKind::Logout, 1, "End of shift"),
    ];
    let reasons = reasons.iter().map(|(kind, value, label)| {
        let spec = ReasonCodeSpec { kind: *kind, value: *value, label: (*label).to_string() };
        (format!("reason code '{label}'"), Command::Config(ConfigCommand::CreateReasonCode(spec)))
    });
    bootstrap.write_all(reasons.collect()).await?;
    let parameters = tandem_domain::ChannelParameters {
        max_chat_sessions_per_agent: center.traffic.chat_capacity,
        max_email_sessions_per_agent: center.traffic.email_capacity,
        ..tandem_domain::ChannelParameters::default()
    };
    bootstrap
        .write_all(vec![(
            "channel parameters".into(),
            Command::Config(ConfigCommand::SetChannelParameters(parameters)),
        )])
        .await?;
    let plans = crate::desktops::plans(&directory_teams);
    let users = plans.iter().map(|plan| (format!("user '{}'", plan.login_name), crate::desktops::user_command(plan)));
    let created = bootstrap.write_all(users.collect()).await?;
    let desks = plans
        .into_iter()
        .zip(created)
        .filter_map(|(plan, created)| match created {
            Some(EntityRef::User(user)) => Some((plan, user)),
            _ => None,
        })
        .collect();
    Ok(Directory { agents: agent_ids, csqs: csq_ids, teams: directory_teams, desks })
}

/// When the operators act, if the fault mix lets them.
struct OperatorPlan {
    times_ms: Option<[u64; 3]>,
}

impl OperatorPlan {
    fn new(options: &SimOptions, start_ms: u64) -> OperatorPlan {
        let phase = options.heal_at_ms();
        let times_ms = options
            .faults
            .operators
            .then(|| [start_ms + phase / 5, start_ms + phase * 2 / 5, start_ms + phase * 3 / 5]);
        OperatorPlan { times_ms }
    }
}

impl Run {
    fn later(&mut self, at_ms: u64, what: Later) {
        self.later_sequence += 1;
        self.later.insert((at_ms, self.later_sequence), what);
    }

    /// Nodes present now (started at least once and not removed), in id order.
    fn present(&self) -> Vec<NodeId> {
        self.cluster.node_ids().into_iter().filter(|id| !self.retired.contains(id)).collect()
    }

    fn leader(&self) -> Option<NodeId> {
        let mut best: Option<(u64, NodeId)> = None;
        for id in self.present() {
            let Some(replica) = self.cluster.replica(id) else { continue };
            let metrics = replica.raft().metrics().borrow().clone();
            if metrics.state == openraft::ServerState::Leader
                && best.is_none_or(|(term, _)| metrics.current_term > term)
            {
                best = Some((metrics.current_term, id));
            }
        }
        best.map(|(_, id)| id)
    }

    fn cut(&mut self, from: NodeId, to: NodeId, until_ms: u64) {
        let mut link = self.cluster.link(from, to);
        link.cut = true;
        self.cluster.set_link(from, to, link);
        self.later(until_ms, Later::Link { from, to, cut: false, heal: LinkHeal::Cut });
    }

    fn isolate(&mut self, node: NodeId, until_ms: u64) {
        for other in self.present() {
            if other != node {
                self.cut(node, other, until_ms);
                self.cut(other, node, until_ms);
            }
        }
    }

    fn degrade(&mut self, node: NodeId, heal: LinkHeal, amount: i64, until_ms: u64) {
        let amount_u = amount.unsigned_abs();
        for other in self.present() {
            if other == node {
                continue;
            }
            for (from, to) in [(node, other), (other, node)] {
                let mut link = self.cluster.link(from, to);
                match heal {
                    LinkHeal::Delay => link.extra_delay_ms = amount_u,
                    LinkHeal::Loss => link.loss_per_mille = amount_u as u32,
                    LinkHeal::Duplicate => link.duplicate_per_mille = amount_u as u32,
                    LinkHeal::Jitter => link.jitter_ms = amount_u,
                    LinkHeal::Cut => link.cut = true,
                }
                self.cluster.set_link(from, to, link);
                self.later(until_ms, Later::Link { from, to, cut: false, heal });
            }
        }
    }

    async fn inject(&mut self, fault: &Fault, now: u64) {
        let present = self.present();
        if present.is_empty() {
            return;
        }
        let node = present[fault.pick as usize % present.len()];
        let until = now + fault.duration_ms;
        self.faults_injected += 1;
        self.checker.trace.record(now, node, Kind::Fault, fault.kind as u64);
        match fault.kind {
            FaultKind::PartitionSides => {
                let side_a: Vec<NodeId> =
                    present.iter().copied().filter(|id| self.cluster.side(*id) == Some(Side::A)).collect();
                let side_b: Vec<NodeId> =
                    present.iter().copied().filter(|id| self.cluster.side(*id) == Some(Side::B)).collect();
                for a in &side_a {
                    for b in &side_b {
                        self.cut(*a, *b, until);
                        self.cut(*b, *a, until);
                    }
                }
            }
            FaultKind::IsolateLeader => {
                if let Some(leader) = self.leader() {
                    self.isolate(leader, until);
                }
            }
            FaultKind::IsolateWitness => {
                if present.contains(&WITNESS) {
                    self.isolate(WITNESS, until);
                }
            }
            FaultKind::Flapping | FaultKind::Asymmetric => {
                let other = present[(fault.pick as usize / 7 + 1) % present.len()];
                if other == node {
                    return;
                }
                if fault.kind == FaultKind::Asymmetric {
                    self.cut(node, other, until);
                    return;
                }
                let period = fault.amount.unsigned_abs().max(100);
                let mut at = now;
                while at < until {
                    self.later(at, Later::Link { from: node, to: other, cut: true, heal: LinkHeal::Cut });
                    self.later(at, Later::Link { from: other, to: node, cut: true, heal: LinkHeal::Cut });
                    self.later(at + period / 2, Later::Link { from: node, to: other, cut: false, heal: LinkHeal::Cut });
                    self.later(at + period / 2, Later::Link { from: other, to: node, cut: false, heal: LinkHeal::Cut });
                    at += period;
                }
            }
            FaultKind::Delay => self.degrade(node, LinkHeal::Delay, fault.amount, until),
            FaultKind::Loss => self.degrade(node, LinkHeal::Loss, fault.amount, until),
            FaultKind::Duplicate => self.degrade(node, LinkHeal::Duplicate, fault.amount, until),
            FaultKind::Reorder => self.degrade(node, LinkHeal::Jitter, fault.amount, until),
            FaultKind::Crash | FaultKind::KillLeader => {
                let target = if fault.kind == FaultKind::KillLeader { self.leader() } else { Some(node) };
                if let Some(target) = target.filter(|id| self.cluster.is_up(*id)) {
                    self.cluster.crash(target).await;
                    self.later(until, Later::Restart(target));
                }
            }
            FaultKind::Disk => {
                let faults = if fault.amount == 0 {
                    SimFaults { write_errors: 1, sync_errors: 0 }
                } else {
                    SimFaults { write_errors: 0, sync_errors: 1 }
                };
                self.cluster.inject_disk(node, faults);
            }
            FaultKind::Clock => {
                if let Some(clock) = self.cluster.clock(node) {
                    if fault.pick.is_multiple_of(2) {
                        clock.jump(fault.amount * 1_000);
                    } else {
                        clock.set_drift_ppm(fault.amount.signum() * 50_000);
                    }
                    self.later(until, Later::ClockReset(node));
                }
            }
        }
    }

    async fn due_later(&mut self, now: u64) {
        while let Some(entry) = self.later.first_entry() {
            if entry.key().0 > now {
                break;
            }
            match entry.remove() {
                Later::Link { from, to, cut, heal } => {
                    let mut link = self.cluster.link(from, to);
                    match heal {
                        LinkHeal::Cut => link.cut = cut,
                        LinkHeal::Delay => link.extra_delay_ms = 0,
                        LinkHeal::Loss => link.loss_per_mille = 0,
                        LinkHeal::Duplicate => link.duplicate_per_mille = 0,
                        LinkHeal::Jitter => link.jitter_ms = 0,
                    }
                    self.cluster.set_link(from, to, link);
                }
                Later::Restart(id) => {
                    if !self.retired.contains(&id) {
                        if let Err(error) = self.cluster.start(id).await {
                            self.checker.violations.push(violation(now, "a crashed node restarts", error));
                        }
                    }
                }
                Later::ClockReset(id) => {
                    if let Some(clock) = self.cluster.clock(id) {
                        clock.reset();
                    }
                }
            }
        }
    }

    /// A node whose Raft stopped on a storage error is restarted by its supervisor.
    async fn restart_fatal(&mut self, now: u64) {
        for id in self.present() {
            let Some(replica) = self.cluster.replica(id) else { continue };
            let fatal = replica.raft().metrics().borrow().running_state.is_err();
            if fatal {
                self.cluster.crash(id).await;
                self.later(now + FATAL_RESTART_MS, Later::Restart(id));
            }
        }
    }

    /// Everything heals at once: links, clocks, disks; crashed nodes restart.
    async fn heal_everything(&mut self, now: u64) {
        self.later.retain(|_, later| !matches!(later, Later::Link { .. } | Later::ClockReset(_)));
        self.cluster.heal_all_links();
        for id in self.present() {
            if let Some(clock) = self.cluster.clock(id) {
                clock.reset();
            }
            self.cluster.inject_disk(id, SimFaults::default());
            if !self.cluster.is_up(id) {
                self.later.retain(|_, later| *later != Later::Restart(id));
                if let Err(error) = self.cluster.start(id).await {
                    self.checker.violations.push(violation(now, "a crashed node restarts", error));
                }
            }
        }
        self.checker.trace.record(now, 0, Kind::Fault, u64::MAX);
    }

    /// Operators add node 4 as a learner, promote it, then remove the witness.
    async fn operators(
        &mut self,
        plan: &OperatorPlan,
        stage: u32,
        done: &Arc<std::sync::Mutex<Vec<&'static str>>>,
        now: u64,
    ) -> u32 {
        let Some(times) = plan.times_ms else { return stage };
        let finished: Vec<&'static str> = match done.lock() {
            Ok(mut guard) => std::mem::take(&mut *guard),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        let mut stage = stage;
        for what in finished {
            match what {
                "added" if stage == 1 => stage = 2,
                "promoted" if stage == 3 => stage = 4,
                "removed" if stage == 5 => {
                    self.retired.insert(WITNESS);
                    self.cluster.crash(WITNESS).await;
                    stage = 6;
                }
                "failed" => stage -= 1,
                _ => {}
            }
        }
        let request = match stage {
            0 if now >= times[0] => {
                self.cluster.add_slot(EXTRA, Side::A);
                if self.cluster.start(EXTRA).await.is_err() {
                    return stage;
                }
                Some(("added", OperatorRequest::Add))
            }
            2 if now >= times[1] => Some(("promoted", OperatorRequest::Promote)),
            4 if now >= times[2] => Some(("removed", OperatorRequest::RemoveWitness)),
            _ => None,
        };
        let Some((label, request)) = request else { return stage };
        let Some(node) = [NODE_A, NODE_B, EXTRA].into_iter().find(|id| self.cluster.is_up(*id)) else { return stage };
        let Some(replica) = self.cluster.replica(node) else { return stage };
        let done = done.clone();
        tokio::spawn(async move {
            let result = match request {
                OperatorRequest::Add => replica.add_learner(EXTRA, Cluster::member(EXTRA, Side::A)).await,
                OperatorRequest::Promote => replica.promote(EXTRA).await,
                OperatorRequest::RemoveWitness => replica.remove(WITNESS).await,
            };
            let label = if result.is_ok() { label } else { "failed" };
            match done.lock() {
                Ok(mut guard) => guard.push(label),
                Err(poisoned) => poisoned.into_inner().push(label),
            }
        });
        self.rng.gen::<u8>();
        stage + 1
    }
}

#[derive(Debug, Clone, Copy)]
enum OperatorRequest {
    Add,
    Promote,
    RemoveWitness,
}
