//! Agents' call-control requests and the far end's actions, each as a check and a write.
//!
//! Every `*_checked` function reads only and returns what the write needs (a destination, a
//! new call id), with the spec's code for the first precondition that fails
//! (seeds-ctios.md §2.7.5, §4.2). [`crate::Center::call_controls`] asks the same functions, so
//! a button is enabled exactly when its request would pass. The older one-call commands
//! (`AnswerCall`, `HoldCall`, `RetrieveCall`, `EndCall`, `MakeCall`) are shorthands that pick
//! the agent's call and go through the same checks; without a call to pick they keep their
//! 10108.

use crate::agent::state::{make_call_checked, AgentState, CallDirection};
use crate::center::Center;
use crate::ids::{AgentId, CallId};
use crate::limits::{CALL_DIGITS_LENGTH_MAX, DTMF_DIGITS_LENGTH_MAX, LINE_CALL_COUNT_MAX};
use crate::outcome::{Applied, Event};
use crate::queue::contact::{ContactSpec, ContactState};
use crate::queue::csq::Channel;
use crate::rejection::Rejection;
use crate::spec_error::SpecError;
use crate::VoiceEvent;

use super::dial::{number_checked, Destination, MAKE_CALL_ERRORS, REDIRECT_ERRORS, TRANSFER_ERRORS};
use super::switch::Touched;
use super::{
    CallData, CallKind, CallRequest, ClearCause, Connection, ConnectionState, ConsultPurpose, InboundCallSpec, Party,
};

/// What a checked consult will do.
pub(crate) struct ConsultPlan {
    pub(crate) destination: Destination,
    pub(crate) id: CallId,
}

impl Center {
    pub(crate) fn call_control(&mut self, agent: AgentId, request: &CallRequest) -> Result<Applied, Rejection> {
        self.status_checked(agent)?;
        let mut events = Vec::new();
        let mut touched = Touched::new();
        match request {
            CallRequest::Answer { call } => {
                self.answer_checked(agent, *call)?;
                self.answer_write(agent, *call, &mut events, &mut touched);
            }
            CallRequest::ClearCall { call } => {
                self.release_checked(agent, *call)?;
                self.call_clear(*call, ClearCause::Normal, &mut events, &mut touched);
            }
            CallRequest::ClearConnection { call } => {
                self.release_checked(agent, *call)?;
                self.connection_remove(*call, &Party::Agent(agent), ClearCause::Normal, &mut events, &mut touched);
                self.call_settle(*call, &mut events, &mut touched);
            }
            CallRequest::Hold { call } => {
                self.hold_checked(agent, *call)?;
                self.hold_write(agent, *call, &mut events, &mut touched);
            }
            CallRequest::Retrieve { call } => {
                self.retrieve_checked(agent, *call)?;
                self.retrieve_write(agent, *call, &mut events, &mut touched);
            }
            CallRequest::Alternate { active, held } => {
                self.alternate_checked(agent, *active, *held)?;
                self.hold_write(agent, *active, &mut events, &mut touched);
                self.retrieve_write(agent, *held, &mut events, &mut touched);
            }
            CallRequest::Reconnect { active, held } => {
                self.reconnect_checked(agent, *active, *held)?;
                self.connection_remove(*active, &Party::Agent(agent), ClearCause::Normal, &mut events, &mut touched);
                self.call_settle(*active, &mut events, &mut touched);
                self.retrieve_write(agent, *held, &mut events, &mut touched);
            }
            CallRequest::Consult { call, purpose, number } => {
                let plan = self.consult_checked(agent, *call, *purpose, number)?;
                self.consult_write(agent, *call, *purpose, number, plan, &mut events, &mut touched);
            }
            CallRequest::TransferComplete { held, active } => {
                self.transfer_complete_checked(agent, *held, *active)?;
                self.transfer_complete_write(agent, *held, *active, &mut events, &mut touched);
            }
            CallRequest::ConferenceComplete { held, active } => {
                self.conference_complete_checked(agent, *held, *active)?;
                self.conference_complete_write(agent, *held, *active, &mut events, &mut touched);
            }
            CallRequest::SingleStepTransfer { call, number } => {
                let destination = self.single_step_checked(agent, *call, Some(number))?;
                self.redirect_write(agent, *call, destination, &mut events, &mut touched);
                let agents = self.call_known(*call).audience(&[agent]);
                let connections = self.call_known(*call).connections.clone();
                events.push(Event::Voice(VoiceEvent::CallTransferred {
                    call: *call,
                    secondary: None,
                    by: agent,
                    connections,
                    agents,
                }));
                self.call_settle(*call, &mut events, &mut touched);
            }
            CallRequest::MakeCall { number } => {
                let (id, destination) = self.make_call_request_checked(agent, Some(number))?;
                let data = self.dialing_data(agent, number);
                self.make_call_write(agent, id, destination, data, &mut events, &mut touched);
            }
            CallRequest::SendDtmf { call, digits } => {
                self.send_dtmf_checked(agent, *call)?;
                dtmf_checked(digits)?;
                let agents = self.call_known(*call).audience(&[]);
                events.push(Event::Voice(VoiceEvent::DtmfSent { call: *call, agent, digits: digits.clone(), agents }));
            }
            CallRequest::Deflect { call, number } => {
                let destination = self.deflect_checked(agent, *call, Some(number))?;
                self.redirect_write(agent, *call, destination, &mut events, &mut touched);
                self.call_settle(*call, &mut events, &mut touched);
            }
            CallRequest::SetCallData { call, changes } => {
                let data = self.call_data_request_checked(agent, *call, changes)?;
                self.call_data_write(agent, *call, data, changes.wrap_up.is_some(), &mut events);
            }
        }
        self.agents_sync(touched, &mut events);
        Ok(Applied::events(events))
    }

