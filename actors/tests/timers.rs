//! The leader timer actor against a fake core: a due deadline is proposed once, only on the
//! leader, and its expiry changes the center as the domain says (ring no answer requeues).

mod support;

use std::time::Duration;
use tandem_domain::{AgentCommand, QueueCommand, SystemCommand};

use actix::Actor;
use support::FakeCore;
use tandem_actors::LeaderTimers;
use tandem_domain::{
    AgentId, AgentState, AgentStateRequest, Channel, Command, ContactId, ContactSpec, ContactState, CsqId, RequestId,
};

/// The demo center with Bruno (agent 2, voice CSQ 1) Ready and a call ringing on his phone.
fn ringing_call() -> FakeCore {
    let core = FakeCore::demo();
    let bruno = AgentId(2);
    core.apply(Command::Agent(AgentCommand::SetAgentState {
        agent: bruno,
        state: AgentStateRequest::Login,
        reason: None,
    }));
    core.apply(Command::Agent(AgentCommand::SetAgentState {
        agent: bruno,
        state: AgentStateRequest::Ready,
        reason: None,
    }));
    core.apply(Command::Queue(QueueCommand::InjectContact(ContactSpec {
        channel: Channel::Voice,
        csq: CsqId(1),
        priority: None,
        customer_name: None,
        customer_address: None,
        subject: None,
    })));
    let contact = core.center.borrow().contact(ContactId(1)).map(|c| c.state.clone());
    assert_eq!(contact, Some(ContactState::Offered { agent: bruno }));
    core
}

async fn ticks(core: &FakeCore, count: u32) {
    for _ in 0..count {
        core.now_ms.set(core.now_ms.get() + 100);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix::test]
async fn the_leader_expires_a_ring_no_answer_once() {
    tokio::time::pause();
    let core = ringing_call();
    let ring_ms =
        u64::from(core.center.borrow().contact(ContactId(1)).map_or(0, |c| c.timeouts.ring_no_answer_seconds)) * 1000;
    LeaderTimers::new(core.clone(), Duration::from_millis(50)).start();

    ticks(&core, (ring_ms / 100 - 2) as u32).await;
    assert!(core.proposals.borrow().is_empty(), "nothing is due before the ring timeout");

    ticks(&core, 4).await;
    let proposals = core.proposals.borrow().clone();
    assert_eq!(proposals.len(), 1, "one expiry, proposed once: {proposals:?}");
    assert!(matches!(proposals[0].command, Command::System(SystemCommand::Expire { .. })));
    assert!(matches!(&proposals[0].request_id, Some(RequestId(id)) if id.starts_with("expire-")));
    let center = core.center.borrow();
    assert_eq!(center.contact(ContactId(1)).map(|c| c.state.clone()), Some(ContactState::Queued));
    assert_eq!(center.agent_status(AgentId(2)).map(|s| s.state), Some(AgentState::NotReady));
}

#[actix::test]
async fn a_follower_proposes_nothing() {
    tokio::time::pause();
    let core = ringing_call();
    core.leader.set(false);
    LeaderTimers::new(core.clone(), Duration::from_millis(50)).start();
    ticks(&core, 600).await;
    assert!(core.proposals.borrow().is_empty());
    core.leader.set(true);
    ticks(&core, 2).await;
    assert_eq!(core.proposals.borrow().len(), 1, "the new leader fires the overdue deadline");
}
