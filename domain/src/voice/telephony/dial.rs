//! Numbers: what a dialed number reaches, and the configured dialed numbers (route points).
//!
//! One namespace holds agent extensions and configured dialed numbers, so a number resolves to
//! exactly one thing: an extension reaches its agent, a dialed number reaches its CSQ, and
//! anything else is outside the center. Each operation reports a destination it cannot reach
//! with its own spec code (transfer 20011/20013, redirect 20052/20063, make call 10004/13083),
//! which is why the caller passes the pair in [`DestinationErrors`].

use crate::agent::state::AgentState;
use crate::agent::status::AgentStatus;
use crate::center::Center;
use crate::ids::{AgentId, CsqId, DialedNumberId};
use crate::limits::{DIALED_NUMBER_COUNT_MAX, EXTENSION_LENGTH_MAX, NUMBER_LENGTH_MAX};
use crate::outcome::{Applied, EntityRef, Event};
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};
use crate::spec_error::SpecError;
use crate::VoiceEvent;

use super::{ConnectionState, DialedNumber, DialedNumberSpec, Party};

/// Where a dialed number leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    /// A logged-in agent with a free line: the agent's connection alerts.
    Agent(AgentId),
    /// A number outside the center.
    External(String),
}

/// The spec codes one operation gives for an extension it cannot reach.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DestinationErrors {
    /// The extension's agent is not logged in (no registered device).
    pub(crate) unregistered: SpecError,
    /// The extension's agent is on a call, ringing or in wrap-up.
    pub(crate) busy: SpecError,
}

pub(crate) const TRANSFER_ERRORS: DestinationErrors = DestinationErrors {
    unregistered: SpecError::TransferDestinationUnallocated,
    busy: SpecError::TransferDestinationBusy,
};

pub(crate) const REDIRECT_ERRORS: DestinationErrors =
    DestinationErrors { unregistered: SpecError::RedirectUnknownDestination, busy: SpecError::RedirectDestinationBusy };

pub(crate) const MAKE_CALL_ERRORS: DestinationErrors =
    DestinationErrors { unregistered: SpecError::NoInstrumentForExtension, busy: SpecError::MakeCallCannotCreate };

impl Center {
    /// Resolves a number `caller` dials. A CSQ's dialed number is not in the desktop's dial
    /// plan (10109); a malformed number is invalid input; the caller's own extension is busy.
    pub(crate) fn destination_checked(
        &self,
        number: &str,
        caller: Option<AgentId>,
        errors: DestinationErrors,
    ) -> Result<Destination, Rejection> {
        number_checked("number", number)?;
        if let Some(&agent) = self.extensions.get(number) {
            let status = self.status(agent);
            if !status.state.is_logged_in() {
                return Err(errors.unregistered.into());
            }
            if !reachable(status) || caller == Some(agent) {
                return Err(errors.busy.into());
            }
            return Ok(Destination::Agent(agent));
        }
        if self.numbers.contains_key(number) {
            return Err(SpecError::InvalidCallPlan.into());
        }
        Ok(Destination::External(number.to_owned()))
    }

    /// The party a destination adds to a call and the state its connection starts in: an agent
    /// alerts; the built-in switch connects an outside number at once unless the desk settings
    /// leave answering to the far end.
    pub(crate) fn destination_connection(&self, destination: &Destination) -> (Party, ConnectionState) {
        match destination {
            Destination::Agent(agent) => (Party::Agent(*agent), ConnectionState::Alerting),
            Destination::External(number) => {
                let state = if self.desk.external_parties_answer_at_once {
                    ConnectionState::Talking
                } else {
                    ConnectionState::Alerting
                };
                (Party::External(number.clone()), state)
            }
        }
    }

    /// The CSQ a configured dialed number routes to.
    pub(crate) fn dialed_number_csq(&self, number: &str) -> Option<CsqId> {
        let id = self.numbers.get(number)?;
        self.dialed_numbers.get(*id).map(|dialed| dialed.csq)
    }

    pub(crate) fn dialed_number_create(&mut self, spec: &DialedNumberSpec) -> Result<Applied, Rejection> {
        let id = self.dialed_numbers.id_next("dialed number")?;
        let dialed = self.dialed_number_checked(id, spec, None)?;
        self.dialed_numbers.check_room("dialed numbers", DIALED_NUMBER_COUNT_MAX)?;
        self.numbers.insert(dialed.number.clone(), id);
        self.dialed_numbers.insert_new(id, dialed.clone());
        Ok(Applied::created(Event::Voice(VoiceEvent::DialedNumberCreated(dialed)), EntityRef::DialedNumber(id)))
    }