    /// A call arrives from outside: to a configured dialed number it becomes a routed voice
    /// contact in that number's CSQ; to an extension it rings that agent directly.
    pub(crate) fn inbound_call(&mut self, spec: &InboundCallSpec) -> Result<Applied, Rejection> {
        number_checked("dialed_number", &spec.dialed_number)?;
        if !spec.ani.is_empty() {
            number_checked("ani", &spec.ani)?;
        }
        ced_checked(&spec.ced)?;
        let base = CallData {
            ani: spec.ani.clone(),
            dnis: spec.dialed_number.clone(),
            dialed_number: spec.dialed_number.clone(),
            ced: spec.ced.clone(),
            ..CallData::default()
        };
        let data = self.call_data_changed(&base, &spec.data)?;
        if spec.data.wrap_up.is_some() {
            return Err(Rejection::invalid_field("wrap_up is set by the agent, not by an arriving call"));
        }
        let mut events = Vec::new();
        let mut touched = Touched::new();
        if let Some(csq) = self.dialed_number_csq(&spec.dialed_number) {
            let contact = ContactSpec {
                channel: Channel::Voice,
                csq,
                priority: None,
                customer_name: None,
                customer_address: (!spec.ani.is_empty()).then(|| spec.ani.clone()),
                subject: None,
            };
            return self.voice_contact_inject(&contact, data);
        }
        let destination = match self.destination_checked(&spec.dialed_number, None, MAKE_CALL_ERRORS) {
            Ok(Destination::Agent(agent)) => Destination::Agent(agent),
            Ok(Destination::External(number)) => {
                let message = format!("dialed_number {number} is neither a configured dialed number nor an extension");
                return Err(Rejection::invalid_field(message));
            }
            Err(rejection) => return Err(rejection),
        };
        let id = self.call_room_checked()?;
        let (party, state) = self.destination_connection(&destination);
        let caller = Connection { party: Party::External(spec.ani.clone()), state: ConnectionState::Talking };
        let connections = vec![caller, Connection { party, state }];
        self.call_begin(id, CallKind::Inbound, data, None, connections, &mut events, &mut touched);
        self.agents_sync(touched, &mut events);
        Ok(Applied::events(events))
    }

