//! Property tests: random command sequences, valid and invalid, applied to fresh centers.
//!
//! Names, ids and numbers come from small pools, so sequences hit duplicates, dangling
//! references, deletes of referenced entities, replays and out-of-range values often.

use crate::{AgentCommand, ConfigCommand, QueueCommand, SystemCommand};
use proptest::prelude::*;

use super::{assert_invariants, json};
use crate::{
    AgentId, AgentSpec, Center, Channel, Command, CsqId, CsqSpec, Entry, ReasonCodeId, ReasonCodeSpec, ReasonKind,
    RequestId, Selection, SkillId, SkillLevel, SkillRequirement, SkillSpec, TeamId, TeamSpec,
};

fn name() -> impl Strategy<Value = String> {
    let valid = ["a", "A", "b", " b ", "c", "é", "É"].map(str::to_owned).to_vec();
    let invalid = vec![String::new(), "x\ty".to_owned(), "x".repeat(65)];
    prop_oneof![12 => prop::sample::select(valid), 1 => prop::sample::select(invalid)]
}

fn label() -> impl Strategy<Value = String> {
    let valid = ["Break", "BREAK", "Lunch"].map(str::to_owned).to_vec();
    let invalid = vec![" ".to_owned(), "l".repeat(43)];
    prop_oneof![12 => prop::sample::select([valid, vec!["l".repeat(42)]].concat()), 1 => prop::sample::select(invalid)]
}

/// Mostly ids that may exist, sometimes 0 (never assigned) or 9 (rarely reached).
fn id() -> impl Strategy<Value = u64> {
    prop_oneof![16 => 1u64..4, 1 => Just(0u64), 1 => Just(9u64)]
}

/// Mostly valid competences, sometimes just out of range.
fn competence() -> impl Strategy<Value = u8> {
    prop_oneof![16 => 1u8..=10, 1 => Just(0u8), 1 => Just(11u8)]
}

/// Mostly distinct ids from 1 to 3; sometimes one more id (a repeat, 0 or 9).
fn ids(count_min: usize) -> impl Strategy<Value = Vec<u64>> {
    let distinct = prop::sample::subsequence(vec![1u64, 2, 3], count_min..=3);
    (distinct, prop::option::weighted(0.15, id())).prop_map(|(mut ids, extra)| {
        ids.extend(extra);
        ids
    })
}

/// A skill list: ids from [`ids`], each with a competence.
fn skill_list(count_min: usize) -> impl Strategy<Value = Vec<(u64, u8)>> {
    (ids(count_min), prop::collection::vec(competence(), 4))
        .prop_map(|(ids, competences)| ids.into_iter().zip(competences).collect())
}

fn skill_spec() -> impl Strategy<Value = SkillSpec> {
    name().prop_map(|name| SkillSpec { name })
}

fn agent_spec() -> impl Strategy<Value = AgentSpec> {
    let levels = skill_list(0);
    (name(), name(), prop::option::of(name()), prop::option::of(id()), levels).prop_map(
        |(login_name, name, alias, team, levels)| AgentSpec {
            login_name,
            name,
            alias,
            team: team.map(TeamId),
            extension: None,
            skills: levels
                .into_iter()
                .map(|(skill, competence)| SkillLevel { skill: SkillId(skill), competence })
                .collect(),
        },
    )
}

fn team_spec() -> impl Strategy<Value = TeamSpec> {
    (name(), prop::option::weighted(0.3, id()), prop_oneof![3 => Just(Vec::new()), 1 => ids(0)]).prop_map(
        |(name, primary, secondary)| TeamSpec {
            name,
            primary_supervisor: primary.map(AgentId),
            secondary_supervisors: secondary.into_iter().map(AgentId).collect(),
        },
    )
}

fn csq_spec() -> impl Strategy<Value = CsqSpec> {
    let channel = prop::sample::select(vec![Channel::Voice, Channel::Chat, Channel::Email]);
    let selection = prop::sample::select(vec![Selection::LongestAvailable, Selection::MostSkilled]);
    let requirements = prop_oneof![12 => skill_list(1), 1 => Just(Vec::new())];
    (name(), channel, selection, requirements).prop_map(|(name, channel, selection, requirements)| CsqSpec {
        name,
        channel,
        selection,
        skills: requirements
            .into_iter()
            .map(|(skill, min_competence)| SkillRequirement { skill: SkillId(skill), min_competence })
            .collect(),
    })
}

