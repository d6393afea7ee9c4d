//! The sans-IO pieces both ends of a CTI session share: when to heartbeat and when to give up
//! on a silent peer, which event index has been delivered, and (on the desktop's side) which
//! requests are still owed an answer and so go again, under their ids, after a failover.
//!
//! The node's desk session (`tandem_actors::DeskSession`) and this library's driver run the
//! same rules, and the simulator runs them under virtual time, so these types own no socket,
//! timer or clock: the caller says what time it is (milliseconds on any monotonic clock) and
//! asks when to call again.

/// Heartbeats on a silent link (seeds-ctios.md §2.4.1): after `interval_ms` of silence, send a
/// heartbeat request; after `retries` of them went unanswered and another interval passed, the
/// peer is gone. Anything heard from the peer resets the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    interval_ms: u64,
    retries: u32,
    heard_ms: u64,
    unanswered: u32,
}

/// What a passed silence deadline calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceAction {
    /// Not due yet (or heartbeats are off).
    Wait,
    /// Send a heartbeat request.
    SendHeartbeat,
    /// `retries` heartbeats went unanswered: the peer is gone.
    GiveUp {
        /// How many heartbeats went unanswered.
        unanswered: u32,
    },
}

impl Silence {
    /// Heard from the peer at `now_ms`; `interval_ms` 0 turns heartbeats off.
    pub fn new(interval_ms: u64, retries: u32, now_ms: u64) -> Silence {
        Silence { interval_ms, retries, heard_ms: now_ms, unanswered: 0 }
    }

    /// The peer said something (any frame).
    pub fn heard(&mut self, now_ms: u64) {
        self.heard_ms = now_ms;
        self.unanswered = 0;
    }

    /// When [`Silence::handle_timeout`] next has something to do; `None` with heartbeats off.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.interval_ms == 0 {
            return None;
        }
        Some(self.heard_ms.saturating_add(self.interval_ms.saturating_mul(u64::from(self.unanswered) + 1)))
    }

    /// What to do at `now_ms`.
    pub fn handle_timeout(&mut self, now_ms: u64) -> SilenceAction {
        match self.poll_timeout() {
            Some(due) if now_ms >= due => {
                if self.unanswered >= self.retries {
                    return SilenceAction::GiveUp { unanswered: self.unanswered };
                }
                self.unanswered += 1;
                SilenceAction::SendHeartbeat
            }
            _ => SilenceAction::Wait,
        }
    }
}

/// The last event index delivered: each index once, in increasing order. A snapshot moves it to
/// the snapshot's index (everything up to it is in the view).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    last_index: u64,
}

impl Cursor {
    /// A cursor after `last_index`.
    pub fn new(last_index: u64) -> Cursor {
        Cursor { last_index }
    }

    /// The last index delivered.
    pub fn last_index(&self) -> u64 {
        self.last_index
    }

    /// Whether the event at `index` is new, and so to deliver; if so it becomes the last one.
    pub fn accept(&mut self, index: u64) -> bool {
        if index <= self.last_index {
            return false;
        }
        self.last_index = index;
        true
    }

    /// A snapshot at `index` replaced the view.
    pub fn reset(&mut self, index: u64) {
        self.last_index = index;
    }
}

/// How long a request is sent again after failovers, from when it was first made: the cluster
/// remembers an applied id for twice as long (`tandem_domain::REQUEST_ID_REMEMBERED_WINDOW_MS`),
/// so a retry never arrives after the cluster forgot the first and applies it twice. A request
/// older than this is answered `outcome_unknown` instead.
pub const REQUEST_RETRY_AGE_MAX_MS: u64 = 5 * 60 * 1000;

/// Requests made and not yet answered, in the order they were made. After a failover every one
/// is sent again under its id (the cluster applies each id once); an answer retires it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outstanding {
    requests: std::collections::BTreeMap<u64, (u64, crate::proto::Request)>,
    key_last: u64,
}

impl Outstanding {
    /// Records a request made at `now_ms`; returns its key (in the order made).
    pub fn push(&mut self, request: crate::proto::Request, now_ms: u64) -> u64 {
        self.key_last += 1;
        self.requests.insert(self.key_last, (now_ms, request));
        self.key_last
    }