    /// The far end answered: an outside destination's alerting connection connects.
    pub(crate) fn external_answer(&mut self, call: CallId, number: &str) -> Result<Applied, Rejection> {
        let found = self.calls.get(call).ok_or_else(|| Rejection::not_found("call", call))?;
        let party = Party::External(number.to_owned());
        if found.connection(&party) != Some(ConnectionState::Alerting) {
            return Err(Rejection::invalid_state(format!("call {call} has no party {number:?} ringing")));
        }
        let mut events = Vec::new();
        let mut touched = Touched::new();
        self.connection_set(call, &party, ConnectionState::Talking, &mut touched);
        let agents = self.call_known(call).audience(&[]);
        events.push(Event::Voice(VoiceEvent::CallEstablished { call, party, agents }));
        Ok(Applied::events(events))
    }

    /// The far end hung up: a caller or an outside destination leaves the call.
    pub(crate) fn external_hangup(&mut self, call: CallId, number: &str) -> Result<Applied, Rejection> {
        let found = self.calls.get(call).ok_or_else(|| Rejection::not_found("call", call))?;
        let party = Party::External(number.to_owned());
        if found.connection(&party).is_none() {
            return Err(Rejection::invalid_state(format!("call {call} has no party {number:?}")));
        }
        let mut events = Vec::new();
        let mut touched = Touched::new();
        self.connection_remove(call, &party, ClearCause::Normal, &mut events, &mut touched);
        self.call_settle(call, &mut events, &mut touched);
        self.agents_sync(touched, &mut events);
        Ok(Applied::events(events))
    }

    /// `AnswerCall`: answers the agent's ringing call.
    pub(crate) fn agent_answer_call(&mut self, agent: AgentId) -> Result<Applied, Rejection> {
        let call = self.agent_call_in(agent, ConnectionState::Alerting)?;
        self.call_control(agent, &CallRequest::Answer { call })
    }

    /// `HoldCall`: holds the call the agent talks on.
    pub(crate) fn agent_hold_call(&mut self, agent: AgentId) -> Result<Applied, Rejection> {
        let call = self.agent_call_in(agent, ConnectionState::Talking)?;
        self.call_control(agent, &CallRequest::Hold { call })
    }

    /// `RetrieveCall`: retrieves the agent's held call (the first, if two) while in Hold.
    pub(crate) fn agent_retrieve_call(&mut self, agent: AgentId) -> Result<Applied, Rejection> {
        if self.status_checked(agent)?.state != AgentState::Hold {
            return Err(SpecError::BadStateTransition.into());
        }
        let call = self.agent_call_in(agent, ConnectionState::Held)?;
        self.call_control(agent, &CallRequest::Retrieve { call })
    }

    /// `EndCall`: the agent hangs up the call it talks on, or its held call.
    pub(crate) fn agent_end_call(&mut self, agent: AgentId) -> Result<Applied, Rejection> {
        let call = match self.agent_call_in(agent, ConnectionState::Talking) {
            Ok(call) => call,
            Err(_) => self.agent_call_in(agent, ConnectionState::Held)?,
        };
        self.call_control(agent, &CallRequest::ClearConnection { call })
    }

    /// `MakeCall` without a number: the agent dials an outside line on the phone itself.
    pub(crate) fn agent_make_call(&mut self, agent: AgentId) -> Result<Applied, Rejection> {
        let (id, destination) = self.make_call_request_checked(agent, None)?;
        let data = self.dialing_data(agent, "");
        let mut events = Vec::new();
        let mut touched = Touched::new();
        self.make_call_write(agent, id, destination, data, &mut events, &mut touched);
        self.agents_sync(touched, &mut events);
        Ok(Applied::events(events))
    }

