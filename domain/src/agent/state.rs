//! The agent voice state machine as pure functions: the full transition table.
//!
//! The spec names eleven states and a handful of rules with their error codes, but no complete
//! table (seeds-ctios.md §2.6.2–2.6.4, §6.4 item 1). This module is that table, written once,
//! with no access to the center: every function maps (state, request, wrap-up mode) to the next
//! step or to the spec error the request earns. The rules the spec leaves open are decided in
//! `docs/decisions/0011-agent-voice-states.md`. "Login" is an event, not a state: logging in
//! moves the agent from [`AgentState::LoggedOut`] to [`AgentState::NotReady`].

use serde::{Deserialize, Serialize};

use crate::config::settings::WrapUpMode;
use crate::spec_error::SpecError;

/// An agent's voice state (seeds-ctios.md §2.6.2, Table 48).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Logout: logged out, cannot take calls.
    LoggedOut,
    /// Logged in but unavailable for call work.
    NotReady,
    /// Available: ready to take a call.
    Ready,
    /// Reserved for a routed call that is ringing.
    Reserved,
    /// On a call.
    Talking,
    /// Every call on hold.
    Hold,
    /// After-call work, ready for a call once done.
    WorkReady,
    /// After-call work, not ready for a call once done.
    WorkNotReady,
    /// Busy with a task for another skill group. Tandem never enters it by itself; it exists
    /// for peripherals that report it.
    BusyOther,
    /// State unknown. Tandem never enters it by itself; it exists for peripherals.
    Unknown,
}

/// What an agent (or the desktop) asks for with `SetAgentState`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStateRequest {
    /// Log in: Logout to Not Ready.
    Login,
    /// Log out; only from Not Ready.
    Logout,
    /// Not Ready, with a reason code when the desk settings require one.
    NotReady,
    /// Ready (Available).
    Ready,
    /// Wrap-up, ready afterwards.
    WorkReady,
    /// Wrap-up, not ready afterwards.
    WorkNotReady,
}

/// The direction of a voice call; it picks the wrap-up mode and the wrap-up timer's target.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    /// Routed to the agent from a CSQ.
    Incoming,
    /// Made by the agent (and, per the spec, transfer- and conference-initiated calls).
    Outgoing,
}

/// What a permitted request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VoiceStep {
    /// Enter this state now.
    To(AgentState),
    /// Keep the call; enter this state when the call ends (the after-call state).
    Pending(AgentState),
}

/// Where an agent goes when a call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterCallStep {
    /// A wrap-up state, with the wrap-up timer if configured.
    Work(AgentState),
    /// Straight to this state (Ready or Not Ready).
    To(AgentState),
}

impl AgentState {
    /// Every state, in declaration order.
    pub const ALL: [AgentState; 10] = [
        AgentState::LoggedOut,
        AgentState::NotReady,
        AgentState::Ready,
        AgentState::Reserved,
        AgentState::Talking,
        AgentState::Hold,
        AgentState::WorkReady,
        AgentState::WorkNotReady,
        AgentState::BusyOther,
        AgentState::Unknown,
    ];

    /// Logged in (any state but Logout).
    pub fn is_logged_in(self) -> bool {
        self != AgentState::LoggedOut
    }

    /// On a voice call: Reserved (ringing), Talking or Hold.
    pub fn is_on_call(self) -> bool {
        matches!(self, AgentState::Reserved | AgentState::Talking | AgentState::Hold)
    }

    /// In after-call work.
    pub fn is_wrap_up(self) -> bool {
        matches!(self, AgentState::WorkReady | AgentState::WorkNotReady)
    }
}

