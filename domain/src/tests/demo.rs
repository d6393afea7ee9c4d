//! The demo center applies cleanly to an empty center, with the ids its commands assume.

use super::{assert_invariants, entry};
use crate::{demo_commands, AgentId, Center, Channel, CsqId, ReasonKind, Selection, SkillId, TeamId};

#[test]
fn demo_applies_to_an_empty_center() {
    let mut center = Center::default();
    for command in demo_commands() {
        let outcome = center.apply(&entry(command.clone()));
        assert!(outcome.is_applied(), "{command:?} gave {outcome:?}");
    }
    assert_invariants(&center);
    assert_eq!(center.skills().count(), 4);
    assert_eq!(center.teams().count(), 2);
    assert_eq!(center.agents().count(), 8);
    assert_eq!(center.reason_codes().filter(|code| code.kind == ReasonKind::NotReady).count(), 4);
    assert_eq!(center.reason_codes().filter(|code| code.kind == ReasonKind::Logout).count(), 2);
    let csqs: Vec<(Channel, Selection)> = center.csqs().map(|csq| (csq.channel, csq.selection)).collect();
    assert_eq!(
        csqs,
        [
            (Channel::Voice, Selection::LongestAvailable),
            (Channel::Chat, Selection::MostSkilled),
            (Channel::Email, Selection::LongestAvailable)
        ]
    );
    assert_eq!(center.team(TeamId(1)).unwrap().primary_supervisor, Some(AgentId(1)));
    assert_eq!(center.team(TeamId(2)).unwrap().secondary_supervisors, [AgentId(6)]);
    let numbers: Vec<(&str, CsqId)> = center.dialed_numbers().map(|dn| (dn.number.as_str(), dn.csq)).collect();
    assert_eq!(numbers, [(crate::DEMO_DIALED_NUMBER, CsqId(1))], "the README's number reaches the voice CSQ");
}

/// The demo users the node creates: one per agent, its team's supervisors as supervisors,
/// and an administrator; each one a user the center accepts.
#[test]
fn demo_users_match_the_demo_center() {
    let mut center = super::center_from("demo", &demo_commands());
    for (login, role, agent) in crate::DEMO_USERS {
        if let Some(agent) = agent {
            assert_eq!(center.agent(agent).map(|a| a.login_name.as_str()), Some(login), "{login}'s agent");
            let supervises = center.teams().any(|team| team.is_supervised_by(agent));
            assert_eq!(role == crate::Role::Supervisor, supervises, "{login}: supervisor if it supervises a team");
        }
        let spec = crate::UserSpec {
            login_name: login.to_owned(),
            role,
            agent,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        };
        let outcome = center.apply(&entry(crate::Command::Config(crate::ConfigCommand::CreateUser(spec))));
        assert!(outcome.is_applied(), "{login}: {outcome:?}");
    }
}

#[test]
fn demo_holds_the_most_skilled_worked_example() {
    let center = super::center_from("demo", &demo_commands());
    let alice = center.agent(AgentId(1)).unwrap();
    let competence =
        |skill: SkillId| alice.skills.iter().find(|level| level.skill == skill).map(|level| level.competence);
    let billing_chat = center.csq(CsqId(2)).unwrap();
    let total: u32 = billing_chat.skills.iter().filter_map(|required| competence(required.skill)).map(u32::from).sum();
    assert_eq!(total, 12, "Skill1(5) + Skill3(7)");
    assert_eq!(competence(SkillId(1)), Some(5), "Skill1 only gives 5");
}
