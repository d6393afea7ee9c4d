//! The agent actor: one actix actor per logged-in user on a node, owning that user's desk
//! sessions (an agent's desktops, a supervisor's desktops, an administrator's tools).
//!
//! Each desktop connection is a seat: a sans-IO [`DeskSession`] with the socket's two ends.
//! The actor holds one fan-out subscription for all its seats, one timer for the earliest
//! deadline among them (heartbeats, silence, statistics schedules) and the requests they have
//! in flight; it renders what the sessions ask (events, the desk view, statistics) from the
//! applied center and writes it to the links without waiting, so a delivery costs no hop more
//! than the socket's own queue. It decides nothing the domain decides, and nothing the desk
//! session decides: it is the I/O around them.
//!
//! The node (per HTTP worker, because a socket belongs to the worker that accepted it) and
//! each simulated node incarnation hold a [`Desks`] registry; the CTI handler logs a desktop in
//! and hands its socket over, the simulator hands over a simulated one. What differs between
//! them is behind [`DeskLink`] (the socket) and [`DeskPorts`] (how a request's action becomes a
//! command and how the end of a seat is reported). A simulated crash aborts every actor with
//! whatever it had in flight.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Context, Handler, Message, SpawnHandle, StreamHandler,
    WrapFuture,
};
use bytes::Bytes;
use futures::future::LocalBoxFuture;
use futures::stream::{AbortHandle, LocalBoxStream, StreamExt};
use tandem_client::proto::{
    ClientBody, EventFrame, LoginResult, Notice, Reply, ServerBody, SkillGroupStatisticsFrame, Snapshot,
    StatisticsFrame,
};
use tandem_domain::{Actor as DomainActor, AgentId, Center, CsqId, Viewer};
use tokio::time::Instant;

use crate::{queue_figures, Proposal, QueueWatch, Queues, Tasks, Transmit};
use crate::{CatchUp, CatchUpStep, Core, Delivery, DeskIdentity, DeskSession, DeskSettings, Dispatched, Edge, End};

/// What an actor writes to a desktop.
#[derive(Debug)]
pub enum Outgoing<'a> {
    /// A frame to encode as the desktop speaks.
    Body(ServerBody),
    /// An event's frame, its bytes shared with the node's other desktops where they can be.
    Event(&'a Dispatched),
    /// The answer to a WebSocket ping.
    Pong(Bytes),
}

/// A desktop's socket, as the actor writes to it.
pub trait DeskLink {
    /// Queues a frame without waiting; false once the desktop is gone or too far behind.
    fn send(&mut self, frame: Outgoing<'_>) -> bool;
    /// Closes the connection after what was queued.
    fn close(&mut self);
}

/// What the desktop sent, decoded by the owner of the socket.
#[derive(Debug)]
pub enum Incoming {
    /// A frame (`Err`: why it could not be decoded).
    Frame(Result<ClientBody, String>),
    /// A WebSocket ping: answered with its bytes.
    Ping(Bytes),
    /// A control frame: the desktop is alive, nothing to do.
    Alive,
    /// The desktop closed the session on purpose.
    Closed,
    /// The socket broke.
    Gone,
}

/// What differs between the node and the simulator beyond the socket.
pub trait DeskPorts {
    /// Proposes a desktop's request (its action decoded as the node's API decodes it) and
    /// answers with the reply the desktop gets.
    fn propose(&self, proposal: Proposal) -> LocalBoxFuture<'static, Reply>;
    /// A seat ended; the node applies the forced-logout setting when the desktop closed
    /// without logging out (seeds-ctios.md §2.6.6).
    fn seat_ended(&self, identity: &DeskIdentity, end: End);
}

/// A logged-in desktop handed to its user's actor.
pub struct OpenSeat {
    /// The last event index the desktop has (0: none, it reloads).
    pub after: u64,
    /// The login's answer; the actor fills in whether the session resumed.
    pub login: LoginResult,
    /// A notice to send after it (e.g. already logged in elsewhere).
    pub notice: Option<Notice>,
    pub link: Box<dyn DeskLink>,
    /// The rest of what the desktop sends, after its login.
    pub input: LocalBoxStream<'static, Incoming>,
}

/// A node's agent actors, by user (tools with the administrator token share one).
pub struct Desks<C: Core> {
    shared: Rc<Shared<C>>,
}

impl<C: Core> Clone for Desks<C> {
    fn clone(&self) -> Self {
        Desks { shared: self.shared.clone() }
    }
}

struct Shared<C: Core> {
    core: C,
    edge: Edge,
    queues: Queues<C>,
    settings: DeskSettings,
    ports: Rc<dyn DeskPorts>,
    tasks: Tasks,
    slots: RefCell<BTreeMap<DeskKey, Slot<C>>>,
}

/// An actor per user and view: a user whose role changed between two logins gets a second actor
/// for the new view, and the first keeps serving the desktops it has.
type DeskKey = (DomainActor, Viewer);

/// One running actor and the seats waiting for it to take them.
struct Slot<C: Core> {
    addr: actix::Addr<AgentDesk<C>>,
    waiting: VecDeque<(DeskIdentity, OpenSeat)>,
}

/// Tells an actor that seats wait for it in the registry. The seats themselves stay on this
/// thread (a socket belongs to its worker), so the message carries nothing.
struct SeatsWaiting;

impl Message for SeatsWaiting {
    type Result = ();
}

impl<C: Core> Desks<C> {
    /// A registry whose actors read through `core`, take events from `edge` and CSQ figures
    /// from `queues`, apply `settings` and join `tasks` (the node's, ended together in a
    /// simulated crash). Must be used on one thread, inside an actix system or a `LocalSet`.
    pub fn new(
        core: C,
        edge: Edge,
        queues: Queues<C>,
        settings: DeskSettings,
        ports: Rc<dyn DeskPorts>,
        tasks: Tasks,
    ) -> Desks<C> {
        Desks { shared: Rc::new(Shared { core, edge, queues, settings, ports, tasks, slots: RefCell::default() }) }
    }

