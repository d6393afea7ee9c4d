//! A core for actor tests: a center applied in place, a settable clock and leadership, and a
//! record of what was proposed and how often the center was read.

#![allow(dead_code)] // Each test file uses what it needs.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use tandem_actors::{Core, Proposed};
use tandem_domain::{demo_commands, Applied, Center, Command, Entry, Outcome};

pub const START_MS: u64 = 1_700_000_000_000;

#[derive(Clone)]
pub struct FakeCore {
    pub center: Rc<RefCell<Center>>,
    pub now_ms: Rc<Cell<u64>>,
    pub leader: Rc<Cell<bool>>,
    pub proposals: Rc<RefCell<Vec<Entry>>>,
    pub reads: Rc<Cell<u64>>,
}

impl FakeCore {
    pub fn new() -> FakeCore {
        FakeCore {
            center: Rc::new(RefCell::new(Center::default())),
            now_ms: Rc::new(Cell::new(START_MS)),
            leader: Rc::new(Cell::new(true)),
            proposals: Rc::new(RefCell::new(Vec::new())),
            reads: Rc::new(Cell::new(0)),
        }
    }

    /// The demo center (docs: `tandem_domain::demo_commands`).
    pub fn demo() -> FakeCore {
        let core = FakeCore::new();
        for command in demo_commands() {
            core.apply(command);
        }
        core
    }

    /// Applies a command as the operator at the core's time; it must apply.
    pub fn apply(&self, command: Command) -> Applied {
        let entry = Entry { request_id: None, time_ms: self.now_ms.get(), command, by: tandem_domain::Actor::Operator };
        match self.center.borrow_mut().apply(&entry) {
            Outcome::Applied(applied) => applied,
            outcome => panic!("{outcome:?}"),
        }
    }
}

impl Core for FakeCore {
    fn propose(&self, mut entry: Entry) -> Proposed {
        entry.time_ms = self.now_ms.get();
        self.proposals.borrow_mut().push(entry.clone());
        let outcome = self.center.borrow_mut().apply(&entry);
        Box::pin(async move { Ok(outcome) })
    }
    fn is_leader(&self) -> bool {
        self.leader.get()
    }
    fn read<R>(&self, read: impl FnOnce(&Center) -> R) -> R {
        self.reads.set(self.reads.get() + 1);
        read(&self.center.borrow())
    }
    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }
}
