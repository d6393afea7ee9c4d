//! Contact service queues: where contacts of one channel wait for a skilled agent.
//!
//! A CSQ names the skills (with minimum competence) an agent needs and how to pick among the
//! qualified agents (seeds-uccx.md §2.5). Skills must exist first, and the center holds at most
//! [`EMAIL_CSQ_COUNT_MAX`] email CSQs, refusing the next with the spec's message. An email
//! CSQ's mailbox is in `email::mailbox`.

use crate::QueueEvent;
use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::config::skill::{SkillListFields, SkillListItem};
use crate::ids::{CsqId, SkillId};
use crate::limits::{
    CSQ_COUNT_MAX, CSQ_SKILL_COUNT_MAX, CSQ_SKILL_COUNT_MIN, EMAIL_CSQ_COUNT_MAX, EMAIL_CSQ_LIMIT_MESSAGE,
    NAME_LENGTH_MAX,
};
use crate::outcome::{Applied, EntityRef, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_required};

/// A CSQ as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Csq {
    /// Assigned by the center.
    pub id: CsqId,
    /// Unique among CSQs of every channel, case-insensitively; stored trimmed.
    pub name: String,
    /// The kind of contact this queue holds.
    pub channel: Channel,
    /// How an agent is picked among the qualified ones.
    pub selection: Selection,
    /// The required skills, sorted by skill id, each skill at most once.
    pub skills: Vec<SkillRequirement>,
}

/// The fields a client sets on a CSQ.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsqSpec {
    /// 1 to [`NAME_LENGTH_MAX`] characters after trimming.
    pub name: String,
    /// The kind of contact this queue holds.
    pub channel: Channel,
    /// How an agent is picked among the qualified ones.
    pub selection: Selection,
    /// [`CSQ_SKILL_COUNT_MIN`] to [`CSQ_SKILL_COUNT_MAX`] requirements in any order; each skill
    /// must exist and appear once.
    pub skills: Vec<SkillRequirement>,
}

/// The channel of a CSQ.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Phone calls.
    Voice,
    /// Web chats.
    Chat,
    /// Emails; at most [`EMAIL_CSQ_COUNT_MAX`] CSQs.
    Email,
}

impl Channel {
    /// The snake_case name, the same as the serde form.
    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Chat => "chat",
            Channel::Email => "email",
        }
    }
}

impl Channel {
    /// The channel's name with its indefinite article, for messages: "a voice", "an email".
    pub fn with_article(self) -> &'static str {
        match self {
            Channel::Voice => "a voice",
            Channel::Chat => "a chat",
            Channel::Email => "an email",
        }
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resource selection criterion of a CSQ (seeds-uccx.md §2.5).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The agent who has been Ready the longest.
    LongestAvailable,
    /// The agent with the highest total competence in the CSQ's skills.
    MostSkilled,
}

/// A skill a CSQ requires, with the minimum competence an agent needs in it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillRequirement {
    /// The skill.
    pub skill: SkillId,
    /// From [`crate::COMPETENCE_MIN`] to [`crate::COMPETENCE_MAX`].
    pub min_competence: u8,
}

impl Center {
    pub(crate) fn csq_create(&mut self, spec: &CsqSpec) -> Result<Applied, Rejection> {
        let id = self.csqs.id_next("CSQ")?;
        let csq = self.csq_checked(id, spec, None)?;
        self.csqs.check_room("CSQs", CSQ_COUNT_MAX)?;
        self.csq_email_room_checked(&csq, None)?;
        self.csqs.insert_new(id, csq.clone());
        self.routing_csq_changed(id);
        Ok(Applied::created(Event::Queue(QueueEvent::CsqCreated(csq)), EntityRef::Csq(id)))
    }

    pub(crate) fn csq_update(&mut self, id: CsqId, spec: &CsqSpec) -> Result<Applied, Rejection> {
        if !self.csqs.contains(id) {
            return Err(Rejection::not_found("CSQ", id));
        }
        let csq = self.csq_checked(id, spec, Some(id))?;
        self.csq_email_room_checked(&csq, Some(id))?;
        if self.csqs.get(id).is_some_and(|current| current.channel != csq.channel) {
            self.csq_unused_checked(id, "its channel cannot change")?;
        }
        self.csqs.replace(id, csq.clone());
        self.routing_csq_changed(id);
        Ok(Applied::event(Event::Queue(QueueEvent::CsqUpdated(csq))))
    }

