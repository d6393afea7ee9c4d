//! Desktop content rules: wrap-up categories and reasons, predefined responses, email
//! signatures and team messages, each limit and message of the spec.

use super::routing::{csq_with, digital_ready, inject, login, spec_of};
use super::script::Script;
use super::{agent, agent_in, check, row, skills, team, Expect};
use crate::{
    AgentCommand, ChatCommand, ConfigCommand, EmailCommand, QueueCommand, QueueEvent, SupervisionCommand,
    SupervisionEvent,
};
use crate::{
    AgentId, Channel, Command, ContactId, ContactSpec, CsqId, CsqTags, EmailSignatureSpec, Event,
    PredefinedResponseSpec, RejectionCode, Selection, TeamId, TeamMessageId, TeamMessageSpec, WrapUpCategoryId,
    WrapUpCategorySpec, WrapUpSelection,
};
use Expect::{Applied, Rejected, RejectedExactly};
use RejectionCode::*;

/// Skill 1; CSQs 1 (chat), 2 (email), 3 (voice), 4–14 (chat).
fn csqs() -> Vec<Command> {
    let mut setup = skills(1);
    setup.push(csq_with("Chat", Channel::Chat, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(csq_with("Email", Channel::Email, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(csq_with("Voice", Channel::Voice, Selection::LongestAvailable, &[(1, 1)]));
    for index in 4..=14 {
        setup.push(csq_with(&format!("Chat {index}"), Channel::Chat, Selection::LongestAvailable, &[(1, 1)]));
    }
    setup
}

fn with(mut setup: Vec<Command>, more: impl IntoIterator<Item = Command>) -> Vec<Command> {
    setup.extend(more);
    setup
}

fn tagged(csqs: &[u64]) -> CsqTags {
    CsqTags::Csqs(csqs.iter().map(|&id| CsqId(id)).collect())
}

fn category(name: &str, reasons: &[&str], tags: CsqTags) -> Command {
    Command::Config(ConfigCommand::CreateWrapUpCategory(WrapUpCategorySpec {
        name: name.to_owned(),
        reasons: reasons.iter().map(|reason| (*reason).to_owned()).collect(),
        tags,
    }))
}

#[test]
fn wrap_up_category_limits() {
    let many = |count: usize| (1..=count).map(|index| format!("Reason {index}")).collect::<Vec<_>>();
    let spec = |reasons: Vec<String>| {
        Command::Config(ConfigCommand::CreateWrapUpCategory(WrapUpCategorySpec {
            name: "Sales".into(),
            reasons,
            tags: CsqTags::Global,
        }))
    };
    let full = || with(csqs(), (1..=25).map(|index| category(&format!("C{index}"), &["R"], CsqTags::Global)));
    let csq_full = || with(csqs(), (1..=10).map(|index| category(&format!("C{index}"), &["R"], tagged(&[1]))));
    check(vec![
        row("name of 40", csqs(), category(&"n".repeat(40), &["R"], CsqTags::Global), Applied),
        row(
            "name of 41",
            csqs(),
            category(&"n".repeat(41), &["R"], CsqTags::Global),
            Rejected(InvalidField, "name must be at most 40 characters (got 41)"),
        ),
        row(
            "reason of 41",
            csqs(),
            category("Sales", &[&"r".repeat(41)], CsqTags::Global),
            Rejected(InvalidField, "reasons[0] must be at most 40 characters (got 41)"),
        ),
        row("25 reasons", csqs(), spec(many(25)), Applied),
        row("26 reasons", csqs(), spec(many(26)), Rejected(InvalidField, "reasons must list 1 to 25 reasons (got 26)")),
        row("no reasons", csqs(), spec(Vec::new()), Rejected(InvalidField, "(got 0)")),
        row(
            "a reason twice",
            csqs(),
            category("Sales", &["Sold", "SOLD"], CsqTags::Global),
            Rejected(DuplicateName, "reasons lists \"SOLD\" more than once"),
        ),
        row(
            "25 categories",
            with(csqs(), (1..=24).map(|index| category(&format!("C{index}"), &["R"], CsqTags::Global))),
            category("Last", &["R"], CsqTags::Global),
            Applied,
        ),
        row(
            "the 26th category",
            full(),
            category("One more", &["R"], CsqTags::Global),
            RejectedExactly(LimitExceeded, "Tandem supports a maximum of 25 wrap-up categories."),
        ),
        row(
            "10 on one CSQ",
            with(csqs(), (1..=9).map(|index| category(&format!("C{index}"), &["R"], tagged(&[1])))),
            category("Tenth", &["R"], tagged(&[1, 4])),
            Applied,
        ),
        row(
            "the 11th on one CSQ",
            csq_full(),
            category("Eleventh", &["R"], tagged(&[4, 1])),
            Rejected(LimitExceeded, "CSQ 1 already has 10 wrap-up categories, the most a CSQ may have"),
        ),
        row("other CSQs are not affected", csq_full(), category("Eleventh", &["R"], tagged(&[4])), Applied),
        row(
            "not for voice CSQs",
            csqs(),
            category("Calls", &["R"], tagged(&[3])),
            Rejected(InvalidField, "CSQ 3 is a voice CSQ"),
        ),
        row(
            "unknown CSQ",
            csqs(),
            category("Sales", &["R"], tagged(&[99])),
            Rejected(UnknownCsq, "tags: CSQ 99 does not exist"),
        ),
        row(
            "a CSQ twice",
            csqs(),
            category("Sales", &["R"], tagged(&[1, 1])),
            Rejected(InvalidField, "tags list CSQ 1 more than once"),
        ),
        row(
            "duplicate name",
            with(csqs(), [category("Sales", &["R"], CsqTags::Global)]),
            category("sales", &["R"], CsqTags::Global),
            Rejected(DuplicateName, "wrap-up category 1"),
        ),
        row(
            "a tagged CSQ cannot be deleted",
            with(csqs(), [category("Sales", &["R"], tagged(&[1]))]),
            Command::Queue(QueueCommand::DeleteCsq { id: CsqId(1) }),
            Rejected(InUse, "CSQ 1 is in use by wrap-up category 1, so it cannot be deleted"),
        ),
    ]);
}

fn select(category: u64, reason: &str) -> WrapUpSelection {
    WrapUpSelection { category: WrapUpCategoryId(category), reason: reason.to_owned() }
}

fn set_wrap_up(agent: u64, contact: u64, reasons: Vec<WrapUpSelection>) -> Command {
    Command::Queue(QueueCommand::SetContactWrapUp { agent: AgentId(agent), contact: ContactId(contact), reasons })
}

#[test]
fn an_agent_selects_up_to_five_reasons_of_the_categories_offered_on_arrival() {
    let mut setup = csqs();
    setup.push(category("Sales", &["Sold", "Quote", "Upsell", "Lost", "Callback", "Other"], tagged(&[1])));
    setup.push(category("Billing", &["Refund"], tagged(&[4])));
    setup.extend([agent("alice", &[(1, 5)]), login(1), digital_ready(1), inject(Channel::Chat, 1)]);
    setup.push(Command::Chat(ChatCommand::AcceptChat { agent: AgentId(1), contact: ContactId(1) }));
    let mut script = Script::new(&setup);
    assert_eq!(script.center.contact(ContactId(1)).unwrap().wrap_up_categories, [WrapUpCategoryId(1)]);
    let five: Vec<WrapUpSelection> =
        ["Sold", "Quote", "Upsell", "Lost", "Callback"].iter().map(|reason| select(1, reason)).collect();
    let events = script.ok(set_wrap_up(1, 1, five.clone()));
    assert!(matches!(events.as_slice(), [Event::Queue(QueueEvent::ContactWrapUpSet { .. })]));
    let mut six = five.clone();
    six.push(select(1, "Other"));
    let rejection = script.refused(set_wrap_up(1, 1, six));
    assert_eq!(
        (rejection.code, rejection.message.as_str()),
        (LimitExceeded, "reasons must list at most 5 wrap-up reasons (got 6)")
    );
    let rejection = script.refused(set_wrap_up(1, 1, vec![select(2, "Refund")]));
    assert_eq!(rejection.message, "reasons[0]: category 2 is not offered for this contact");
    let rejection = script.refused(set_wrap_up(1, 1, vec![select(1, "Refund")]));
    assert_eq!(rejection.message, "reasons[0]: \"Refund\" is not a reason of category 1");
    let rejection = script.refused(set_wrap_up(1, 1, vec![select(1, "Sold"), select(1, "Sold")]));
    assert_eq!(rejection.message, "reasons[1] is selected twice");
    script.ok(set_wrap_up(1, 1, vec![select(1, "Other")]));
    script.ok(Command::Config(ConfigCommand::UpdateWrapUpCategory {
        id: WrapUpCategoryId(2),
        spec: WrapUpCategorySpec { name: "Billing".into(), reasons: vec!["Refund".into()], tags: CsqTags::Global },
    }));
    let rejection = script.refused(set_wrap_up(1, 1, vec![select(2, "Refund")]));
    assert_eq!(
        rejection.message, "reasons[0]: category 2 is not offered for this contact",
        "re-tagging affects new contacts only"
    );
    script.ok(Command::Chat(ChatCommand::EndChat { agent: AgentId(1), contact: ContactId(1) }));
    assert_eq!(script.center.contact(ContactId(1)).unwrap().wrap_up, [select(1, "Other")]);
    let rejection = script.refused(set_wrap_up(1, 1, vec![]));
    assert_eq!(rejection.message, "agent 1 is not handling contact 1");
}

fn response(title: &str, channel: Channel, body: &str, tags: CsqTags) -> Command {
    Command::Config(ConfigCommand::CreatePredefinedResponse(PredefinedResponseSpec {
        title: title.to_owned(),
        channel,
        body: body.to_owned(),
        tags,
    }))
}

#[test]
fn predefined_response_limits() {
    let full =
        || with(csqs(), (1..=500).map(|index| response(&format!("R{index}"), Channel::Chat, "Hi", CsqTags::Global)));
    let mut rows = vec![
        row("body of 1500", csqs(), response("Hello", Channel::Chat, &"b".repeat(1500), CsqTags::Global), Applied),
        row(
            "body of 1501",
            csqs(),
            response("Hello", Channel::Chat, &"b".repeat(1501), CsqTags::Global),
            Rejected(InvalidField, "body must be at most 1500 characters (got 1501)"),
        ),
        row(
            "HTML tags count in email bodies",
            csqs(),
            response("Hello", Channel::Email, &format!("<p>{}</p>", "b".repeat(1494)), CsqTags::Global),
            Rejected(InvalidField, "(got 1501)"),
        ),
        row(
            "email bodies are HTML",
            csqs(),
            response("Hello", Channel::Email, "<p>Thanks!</p>\n<p>Bye</p>", CsqTags::Global),
            Applied,
        ),
        row(
            "chat bodies refuse the title characters",
            csqs(),
            response("Hello", Channel::Chat, "a | b", CsqTags::Global),
            Rejected(InvalidField, "body must not contain < > ( ) \" | (found |)"),
        ),
        row(
            "10 CSQs",
            csqs(),
            response("Hello", Channel::Chat, "Hi", tagged(&[1, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
            Applied,
        ),
        row(
            "11 CSQs",
            csqs(),
            response("Hello", Channel::Chat, "Hi", tagged(&[1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])),
            Rejected(InvalidField, "tags must list 1 to 10 CSQs (got 11)"),
        ),
        row(
            "CSQs of its channel",
            csqs(),
            response("Hello", Channel::Chat, "Hi", tagged(&[2])),
            Rejected(InvalidField, "tags: CSQ 2 is an email CSQ, not chat"),
        ),
        row(
            "not for voice",
            csqs(),
            response("Hello", Channel::Voice, "Hi", CsqTags::Global),
            Rejected(InvalidField, "channel must be chat or email"),
        ),
        row(
            "unique title",
            with(csqs(), [response("Hello", Channel::Chat, "Hi", CsqTags::Global)]),
            response("HELLO", Channel::Email, "Hi", CsqTags::Global),
            Rejected(DuplicateName, "predefined response 1"),
        ),
        row(
            "the 501st",
            full(),
            response("One more", Channel::Email, "Hi", CsqTags::Global),
            RejectedExactly(LimitExceeded, "Tandem supports a maximum of 500 predefined responses."),
        ),
    ];
    for character in ['<', '>', '(', ')', '"', '|'] {
        let title = format!("Hello {character}");
        rows.push(row(
            "forbidden title characters",
            csqs(),
            response(&title, Channel::Chat, "Hi", CsqTags::Global),
            Rejected(InvalidField, "title must not contain"),
        ));
    }
    check(rows);
}

#[test]
fn predefined_responses_visible_for_a_csq() {
    let mut setup = csqs();
    setup.push(response("Global chat", Channel::Chat, "Hi", CsqTags::Global));
    setup.push(response("Chat 1 only", Channel::Chat, "Hi", tagged(&[1])));
    setup.push(response("Chat 4 only", Channel::Chat, "Hi", tagged(&[4])));
    setup.push(response("Global email", Channel::Email, "<p>Hi</p>", CsqTags::Global));
    let script = Script::new(&setup);
    let titles = |csq| {
        script
            .center
            .predefined_responses_for(CsqId(csq))
            .iter()
            .map(|response| response.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(1), ["Global chat", "Chat 1 only"]);
    assert_eq!(titles(2), ["Global email"]);
    assert!(titles(3).is_empty(), "none for voice");
}

fn signature(name: &str, content: &str, tags: CsqTags) -> Command {
    Command::Email(EmailCommand::CreateEmailSignature(EmailSignatureSpec {
        name: name.to_owned(),
        content: content.to_owned(),
        tags,
    }))
}

/// CSQs 1 (chat), 2 (email), 3 (voice), 4–14 (chat) and 15–26 (email).
fn email_csqs() -> Vec<Command> {
    with(
        csqs(),
        (15..=26)
            .map(|index| csq_with(&format!("Email {index}"), Channel::Email, Selection::LongestAvailable, &[(1, 1)])),
    )
}

#[test]
fn email_signature_limits() {
    let ten: Vec<u64> = (15..=24).collect();
    let eleven: Vec<u64> = (15..=25).collect();
    check(vec![
        row("name of 100", email_csqs(), signature(&"n".repeat(100), "Regards", CsqTags::Global), Applied),
        row(
            "name of 101",
            email_csqs(),
            signature(&"n".repeat(101), "Regards", CsqTags::Global),
            Rejected(InvalidField, "name must be at most 100 characters (got 101)"),
        ),
        row("content of 1500", email_csqs(), signature("Sig", &"c".repeat(1500), CsqTags::Global), Applied),
        row(
            "content of 1501",
            email_csqs(),
            signature("Sig", &"c".repeat(1501), CsqTags::Global),
            Rejected(InvalidField, "content must be at most 1500 characters (got 1501)"),
        ),
        row("10 CSQs", email_csqs(), signature("Sig", "Regards", tagged(&ten)), Applied),
        row(
            "11 CSQs",
            email_csqs(),
            signature("Sig", "Regards", tagged(&eleven)),
            Rejected(InvalidField, "tags must list 1 to 10 CSQs (got 11)"),
        ),
        row(
            "email CSQs only",
            email_csqs(),
            signature("Sig", "Regards", tagged(&[1])),
            Rejected(InvalidField, "tags: CSQ 1 is a chat CSQ, not email"),
        ),
        row(
            "one Global only",
            with(email_csqs(), [signature("A", "Regards", CsqTags::Global)]),
            signature("B", "Regards", CsqTags::Global),
            Rejected(DuplicateValue, "only one email signature may be Global; signature 1 already is"),
        ),
        row(
            "one signature per CSQ",
            with(email_csqs(), [signature("A", "Regards", tagged(&[2]))]),
            signature("B", "Regards", tagged(&[15, 2])),
            Rejected(DuplicateValue, "CSQ 2 already has an email signature (signature 1)"),
        ),
        row(
            "unique name",
            with(email_csqs(), [signature("A", "Regards", tagged(&[2]))]),
            signature("a", "Regards", tagged(&[15])),
            Rejected(DuplicateName, "email signature 1"),
        ),
    ]);
}

#[test]
fn signature_resolution_is_csq_then_global_then_none() {
    let mut setup = email_csqs();
    setup.push(agent("alice", &[]));
    setup.push(Command::Agent(AgentCommand::CreateAgent(crate::AgentSpec {
        alias: Some("Ali".into()),
        ..super::agent_spec("bruno", &[])
    })));
    let mut script = Script::new(&setup);
    assert_eq!(script.center.email_signature_for(CsqId(2)), None, "none configured");
    script.ok(signature("Support", "Kind regards,\n{{agent_alias}}", tagged(&[2])));
    assert_eq!(script.center.email_signature_text(CsqId(2), AgentId(2)).as_deref(), Some("Kind regards,\nAli"));
    assert_eq!(
        script.center.email_signature_text(CsqId(2), AgentId(1)).as_deref(),
        Some("Kind regards,\nalice"),
        "no alias: the agent ID"
    );
    assert_eq!(script.center.email_signature_for(CsqId(15)), None, "not tagged, no Global");
    script.ok(signature("Everyone", "Tandem Support", CsqTags::Global));
    assert_eq!(script.center.email_signature_for(CsqId(15)).map(|signature| signature.name.as_str()), Some("Everyone"));
    assert_eq!(script.center.email_signature_for(CsqId(2)).map(|signature| signature.name.as_str()), Some("Support"));
}

/// Agents 1 (supervisor of team 1) and 2 (member of team 1), team 2 supervised by nobody.
fn supervised() -> Vec<Command> {
    vec![agent("sam", &[]), team("Sales", Some(1), &[]), team("Support", None, &[]), agent_in("alice", 1)]
}

fn publish(text: &str, teams: &[u64], expiry_minutes: u32) -> Command {
    Command::Supervision(SupervisionCommand::PublishTeamMessage(TeamMessageSpec {
        sender: AgentId(1),
        text: text.to_owned(),
        teams: teams.iter().map(|&id| TeamId(id)).collect(),
        expiry_minutes,
    }))
}

#[test]
fn team_message_limits() {
    check(vec![
        row("255 characters", supervised(), publish(&"t".repeat(255), &[1], 60), Applied),
        row(
            "256 characters",
            supervised(),
            publish(&"t".repeat(256), &[1], 60),
            Rejected(InvalidField, "text must be at most 255 characters (got 256)"),
        ),
        row("5 minutes", supervised(), publish("Hi", &[1], 5), Applied),
        row(
            "4 minutes",
            supervised(),
            publish("Hi", &[1], 4),
            Rejected(InvalidField, "expiry_minutes must be between 5 (00:05) and 1435 (23:55) (got 4)"),
        ),
        row("23:55", supervised(), publish("Hi", &[1], 23 * 60 + 55), Applied),
        row("23:56", supervised(), publish("Hi", &[1], 23 * 60 + 56), Rejected(InvalidField, "(got 1436)")),
        row(
            "only managed teams",
            supervised(),
            publish("Hi", &[1, 2], 60),
            Rejected(InvalidState, "agent 1 does not supervise team 2"),
        ),
        row(
            "unknown team",
            supervised(),
            publish("Hi", &[9], 60),
            Rejected(UnknownTeam, "teams: team 9 does not exist"),
        ),
        row(
            "no team",
            supervised(),
            publish("Hi", &[], 60),
            Rejected(InvalidField, "teams must list at least one team"),
        ),
        row(
            "a team with messages cannot be deleted",
            with(
                supervised(),
                [
                    Command::Config(ConfigCommand::UpdateTeam {
                        id: TeamId(2),
                        spec: super::team_spec("Support", Some(1), &[]),
                    }),
                    publish("Hi", &[2], 60),
                ],
            ),
            Command::Config(ConfigCommand::DeleteTeam { id: TeamId(2) }),
            Rejected(InUse, "team 2 is in use by team message 1"),
        ),
    ]);
}

#[test]
fn team_messages_cap_publishes_at_100_per_hour_deletes_included() {
    let mut script = Script::new(&supervised());
    for _ in 0..99 {
        script.ok(publish("Hi", &[1], 60));
    }
    script.ok(Command::Supervision(SupervisionCommand::DeleteTeamMessage { id: TeamMessageId(1), by: None }));
    let rejection = script.refused(publish("Hi", &[1], 60));
    assert_eq!(rejection.code, RateLimited);
    assert_eq!(rejection.code.http_status(), 429);
    assert_eq!(rejection.message, "Tandem allows 100 team message publishes per hour; try again later.");
    script.after(3_600_000);
    script.ok(publish("Hi", &[1], 60));
}

#[test]
fn team_messages_cap_active_messages_at_1600() {
    let mut script = Script::new(&supervised());
    for _ in 0..16 {
        for _ in 0..100 {
            script.apply(publish("Hi", &[1], 23 * 60 + 55));
        }
        script.after(3_600_000);
    }
    assert_eq!(script.center.team_messages().count(), 1600);
    let rejection = script.refused(publish("Hi", &[1], 60));
    assert_eq!(
        (rejection.code, rejection.message.as_str()),
        (LimitExceeded, "Tandem supports a maximum of 1600 active team messages.")
    );
    script.ok(Command::Supervision(SupervisionCommand::DeleteTeamMessage {
        id: TeamMessageId(1600),
        by: Some(AgentId(1)),
    }));
    script.ok(publish("Room again", &[1], 60));
}

#[test]
fn team_messages_expire_and_agents_see_the_newest_first() {
    let mut script = Script::new(&supervised());
    script.ok(publish("First", &[1], 10));
    script.after(1_000).ok(publish("Second", &[1], 5));
    let texts = |script: &Script| {
        script.center.team_messages_for(AgentId(2)).iter().map(|message| message.text.clone()).collect::<Vec<_>>()
    };
    assert_eq!(texts(&script), ["Second", "First"]);
    let rejection = script.refused(Command::Supervision(SupervisionCommand::DeleteTeamMessage {
        id: TeamMessageId(2),
        by: Some(AgentId(2)),
    }));
    assert_eq!(
        rejection.message,
        "agent 2 did not send team message 2; only its sender or an administrator may delete it"
    );
    let events = script.expire_next();
    assert_eq!(events, [Event::Supervision(SupervisionEvent::TeamMessageExpired(TeamMessageId(2)))]);
    assert_eq!(texts(&script), ["First"], "the previous message is current again");
    script.ok(Command::Supervision(SupervisionCommand::DeleteTeamMessage { id: TeamMessageId(1), by: None }));
    assert!(texts(&script).is_empty());
    assert_eq!(script.center.deadline_next(), None);
    let rejection =
        script.refused(Command::Supervision(SupervisionCommand::DeleteTeamMessage { id: TeamMessageId(1), by: None }));
    assert_eq!(rejection.code, NotFound);
}

#[test]
fn email_contacts_offer_wrap_up_too() {
    let mut setup = csqs();
    setup.push(category("Mail", &["Answered"], tagged(&[2])));
    setup.extend([agent("alice", &[(1, 5)]), login(1), digital_ready(1)]);
    setup.push(Command::Queue(QueueCommand::InjectContact(ContactSpec { ..spec_of(inject(Channel::Email, 2)) })));
    let mut script = Script::new(&setup);
    script.ok(set_wrap_up(1, 1, vec![select(1, "Answered")]));
    script.ok(Command::Queue(QueueCommand::InjectContact(spec_of(inject(Channel::Voice, 3)))));
    let rejection = script.refused(set_wrap_up(1, 2, vec![]));
    assert_eq!(rejection.message, "voice calls take wrap-up data, not wrap-up reasons");
}