/// The transition table for `SetAgentState`. `call_mode` is the wrap-up mode of the call the
/// agent is on, if any. Ready refused while logged in is 10111; anything but Login refused
/// while logged out is 10108 (Logout: 10101).
pub(crate) fn voice_step(
    from: AgentState,
    request: AgentStateRequest,
    call_mode: Option<WrapUpMode>,
) -> Result<VoiceStep, SpecError> {
    use AgentState as S;
    use AgentStateRequest as R;
    match (from, request) {
        (S::LoggedOut, R::Login) => Ok(VoiceStep::To(S::NotReady)),
        (_, R::Login) => Err(SpecError::AlreadyLoggedOn),
        (S::LoggedOut, R::Logout) => Err(SpecError::AlreadyLoggedOut),
        (S::NotReady, R::Logout) => Ok(VoiceStep::To(S::LoggedOut)),
        (_, R::Logout) => Err(SpecError::CannotLogOut),
        (S::LoggedOut, _) => Err(SpecError::BadStateTransition),
        (S::NotReady | S::Ready | S::WorkReady | S::WorkNotReady, R::Ready) => Ok(VoiceStep::To(S::Ready)),
        (_, R::Ready) => Err(SpecError::CannotTransitionToReady),
        (S::Reserved, R::NotReady) => Err(SpecError::CannotGoUnavailable),
        (S::Talking | S::Hold, R::NotReady) => match call_mode {
            Some(WrapUpMode::Optional | WrapUpMode::NotAllowed) => Ok(VoiceStep::Pending(S::NotReady)),
            _ => Err(SpecError::BadStateTransition),
        },
        (_, R::NotReady) => Ok(VoiceStep::To(S::NotReady)),
        (S::WorkReady | S::WorkNotReady, R::WorkReady) => Ok(VoiceStep::To(S::WorkReady)),
        (S::WorkReady | S::WorkNotReady, R::WorkNotReady) => Ok(VoiceStep::To(S::WorkNotReady)),
        (S::Talking | S::Hold, R::WorkReady) if call_mode == Some(WrapUpMode::Optional) => {
            Ok(VoiceStep::Pending(S::WorkReady))
        }
        (S::Talking | S::Hold, R::WorkNotReady) if call_mode == Some(WrapUpMode::Optional) => {
            Ok(VoiceStep::Pending(S::WorkNotReady))
        }
        (_, R::WorkReady | R::WorkNotReady) => Err(SpecError::BadStateTransition),
    }
}

/// Whether an agent in `from` may make a call: only from Not Ready (seeds-ctios.md §2.6.3).
pub(crate) fn make_call_checked(from: AgentState) -> Result<(), SpecError> {
    match from {
        AgentState::NotReady => Ok(()),
        AgentState::Ready | AgentState::WorkReady | AgentState::WorkNotReady => Err(SpecError::AvailableOrInCallWork),
        AgentState::Reserved => Err(SpecError::ReservedCannotMakeCall),
        AgentState::LoggedOut
        | AgentState::Talking
        | AgentState::Hold
        | AgentState::BusyOther
        | AgentState::Unknown => Err(SpecError::BadStateTransition),
    }
}

/// Where a call's end takes the agent. `pending` is the after-call state chosen during the call.
/// Required modes always wrap up: Work Ready after an incoming call, Work Not Ready after an
/// outgoing one, so the timer then reaches Ready or Not Ready as the spec says. Otherwise the
/// pending choice wins, and without one the agent goes to Ready after an incoming call and to
/// Not Ready after an outgoing one.
pub(crate) fn after_call_step(
    direction: CallDirection,
    mode: WrapUpMode,
    pending: Option<AgentState>,
) -> AfterCallStep {
    let (work, rest) = match direction {
        CallDirection::Incoming => (AgentState::WorkReady, AgentState::Ready),
        CallDirection::Outgoing => (AgentState::WorkNotReady, AgentState::NotReady),
    };
    match (mode, pending) {
        (WrapUpMode::Required | WrapUpMode::RequiredWithData, _) => AfterCallStep::Work(work),
        (_, Some(state)) if state.is_wrap_up() => AfterCallStep::Work(state),
        (_, Some(state)) => AfterCallStep::To(state),
        (_, None) => AfterCallStep::To(rest),
    }
}

/// Where the wrap-up timer takes an agent in `from` (a wrap-up state).
pub(crate) fn wrap_up_timer_target(from: AgentState) -> AgentState {
    match from {
        AgentState::WorkReady => AgentState::Ready,
        _ => AgentState::NotReady,
    }
}