    /// Retires the requests made [`REQUEST_RETRY_AGE_MAX_MS`] or more before `now_ms`: they are
    /// not sent again, and whether they applied is unknown. Their keys and ids, in the order
    /// made.
    pub fn expire(&mut self, now_ms: u64) -> Vec<(u64, String)> {
        let old: Vec<u64> = self
            .requests
            .iter()
            .take_while(|(_, (made_ms, _))| now_ms.saturating_sub(*made_ms) >= REQUEST_RETRY_AGE_MAX_MS)
            .map(|(key, _)| *key)
            .collect();
        old.into_iter()
            .filter_map(|key| self.requests.remove(&key).map(|(_, request)| (key, request.request_id)))
            .collect()
    }

    /// Retires the request `request_id` answers; its key, or `None` if none waits for it (an
    /// answer to a request already answered, e.g. a duplicate after a resend).
    pub fn answer(&mut self, request_id: &str) -> Option<u64> {
        let key =
            self.requests.iter().find(|(_, (_, request))| request.request_id == request_id).map(|(key, _)| *key)?;
        self.requests.remove(&key);
        Some(key)
    }

    /// What to send again on a new connection, in the order made.
    pub fn resend(&self) -> impl Iterator<Item = &crate::proto::Request> {
        self.requests.values().map(|(_, request)| request)
    }

    /// How many wait for an answer.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_after_silence_and_gives_up_after_the_retries() {
        let mut silence = Silence::new(100, 2, 1_000);
        assert_eq!(silence.poll_timeout(), Some(1_100));
        assert_eq!(silence.handle_timeout(1_099), SilenceAction::Wait);
        assert_eq!(silence.handle_timeout(1_100), SilenceAction::SendHeartbeat);
        assert_eq!(silence.poll_timeout(), Some(1_200), "the next one an interval later");
        assert_eq!(silence.handle_timeout(1_200), SilenceAction::SendHeartbeat);
        assert_eq!(silence.handle_timeout(1_250), SilenceAction::Wait);
        assert_eq!(silence.handle_timeout(1_300), SilenceAction::GiveUp { unanswered: 2 });
        silence.heard(1_301);
        assert_eq!(silence.poll_timeout(), Some(1_401), "anything heard starts over");
        assert_eq!(silence.handle_timeout(1_350), SilenceAction::Wait);
    }

    #[test]
    fn an_interval_of_zero_turns_heartbeats_off() {
        let mut silence = Silence::new(0, 5, 0);
        assert_eq!(silence.poll_timeout(), None);
        assert_eq!(silence.handle_timeout(u64::MAX), SilenceAction::Wait);
    }

    #[test]
    fn outstanding_requests_go_again_in_order_until_answered() {
        let request = |id: &str| crate::proto::Request { request_id: id.into(), agent: 0, action: "{}".into() };
        let mut outstanding = Outstanding::default();
        let first = outstanding.push(request("a"), 0);
        let second = outstanding.push(request("b"), 0);
        outstanding.push(request("c"), 0);
        assert!(first < second);
        assert_eq!(outstanding.answer("b"), Some(second));
        assert_eq!(outstanding.answer("b"), None, "answered once");
        let again: Vec<&str> = outstanding.resend().map(|request| request.request_id.as_str()).collect();
        assert_eq!(again, ["a", "c"]);
        assert_eq!(outstanding.len(), 2);
    }

    /// Hardening hole 2, the client's half: a request is not sent again once the cluster may
    /// have forgotten it (then a retry could apply it twice); it is reported unknown instead.
    #[test]
    fn hole_2_a_request_is_retried_only_while_the_cluster_remembers_it() {
        let request = |id: &str| crate::proto::Request { request_id: id.into(), agent: 0, action: "{}".into() };
        let mut outstanding = Outstanding::default();
        let old = outstanding.push(request("old"), 1_000);
        outstanding.push(request("new"), 1_000 + REQUEST_RETRY_AGE_MAX_MS / 2);
        assert!(outstanding.expire(REQUEST_RETRY_AGE_MAX_MS).is_empty(), "younger than the limit");
        assert_eq!(outstanding.expire(1_000 + REQUEST_RETRY_AGE_MAX_MS), [(old, "old".to_owned())]);
        let again: Vec<&str> = outstanding.resend().map(|request| request.request_id.as_str()).collect();
        assert_eq!(again, ["new"]);
    }

    #[test]
    fn a_cursor_delivers_each_index_once_in_order() {
        let mut cursor = Cursor::new(10);
        assert!(!cursor.accept(10));
        assert!(cursor.accept(12));
        assert!(!cursor.accept(11), "older than the last delivered");
        assert!(!cursor.accept(12), "a duplicate");
        cursor.reset(40);
        assert!(!cursor.accept(39));
        assert!(cursor.accept(41));
        assert_eq!(cursor.last_index(), 41);
    }
}
