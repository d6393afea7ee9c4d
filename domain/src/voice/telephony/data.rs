//! Call data: the writable fields of the call appearance grid, and their one rule set.
//!
//! The grid's editable columns (user-to-user information, Var1–Var10, ECC variables, wrap-up)
//! imply that desktops write call data back, which every party sees as `CALL_DATA_UPDATE`
//! (seeds-ctios.md §2.7.1 design note). Wrap-up data is one value with two homes: the call's
//! data, which every party reads, and the agent's after-call record, which wrap-up (and 280)
//! reads after the call is gone; both writers (`SetCallData`, `SetWrapUpData`) update both.

use crate::agent::state::CallDirection;
use crate::center::Center;
use crate::ids::{AgentId, CallId};
use crate::limits::{
    CALL_VARIABLE_COUNT, CALL_VARIABLE_LENGTH_MAX, ECC_NAME_LENGTH_MAX, ECC_VALUE_LENGTH_MAX, ECC_VARIABLE_COUNT_MAX,
    USER_TO_USER_INFO_LENGTH_MAX, WRAP_UP_DATA_LENGTH_MAX,
};
use crate::outcome::Event;
use crate::rejection::Rejection;
use crate::text::{char_count, text_required};
use crate::VoiceEvent;

use super::{CallData, CallDataChanges};

impl Center {
    /// `data` with `changes` applied, or the first field that breaks a limit.
    pub(crate) fn call_data_changed(&self, data: &CallData, changes: &CallDataChanges) -> Result<CallData, Rejection> {
        let mut data = data.clone();
        if let Some(text) = &changes.user_to_user {
            data.user_to_user = value_checked("user_to_user", text, USER_TO_USER_INFO_LENGTH_MAX)?;
        }
        for (&number, value) in &changes.variables {
            if !(1..=CALL_VARIABLE_COUNT).contains(&number) {
                let message = format!("variables: call variable {number} does not exist (1 to {CALL_VARIABLE_COUNT})");
                return Err(Rejection::invalid_field(message));
            }
            let value = value_checked(&format!("variables[{number}]"), value, CALL_VARIABLE_LENGTH_MAX)?;
            if value.is_empty() {
                data.variables.remove(&number);
            } else {
                data.variables.insert(number, value);
            }
        }
        for (name, value) in &changes.ecc {
            ecc_name_checked(name)?;
            let value = value_checked(&format!("ecc[{name}]"), value, ECC_VALUE_LENGTH_MAX)?;
            if value.is_empty() {
                data.ecc.remove(name);
            } else {
                data.ecc.insert(name.clone(), value);
            }
        }
        if data.ecc.len() as u64 > u64::from(ECC_VARIABLE_COUNT_MAX) {
            let message = format!("a call holds at most {ECC_VARIABLE_COUNT_MAX} ECC variables");
            return Err(Rejection::invalid_field(message));
        }
        if let Some(text) = &changes.wrap_up {
            data.wrap_up = Some(text_required("wrap_up", text, WRAP_UP_DATA_LENGTH_MAX)?);
        }
        Ok(data)
    }

    /// `SetCallData`: the agent must be on the call; wrap-up data is kept for incoming calls
    /// only, as `SetWrapUpData` keeps it.
    pub(crate) fn call_data_request_checked(
        &self,
        agent: AgentId,
        call: CallId,
        changes: &CallDataChanges,
    ) -> Result<CallData, Rejection> {
        let found = self.calls.get(call).ok_or_else(|| Rejection::not_found("call", call))?;
        if found.agent_connection(agent).is_none() {
            return Err(Rejection::invalid_state(format!("agent {agent} is not on call {call}")));
        }
        if changes.wrap_up.is_some() {
            let direction = self.status(agent).call.as_ref().map(|record| record.direction);
            if direction != Some(CallDirection::Incoming) {
                return Err(Rejection::invalid_state("wrap-up data is kept for incoming calls only"));
            }
        }
        self.call_data_changed(&found.data, changes)
    }

    /// Stores a call's new data; with `wrap_up` the agent's after-call record takes it too.
    pub(crate) fn call_data_write(
        &mut self,
        agent: AgentId,
        call: CallId,
        data: CallData,
        wrap_up: bool,
        events: &mut Vec<Event>,
    ) {
        if wrap_up {
            if let Some(record) = self.status_mut(agent).call.as_mut() {
                record.wrap_up_data = data.wrap_up.clone();
            }
        }
        self.call_data_set(call, data.clone());
        let agents = self.call_known(call).audience(&[]);
        events.push(Event::Voice(VoiceEvent::CallDataUpdate { call, data, agents }));
    }

    /// `SetWrapUpData` during a call also writes the data onto every call the agent is on.
    pub(crate) fn wrap_up_data_onto_calls(&mut self, agent: AgentId, text: &str, events: &mut Vec<Event>) {
        for call in self.status(agent).calls.clone() {
            let mut data = self.call_known(call).data.clone();
            data.wrap_up = Some(text.to_owned());
            self.call_data_set(call, data.clone());
            let agents = self.call_known(call).audience(&[]);
            events.push(Event::Voice(VoiceEvent::CallDataUpdate { call, data, agents }));
        }
    }
}

/// A call data value: at most `length_max` characters, no control characters, kept as given;
/// empty clears.
fn value_checked(field: &str, value: &str, length_max: u32) -> Result<String, Rejection> {
    let length = char_count(value);
    if length > u64::from(length_max) {
        return Err(Rejection::invalid_field(format!(
            "{field} must be at most {length_max} characters (got {length})"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Rejection::invalid_field(format!("{field} must not contain control characters")));
    }
    Ok(value.to_owned())
}

/// An ECC variable name: 1 to [`ECC_NAME_LENGTH_MAX`] characters without whitespace or control
/// characters (the grid's `Name`, without "user."; an array element carries its index).
fn ecc_name_checked(name: &str) -> Result<(), Rejection> {
    let length = char_count(name);
    if length == 0
        || length > u64::from(ECC_NAME_LENGTH_MAX)
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        let message = format!("ecc names must be 1 to {ECC_NAME_LENGTH_MAX} characters without spaces (got {name:?})");
        return Err(Rejection::invalid_field(message));
    }
    Ok(())
}
