//! The leader's timers: every deadline held in the center fires as an `Expire` command.
//!
//! Deadlines are values in the replicated state (DESIGN.md, data flow step 6), so a new leader
//! knows every running timer without any hand-over: this actor, running on every node, looks
//! at the due deadlines only while its node leads and proposes their expiry. The request id is
//! the timer's epoch, unique for the life of the center, so an expiry proposed twice (a retry,
//! or two leaders in quick succession) applies once, and a stale one is a no-op in the domain.

use std::collections::BTreeSet;
use std::time::Duration;
use tandem_domain::SystemCommand;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, WrapFuture};
use tandem_domain::{Command, Entry, Outcome, RequestId};

use crate::Core;

/// How many expiries one tick proposes at most; the rest wait for the next tick.
pub const EXPIRIES_PER_TICK_MAX: u32 = 512;

/// Proposes the expiry of due deadlines while this node leads.
pub struct LeaderTimers<C: Core> {
    core: C,
    tick: Duration,
    /// Epochs proposed and not yet answered, so a slow commit is not proposed again each tick.
    in_flight: BTreeSet<u64>,
    proposed_total: u64,
}

impl<C: Core> LeaderTimers<C> {
    /// Checks for due deadlines every `tick` (a timer fires at most one tick late).
    pub fn new(core: C, tick: Duration) -> Self {
        LeaderTimers { core, tick, in_flight: BTreeSet::new(), proposed_total: 0 }
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if !self.core.is_leader() {
            self.in_flight.clear();
            return;
        }
        let now_ms = self.core.now_ms();
        let due = self.core.read(|center| center.deadlines_due(now_ms, EXPIRIES_PER_TICK_MAX));
        for due in due {
            if !self.in_flight.insert(due.epoch) {
                continue;
            }
            self.proposed_total += 1;
            let entry = Entry {
                request_id: Some(RequestId(format!("expire-{}", due.epoch))),
                time_ms: 0,
                command: Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch }),
                by: tandem_domain::Actor::Operator,
            };
            let epoch = due.epoch;
            let deadline = due.deadline;
            let proposal = self.core.propose(entry).into_actor(self).map(move |result, actor, _| {
                actor.in_flight.remove(&epoch);
                match result {
                    Ok(Outcome::Applied(_)) => {}
                    Ok(Outcome::Rejected(rejection)) => {
                        tracing::warn!(?deadline, epoch, %rejection, "expiry refused");
                    }
                    // Lost leadership or a slow commit: the next tick proposes it again if it is
                    // still due and this node still leads.
                    Err(error) => tracing::debug!(?deadline, epoch, %error, "expiry not committed"),
                }
            });
            ctx.spawn(proposal);
        }
    }
}

impl<C: Core> Actor for LeaderTimers<C> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.tick, |actor, ctx| actor.tick(ctx));
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        tracing::debug!(proposed = self.proposed_total, "leader timers stopped");
    }
}