    /// Hands a logged-in desktop to its user's actor, starting the actor if the user has none.
    pub fn open(&self, identity: DeskIdentity, seat: OpenSeat) {
        let mut slots = self.shared.slots.borrow_mut();
        let key = (identity.actor, identity.viewer.clone());
        let slot = slots.entry(key.clone()).or_insert_with(|| {
            let context = Context::new();
            let addr = context.address();
            let actor = AgentDesk::new(self.clone(), key);
            // The context future is spawned directly rather than through `Actor::start`, so
            // its handle can end it (a simulated crash).
            let task = tokio::task::spawn_local(context.into_future(actor));
            self.shared.tasks.add(&task);
            Slot { addr, waiting: VecDeque::new() }
        });
        slot.waiting.push_back((identity, seat));
        slot.addr.do_send(SeatsWaiting);
    }

    /// How many users have an actor here.
    pub fn actor_count(&self) -> usize {
        self.shared.slots.borrow().len()
    }
}

/// One desktop of the user: its session and its socket.
struct Seat {
    desk: DeskSession,
    link: Box<dyn DeskLink>,
    /// Ends the seat's input in [`AgentDesk::inputs`].
    input: AbortHandle,
    /// The session's next deadline as entered in [`AgentDesk::deadlines`].
    due: Option<u64>,
}

/// The actor of one logged-in user on this node.
pub struct AgentDesk<C: Core> {
    desks: Desks<C>,
    /// The user and what it sees.
    key: DeskKey,
    seats: BTreeMap<u64, Seat>,
    seat_last: u64,
    /// The last event index the subscription delivered (or its start): where a new seat's
    /// catch-up ends and its live events begin.
    position: u64,
    /// The fan-out lost events since the subscription began: new seats start from a reload.
    resynced: bool,
    /// The fan-out subscription's key, while the fan-out has not dropped it.
    subscription: Option<u64>,
    epoch: Instant,
    /// Each seat's next deadline, earliest first: the timer wakes only the seats that are due,
    /// and a change to one seat costs no scan of the others (a user with thousands of
    /// desktops, e.g. wall boards on the administrator token, would otherwise be quadratic).
    deadlines: BTreeSet<(u64, u64)>,
    alarm: Option<(u64, SpawnHandle)>,
    /// What the seats' desktops send, as one stream.
    inputs: Inputs,
    /// The live data of the CSQs the user's agents serve, as their queue actors publish it.
    queues: BTreeMap<CsqId, QueueWatch>,
    /// Seats due CSQ figures that a queue actor has not computed yet, and the wait for them.
    figures_waiting: BTreeSet<u64>,
    figures_wait: Option<SpawnHandle>,
}

impl<C: Core> AgentDesk<C> {
    fn new(desks: Desks<C>, key: DeskKey) -> AgentDesk<C> {
        AgentDesk {
            desks,
            key,
            seats: BTreeMap::new(),
            seat_last: 0,
            position: 0,
            resynced: false,
            subscription: None,
            epoch: Instant::now(),
            deadlines: BTreeSet::new(),
            alarm: None,
            inputs: Inputs::default(),
            queues: BTreeMap::new(),
            figures_waiting: BTreeSet::new(),
            figures_wait: None,
        }
    }

