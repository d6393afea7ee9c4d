//! Center-wide settings: the agent desk settings of the CTI tier.
//!
//! The spec downloads "Agent Desk Settings" to every desktop at startup (seeds-ctios.md §2.6.1,
//! §2.6.4, §2.6.6). Tandem keeps one record for the whole center, replaced as a whole by
//! [`crate::ConfigCommand::SetDeskSettings`]; changes apply from the next transition they govern and
//! never rewrite a running timer (`docs/decisions/0011-agent-voice-states.md`).

use crate::ConfigEvent;
use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::limits::WRAP_UP_TIMER_SECONDS_MAX;
use crate::limits::{RING_NO_ANSWER_SECONDS_DEFAULT, RING_NO_ANSWER_SECONDS_MAX, RING_NO_ANSWER_SECONDS_MIN};
use crate::outcome::{Applied, Event};
use crate::rejection::Rejection;
use crate::supervision::agent_chat::{AgentChatLevel, SupervisorChatLevel};

/// How after-call work (wrap-up) is handled for one call direction (seeds-ctios.md §2.6.4).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WrapUpMode {
    /// The agent must go to wrap-up when the call ends; state buttons are off during the call.
    Required,
    /// As `Required`, and wrap-up data must be set before leaving wrap-up (incoming only; 280).
    RequiredWithData,
    /// The agent enters wrap-up only by choosing it (during the call, as the after-call state).
    Optional,
    /// Wrap-up is never entered; only Ready and Not Ready are reachable.
    NotAllowed,
}

/// The agent desk settings, one record for the center.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskSettings {
    /// `WrapupInMode`: wrap-up after incoming (routed) calls.
    pub wrap_up_incoming: WrapUpMode,
    /// `WrapupOutMode`: wrap-up after outgoing calls; never `required_with_data`.
    pub wrap_up_outgoing: WrapUpMode,
    /// The wrap-up timer: after this many seconds in wrap-up the agent leaves it by itself
    /// (Work Ready to Ready, Work Not Ready to Not Ready). 0 turns it off; at most
    /// [`WRAP_UP_TIMER_SECONDS_MAX`].
    pub wrap_up_timer_seconds: u32,
    /// Whether Not Ready needs a reason code (281 without one).
    pub not_ready_reason_required: bool,
    /// Whether Logout needs a reason code (281 without one).
    pub logout_reason_required: bool,
    /// `forceLogoutOnSessionClose`: a desktop session that closes without logging out forces
    /// the agent Not Ready, then logs the agent out.
    pub force_logout_on_session_close: bool,
    /// `forceNotReadyOnSessionCloseReason`: the reason value of the forced Not Ready (0: none).
    pub force_not_ready_reason: u16,
    /// `forceLogoutOnSessionCloseReason`: the reason value of the forced Logout (0: none).
    pub force_logout_reason: u16,
    /// How long a routed voice call rings before it is requeued and the agent made Not Ready,
    /// [`RING_NO_ANSWER_SECONDS_MIN`] to [`RING_NO_ANSWER_SECONDS_MAX`].
    pub ring_no_answer_seconds: u32,
    /// `IPCCConference_SupportsMultipleControllers`: every party of a conference may add
    /// parties (the spec's default, 1); off, only its controllers may, and anyone else's
    /// conference consult gets a Control Failure.
    #[serde(default = "enabled")]
    pub conference_supports_multiple_controllers: bool,
    /// The built-in switch connects an outside number the moment it is dialed (no far end to
    /// ring). Off, outside destinations ring until the far end answers (`ExternalAnswer`), as
    /// a SIP front reports it.
    #[serde(default = "enabled")]
    pub external_parties_answer_at_once: bool,
    /// `Server\Agent\AgentChatLevel`: whom agents may chat with.
    #[serde(default)]
    pub agent_chat_level: AgentChatLevel,
    /// `Server\Supervisor\SupervisorChatLevel`: whom supervisors may chat with.
    #[serde(default)]
    pub supervisor_chat_level: SupervisorChatLevel,
    /// `IPCCSilentMonitorEnabled`: supervisors may silently monitor their agents (CTI OS-based).
    #[serde(default = "enabled")]
    pub silent_monitor_enabled: bool,
    /// `WarnIfSilentMonitored`: the agent's desktop shows when its supervisor is monitoring it.
    #[serde(default)]
    pub warn_if_silent_monitored: bool,
}

