//! Text rules shared by every name and label: trimmed, non-empty, bounded, no control characters.
//!
//! Lengths count Unicode scalar values (characters), never bytes, so "é" counts as one. Names
//! are stored trimmed, and compared case-insensitively with Unicode lowercase, one character
//! at a time, without allocating.

use crate::rejection::Rejection;

/// Trims `value` and checks it is 1 to `length_max` characters without control characters.
/// `field` names the field in the rejection message.
pub(crate) fn text_required(field: &str, value: &str, length_max: u32) -> Result<String, Rejection> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Rejection::invalid_field(format!("{field} must not be empty")));
    }
    let length = char_count(trimmed);
    if length > u64::from(length_max) {
        let message = format!("{field} must be at most {length_max} characters (got {length})");
        return Err(Rejection::invalid_field(message));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Rejection::invalid_field(format!("{field} must not contain control characters")));
    }
    Ok(trimmed.to_owned())
}

/// Like [`text_required`], but a missing or blank value means "none".
pub(crate) fn text_optional(field: &str, value: Option<&str>, length_max: u32) -> Result<Option<String>, Rejection> {
    match value {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => text_required(field, text, length_max).map(Some),
    }
}

/// Whether two texts are equal ignoring case (Unicode lowercase, character by character).
/// The text folded to lower case, as [`equal_ignoring_case`] compares it: a key for indexes of
/// names unique ignoring case.
pub(crate) fn folded(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

pub(crate) fn equal_ignoring_case(left: &str, right: &str) -> bool {
    left.chars().flat_map(char::to_lowercase).eq(right.chars().flat_map(char::to_lowercase))
}

pub(crate) fn char_count(text: &str) -> u64 {
    text.chars().count() as u64
}

/// A body of text (a predefined response, a signature): 1 to `length_max` characters, line
/// breaks and tabs allowed, no other control characters. Stored as given, not trimmed.
pub(crate) fn text_body(field: &str, value: &str, length_max: u32) -> Result<String, Rejection> {
    if value.trim().is_empty() {
        return Err(Rejection::invalid_field(format!("{field} must not be empty")));
    }
    let length = char_count(value);
    if length > u64::from(length_max) {
        let message = format!("{field} must be at most {length_max} characters (got {length})");
        return Err(Rejection::invalid_field(message));
    }
    if value.chars().any(|character| character.is_control() && !matches!(character, '\n' | '\r' | '\t')) {
        return Err(Rejection::invalid_field(format!("{field} must not contain control characters")));
    }
    Ok(value.to_owned())
}