    fn shared(&self) -> &Shared<C> {
        &self.desks.shared
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn take_waiting(&mut self, ctx: &mut Context<Self>) {
        if self.subscription.is_none() {
            self.subscribe(ctx);
        }
        loop {
            let next = self.shared().slots.borrow_mut().get_mut(&self.key).and_then(|slot| slot.waiting.pop_front());
            let Some((identity, seat)) = next else { break };
            self.open(identity, seat, ctx);
        }
        self.after_change(ctx);
    }

    /// Starts a seat: the login's answer, the catch-up from the desktop's last index to the
    /// subscription's position, then live events.
    fn open(&mut self, identity: DeskIdentity, seat: OpenSeat, ctx: &mut Context<Self>) {
        let OpenSeat { after, mut login, notice, mut link, input } = seat;
        let (core, edge) = (&self.shared().core, &self.shared().edge);
        let after = if self.resynced { 0 } else { after };
        let mut catch_up = CatchUp::new(&edge.events, identity.viewer.clone(), after, self.position);
        login.resumed = catch_up.resumed();
        let mut sent = link.send(Outgoing::Body(ServerBody::LoginResult(login)));
        if let Some(notice) = notice {
            sent = sent && link.send(Outgoing::Body(ServerBody::Notice(notice)));
        }
        while sent {
            let Some(step) = catch_up.next(&edge.events) else { break };
            match step {
                CatchUpStep::Snapshot => {
                    let (index, frame) = render_snapshot(core, &identity.viewer);
                    sent = link.send(Outgoing::Body(frame));
                    catch_up.handle_snapshot(index);
                }
                CatchUpStep::Events(events) => {
                    let own = identity.viewer.agent();
                    let frames: Vec<ServerBody> = core.read(|center| {
                        events
                            .iter()
                            .map(|event| {
                                ServerBody::Event(EventFrame {
                                    index: event.index,
                                    event: serde_json::to_string(&*event.event).unwrap_or_default(),
                                    controls: controls_json(center, own, &event.audience),
                                })
                            })
                            .collect()
                    });
                    sent = frames.into_iter().all(|frame| link.send(Outgoing::Body(frame)));
                }
            }
        }
        if !sent {
            link.close();
            self.shared().ports.seat_ended(&identity, End::Gone);
            return;
        }
        self.seat_last += 1;
        let id = self.seat_last;
        let desk = DeskSession::new(identity, self.shared().settings.clone(), catch_up.cursor(), self.now_ms());
        let input = input.map(move |incoming| (id, incoming)).chain(futures::stream::once(async move {
            // The socket's stream ended: whatever the session decides, the desktop is gone.
            (id, Incoming::Gone)
        }));
        let (input, abort) = futures::stream::abortable(input);
        self.inputs.push(input.boxed_local());
        let input = abort;
        self.seats.insert(id, Seat { desk, link, input, due: None });
        self.drive(id, ctx);
    }

    /// Sends what a seat has for its desktop and proposes its requests; ends it if it ended.
    fn drive(&mut self, id: u64, ctx: &mut Context<Self>) {
        let Some(seat) = self.seats.get_mut(&id) else { return };
        let core = &self.desks.shared.core;
        let mut gone = false;
        let mut figures_due = false;
        while let Some(transmit) = seat.desk.poll_transmit() {
            let sent = match transmit {
                Transmit::Frame(body) => seat.link.send(Outgoing::Body(body)),
                Transmit::Event(dispatched) => seat.link.send(Outgoing::Event(&dispatched)),
                Transmit::Snapshot => {
                    let (index, frame) = render_snapshot(core, &seat.desk.identity().viewer);
                    seat.desk.handle_snapshot(index);
                    seat.link.send(Outgoing::Body(frame))
                }
                Transmit::AgentStatistics { only } => {
                    match render_statistics(core, &seat.desk.identity().viewer, only.as_deref()) {
                        Some(frame) => seat.link.send(Outgoing::Body(frame)),
                        None => true,
                    }
                }
                Transmit::SkillGroupStatistics => {
                    figures_due = true;
                    true
                }
            };
            if !sent {
                seat.desk.handle_close(End::Gone);
                gone = true;
                break;
            }
        }
        if figures_due && !gone && !self.send_queue_figures(id) {
            let Some(seat) = self.seats.get_mut(&id) else { return };
            seat.desk.handle_close(End::Gone);
            gone = true;
        }
        let Some(seat) = self.seats.get_mut(&id) else { return };
        let proposals: Vec<Proposal> = std::iter::from_fn(|| seat.desk.poll_proposal()).collect();
        for proposal in proposals {
            let reply = self.desks.shared.ports.propose(proposal);
            ctx.spawn(reply.into_actor(self).map(move |reply, actor, ctx| {
                if let Some(seat) = actor.seats.get_mut(&id) {
                    seat.desk.handle_reply(reply);
                    actor.drive(id, ctx);
                    actor.after_change(ctx);
                }
            }));
        }
        let Some(seat) = self.seats.get_mut(&id) else { return };
        let due = seat.desk.poll_timeout();
        if due != seat.due {
            if let Some(before) = seat.due {
                self.deadlines.remove(&(before, id));
            }
            if let Some(after) = due {
                self.deadlines.insert((after, id));
            }
            seat.due = due;
        }
        if let Some(end) = seat.desk.end() {
            if end == End::HeartbeatsUnanswered {
                tracing::info!(user = ?self.key.0, "closing a desktop session that stopped answering heartbeats");
            }
            if !gone {
                seat.link.close();
            }
            seat.input.abort();
            let identity = seat.desk.identity().clone();
            self.seats.remove(&id);
            tracing::debug!(reason = end.reason(), "desktop session ended");
            self.desks.shared.ports.seat_ended(&identity, end);
        }
    }

    /// After any change: subscribe or leave as the seats need, set the timer for the earliest
    /// deadline, and stop once no seat is left and none waits.
    fn after_change(&mut self, ctx: &mut Context<Self>) {
        self.figures_waiting.retain(|id| self.seats.contains_key(id));
        self.wait_for_figures(ctx);
        if self.seats.is_empty() {
            let mut slots = self.desks.shared.slots.borrow_mut();
            let waiting = slots.get(&self.key).is_some_and(|slot| !slot.waiting.is_empty());
            if !waiting {
                slots.remove(&self.key);
                drop(slots);
                ctx.stop();
                return;
            }
        }
        let due = self.deadlines.first().map(|&(due, _)| due);
        if self.alarm.as_ref().map(|(at, _)| *at) != due {
            if let Some((_, handle)) = self.alarm.take() {
                ctx.cancel_future(handle);
            }
            if let Some(due) = due {
                let wait = Duration::from_millis(due.saturating_sub(self.now_ms()));
                let handle = ctx.run_later(wait, |actor, ctx| {
                    actor.alarm = None;
                    let now_ms = actor.now_ms();
                    let ids: Vec<u64> = actor.deadlines.range(..=(now_ms, u64::MAX)).map(|&(_, id)| id).collect();
                    for id in ids {
                        if let Some(seat) = actor.seats.get_mut(&id) {
                            seat.desk.handle_timeout(now_ms);
                        }
                        actor.drive(id, ctx);
                    }
                    actor.after_change(ctx);
                });
                self.alarm = Some((due, handle));
            }
        }
    }

    /// One subscription for every seat: the fan-out matches each event against this user
    /// once, however many desktops it has here. The queue closes when the fan-out drops the
    /// subscription for not keeping up; the stream then yields one `None`.
    fn subscribe(&mut self, ctx: &mut Context<Self>) {
        let mut subscription = self.shared().edge.fanout.subscribe(self.key.1.clone());
        self.position = subscription.position;
        self.subscription = Some(subscription.key);
        self.resynced = false;
        let mut closed = false;
        let deliveries = futures::stream::poll_fn(move |cx| {
            use std::task::Poll;
            match subscription.queue.poll_recv(cx) {
                Poll::Ready(Some(delivery)) => Poll::Ready(Some(Some(delivery))),
                Poll::Ready(None) if !closed => {
                    closed = true;
                    Poll::Ready(Some(None))
                }
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        });
        ctx.add_stream(deliveries);
    }

    /// Sends a seat the figures of the CSQs its agents serve, as their queue actors last
    /// computed them; if one has not yet, the seat waits for it. False if the link is gone.
    fn send_queue_figures(&mut self, id: u64) -> bool {
        let Some(seat) = self.seats.get_mut(&id) else { return true };
        let viewer = &seat.desk.identity().viewer;
        let csqs = self.desks.shared.core.read(|center| center.viewer_csqs(viewer));
        let queues = &self.desks.shared.queues;
        // Watch what the agents serve now; stop watching what they no longer serve.
        self.queues.retain(|csq, _| csqs.contains(csq));
        for &csq in &csqs {
            self.queues.entry(csq).or_insert_with(|| queues.watch(csq));
        }
        let lives: Option<Vec<_>> =
            csqs.iter().map(|csq| self.queues.get(csq).and_then(|live| live.borrow().clone())).collect();
        let Some(lives) = lives else {
            self.figures_waiting.insert(id);
            return true;
        };
        match queue_figures(&lives) {
            Some((time_ms, csqs)) => seat
                .link
                .send(Outgoing::Body(ServerBody::SkillGroupStatistics(SkillGroupStatisticsFrame { time_ms, csqs }))),
            None => true,
        }
    }

    /// Waits for the first CSQ figures seats are waiting for, then sends them what there is.
    fn wait_for_figures(&mut self, ctx: &mut Context<Self>) {
        if self.figures_waiting.is_empty() || self.figures_wait.is_some() {
            return;
        }
        let missing = self.queues.values().find(|live| live.borrow().is_none()).cloned();
        let Some(mut missing) = missing else {
            // Computed meanwhile: send at once.
            let waiting = std::mem::take(&mut self.figures_waiting);
            for id in waiting {
                if !self.send_queue_figures(id) {
                    self.end_gone(id, ctx);
                }
            }
            return;
        };
        let wait = async move { missing.wait_for(Option::is_some).await.is_ok() };
        self.figures_wait = Some(ctx.spawn(wait.into_actor(self).map(|computed, actor, ctx| {
            actor.figures_wait = None;
            if !computed {
                // The queue actor ended (its node's crash): the seats get figures on their
                // next schedule, from a new one.
                actor.figures_waiting.clear();
                actor.queues.retain(|_, live| live.has_changed().is_ok());
                return;
            }
            actor.wait_for_figures(ctx);
            actor.after_change(ctx);
        })));
    }

    /// Ends a seat whose link is gone.
    fn end_gone(&mut self, id: u64, ctx: &mut Context<Self>) {
        if let Some(seat) = self.seats.get_mut(&id) {
            seat.desk.handle_close(End::Gone);
        }
        self.drive(id, ctx);
    }

    fn each_seat(&mut self, ctx: &mut Context<Self>, mut handle: impl FnMut(&mut DeskSession)) {
        let ids: Vec<u64> = self.seats.keys().copied().collect();
        for id in ids {
            if let Some(seat) = self.seats.get_mut(&id) {
                handle(&mut seat.desk);
            }
            self.drive(id, ctx);
        }
        self.after_change(ctx);
    }
}

impl<C: Core> Actor for AgentDesk<C> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe(ctx);
        ctx.add_stream(self.inputs.stream());
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        if let Some(key) = self.subscription {
            self.shared().edge.fanout.unsubscribe(key);
        }
    }
}

impl<C: Core> Handler<SeatsWaiting> for AgentDesk<C> {
    type Result = ();

