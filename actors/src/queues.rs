//! The queue actor: one actix actor per CSQ on a node, owning that CSQ's live data and
//! pushing it to the agent actors that watch it.
//!
//! A desktop is pushed the statistics of the CSQs its agents serve on the node's schedule
//! (`SkillGroupStatistics`, seeds-ctios.md). Computing a CSQ's figures visits every agent
//! qualified for it, so a node with 10,000 desktops on a CSQ of 10,000 agents that computed them
//! per desktop did 10,000 × 10,000 agent reads per interval, all under the center's read lock.
//! The queue actor computes its CSQ's figures once per [`QUEUE_LIVE_DATA_REFRESH_MS`] while
//! anyone watches it, and publishes them on a `watch` channel: an agent actor reads the latest
//! when one of its desktops is due, so the figures a desktop sees are at most that old and a
//! push costs one store, however many desktops watch. Without watchers the actor is idle.
//!
//! The [`Queues`] registry is one per node, shared by its HTTP workers: a CSQ's actor runs on
//! the thread that first asked for it and is reached from the others through its address and
//! its channel. A simulated crash aborts the actors with the node's other tasks; the registry
//! of the next incarnation starts new ones.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix::{Actor, AsyncContext, Context, Handler, Message, SpawnHandle};
use tandem_domain::CsqId;
use tokio::sync::watch;

use crate::{Core, Tasks};

/// How old a CSQ's figures may be when a desktop is pushed them.
pub const QUEUE_LIVE_DATA_REFRESH_MS: u64 = 1_000;

/// One CSQ's figures as last computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueLive {
    /// The time they are of: the node's clock, or the center's if later.
    pub time_ms: u64,
    /// As JSON (`CsqStatisticsSnapshot`); `None` if the CSQ does not exist.
    pub json: Option<Arc<str>>,
}

/// An agent actor's view of one CSQ's live data: `None` until the queue actor has computed it.
pub type QueueWatch = watch::Receiver<Option<QueueLive>>;

/// A node's queue actors, by CSQ.
pub struct Queues<C: Core> {
    shared: Arc<QueuesShared<C>>,
}

impl<C: Core> Clone for Queues<C> {
    fn clone(&self) -> Self {
        Queues { shared: self.shared.clone() }
    }
}

struct QueuesShared<C: Core> {
    core: C,
    refresh: Duration,
    tasks: Tasks,
    slots: Mutex<BTreeMap<CsqId, QueueSlot<C>>>,
}

/// A running queue actor and a receiver of its channel to hand out copies of.
struct QueueSlot<C: Core> {
    addr: actix::Addr<QueueActor<C>>,
    live: QueueWatch,
}

impl<C: Core> Queues<C> {
    /// A registry whose actors read through `core`, refresh every `refresh` while watched and
    /// join `tasks` (the node's, ended together in a simulated crash).
    pub fn new(core: C, refresh: Duration, tasks: Tasks) -> Queues<C> {
        Queues { shared: Arc::new(QueuesShared { core, refresh, tasks, slots: Mutex::default() }) }
    }

    fn slots(&self) -> MutexGuard<'_, BTreeMap<CsqId, QueueSlot<C>>> {
        // Nothing panics while holding the lock; a poisoned one still holds whole entries.
        self.shared.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Watches `csq`'s live data, starting its actor on this thread if it has none (or its
    /// last one ended). Must be called inside an actix system or a `LocalSet`. Dropping the
    /// receiver stops watching.
    pub fn watch(&self, csq: CsqId) -> QueueWatch {
        let mut slots = self.slots();
        if let Some(slot) = slots.get(&csq).filter(|slot| slot.addr.connected()) {
            slot.addr.do_send(Watched);
            return slot.live.clone();
        }
        let (publish, live) = watch::channel(None);
        let actor =
            QueueActor { core: self.shared.core.clone(), csq, refresh: self.shared.refresh, publish, tick: None };
        let context = Context::new();
        let addr = context.address();
        // The context future is spawned directly rather than through `Actor::start`, so its
        // handle can end it (a simulated crash).
        let task = tokio::task::spawn_local(context.into_future(actor));
        self.shared.tasks.add(&task);
        slots.insert(csq, QueueSlot { addr, live: live.clone() });
        live
    }

    /// How many CSQs have an actor here.
    pub fn actor_count(&self) -> usize {
        self.slots().len()
    }
}

/// Tells a queue actor it has a new watcher: it refreshes again if it was idle.
struct Watched;

impl Message for Watched {
    type Result = ();
}

/// The actor of one CSQ on this node.
pub struct QueueActor<C: Core> {
    core: C,
    csq: CsqId,
    refresh: Duration,
    publish: watch::Sender<Option<QueueLive>>,
    /// The refresh timer, while anyone watches.
    tick: Option<SpawnHandle>,
}

impl<C: Core> QueueActor<C> {
    /// Whether anyone but the registry holds a receiver.
    fn watched(&self) -> bool {
        self.publish.receiver_count() > 1
    }

    fn refresh(&mut self) {
        let now_ms = self.core.now_ms();
        let csq = self.csq;
        let live = self.core.read(|center| {
            let time_ms = now_ms.max(center.time_ms());
            let json = center
                .csq_statistics(csq, time_ms)
                .and_then(|snapshot| serde_json::to_string(&snapshot).ok())
                .map(Arc::from);
            QueueLive { time_ms, json }
        });
        self.publish.send_replace(Some(live));
    }

    /// Refreshes now and then on the interval, until nobody watches.
    fn run(&mut self, ctx: &mut Context<Self>) {
        if self.tick.is_some() {
            return;
        }
        self.refresh();
        self.tick = Some(ctx.run_interval(self.refresh, |actor, ctx| {
            if actor.watched() {
                actor.refresh();
            } else if let Some(tick) = actor.tick.take() {
                ctx.cancel_future(tick);
                // Whoever watches next waits for fresh figures rather than read these.
                actor.publish.send_replace(None);
            }
        }));
    }
}

impl<C: Core> Actor for QueueActor<C> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.run(ctx);
    }
}

impl<C: Core> Handler<Watched> for QueueActor<C> {
    type Result = ();

    fn handle(&mut self, _: Watched, ctx: &mut Context<Self>) {
        self.run(ctx);
    }
}

/// The JSON array of the figures of CSQs, in the order given, and the oldest of their times;
/// `None` when none of them exists.
pub fn queue_figures<'a>(lives: impl IntoIterator<Item = &'a QueueLive>) -> Option<(u64, String)> {
    let mut time_ms = u64::MAX;
    let mut parts: Vec<&str> = Vec::new();
    for live in lives {
        if let Some(json) = &live.json {
            time_ms = time_ms.min(live.time_ms);
            parts.push(json);
        }
    }
    (!parts.is_empty()).then(|| (time_ms, format!("[{}]", parts.join(","))))
}
