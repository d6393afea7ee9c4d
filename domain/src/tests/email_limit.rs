//! The email CSQ limit (seeds-uccx.md §2.5): at most 100, the 101st gets the spec's message.

use super::{check, csq, row, skill, Expect};
use crate::QueueCommand;
use crate::{Channel, Command, CsqId, RejectionCode, EMAIL_CSQ_COUNT_MAX, EMAIL_CSQ_LIMIT_MESSAGE};
use Expect::{Applied, RejectedExactly};

const MESSAGE: &str = "Tandem supports a maximum of 100 Email CSQs. Exceeded maximum limit for Email CSQs.";

/// A skill, then `count` email CSQs (ids 1 to `count`).
fn emails(count: u32) -> Vec<Command> {
    let csqs = (1..=count).map(|index| csq(&format!("Email {index}"), Channel::Email, &[(1, 1)]));
    std::iter::once(skill("Support")).chain(csqs).collect()
}

fn with(mut setup: Vec<Command>, more: Command) -> Vec<Command> {
    setup.push(more);
    setup
}

fn to_email(id: u64, name: &str) -> Command {
    Command::Queue(QueueCommand::UpdateCsq { id: CsqId(id), spec: super::csq_spec(name, Channel::Email, &[(1, 1)]) })
}

#[test]
fn email_csq_limit() {
    let full = || emails(EMAIL_CSQ_COUNT_MAX);
    let full_and_chat = || with(emails(EMAIL_CSQ_COUNT_MAX), csq("Chat", Channel::Chat, &[(1, 1)]));
    check(vec![
        row("the 100th email CSQ", emails(99), csq("Email 100", Channel::Email, &[(1, 1)]), Applied),
        row(
            "the 101st email CSQ",
            full(),
            csq("Email 101", Channel::Email, &[(1, 1)]),
            RejectedExactly(RejectionCode::EmailCsqLimit, MESSAGE),
        ),
        row("chat CSQs are not counted", full(), csq("Chat", Channel::Chat, &[(1, 1)]), Applied),
        row("voice CSQs are not counted", full(), csq("Voice", Channel::Voice, &[(1, 1)]), Applied),
        row(
            "updating a chat CSQ into the 101st",
            full_and_chat(),
            to_email(101, "Chat"),
            RejectedExactly(RejectionCode::EmailCsqLimit, MESSAGE),
        ),
        row("updating one of the 100 stays in bounds", full(), to_email(100, "Email 100 renamed"), Applied),
        row(
            "a freed place can be taken again",
            with(full(), Command::Queue(QueueCommand::DeleteCsq { id: CsqId(7) })),
            csq("Email 101", Channel::Email, &[(1, 1)]),
            Applied,
        ),
    ]);
}

#[test]
fn message_is_the_spec_text_naming_tandem() {
    assert_eq!(EMAIL_CSQ_LIMIT_MESSAGE, MESSAGE);
    assert!(EMAIL_CSQ_LIMIT_MESSAGE.contains(&format!("maximum of {EMAIL_CSQ_COUNT_MAX} Email CSQs")));
}