    fn handle(&mut self, _: SeatsWaiting, ctx: &mut Context<Self>) {
        self.take_waiting(ctx);
    }
}

impl<C: Core> StreamHandler<Option<Delivery>> for AgentDesk<C> {
    fn handle(&mut self, delivery: Option<Delivery>, ctx: &mut Context<Self>) {
        match delivery {
            Some(Delivery::Event(dispatched)) => {
                self.position = self.position.max(dispatched.event.index);
                self.each_seat(ctx, |desk| desk.handle_event(&dispatched));
            }
            Some(Delivery::Resync) => {
                self.resynced = true;
                self.each_seat(ctx, DeskSession::handle_resync);
            }
            Some(Delivery::NodeFailed) => self.each_seat(ctx, DeskSession::handle_node_failed),
            None => {
                // Dropped for not keeping up: every seat says so and ends; their desktops
                // resume from their last index on a new subscription.
                self.subscription = None;
                self.each_seat(ctx, DeskSession::handle_dropped);
            }
        }
    }

    fn finished(&mut self, _: &mut Context<Self>) {}
}

impl<C: Core> StreamHandler<(u64, Incoming)> for AgentDesk<C> {
    fn handle(&mut self, (id, incoming): (u64, Incoming), ctx: &mut Context<Self>) {
        let now_ms = self.now_ms();
        let Some(seat) = self.seats.get_mut(&id) else { return };
        match incoming {
            Incoming::Frame(frame) => seat.desk.handle_frame(now_ms, frame),
            Incoming::Ping(bytes) => {
                seat.desk.handle_alive(now_ms);
                if !seat.link.send(Outgoing::Pong(bytes)) {
                    seat.desk.handle_close(End::Gone);
                }
            }
            Incoming::Alive => seat.desk.handle_alive(now_ms),
            Incoming::Closed => seat.desk.handle_close(End::ClosedByClient),
            Incoming::Gone => seat.desk.handle_close(End::Gone),
        }
        self.drive(id, ctx);
        self.after_change(ctx);
    }

