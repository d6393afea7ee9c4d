//! Which call-control buttons an agent's desktop enables now, as one pure function.
//!
//! Each flag asks the same `*_checked` function the request runs, over the agent's calls (at
//! most two), so an enabled button is a request that would pass and a disabled one would be
//! refused; nothing here restates a rule. Requests that dial a number are enabled when
//! everything but the number's destination would pass.

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::{AgentId, CallId};

use super::ConsultPurpose;

/// The call-control buttons enabled for an agent (the desktop sends it with each event).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallControls {
    /// Answer a ringing call.
    pub answer: bool,
    /// Release the agent's own connection (`CLEAR_CONNECTION`).
    pub release: bool,
    /// Clear a whole call (`CLEAR_CALL`).
    pub clear_call: bool,
    /// Hold the call the agent talks on.
    pub hold: bool,
    /// Retrieve a held call.
    pub retrieve: bool,
    /// Swap the active and the held call.
    pub alternate: bool,
    /// Leave the active call and retrieve the held one.
    pub reconnect: bool,
    /// Transfer Init (a transfer consult).
    pub transfer_init: bool,
    /// Conference Init (a conference consult).
    pub conference_init: bool,
    /// Transfer Complete.
    pub transfer_complete: bool,
    /// Conference Complete.
    pub conference_complete: bool,
    /// Single Step transfer.
    pub single_step_transfer: bool,
    /// Make a call.
    pub make_call: bool,
    /// Send DTMF digits.
    pub send_dtmf: bool,
    /// Deflect a ringing call.
    pub deflect: bool,
    /// Emergency call or assistance request to the supervisor.
    pub supervisor_call: bool,
}

impl Center {
    /// The buttons enabled for `agent` now; all off for an agent that does not exist.
    pub fn call_controls(&self, agent: AgentId) -> CallControls {
        let Some(status) = self.statuses.get(&agent) else { return CallControls::default() };
        let calls: &[CallId] = &status.calls;
        let any = |check: &dyn Fn(CallId) -> bool| calls.iter().any(|call| check(*call));
        let pair = |check: &dyn Fn(CallId, CallId) -> bool| {
            calls.iter().any(|first| calls.iter().any(|second| first != second && check(*first, *second)))
        };
        CallControls {
            answer: any(&|call| self.answer_checked(agent, call).is_ok()),
            release: any(&|call| self.release_checked(agent, call).is_ok()),
            clear_call: any(&|call| self.release_checked(agent, call).is_ok()),
            hold: any(&|call| self.hold_checked(agent, call).is_ok()),
            retrieve: any(&|call| self.retrieve_checked(agent, call).is_ok()),
            alternate: pair(&|active, held| self.alternate_checked(agent, active, held).is_ok()),
            reconnect: pair(&|active, held| self.reconnect_checked(agent, active, held).is_ok()),
            transfer_init: any(&|call| {
                self.consult_state_checked(agent, call, ConsultPurpose::Transfer, None).is_ok()
                    && self.call_room_checked().is_ok()
            }),
            conference_init: any(&|call| {
                self.consult_state_checked(agent, call, ConsultPurpose::Conference, None).is_ok()
                    && self.call_room_checked().is_ok()
            }),
            transfer_complete: pair(&|held, active| self.transfer_complete_checked(agent, held, active).is_ok()),
            conference_complete: pair(&|held, active| self.conference_complete_checked(agent, held, active).is_ok()),
            single_step_transfer: any(&|call| self.single_step_checked(agent, call, None).is_ok()),
            make_call: self.make_call_request_checked(agent, None).is_ok(),
            send_dtmf: any(&|call| self.send_dtmf_checked(agent, call).is_ok()),
            deflect: any(&|call| self.deflect_checked(agent, call, None).is_ok()),
            supervisor_call: self.supervisor_call_possible(agent),
        }
    }
}