fn enabled() -> bool {
    true
}

impl Default for DeskSettings {
    /// The spec's defaults where it gives them (forced logout off, reasons 0, reasons not
    /// required); ours elsewhere (`docs/decisions/0011-agent-voice-states.md`).
    fn default() -> Self {
        DeskSettings {
            wrap_up_incoming: WrapUpMode::Optional,
            wrap_up_outgoing: WrapUpMode::Optional,
            wrap_up_timer_seconds: 0,
            not_ready_reason_required: false,
            logout_reason_required: false,
            force_logout_on_session_close: false,
            force_not_ready_reason: 0,
            force_logout_reason: 0,
            ring_no_answer_seconds: RING_NO_ANSWER_SECONDS_DEFAULT,
            conference_supports_multiple_controllers: true,
            external_parties_answer_at_once: true,
            agent_chat_level: AgentChatLevel::default(),
            supervisor_chat_level: SupervisorChatLevel::default(),
            silent_monitor_enabled: true,
            warn_if_silent_monitored: false,
        }
    }
}

impl DeskSettings {
    /// The wrap-up mode for a call in this direction.
    pub fn wrap_up_mode(&self, direction: crate::CallDirection) -> WrapUpMode {
        match direction {
            crate::CallDirection::Incoming => self.wrap_up_incoming,
            crate::CallDirection::Outgoing => self.wrap_up_outgoing,
        }
    }
}

impl Center {
    pub(crate) fn desk_settings_set(&mut self, settings: &DeskSettings) -> Result<Applied, Rejection> {
        desk_settings_checked(settings)?;
        self.desk = settings.clone();
        Ok(Applied::event(Event::Config(ConfigEvent::DeskSettingsUpdated(settings.clone()))))
    }

    /// The agent desk settings in force.
    pub fn desk_settings(&self) -> &DeskSettings {
        &self.desk
    }
}

fn desk_settings_checked(settings: &DeskSettings) -> Result<(), Rejection> {
    if settings.wrap_up_outgoing == WrapUpMode::RequiredWithData {
        return Err(Rejection::invalid_field(
            "wrap_up_outgoing must not be required_with_data: wrap-up data is kept for incoming calls only",
        ));
    }
    if settings.wrap_up_timer_seconds > WRAP_UP_TIMER_SECONDS_MAX {
        let message = format!(
            "wrap_up_timer_seconds must be between 0 and {WRAP_UP_TIMER_SECONDS_MAX} (got {})",
            settings.wrap_up_timer_seconds
        );
        return Err(Rejection::invalid_field(message));
    }
    let seconds = settings.ring_no_answer_seconds;
    if !(RING_NO_ANSWER_SECONDS_MIN..=RING_NO_ANSWER_SECONDS_MAX).contains(&seconds) {
        let message = format!(
            "ring_no_answer_seconds must be between {RING_NO_ANSWER_SECONDS_MIN} and {RING_NO_ANSWER_SECONDS_MAX} (got {seconds})"
        );
        return Err(Rejection::invalid_field(message));
    }
    if settings.force_logout_on_session_close {
        if settings.not_ready_reason_required && settings.force_not_ready_reason == 0 {
            return Err(Rejection::invalid_field(
                "force_not_ready_reason must be non-zero while not_ready_reason_required is on",
            ));
        }
        if settings.logout_reason_required && settings.force_logout_reason == 0 {
            return Err(Rejection::invalid_field(
                "force_logout_reason must be non-zero while logout_reason_required is on",
            ));
        }
    }
    Ok(())
}