    /// Each seat's stream ends with `Incoming::Gone`; the actor outlives them.
    fn finished(&mut self, _: &mut Context<Self>) {}
}

/// The inputs of every seat merged into the one stream the actor reads: only the sockets that
/// have something are polled when the actor wakes. (A stream per seat added to the actor's
/// context would be polled, all of them, at every wake-up: a user with thousands of desktops
/// then spends its time polling idle sockets.) A seat's input is removed by aborting it.
#[derive(Clone, Default)]
struct Inputs {
    shared: Rc<RefCell<InputsShared>>,
}

#[derive(Default)]
struct InputsShared {
    streams: futures::stream::SelectAll<LocalBoxStream<'static, (u64, Incoming)>>,
    /// The actor's task, to wake when a seat is added while it waits.
    waker: Option<std::task::Waker>,
}

impl Inputs {
    fn push(&self, input: LocalBoxStream<'static, (u64, Incoming)>) {
        let mut shared = self.shared.borrow_mut();
        shared.streams.push(input);
        if let Some(waker) = shared.waker.take() {
            waker.wake();
        }
    }

    /// The merged stream; it never ends (it waits for seats while there are none).
    fn stream(&self) -> impl futures::Stream<Item = (u64, Incoming)> + 'static {
        let inputs = self.shared.clone();
        futures::stream::poll_fn(move |cx| {
            use std::task::Poll;
            let mut shared = inputs.borrow_mut();
            match shared.streams.poll_next_unpin(cx) {
                Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
                Poll::Ready(None) | Poll::Pending => {
                    shared.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}

/// The viewer's desk view and its index.
fn render_snapshot<C: Core>(core: &C, viewer: &Viewer) -> (u64, ServerBody) {
    core.read(|center| {
        let view = center.desk_view(viewer);
        let index = view.index;
        (index, ServerBody::Snapshot(Snapshot { index, view: serde_json::to_string(&view).unwrap_or_default() }))
    })
}

/// The agent statistics of the viewer's agents (own first, then supervised) at the node's
/// time or the center's if later; with `only`, of those of them alone. `None` when there are
/// none to send.
fn render_statistics<C: Core>(core: &C, viewer: &Viewer, only: Option<&[AgentId]>) -> Option<ServerBody> {
    let now_ms = core.now_ms();
    core.read(|center| {
        let time_ms = now_ms.max(center.time_ms());
        let agents: Vec<_> = center
            .viewer_agents(viewer)
            .into_iter()
            .filter(|agent| only.is_none_or(|only| only.contains(agent)))
            .filter_map(|agent| center.agent_statistics(agent, time_ms))
            .collect();
        (!agents.is_empty()).then(|| {
            ServerBody::Statistics(StatisticsFrame {
                time_ms,
                agents: serde_json::to_string(&agents).unwrap_or_default(),
            })
        })
    })
}

/// The own agent's call-control buttons after an event of `audience`, as JSON; empty when the
/// event does not concern that agent. Read from the applied center when the frame is sent,
/// which may be a little ahead of the event: the buttons are then the newer ones, never older.
fn controls_json(center: &Center, own: Option<AgentId>, audience: &tandem_domain::Audience) -> String {
    own.and_then(|own| center.controls_after(own, audience))
        .and_then(|controls| serde_json::to_string(&controls).ok())
        .unwrap_or_default()
}