    /// The caller of a routed voice contact hung up (`CustomerLeft`).
    pub(crate) fn voice_customer_left(&mut self, contact: crate::ids::ContactId) -> Result<Applied, Rejection> {
        let found = self.contact_known(contact);
        let Some(call) = found.call.filter(|call| self.calls.contains(*call)) else {
            return Err(Rejection::invalid_state(format!("contact {contact} has no call")));
        };
        let ani = self.call_known(call).data.ani.clone();
        self.external_hangup(call, &ani)
            .map_err(|_| Rejection::invalid_state(format!("the caller has left call {call}")))
    }

    // Checks, shared with `call_controls`.

    /// 20010: the agent's connection must be ringing.
    pub(crate) fn answer_checked(&self, agent: AgentId, call: CallId) -> Result<(), Rejection> {
        match self.agent_connection_on(agent, call) {
            Some(ConnectionState::Alerting) => Ok(()),
            _ => Err(SpecError::NotIncomingCall.into()),
        }
    }

    /// 13044: clear call and clear connection need the agent's talking or held connection; a
    /// ringing agent answers or deflects instead.
    pub(crate) fn release_checked(&self, agent: AgentId, call: CallId) -> Result<(), Rejection> {
        match self.agent_connection_on(agent, call) {
            Some(ConnectionState::Talking | ConnectionState::Held) => Ok(()),
            _ => Err(SpecError::ClearConnectionUnknownConnection.into()),
        }
    }

    /// 13081: hold needs a call the agent talks on (one it controls).
    pub(crate) fn hold_checked(&self, agent: AgentId, call: CallId) -> Result<(), Rejection> {
        match self.agent_connection_on(agent, call) {
            Some(ConnectionState::Talking) => Ok(()),
            _ => Err(SpecError::HoldUncontrolledCall.into()),
        }
    }

    /// 13090: retrieve needs a call the agent holds; 20112 while another call talks on the line.
    pub(crate) fn retrieve_checked(&self, agent: AgentId, call: CallId) -> Result<(), Rejection> {
        if self.agent_connection_on(agent, call) != Some(ConnectionState::Held) {
            return Err(SpecError::RetrieveUncontrolledCall.into());
        }
        if self.agent_talking_call(agent).is_some() {
            return Err(SpecError::RetrieveActiveCallOnLine.into());
        }
        Ok(())
    }

    /// Alternate: hold's check on the active call (13081), retrieve's on the held one (13090).
    pub(crate) fn alternate_checked(&self, agent: AgentId, active: CallId, held: CallId) -> Result<(), Rejection> {
        self.hold_checked(agent, active)?;
        if active == held || self.agent_connection_on(agent, held) != Some(ConnectionState::Held) {
            return Err(SpecError::RetrieveUncontrolledCall.into());
        }
        Ok(())
    }

    /// Reconnect: the agent's connection on the active call (13044) and on the held one (13090).
    pub(crate) fn reconnect_checked(&self, agent: AgentId, active: CallId, held: CallId) -> Result<(), Rejection> {
        if self.agent_connection_on(agent, active) != Some(ConnectionState::Talking) {
            return Err(SpecError::ClearConnectionUnknownConnection.into());
        }
        if active == held || self.agent_connection_on(agent, held) != Some(ConnectionState::Held) {
            return Err(SpecError::RetrieveUncontrolledCall.into());
        }
        Ok(())
    }

    /// Consult: the consult type (13062), the agent talking on the call (13063), a number for
    /// a conference (13057), room on the line (20007), no other consult of the call under way
    /// (20066), the conference controller rule (Control Failure), then the destination
    /// (20011, 20013). `number` `None` checks everything that does not depend on it.
    pub(crate) fn consult_checked(
        &self,
        agent: AgentId,
        call: CallId,
        purpose: ConsultPurpose,
        number: &str,
    ) -> Result<ConsultPlan, Rejection> {
        self.consult_state_checked(agent, call, purpose, Some(number))?;
        let destination = self.destination_checked(number, Some(agent), TRANSFER_ERRORS)?;
        let id = self.call_room_checked()?;
        Ok(ConsultPlan { destination, id })
    }