    pub(crate) fn csq_delete(&mut self, id: CsqId) -> Result<Applied, Rejection> {
        if !self.csqs.contains(id) {
            return Err(Rejection::not_found("CSQ", id));
        }
        self.csq_unused_checked(id, "it cannot be deleted")?;
        self.routing_csq_removed(id);
        self.csqs.remove(id);
        self.mail_inbound_forget(id);
        Ok(Applied::event(Event::Queue(QueueEvent::CsqDeleted(id))))
    }

    /// The desktop content tagged to a CSQ, named for an `in_use` message.
    fn csq_tag_references(&self, id: CsqId) -> Vec<String> {
        let categories = self.wrap_up_categories().filter(|category| category.tags.named().contains(&id));
        let responses = self.predefined_responses().filter(|response| response.tags.named().contains(&id));
        let signatures = self.email_signatures().filter(|signature| signature.tags.named().contains(&id));
        categories
            .map(|category| format!("wrap-up category {}", category.id))
            .chain(responses.map(|response| format!("predefined response {}", response.id)))
            .chain(signatures.map(|signature| format!("email signature {}", signature.id)))
            .collect()
    }

    /// Refuses a change to a CSQ that open contacts are in or content is tagged to: `consequence` says what is refused.
    /// Control plane: one pass over the contacts.
    fn csq_unused_checked(&self, id: CsqId, consequence: &str) -> Result<(), Rejection> {
        let open = self.contacts().filter(|contact| !contact.is_closed() && contact.csq == id);
        let mut references: Vec<String> = open.map(|contact| format!("contact {}", contact.id)).collect();
        references.extend(self.csq_tag_references(id));
        references.extend(self.csq_dialed_number_references(id));
        references.extend(self.csq_mailbox_references(id));
        if references.is_empty() {
            return Ok(());
        }
        let mut rejection = Rejection::in_use(&format!("CSQ {id}"), &references);
        rejection.message = format!("{}, so {consequence}", rejection.message);
        Err(rejection)
    }

    /// How many email CSQs the center holds.
    pub fn email_csq_count(&self) -> u32 {
        let count = self.csqs.values().filter(|csq| csq.channel == Channel::Email).count();
        debug_assert!(count <= EMAIL_CSQ_COUNT_MAX as usize);
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// Validates `spec` as CSQ `id`; `except` is the CSQ being updated, whose own name does
    /// not count as a duplicate.
    fn csq_checked(&self, id: CsqId, spec: &CsqSpec, except: Option<CsqId>) -> Result<Csq, Rejection> {
        let name = text_required("name", &spec.name, NAME_LENGTH_MAX)?;
        let fields = SkillListFields {
            list: "skills",
            competence: "min_competence",
            count_min: CSQ_SKILL_COUNT_MIN,
            count_max: CSQ_SKILL_COUNT_MAX,
        };
        let items: Vec<SkillListItem> = spec
            .skills
            .iter()
            .map(|required| SkillListItem { skill: required.skill, competence: required.min_competence })
            .collect();
        self.skill_list_checked(&fields, &items)?;
        let duplicate = self.csqs.values().find(|csq| Some(csq.id) != except && equal_ignoring_case(&csq.name, &name));
        if let Some(duplicate) = duplicate {
            let message = format!("a CSQ named \"{}\" already exists (CSQ {})", duplicate.name, duplicate.id);
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        let mut skills = spec.skills.clone();
        skills.sort_by_key(|required| required.skill);
        Ok(Csq { id, name, channel: spec.channel, selection: spec.selection, skills })
    }

    /// Refuses an email CSQ that would be one more than [`EMAIL_CSQ_COUNT_MAX`]; `except` is
    /// the CSQ being updated, which does not count against itself.
    fn csq_email_room_checked(&self, csq: &Csq, except: Option<CsqId>) -> Result<(), Rejection> {
        if csq.channel != Channel::Email {
            return Ok(());
        }
        let others = self.csqs.values().filter(|other| Some(other.id) != except && other.channel == Channel::Email);
        if others.count() < EMAIL_CSQ_COUNT_MAX as usize {
            return Ok(());
        }
        Err(Rejection::new(RejectionCode::EmailCsqLimit, EMAIL_CSQ_LIMIT_MESSAGE))
    }
}