    pub(crate) fn dialed_number_update(
        &mut self,
        id: DialedNumberId,
        spec: &DialedNumberSpec,
    ) -> Result<Applied, Rejection> {
        let Some(previous) = self.dialed_numbers.get(id) else {
            return Err(Rejection::not_found("dialed number", id));
        };
        let previous_number = previous.number.clone();
        let dialed = self.dialed_number_checked(id, spec, Some(id))?;
        self.numbers.remove(&previous_number);
        self.numbers.insert(dialed.number.clone(), id);
        self.dialed_numbers.replace(id, dialed.clone());
        Ok(Applied::event(Event::Voice(VoiceEvent::DialedNumberUpdated(dialed))))
    }

    pub(crate) fn dialed_number_delete(&mut self, id: DialedNumberId) -> Result<Applied, Rejection> {
        let Some(dialed) = self.dialed_numbers.get(id) else {
            return Err(Rejection::not_found("dialed number", id));
        };
        self.numbers.remove(&dialed.number.clone());
        self.dialed_numbers.remove(id);
        Ok(Applied::event(Event::Voice(VoiceEvent::DialedNumberDeleted(id))))
    }

    /// The dialed numbers routing to a CSQ, named for an `in_use` message.
    pub(crate) fn csq_dialed_number_references(&self, csq: CsqId) -> Vec<String> {
        self.dialed_numbers
            .values()
            .filter(|dialed| dialed.csq == csq)
            .map(|dialed| format!("dialed number {}", dialed.id))
            .collect()
    }

    /// An agent's extension: digits only, unique among extensions and dialed numbers.
    /// `except` is the agent being updated.
    pub(crate) fn extension_checked(
        &self,
        extension: Option<&str>,
        except: Option<AgentId>,
    ) -> Result<Option<String>, Rejection> {
        let Some(extension) = extension else { return Ok(None) };
        let digits = extension.chars().count() as u64;
        if digits == 0 || digits > u64::from(EXTENSION_LENGTH_MAX) || !extension.chars().all(|c| c.is_ascii_digit()) {
            let message = format!("extension must be 1 to {EXTENSION_LENGTH_MAX} digits (got \"{extension}\")");
            return Err(Rejection::invalid_field(message));
        }
        if let Some(&other) = self.extensions.get(extension) {
            if Some(other) != except {
                let message = format!("extension {extension} already belongs to agent {other}");
                return Err(Rejection::new(RejectionCode::DuplicateValue, message));
            }
        }
        if let Some(&dialed) = self.numbers.get(extension) {
            let message = format!("extension {extension} is already dialed number {dialed}");
            return Err(Rejection::new(RejectionCode::DuplicateValue, message));
        }
        Ok(Some(extension.to_owned()))
    }

    fn dialed_number_checked(
        &self,
        id: DialedNumberId,
        spec: &DialedNumberSpec,
        except: Option<DialedNumberId>,
    ) -> Result<DialedNumber, Rejection> {
        number_checked("number", &spec.number)?;
        let Some(csq) = self.csqs.get(spec.csq) else {
            let message = format!("csq: CSQ {} does not exist", spec.csq);
            return Err(Rejection::new(RejectionCode::UnknownCsq, message));
        };
        if csq.channel != Channel::Voice {
            let message = format!("csq: CSQ {} is {} CSQ, not voice", csq.id, csq.channel.with_article());
            return Err(Rejection::invalid_field(message));
        }
        if let Some(&other) = self.numbers.get(&spec.number) {
            if Some(other) != except {
                let message = format!("dialed number {} already exists (dialed number {other})", spec.number);
                return Err(Rejection::new(RejectionCode::DuplicateValue, message));
            }
        }
        if let Some(&agent) = self.extensions.get(&spec.number) {
            let message = format!("number {} is agent {agent}'s extension", spec.number);
            return Err(Rejection::new(RejectionCode::DuplicateValue, message));
        }
        Ok(DialedNumber { id, number: spec.number.clone(), csq: spec.csq })
    }
}

/// Whether an agent's line can ring now: logged in, Ready or Not Ready, no call. An agent in
/// wrap-up is busy: the call it wraps up is not finished.
pub(crate) fn reachable(status: &AgentStatus) -> bool {
    matches!(status.state, AgentState::Ready | AgentState::NotReady) && status.calls.is_empty()
}

/// A number: 1 to [`NUMBER_LENGTH_MAX`] of digits, `*` and `#`, with an optional leading `+`.
pub(crate) fn number_checked(field: &str, number: &str) -> Result<(), Rejection> {
    let body = number.strip_prefix('+').unwrap_or(number);
    let length = number.chars().count() as u64;
    let valid = !body.is_empty()
        && length <= u64::from(NUMBER_LENGTH_MAX)
        && body.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if valid {
        return Ok(());
    }
    let message = format!(
        "{field} must be 1 to {NUMBER_LENGTH_MAX} digits, * or #, with an optional leading + (got \"{number}\")"
    );
    Err(Rejection::invalid_field(message))
}