    pub(crate) fn consult_state_checked(
        &self,
        agent: AgentId,
        call: CallId,
        purpose: ConsultPurpose,
        number: Option<&str>,
    ) -> Result<(), Rejection> {
        if purpose == ConsultPurpose::Unknown {
            return Err(SpecError::ConsultInvalidType.into());
        }
        if self.agent_connection_on(agent, call) != Some(ConnectionState::Talking) {
            return Err(SpecError::ConsultNoActiveConnection.into());
        }
        if purpose == ConsultPurpose::Conference && number.is_some_and(|number| number.trim().is_empty()) {
            return Err(SpecError::ConferenceInvalidDialedNumber.into());
        }
        self.line_room_checked(agent)?;
        self.outstanding_consult_checked(call)?;
        let found = self.call_known(call);
        let controlled = found.controllers.is_empty() || found.controllers.contains(&agent);
        if purpose == ConsultPurpose::Conference && !self.desk.conference_supports_multiple_controllers && !controlled {
            return Err(Rejection::invalid_state(format!(
                "Control Failure: only a conference controller of call {call} may add parties \
                 (IPCCConference_SupportsMultipleControllers is 0)"
            )));
        }
        Ok(())
    }

    /// 20007: a new call needs room on the agent's line.
    pub(crate) fn line_room_checked(&self, agent: AgentId) -> Result<(), Rejection> {
        if self.status(agent).calls.len() as u64 >= u64::from(LINE_CALL_COUNT_MAX) {
            return Err(SpecError::CallAlreadyExists.into());
        }
        Ok(())
    }

    /// 20066: a call is consulted from by one party at a time (UCCE's overlapping consults,
    /// seeds-ctios.md §2.7.5 limitation 4, refused up front). Every consult of a call is on
    /// the line of an agent on that call, so this looks at most at every party's two calls.
    fn outstanding_consult_checked(&self, call: CallId) -> Result<(), Rejection> {
        for agent in self.call_known(call).agents() {
            for other in &self.status(agent).calls {
                if self.calls.get(*other).is_some_and(|other| other.is_consult_of(call)) {
                    return Err(SpecError::OutstandingTransfer.into());
                }
            }
        }
        Ok(())
    }

    /// Transfer complete: the held call (13127, 13125), the active call (13126), and the
    /// UCCE rule that the active call is the held call's consult and every party on it talks
    /// (13121): after one Alternate the consult is the held call, so completing needs a second.
    pub(crate) fn transfer_complete_checked(
        &self,
        agent: AgentId,
        held: CallId,
        active: CallId,
    ) -> Result<(), Rejection> {
        match self.agent_connection_on(agent, held) {
            None => return Err(SpecError::TransferInvalidHeld.into()),
            Some(ConnectionState::Held) => {}
            Some(_) => return Err(SpecError::TransferHeldNotHeld.into()),
        }
        if self.agent_connection_on(agent, active) != Some(ConnectionState::Talking) {
            return Err(SpecError::TransferNoActive.into());
        }
        if !self.consult_ready(held, active) {
            return Err(SpecError::TransferConnectionNotTalking.into());
        }
        self.merged_size_checked(held, active)
    }

