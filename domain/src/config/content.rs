//! What desktop content is tagged to: every CSQ ("Global") or a list of CSQs ("Customize").
//!
//! Wrap-up categories, predefined responses and email signatures share this rule
//! (seeds-uccx.md §2.13–2.15): a customized list names existing CSQs, each once, within the
//! kind's bound and, where the content belongs to one channel, of that channel. Lists are
//! stored sorted so equal tags serialize to equal bytes.

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::CsqId;
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};

/// Where a piece of desktop content applies.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsqTags {
    /// Every CSQ.
    Global,
    /// These CSQs only (sorted, each once).
    Csqs(Vec<CsqId>),
}

impl CsqTags {
    /// Whether the content applies to `csq`.
    pub fn covers(&self, csq: CsqId) -> bool {
        match self {
            CsqTags::Global => true,
            CsqTags::Csqs(csqs) => csqs.binary_search(&csq).is_ok(),
        }
    }

    /// The CSQs named explicitly (none for Global).
    pub fn named(&self) -> &[CsqId] {
        match self {
            CsqTags::Global => &[],
            CsqTags::Csqs(csqs) => csqs,
        }
    }
}

impl Center {
    /// Checks and sorts tags: 1 to `count_max` existing CSQs, each once, of `channel` if given.
    pub(crate) fn tags_checked(
        &self,
        tags: &CsqTags,
        count_max: u32,
        channel: Option<Channel>,
    ) -> Result<CsqTags, Rejection> {
        let CsqTags::Csqs(csqs) = tags else { return Ok(CsqTags::Global) };
        let count = csqs.len() as u64;
        if count == 0 || count > u64::from(count_max) {
            return Err(Rejection::invalid_field(format!("tags must list 1 to {count_max} CSQs (got {count})")));
        }
        let mut sorted = csqs.clone();
        sorted.sort();
        for pair in sorted.windows(2) {
            if let [left, right] = pair {
                if left == right {
                    return Err(Rejection::invalid_field(format!("tags list CSQ {left} more than once")));
                }
            }
        }
        for csq in &sorted {
            let Some(found) = self.csqs.get(*csq) else {
                return Err(Rejection::new(RejectionCode::UnknownCsq, format!("tags: CSQ {csq} does not exist")));
            };
            if let Some(channel) = channel.filter(|channel| *channel != found.channel) {
                let message = format!("tags: CSQ {csq} is {} CSQ, not {channel}", found.channel.with_article());
                return Err(Rejection::invalid_field(message));
            }
        }
        Ok(CsqTags::Csqs(sorted))
    }
}
