//! Reason codes: why an agent went Not Ready or logged out, as a value and a label.
//!
//! Each code maps a label to an unsigned short value, in two kinds, `NotReady` and `Logout`;
//! labels are at most 42 characters (seeds-ctios.md §2.6.5). The value is a `u16`, so serde
//! itself refuses anything outside 0..=65535; 0 is refused here because the CTI protocol uses
//! it for "no reason". Within a kind, values and labels are unique.

use crate::ConfigEvent;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::ReasonCodeId;
use crate::limits::{REASON_CODE_COUNT_MAX, REASON_CODE_LABEL_LENGTH_MAX};
use crate::outcome::{Applied, EntityRef, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_required};

/// A reason code as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonCode {
    /// Assigned by the center.
    pub id: ReasonCodeId,
    /// Which state change this reason explains.
    pub kind: ReasonKind,
    /// The value sent to the telephony layer; unique within the kind, never 0.
    pub value: u16,
    /// What the desktop shows; unique within the kind, case-insensitively; stored trimmed.
    pub label: String,
}

/// The fields a client sets on a reason code.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonCodeSpec {
    /// Which state change this reason explains.
    pub kind: ReasonKind,
    /// 1 to 65535.
    pub value: u16,
    /// 1 to [`REASON_CODE_LABEL_LENGTH_MAX`] characters after trimming.
    pub label: String,
}

/// The two kinds of reason code (the spec's `NotReady` and `Logout` subkeys).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// Reasons for going Not Ready.
    NotReady,
    /// Reasons for logging out.
    Logout,
}

impl ReasonKind {
    /// The snake_case name, the same as the serde form.
    pub fn as_str(&self) -> &'static str {
        match self {
            ReasonKind::NotReady => "not_ready",
            ReasonKind::Logout => "logout",
        }
    }
}

impl fmt::Display for ReasonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Center {
    pub(crate) fn reason_code_create(&mut self, spec: &ReasonCodeSpec) -> Result<Applied, Rejection> {
        let id = self.reason_codes.id_next("reason code")?;
        let reason_code = self.reason_code_checked(id, spec, None)?;
        self.reason_codes.check_room("reason codes", REASON_CODE_COUNT_MAX)?;
        self.reason_codes.insert_new(id, reason_code.clone());
        Ok(Applied::created(Event::Config(ConfigEvent::ReasonCodeCreated(reason_code)), EntityRef::ReasonCode(id)))
    }

    pub(crate) fn reason_code_update(&mut self, id: ReasonCodeId, spec: &ReasonCodeSpec) -> Result<Applied, Rejection> {
        if !self.reason_codes.contains(id) {
            return Err(Rejection::not_found("reason code", id));
        }
        let reason_code = self.reason_code_checked(id, spec, Some(id))?;
        self.reason_codes.replace(id, reason_code.clone());
        Ok(Applied::event(Event::Config(ConfigEvent::ReasonCodeUpdated(reason_code))))
    }

    pub(crate) fn reason_code_delete(&mut self, id: ReasonCodeId) -> Result<Applied, Rejection> {
        if !self.reason_codes.contains(id) {
            return Err(Rejection::not_found("reason code", id));
        }
        self.reason_codes.remove(id);
        Ok(Applied::event(Event::Config(ConfigEvent::ReasonCodeDeleted(id))))
    }

    /// Validates `spec` as reason code `id`; `except` is the code being updated, whose own
    /// value and label do not count as duplicates.
    fn reason_code_checked(
        &self,
        id: ReasonCodeId,
        spec: &ReasonCodeSpec,
        except: Option<ReasonCodeId>,
    ) -> Result<ReasonCode, Rejection> {
        let label = text_required("label", &spec.label, REASON_CODE_LABEL_LENGTH_MAX)?;
        if spec.value == 0 {
            return Err(Rejection::invalid_field("value must be between 1 and 65535 (0 means no reason)"));
        }
        let mut same_kind = self.reason_codes.values().filter(|code| Some(code.id) != except && code.kind == spec.kind);
        if let Some(duplicate) = same_kind.clone().find(|code| code.value == spec.value) {
            let message = format!(
                "a {} reason code with value {} already exists (reason code {})",
                spec.kind, spec.value, duplicate.id
            );
            return Err(Rejection::new(RejectionCode::DuplicateValue, message));
        }
        if let Some(duplicate) = same_kind.find(|code| equal_ignoring_case(&code.label, &label)) {
            let message = format!(
                "a {} reason code labelled \"{}\" already exists (reason code {})",
                spec.kind, duplicate.label, duplicate.id
            );
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        Ok(ReasonCode { id, kind: spec.kind, value: spec.value, label })
    }
}
