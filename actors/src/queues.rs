//! Each CSQ's live data, computed once per node and refresh window and shared by every desktop
//! that is pushed it.
//!
//! A desktop is pushed the statistics of the CSQs its agents serve on the node's schedule
//! (`SkillGroupStatistics`, seeds-ctios.md). Computing a CSQ's figures visits every agent
//! qualified for it, so a node with 10,000 desktops on a CSQ of 10,000 agents that computed them
//! per desktop did 10,000 × 10,000 agent reads per interval, all under the center's read lock.
//! The board computes each CSQ's figures at most once per [`QueueBoard::refresh_ms`] and hands
//! every desktop the same JSON; the figures a desktop sees are at most that old. This is the
//! live data a queue actor per CSQ will own (issue 11); the rule it keeps is this module's.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tandem_domain::{Center, CsqId, Viewer};

/// How old a CSQ's figures may be when a desktop is pushed them.
pub const QUEUE_LIVE_DATA_REFRESH_MS: u64 = 1_000;

/// One CSQ's figures as last computed.
#[derive(Debug, Clone)]
struct Live {
    /// The node's clock when they were computed: what their age is judged by.
    stamped_ms: u64,
    /// The time they are of: the node's clock, or the center's if later.
    time_ms: u64,
    /// As JSON; `None` if the CSQ did not exist then.
    json: Option<Arc<str>>,
}

/// The CSQs' live data on one node.
#[derive(Debug)]
pub struct QueueBoard {
    refresh_ms: u64,
    live: Mutex<BTreeMap<CsqId, Live>>,
}

/// Figures for a desktop: the JSON array of the CSQs' statistics and the time they are of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFigures {
    /// The oldest of the figures' times.
    pub time_ms: u64,
    /// A JSON array of `CsqStatisticsSnapshot`, in the order asked.
    pub json: String,
}

impl QueueBoard {
    pub fn new(refresh_ms: u64) -> Arc<QueueBoard> {
        Arc::new(QueueBoard { refresh_ms, live: Mutex::new(BTreeMap::new()) })
    }

    /// How old figures may be.
    pub fn refresh_ms(&self) -> u64 {
        self.refresh_ms
    }

    fn live(&self) -> MutexGuard<'_, BTreeMap<CsqId, Live>> {
        // Nothing panics while holding the lock; a poisoned one still holds whole entries.
        match self.live.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The statistics of the CSQs `viewer`'s agents serve (`Center::viewer_csqs`): what its
    /// desktop is pushed.
    pub fn figures_for(&self, center: &Center, viewer: &Viewer, now_ms: u64) -> Option<QueueFigures> {
        self.figures(center, &center.viewer_csqs(viewer), now_ms)
    }

    /// The statistics of `csqs` at about `now_ms`, read from `center`: each recomputed only if
    /// its figures are older than the refresh window. `None` when none of them exists.
    ///
    /// Age is judged on the node's clock alone: figures stamped before a clock step back are
    /// recomputed, never kept until the clock catches up.
    pub fn figures(&self, center: &Center, csqs: &[CsqId], now_ms: u64) -> Option<QueueFigures> {
        let at_ms = now_ms.max(center.time_ms());
        let mut time_ms = u64::MAX;
        let mut parts: Vec<Arc<str>> = Vec::with_capacity(csqs.len());
        {
            let mut live = self.live();
            for &csq in csqs {
                let fresh = live.get(&csq).filter(|entry| {
                    entry.stamped_ms <= now_ms && now_ms < entry.stamped_ms.saturating_add(self.refresh_ms)
                });
                let entry = match fresh {
                    Some(entry) => entry.clone(),
                    None => {
                        let json = center
                            .csq_statistics(csq, at_ms)
                            .and_then(|snapshot| serde_json::to_string(&snapshot).ok())
                            .map(Arc::from);
                        let entry = Live { stamped_ms: now_ms, time_ms: at_ms, json };
                        live.insert(csq, entry.clone());
                        entry
                    }
                };
                if let Some(json) = entry.json {
                    time_ms = time_ms.min(entry.time_ms);
                    parts.push(json);
                }
            }
            // CSQs deleted since stay until asked for again; the map holds at most every CSQ
            // ever asked for on this node.
        }
        if parts.is_empty() {
            return None;
        }
        Some(QueueFigures { time_ms, json: format!("[{}]", parts.join(",")) })
    }
}

#[cfg(test)]
mod tests {
    use tandem_domain::{Command, Entry};

    use super::*;

    fn center_with_csq() -> (Center, CsqId) {
        let mut center = Center::default();
        let mut apply = |command: Command| {
            let entry = Entry { request_id: None, time_ms: 1_000, command, by: Default::default() };
            center.apply(&entry)
        };
        let skill = serde_json::json!({"name": "General"});
        let outcome = apply(Command::CreateSkill(serde_json::from_value(skill).unwrap()));
        assert!(outcome.is_applied(), "{outcome:?}");
        let csq = serde_json::json!({"name": "General", "channel": "voice", "selection": "longest_available",
                                     "skills": [{"skill": 1, "min_competence": 1}]});
        let outcome = apply(Command::CreateCsq(serde_json::from_value(csq).unwrap()));
        assert!(outcome.is_applied(), "{outcome:?}");
        let csq = center.csqs().next().map(|csq| csq.id).unwrap();
        (center, csq)
    }

    #[test]
    fn figures_are_computed_once_per_refresh_window_and_shared() {
        let (center, csq) = center_with_csq();
        let board = QueueBoard::new(1_000);
        let first = board.figures(&center, &[csq], 5_000).unwrap();
        assert_eq!(first.time_ms, 5_000);
        let shared = board.figures(&center, &[csq], 5_999).unwrap();
        assert_eq!(shared, first, "within the window: the same figures");
        let later = board.figures(&center, &[csq], 6_000).unwrap();
        assert_eq!(later.time_ms, 6_000, "after the window: computed again");
        let expected = serde_json::to_string(&vec![center.csq_statistics(csq, 6_000).unwrap()]).unwrap();
        assert_eq!(later.json, expected, "the same JSON a desktop got when each computed its own");
    }

    #[test]
    fn figures_stamped_before_a_clock_step_back_are_computed_again() {
        let (center, csq) = center_with_csq();
        let board = QueueBoard::new(1_000);
        assert_eq!(board.figures(&center, &[csq], 600_000).unwrap().time_ms, 600_000);
        let after_step = board.figures(&center, &[csq], 5_000).unwrap();
        assert_eq!(after_step.time_ms, 5_000, "not the figures from before the step");
    }

    #[test]
    fn unknown_csqs_give_no_figures() {
        let (center, _) = center_with_csq();
        let board = QueueBoard::new(1_000);
        assert_eq!(board.figures(&center, &[CsqId(99)], 5_000), None);
    }
}
