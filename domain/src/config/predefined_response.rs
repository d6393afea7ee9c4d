//! Predefined responses: texts agents insert into chats and emails (seeds-uccx.md §2.13).
//!
//! A response has a unique title without `< > ( ) " |`, a media type, a body of at most 1500
//! characters (an email body is HTML and its tags count; a chat body is plain text and refuses
//! the same characters as titles), and tags: Global or up to 10 CSQs of its channel. The center
//! holds at most 500 across chat and email: the spec's feature table says 500 and one sentence
//! says ten for chat; we follow the 500 (`docs/decisions/0017-desktop-content.md`).

use crate::ConfigEvent;
use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::config::content::CsqTags;
use crate::ids::{CsqId, PredefinedResponseId};
use crate::limits::{
    PREDEFINED_RESPONSE_BODY_LENGTH_MAX, PREDEFINED_RESPONSE_COUNT_MAX, PREDEFINED_RESPONSE_CSQ_COUNT_MAX,
    PREDEFINED_RESPONSE_FORBIDDEN_CHARACTERS, PREDEFINED_RESPONSE_TITLE_LENGTH_MAX,
};
use crate::outcome::{Applied, EntityRef, Event};
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_body, text_required};

/// A predefined response as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredefinedResponse {
    /// Assigned by the center.
    pub id: PredefinedResponseId,
    /// Unique case-insensitively.
    pub title: String,
    /// Chat or email.
    pub channel: Channel,
    /// Plain text for chat, HTML for email.
    pub body: String,
    /// Global, or CSQs of its channel.
    pub tags: CsqTags,
}

/// The fields a client sets on a predefined response.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredefinedResponseSpec {
    /// 1 to [`PREDEFINED_RESPONSE_TITLE_LENGTH_MAX`] characters without `< > ( ) " |`.
    pub title: String,
    /// Chat or email (not voice).
    pub channel: Channel,
    /// 1 to [`PREDEFINED_RESPONSE_BODY_LENGTH_MAX`] characters.
    pub body: String,
    /// Global, or 1 to [`PREDEFINED_RESPONSE_CSQ_COUNT_MAX`] CSQs of `channel`.
    pub tags: CsqTags,
}

impl Center {
    pub(crate) fn predefined_response_create(&mut self, spec: &PredefinedResponseSpec) -> Result<Applied, Rejection> {
        let id = self.predefined_responses.id_next("predefined response")?;
        let response = self.predefined_response_checked(id, spec, None)?;
        self.predefined_responses.check_room("predefined responses", PREDEFINED_RESPONSE_COUNT_MAX)?;
        self.predefined_responses.insert_new(id, response.clone());
        Ok(Applied::created(
            Event::Config(ConfigEvent::PredefinedResponseCreated(response)),
            EntityRef::PredefinedResponse(id),
        ))
    }

    pub(crate) fn predefined_response_update(
        &mut self,
        id: PredefinedResponseId,
        spec: &PredefinedResponseSpec,
    ) -> Result<Applied, Rejection> {
        if !self.predefined_responses.contains(id) {
            return Err(Rejection::not_found("predefined response", id));
        }
        let response = self.predefined_response_checked(id, spec, Some(id))?;
        self.predefined_responses.replace(id, response.clone());
        Ok(Applied::event(Event::Config(ConfigEvent::PredefinedResponseUpdated(response))))
    }

    pub(crate) fn predefined_response_delete(&mut self, id: PredefinedResponseId) -> Result<Applied, Rejection> {
        if !self.predefined_responses.contains(id) {
            return Err(Rejection::not_found("predefined response", id));
        }
        self.predefined_responses.remove(id);
        Ok(Applied::event(Event::Config(ConfigEvent::PredefinedResponseDeleted(id))))
    }

    /// All predefined responses in id order.
    pub fn predefined_responses(&self) -> impl Iterator<Item = &PredefinedResponse> {
        self.predefined_responses.values()
    }

    /// One predefined response.
    pub fn predefined_response(&self, id: PredefinedResponseId) -> Option<&PredefinedResponse> {
        self.predefined_responses.get(id)
    }

    /// The responses an agent handling a contact of `csq` may insert, in id order.
    pub fn predefined_responses_for(&self, csq: CsqId) -> Vec<&PredefinedResponse> {
        let channel = self.csqs.get(csq).map(|csq| csq.channel);
        let visible = |response: &&PredefinedResponse| Some(response.channel) == channel && response.tags.covers(csq);
        self.predefined_responses.values().filter(visible).collect()
    }

    fn predefined_response_checked(
        &self,
        id: PredefinedResponseId,
        spec: &PredefinedResponseSpec,
        except: Option<PredefinedResponseId>,
    ) -> Result<PredefinedResponse, Rejection> {
        let title = text_required("title", &spec.title, PREDEFINED_RESPONSE_TITLE_LENGTH_MAX)?;
        forbidden_checked("title", &title)?;
        if spec.channel == Channel::Voice {
            return Err(Rejection::invalid_field("channel must be chat or email"));
        }
        let body = text_body("body", &spec.body, PREDEFINED_RESPONSE_BODY_LENGTH_MAX)?;
        if spec.channel == Channel::Chat {
            forbidden_checked("body", &body)?;
        }
        let tags = self.tags_checked(&spec.tags, PREDEFINED_RESPONSE_CSQ_COUNT_MAX, Some(spec.channel))?;
        let mut others = self.predefined_responses.values().filter(|other| Some(other.id) != except);
        if let Some(duplicate) = others.find(|other| equal_ignoring_case(&other.title, &title)) {
            let message = format!(
                "a predefined response titled \"{}\" already exists (predefined response {})",
                duplicate.title, duplicate.id
            );
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        Ok(PredefinedResponse { id, title, channel: spec.channel, body, tags })
    }
}

fn forbidden_checked(field: &str, text: &str) -> Result<(), Rejection> {
    let Some(character) = text.chars().find(|character| PREDEFINED_RESPONSE_FORBIDDEN_CHARACTERS.contains(character))
    else {
        return Ok(());
    };
    Err(Rejection::invalid_field(format!("{field} must not contain < > ( ) \" | (found {character})")))
}