    /// Conference complete: the held call (13047, 13056), the active call (13046, 13045), the
    /// same consult rule as transfer (13045), and the party limit (20070).
    pub(crate) fn conference_complete_checked(
        &self,
        agent: AgentId,
        held: CallId,
        active: CallId,
    ) -> Result<(), Rejection> {
        match self.agent_connection_on(agent, held) {
            None => return Err(SpecError::ConferenceHeldNotFound.into()),
            Some(ConnectionState::Held) => {}
            Some(_) => return Err(SpecError::ConferenceHeldNotHeld.into()),
        }
        match self.agent_connection_on(agent, active) {
            None => return Err(SpecError::ConferenceActiveNotFound.into()),
            Some(ConnectionState::Talking) => {}
            Some(_) => return Err(SpecError::ConferenceActiveNotTalking.into()),
        }
        if !self.consult_ready(held, active) {
            return Err(SpecError::ConferenceActiveNotTalking.into());
        }
        self.merged_size_checked(held, active)
    }

    /// Single step transfer: the agent talks on the call (13126), then the destination.
    pub(crate) fn single_step_checked(
        &self,
        agent: AgentId,
        call: CallId,
        number: Option<&str>,
    ) -> Result<Destination, Rejection> {
        if self.agent_connection_on(agent, call) != Some(ConnectionState::Talking) {
            return Err(SpecError::TransferNoActive.into());
        }
        let Some(number) = number else { return Ok(Destination::External(String::new())) };
        self.destination_checked(number, Some(agent), TRANSFER_ERRORS)
    }

    /// Deflect: the agent's connection rings (20029), the call is not a routed offer, the
    /// destination is known and free (20052, 20063).
    pub(crate) fn deflect_checked(
        &self,
        agent: AgentId,
        call: CallId,
        number: Option<&str>,
    ) -> Result<Destination, Rejection> {
        if self.agent_connection_on(agent, call) != Some(ConnectionState::Alerting) {
            return Err(SpecError::RedirectCallDoesNotExist.into());
        }
        let contact = self.call_known(call).contact;
        if contact.is_some_and(|contact| self.contact_known(contact).state == ContactState::Offered { agent }) {
            return Err(Rejection::invalid_state(format!(
                "call {call} is a routed call ringing for its CSQ: answer it or let it ring no answer"
            )));
        }
        let Some(number) = number else { return Ok(Destination::External(String::new())) };
        if number.trim().is_empty() {
            return Err(SpecError::RedirectUnknownDestination.into());
        }
        self.destination_checked(number, Some(agent), REDIRECT_ERRORS)
    }

    /// Make call: only from Not Ready (10103, 10106, 10108), then the destination (10004, 13083).
    pub(crate) fn make_call_request_checked(
        &self,
        agent: AgentId,
        number: Option<&str>,
    ) -> Result<(CallId, Destination), Rejection> {
        make_call_checked(self.status_checked(agent)?.state)?;
        self.line_room_checked(agent)?;
        let destination = match number {
            Some(number) => self.destination_checked(number, Some(agent), MAKE_CALL_ERRORS)?,
            None => Destination::External(String::new()),
        };
        Ok((self.call_room_checked()?, destination))
    }

    /// DTMF: the agent's connection on the call (13093) must be talking (13094).
    pub(crate) fn send_dtmf_checked(&self, agent: AgentId, call: CallId) -> Result<(), Rejection> {
        match self.agent_connection_on(agent, call) {
            None => Err(SpecError::SendDtmfInvalidConnection.into()),
            Some(ConnectionState::Talking) => Ok(()),
            Some(_) => Err(SpecError::SendDtmfNoMedia.into()),
        }
    }

    /// The state of the agent's connection on a call, if the call exists and the agent is on it.
    pub(crate) fn agent_connection_on(&self, agent: AgentId, call: CallId) -> Option<ConnectionState> {
        self.calls.get(call).and_then(|call| call.agent_connection(agent))
    }

    /// The call the agent talks on, if any (at most one).
    pub(crate) fn agent_talking_call(&self, agent: AgentId) -> Option<CallId> {
        let status = self.statuses.get(&agent)?;
        status
            .calls
            .iter()
            .copied()
            .find(|call| self.agent_connection_on(agent, *call) == Some(ConnectionState::Talking))
    }