fn reason_code_spec() -> impl Strategy<Value = ReasonCodeSpec> {
    let kind = prop::sample::select(vec![ReasonKind::NotReady, ReasonKind::Logout]);
    let value = prop::sample::select(vec![0u16, 1, 1, 2, 2, 3, u16::MAX]);
    (kind, value, label()).prop_map(|(kind, value, label)| ReasonCodeSpec { kind, value, label })
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        4 => skill_spec().prop_map(|value| Command::Config(ConfigCommand::CreateSkill(value))),
        1 => (id(), skill_spec()).prop_map(|(id, spec)| Command::Config(ConfigCommand::UpdateSkill { id: SkillId(id), spec })),
        1 => id().prop_map(|id| Command::Config(ConfigCommand::DeleteSkill { id: SkillId(id) })),
        4 => agent_spec().prop_map(|value| Command::Agent(AgentCommand::CreateAgent(value))),
        1 => (id(), agent_spec()).prop_map(|(id, spec)| Command::Agent(AgentCommand::UpdateAgent { id: AgentId(id), spec })),
        1 => id().prop_map(|id| Command::Agent(AgentCommand::DeleteAgent { id: AgentId(id) })),
        4 => team_spec().prop_map(|value| Command::Config(ConfigCommand::CreateTeam(value))),
        1 => (id(), team_spec()).prop_map(|(id, spec)| Command::Config(ConfigCommand::UpdateTeam { id: TeamId(id), spec })),
        1 => id().prop_map(|id| Command::Config(ConfigCommand::DeleteTeam { id: TeamId(id) })),
        4 => csq_spec().prop_map(|value| Command::Queue(QueueCommand::CreateCsq(value))),
        1 => (id(), csq_spec()).prop_map(|(id, spec)| Command::Queue(QueueCommand::UpdateCsq { id: CsqId(id), spec })),
        1 => id().prop_map(|id| Command::Queue(QueueCommand::DeleteCsq { id: CsqId(id) })),
        4 => reason_code_spec().prop_map(|value| Command::Config(ConfigCommand::CreateReasonCode(value))),
        1 => (id(), reason_code_spec()).prop_map(|(id, spec)| Command::Config(ConfigCommand::UpdateReasonCode { id: ReasonCodeId(id), spec })),
        1 => id().prop_map(|id| Command::Config(ConfigCommand::DeleteReasonCode { id: ReasonCodeId(id) })),
        1 => Just(Command::System(SystemCommand::Noop)),
    ]
}

/// Mostly no request id or a fresh one; sometimes a reused one (replay or conflict) or an
/// invalid one.
fn request_id() -> impl Strategy<Value = Option<RequestId>> {
    let reused = ["r1", "r2"].map(str::to_owned).to_vec();
    let invalid = vec![String::new(), "r".repeat(65)];
    prop_oneof![
        12 => Just(None),
        6 => (0u32..100_000).prop_map(|number| Some(RequestId(format!("u{number}")))),
        1 => prop::sample::select(reused).prop_map(|text| Some(RequestId(text))),
        1 => prop::sample::select(invalid).prop_map(|text| Some(RequestId(text))),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    (request_id(), 0u64..1_000, command()).prop_map(|(request_id, time_ms, command)| Entry {
        request_id,
        time_ms,
        command,
        by: crate::Actor::Operator,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Two fresh centers given the same entries agree on every outcome, state and byte; one of
    /// them is restored from its own snapshot halfway, which must not change anything either.
    /// Every rejection leaves the state byte-identical and time never goes backwards.
    #[test]
    fn apply_is_deterministic_and_rejections_change_nothing(
        entries in prop::collection::vec(entry(), 1..100),
        restore_at in 0usize..100,
    ) {
        let mut left = Center::default();
        let mut right = Center::default();
        for (index, entry) in entries.iter().enumerate() {
            if index == restore_at {
                right = serde_json::from_slice(&json(&right)).unwrap();
            }
            let before = left.clone();
            let bytes_before = json(&left);
            let outcome_left = left.apply(entry);
            let outcome_right = right.apply(entry);
            prop_assert_eq!(&outcome_left, &outcome_right);
            prop_assert_eq!(&left, &right);
            prop_assert!(left.time_ms() >= before.time_ms());
            if outcome_left.is_applied() {
                assert_invariants(&left);
            } else {
                prop_assert_eq!(&left, &before);
                prop_assert_eq!(json(&left), bytes_before);
            }
        }
        prop_assert_eq!(json(&left), json(&right));
    }

    /// Applying an applied entry again, with its request id, replays: same outcome, no change.
    #[test]
    fn a_remembered_request_applies_once(entries in prop::collection::vec(entry(), 1..30), last in entry()) {
        let mut center = Center::default();
        for entry in &entries {
            let _outcome = center.apply(entry);
        }
        let last = Entry { request_id: Some(RequestId("last".into())), ..last };
        let first = center.apply(&last);
        let before = json(&center);
        let again = center.apply(&Entry { time_ms: last.time_ms + 1, ..last.clone() });
        if first.is_applied() {
            prop_assert_eq!(first, again);
            prop_assert_eq!(json(&center), before);
        }
    }
}
