//! Email signatures, appended to replies at send time (seeds-uccx.md §2.15).
//!
//! A signature has a unique name of at most 100 characters, content of at most 1500, and tags:
//! Global or up to 10 email CSQs. Only one signature may be Global and a CSQ may be tagged by
//! only one, so resolution is unambiguous: the CSQ's own signature, else the Global one, else
//! none. The alias variable becomes the agent's alias, or the agent's login name without one.

use crate::EmailEvent;
use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::config::content::CsqTags;
use crate::ids::{AgentId, CsqId, EmailSignatureId};
use crate::limits::{
    EMAIL_SIGNATURE_AGENT_ALIAS_VARIABLE, EMAIL_SIGNATURE_CONTENT_LENGTH_MAX, EMAIL_SIGNATURE_COUNT_MAX,
    EMAIL_SIGNATURE_CSQ_COUNT_MAX, EMAIL_SIGNATURE_NAME_LENGTH_MAX,
};
use crate::outcome::{Applied, EntityRef, Event};
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_body, text_required};

/// An email signature as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSignature {
    /// Assigned by the center.
    pub id: EmailSignatureId,
    /// Unique case-insensitively.
    pub name: String,
    /// Rich text; may contain [`EMAIL_SIGNATURE_AGENT_ALIAS_VARIABLE`].
    pub content: String,
    /// Global (at most one signature), or email CSQs no other signature is tagged to.
    pub tags: CsqTags,
}

/// The fields a client sets on an email signature.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSignatureSpec {
    /// 1 to [`EMAIL_SIGNATURE_NAME_LENGTH_MAX`] characters.
    pub name: String,
    /// 1 to [`EMAIL_SIGNATURE_CONTENT_LENGTH_MAX`] characters.
    pub content: String,
    /// Global, or 1 to [`EMAIL_SIGNATURE_CSQ_COUNT_MAX`] email CSQs.
    pub tags: CsqTags,
}

impl Center {
    pub(crate) fn email_signature_create(&mut self, spec: &EmailSignatureSpec) -> Result<Applied, Rejection> {
        let id = self.email_signatures.id_next("email signature")?;
        let signature = self.email_signature_checked(id, spec, None)?;
        self.email_signatures.check_room("email signatures", EMAIL_SIGNATURE_COUNT_MAX)?;
        self.email_signatures.insert_new(id, signature.clone());
        Ok(Applied::created(Event::Email(EmailEvent::EmailSignatureCreated(signature)), EntityRef::EmailSignature(id)))
    }

    pub(crate) fn email_signature_update(
        &mut self,
        id: EmailSignatureId,
        spec: &EmailSignatureSpec,
    ) -> Result<Applied, Rejection> {
        if !self.email_signatures.contains(id) {
            return Err(Rejection::not_found("email signature", id));
        }
        let signature = self.email_signature_checked(id, spec, Some(id))?;
        self.email_signatures.replace(id, signature.clone());
        Ok(Applied::event(Event::Email(EmailEvent::EmailSignatureUpdated(signature))))
    }

    pub(crate) fn email_signature_delete(&mut self, id: EmailSignatureId) -> Result<Applied, Rejection> {
        if !self.email_signatures.contains(id) {
            return Err(Rejection::not_found("email signature", id));
        }
        self.email_signatures.remove(id);
        Ok(Applied::event(Event::Email(EmailEvent::EmailSignatureDeleted(id))))
    }

    /// All email signatures in id order.
    pub fn email_signatures(&self) -> impl Iterator<Item = &EmailSignature> {
        self.email_signatures.values()
    }

    /// One email signature.
    pub fn email_signature(&self, id: EmailSignatureId) -> Option<&EmailSignature> {
        self.email_signatures.get(id)
    }

    /// The signature a reply from `csq` gets: the CSQ's own, else the Global one, else none.
    pub fn email_signature_for(&self, csq: CsqId) -> Option<&EmailSignature> {
        let mut signatures = self.email_signatures.values();
        let own = signatures.clone().find(|signature| signature.tags.named().contains(&csq));
        own.or_else(|| signatures.find(|signature| signature.tags == CsqTags::Global))
    }

    /// The signature text `agent` appends to a reply from `csq`, with the alias variable
    /// replaced by the agent's alias (or login name without one).
    pub fn email_signature_text(&self, csq: CsqId, agent: AgentId) -> Option<String> {
        let signature = self.email_signature_for(csq)?;
        let agent = self.agents.get(agent)?;
        let alias = agent.alias.as_deref().unwrap_or(&agent.login_name);
        Some(signature.content.replace(EMAIL_SIGNATURE_AGENT_ALIAS_VARIABLE, alias))
    }

    fn email_signature_checked(
        &self,
        id: EmailSignatureId,
        spec: &EmailSignatureSpec,
        except: Option<EmailSignatureId>,
    ) -> Result<EmailSignature, Rejection> {
        let name = text_required("name", &spec.name, EMAIL_SIGNATURE_NAME_LENGTH_MAX)?;
        let content = text_body("content", &spec.content, EMAIL_SIGNATURE_CONTENT_LENGTH_MAX)?;
        let tags = self.tags_checked(&spec.tags, EMAIL_SIGNATURE_CSQ_COUNT_MAX, Some(Channel::Email))?;
        let others = self.email_signatures.values().filter(|other| Some(other.id) != except);
        if tags == CsqTags::Global {
            if let Some(global) = others.clone().find(|other| other.tags == CsqTags::Global) {
                let message = format!("only one email signature may be Global; signature {} already is", global.id);
                return Err(Rejection::new(RejectionCode::DuplicateValue, message));
            }
        }
        for csq in tags.named() {
            if let Some(taken) = others.clone().find(|other| other.tags.named().contains(csq)) {
                let message = format!("CSQ {csq} already has an email signature (signature {})", taken.id);
                return Err(Rejection::new(RejectionCode::DuplicateValue, message));
            }
        }
        if let Some(duplicate) = others.clone().find(|other| equal_ignoring_case(&other.name, &name)) {
            let message = format!(
                "an email signature named \"{}\" already exists (email signature {})",
                duplicate.name, duplicate.id
            );
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        Ok(EmailSignature { id, name, content, tags })
    }
}