/// The global digital channel parameters (seeds-uccx.md §2.7). Timeouts are copied onto each
/// contact when it is created, so a change affects new contacts only; capacities and blending
/// apply to agents as `docs/decisions/0012-digital-state-and-capacity.md` describes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelParameters {
    /// Seconds an agent has to accept an offered chat or group chat invite,
    /// [`crate::NO_ANSWER_TIMEOUT_SECONDS_MIN`] to [`crate::NO_ANSWER_TIMEOUT_SECONDS_MAX`].
    pub no_answer_timeout_seconds: u32,
    /// Minutes before a waiting customer sees the join timeout message,
    /// [`crate::JOIN_TIMEOUT_MINUTES_MIN`] to [`crate::JOIN_TIMEOUT_MINUTES_MAX`].
    pub join_timeout_minutes: u32,
    /// Minutes of customer inactivity that end a chat,
    /// [`crate::INACTIVITY_TIMEOUT_MINUTES_MIN`] to [`crate::INACTIVITY_TIMEOUT_MINUTES_MAX`].
    pub inactivity_timeout_minutes: u32,
    /// "Offer Chat Contact When On Voice Call".
    pub offer_chat_when_on_voice_call: bool,
    /// "Offer Voice Call When On Chat".
    pub offer_voice_call_when_on_chat: bool,
    /// Concurrent chats per agent, group chats included: 1 to 5.
    pub max_chat_sessions_per_agent: u32,
    /// Concurrent emails per agent: 1 to 5.
    pub max_email_sessions_per_agent: u32,
    /// Hours an email of an ongoing conversation waits for its last agent: 1 to 120.
    pub sticky_email_timeout_hours: u32,
}

impl Default for ChannelParameters {
    fn default() -> Self {
        ChannelParameters {
            no_answer_timeout_seconds: crate::NO_ANSWER_TIMEOUT_SECONDS_DEFAULT,
            join_timeout_minutes: crate::JOIN_TIMEOUT_MINUTES_DEFAULT,
            inactivity_timeout_minutes: crate::INACTIVITY_TIMEOUT_MINUTES_DEFAULT,
            offer_chat_when_on_voice_call: false,
            offer_voice_call_when_on_chat: false,
            max_chat_sessions_per_agent: crate::CHAT_SESSIONS_PER_AGENT_MAX,
            max_email_sessions_per_agent: crate::EMAIL_SESSIONS_PER_AGENT_MAX,
            sticky_email_timeout_hours: crate::STICKY_EMAIL_TIMEOUT_HOURS_DEFAULT,
        }
    }
}

impl Center {
    pub(crate) fn channel_parameters_set(&mut self, parameters: &ChannelParameters) -> Result<Applied, Rejection> {
        channel_parameters_checked(parameters)?;
        self.channel = parameters.clone();
        let mut events = vec![Event::Config(ConfigEvent::ChannelParametersUpdated(parameters.clone()))];
        self.blending_parameters_changed(&mut events);
        Ok(Applied::events(events))
    }

    /// The channel parameters in force for new contacts.
    pub fn channel_parameters(&self) -> &ChannelParameters {
        &self.channel
    }
}

fn channel_parameters_checked(parameters: &ChannelParameters) -> Result<(), Rejection> {
    use crate::limits::*;
    let ranges = [
        (
            "no_answer_timeout_seconds",
            parameters.no_answer_timeout_seconds,
            NO_ANSWER_TIMEOUT_SECONDS_MIN,
            NO_ANSWER_TIMEOUT_SECONDS_MAX,
        ),
        ("join_timeout_minutes", parameters.join_timeout_minutes, JOIN_TIMEOUT_MINUTES_MIN, JOIN_TIMEOUT_MINUTES_MAX),
        (
            "inactivity_timeout_minutes",
            parameters.inactivity_timeout_minutes,
            INACTIVITY_TIMEOUT_MINUTES_MIN,
            INACTIVITY_TIMEOUT_MINUTES_MAX,
        ),
        (
            "max_chat_sessions_per_agent",
            parameters.max_chat_sessions_per_agent,
            CHAT_SESSIONS_PER_AGENT_MIN,
            CHAT_SESSIONS_PER_AGENT_MAX,
        ),
        (
            "max_email_sessions_per_agent",
            parameters.max_email_sessions_per_agent,
            EMAIL_SESSIONS_PER_AGENT_MIN,
            EMAIL_SESSIONS_PER_AGENT_MAX,
        ),
        (
            "sticky_email_timeout_hours",
            parameters.sticky_email_timeout_hours,
            STICKY_EMAIL_TIMEOUT_HOURS_MIN,
            STICKY_EMAIL_TIMEOUT_HOURS_MAX,
        ),
    ];
    for (field, value, min, max) in ranges {
        if !(min..=max).contains(&value) {
            return Err(Rejection::invalid_field(format!("{field} must be between {min} and {max} (got {value})")));
        }
    }
    Ok(())
}