    /// Whether `active` is `held`'s consult and everyone on it talks.
    fn consult_ready(&self, held: CallId, active: CallId) -> bool {
        let Some(consult) = self.calls.get(active) else { return false };
        consult.is_consult_of(held)
            && consult.connections.iter().all(|connection| connection.state == ConnectionState::Talking)
    }

    /// 20070: merging two calls that share the completing agent stays within the party limit.
    fn merged_size_checked(&self, held: CallId, active: CallId) -> Result<(), Rejection> {
        let count = self.call_known(held).connections.len() + self.call_known(active).connections.len() - 1;
        if count as u64 > u64::from(crate::limits::CONFERENCE_PARTY_COUNT_MAX) {
            return Err(SpecError::ConferenceFull.into());
        }
        Ok(())
    }

    /// The agent's first call whose connection is in `state`; 10108 without one.
    fn agent_call_in(&self, agent: AgentId, state: ConnectionState) -> Result<CallId, Rejection> {
        let status = self.status_checked(agent)?;
        let call = status.calls.iter().copied().find(|call| self.agent_connection_on(agent, *call) == Some(state));
        call.ok_or_else(|| SpecError::BadStateTransition.into())
    }

    // Writes.

    fn answer_write(&mut self, agent: AgentId, call: CallId, events: &mut Vec<Event>, touched: &mut Touched) {
        if let Some(contact) = self.call_known(call).contact {
            if self.contact_known(contact).state == (ContactState::Offered { agent }) {
                self.voice_accepted(contact, agent, events);
            }
        }
        let party = Party::Agent(agent);
        self.connection_set(call, &party, ConnectionState::Talking, touched);
        let agents = self.call_known(call).audience(&[]);
        events.push(Event::Voice(VoiceEvent::CallEstablished { call, party, agents }));
    }

    pub(crate) fn hold_write(&mut self, agent: AgentId, call: CallId, events: &mut Vec<Event>, touched: &mut Touched) {
        self.connection_set(call, &Party::Agent(agent), ConnectionState::Held, touched);
        let agents = self.call_known(call).audience(&[]);
        events.push(Event::Voice(VoiceEvent::CallHeld { call, agent, agents }));
    }

    fn retrieve_write(&mut self, agent: AgentId, call: CallId, events: &mut Vec<Event>, touched: &mut Touched) {
        self.connection_set(call, &Party::Agent(agent), ConnectionState::Talking, touched);
        let agents = self.call_known(call).audience(&[]);
        events.push(Event::Voice(VoiceEvent::CallRetrieved { call, agent, agents }));
    }

    #[allow(clippy::too_many_arguments, reason = "one write of a checked plan")]
    fn consult_write(
        &mut self,
        agent: AgentId,
        call: CallId,
        purpose: ConsultPurpose,
        number: &str,
        plan: ConsultPlan,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        self.hold_write(agent, call, events, touched);
        let original = &self.call_known(call).data;
        let data = CallData {
            user_to_user: original.user_to_user.clone(),
            variables: original.variables.clone(),
            ecc: original.ecc.clone(),
            ..self.dialing_data(agent, number)
        };
        let (party, state) = self.destination_connection(&plan.destination);
        let connections = vec![
            Connection { party: Party::Agent(agent), state: ConnectionState::Talking },
            Connection { party, state },
        ];
        let kind = CallKind::Consult { of: call, purpose, by: agent };
        self.call_begin(plan.id, kind, data, None, connections, events, touched);
    }

    /// The held call's other parties meet the consult call's; the agent leaves both.
    fn transfer_complete_write(
        &mut self,
        agent: AgentId,
        held: CallId,
        active: CallId,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        let movers = self.movers(active, agent);
        self.call_merged_away(active, held, agent, events);
        self.connections_join(held, movers, events);
        let connections: Vec<Connection> = self
            .call_known(held)
            .connections
            .iter()
            .filter(|connection| connection.party != Party::Agent(agent))
            .cloned()
            .collect();
        let agents = self.call_known(held).audience(&[agent]);
        events.push(Event::Voice(VoiceEvent::CallTransferred {
            call: held,
            secondary: Some(active),
            by: agent,
            connections,
            agents,
        }));
        self.connection_remove(held, &Party::Agent(agent), ClearCause::Transferred, events, touched);
        self.call_settle(held, events, touched);
    }

    /// The consult call's parties join the held call, which the agent retrieves as controller.
    fn conference_complete_write(
        &mut self,
        agent: AgentId,
        held: CallId,
        active: CallId,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        let movers = self.movers(active, agent);
        self.call_merged_away(active, held, agent, events);
        self.connections_join(held, movers, events);
        self.connection_set(held, &Party::Agent(agent), ConnectionState::Talking, touched);
        self.call_controller_add(held, agent);
        let found = self.call_known(held);
        let (connections, agents) = (found.connections.clone(), found.audience(&[]));
        events.push(Event::Voice(VoiceEvent::CallConferenced {
            call: held,
            secondary: Some(active),
            controller: agent,
            connections,
            agents,
        }));
    }

    /// The destination takes the agent's place: it joins first, so a routed contact passes to
    /// it, then the agent leaves with `Redirected`.
    fn redirect_write(
        &mut self,
        agent: AgentId,
        call: CallId,
        destination: Destination,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        let (party, state) = self.destination_connection(&destination);
        self.connection_add(call, party, state, CallDirection::Incoming, events, touched);
        self.connection_remove(call, &Party::Agent(agent), ClearCause::Redirected, events, touched);
    }

    fn make_call_write(
        &mut self,
        agent: AgentId,
        id: CallId,
        destination: Destination,
        data: CallData,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        let kind = match destination {
            Destination::Agent(_) => CallKind::Internal,
            Destination::External(_) => CallKind::Outbound,
        };
        let (party, state) = self.destination_connection(&destination);
        let connections = vec![
            Connection { party: Party::Agent(agent), state: ConnectionState::Talking },
            Connection { party, state },
        ];
        self.call_begin(id, kind, data, None, connections, events, touched);
    }

    /// The connections of `call` other than the agent's.
    fn movers(&self, call: CallId, agent: AgentId) -> Vec<Connection> {
        let found = self.call_known(call);
        found.connections.iter().filter(|connection| connection.party != Party::Agent(agent)).cloned().collect()
    }

    /// The data of a call an agent dials: the agent's extension calls `number`.
    fn dialing_data(&self, agent: AgentId, number: &str) -> CallData {
        let extension = self.agents.get(agent).and_then(|agent| agent.extension.clone()).unwrap_or_default();
        CallData { ani: extension, dnis: number.to_owned(), dialed_number: number.to_owned(), ..CallData::default() }
    }
}

/// Caller-entered digits: empty, or up to [`CALL_DIGITS_LENGTH_MAX`] digits, `*` and `#`.
fn ced_checked(ced: &str) -> Result<(), Rejection> {
    let valid = ced.chars().count() as u64 <= u64::from(CALL_DIGITS_LENGTH_MAX)
        && ced.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if valid {
        return Ok(());
    }
    Err(Rejection::invalid_field(format!("ced must be at most {CALL_DIGITS_LENGTH_MAX} digits, * or #")))
}

/// DTMF digits: 1 to [`DTMF_DIGITS_LENGTH_MAX`] of `0-9`, `*`, `#`, `A-D`.
fn dtmf_checked(digits: &str) -> Result<(), Rejection> {
    let count = digits.chars().count() as u64;
    let valid = count >= 1
        && count <= u64::from(DTMF_DIGITS_LENGTH_MAX)
        && digits.chars().all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D'));
    if valid {
        return Ok(());
    }
    Err(Rejection::invalid_field(format!("digits must be 1 to {DTMF_DIGITS_LENGTH_MAX} of 0-9, *, #, A-D")))
}
