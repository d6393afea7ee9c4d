//! Wrap-up categories and reasons for chat and email, and the reasons chosen for a contact.
//!
//! A category has a name and up to 25 reasons of at most 40 characters, and is tagged Global
//! or to CSQs; the center holds 25 categories, and a CSQ may be tagged by 10
//! (seeds-uccx.md §2.14). Each chat or email copies the ids of the categories its CSQ sees when
//! it arrives, so re-tagging affects new contacts only; its agent may select up to 5 reasons
//! from them, and change the selection at any time while holding it. Voice calls use the CTI
//! tier's wrap-up data instead (`agent_voice`).

use crate::{ConfigEvent, QueueEvent};
use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::config::content::CsqTags;
use crate::ids::{AgentId, ContactId, CsqId, WrapUpCategoryId};
use crate::limits::{
    CSQ_COUNT_MAX, WRAP_UP_CATEGORY_COUNT_MAX, WRAP_UP_CATEGORY_PER_CSQ_COUNT_MAX, WRAP_UP_REASON_COUNT_MAX,
    WRAP_UP_REASON_PER_CONTACT_COUNT_MAX, WRAP_UP_TEXT_LENGTH_MAX,
};
use crate::outcome::{Applied, EntityRef, Event};
use crate::queue::contact::ContactState;
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_required};

/// A wrap-up category as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrapUpCategory {
    /// Assigned by the center.
    pub id: WrapUpCategoryId,
    /// Unique case-insensitively, at most [`WRAP_UP_TEXT_LENGTH_MAX`] characters.
    pub name: String,
    /// 1 to [`WRAP_UP_REASON_COUNT_MAX`] reasons, unique case-insensitively, in the given order.
    pub reasons: Vec<String>,
    /// Global, or the CSQs (chat or email) it is offered in.
    pub tags: CsqTags,
}

/// The fields a client sets on a wrap-up category.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrapUpCategorySpec {
    /// 1 to [`WRAP_UP_TEXT_LENGTH_MAX`] characters.
    pub name: String,
    /// 1 to [`WRAP_UP_REASON_COUNT_MAX`] reasons of 1 to [`WRAP_UP_TEXT_LENGTH_MAX`] characters.
    pub reasons: Vec<String>,
    /// Global, or existing chat or email CSQs, each tagged by at most
    /// [`WRAP_UP_CATEGORY_PER_CSQ_COUNT_MAX`] categories.
    pub tags: CsqTags,
}

/// One reason an agent selected for a contact.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrapUpSelection {
    /// The category.
    pub category: WrapUpCategoryId,
    /// One of its reasons, as written there.
    pub reason: String,
}

impl Center {
    pub(crate) fn wrap_up_category_create(&mut self, spec: &WrapUpCategorySpec) -> Result<Applied, Rejection> {
        let id = self.wrap_up_categories.id_next("wrap-up category")?;
        let category = self.wrap_up_category_checked(id, spec, None)?;
        self.wrap_up_categories.check_room("wrap-up categories", WRAP_UP_CATEGORY_COUNT_MAX)?;
        self.wrap_up_categories.insert_new(id, category.clone());
        Ok(Applied::created(Event::Config(ConfigEvent::WrapUpCategoryCreated(category)), EntityRef::WrapUpCategory(id)))
    }

    pub(crate) fn wrap_up_category_update(
        &mut self,
        id: WrapUpCategoryId,
        spec: &WrapUpCategorySpec,
    ) -> Result<Applied, Rejection> {
        if !self.wrap_up_categories.contains(id) {
            return Err(Rejection::not_found("wrap-up category", id));
        }
        let category = self.wrap_up_category_checked(id, spec, Some(id))?;
        self.wrap_up_categories.replace(id, category.clone());
        Ok(Applied::event(Event::Config(ConfigEvent::WrapUpCategoryUpdated(category))))
    }

    pub(crate) fn wrap_up_category_delete(&mut self, id: WrapUpCategoryId) -> Result<Applied, Rejection> {
        if !self.wrap_up_categories.contains(id) {
            return Err(Rejection::not_found("wrap-up category", id));
        }
        self.wrap_up_categories.remove(id);
        Ok(Applied::event(Event::Config(ConfigEvent::WrapUpCategoryDeleted(id))))
    }

    /// All wrap-up categories in id order.
    pub fn wrap_up_categories(&self) -> impl Iterator<Item = &WrapUpCategory> {
        self.wrap_up_categories.values()
    }

    /// One wrap-up category.
    pub fn wrap_up_category(&self, id: WrapUpCategoryId) -> Option<&WrapUpCategory> {
        self.wrap_up_categories.get(id)
    }

    /// The categories an agent sees for a contact arriving in `csq` now, in id order.
    pub fn wrap_up_categories_for(&self, csq: CsqId) -> Vec<WrapUpCategoryId> {
        self.wrap_up_categories
            .values()
            .filter(|category| category.tags.covers(csq))
            .map(|category| category.id)
            .collect()
    }

    /// The agent holding a chat or email sets its wrap-up reasons (replacing earlier ones).
    pub(crate) fn contact_wrap_up_set(
        &mut self,
        agent: AgentId,
        id: ContactId,
        reasons: &[WrapUpSelection],
    ) -> Result<Applied, Rejection> {
        self.status_checked(agent)?;
        let contact = self.contact_checked(id)?;
        if contact.channel == Channel::Voice {
            return Err(Rejection::invalid_state("voice calls take wrap-up data, not wrap-up reasons"));
        }
        let holds = matches!(&contact.state, ContactState::Active { agents } | ContactState::Ended { agents, .. } if agents.contains(&agent));
        if !holds {
            return Err(Rejection::invalid_state(format!("agent {agent} is not handling contact {id}")));
        }
        let count = reasons.len() as u64;
        if count > u64::from(WRAP_UP_REASON_PER_CONTACT_COUNT_MAX) {
            let message = format!(
                "reasons must list at most {WRAP_UP_REASON_PER_CONTACT_COUNT_MAX} wrap-up reasons (got {count})"
            );
            return Err(Rejection::new(RejectionCode::LimitExceeded, message));
        }
        for (index, selection) in reasons.iter().enumerate() {
            self.wrap_up_selection_checked(&contact.wrap_up_categories, index, selection)?;
            if reasons.iter().take(index).any(|earlier| earlier == selection) {
                return Err(Rejection::invalid_field(format!("reasons[{index}] is selected twice")));
            }
        }
        self.contact_mut(id).wrap_up = reasons.to_vec();
        Ok(Applied::event(Event::Queue(QueueEvent::ContactWrapUpSet { contact: id, agent, reasons: reasons.to_vec() })))
    }

    fn wrap_up_selection_checked(
        &self,
        visible: &[WrapUpCategoryId],
        index: usize,
        selection: &WrapUpSelection,
    ) -> Result<(), Rejection> {
        let category =
            self.wrap_up_categories.get(selection.category).filter(|_| visible.contains(&selection.category));
        let Some(category) = category else {
            let message = format!("reasons[{index}]: category {} is not offered for this contact", selection.category);
            return Err(Rejection::invalid_field(message));
        };
        if !category.reasons.contains(&selection.reason) {
            let message =
                format!("reasons[{index}]: \"{}\" is not a reason of category {}", selection.reason, category.id);
            return Err(Rejection::invalid_field(message));
        }
        Ok(())
    }

    fn wrap_up_category_checked(
        &self,
        id: WrapUpCategoryId,
        spec: &WrapUpCategorySpec,
        except: Option<WrapUpCategoryId>,
    ) -> Result<WrapUpCategory, Rejection> {
        let name = text_required("name", &spec.name, WRAP_UP_TEXT_LENGTH_MAX)?;
        let reasons = reasons_checked(&spec.reasons)?;
        let tags = self.tags_checked(&spec.tags, CSQ_COUNT_MAX, None)?;
        for csq in tags.named() {
            if self.csqs.get(*csq).is_some_and(|csq| csq.channel == Channel::Voice) {
                return Err(Rejection::invalid_field(format!(
                    "tags: CSQ {csq} is a voice CSQ; wrap-up reasons are for chat and email"
                )));
            }
            let others = self.wrap_up_categories.values().filter(|other| Some(other.id) != except);
            let tagged_count = others.filter(|other| other.tags.named().contains(csq)).count() as u64;
            if tagged_count >= u64::from(WRAP_UP_CATEGORY_PER_CSQ_COUNT_MAX) {
                let message = format!(
                    "CSQ {csq} already has {WRAP_UP_CATEGORY_PER_CSQ_COUNT_MAX} wrap-up categories, the most a CSQ may have"
                );
                return Err(Rejection::new(RejectionCode::LimitExceeded, message));
            }
        }
        let others = self.wrap_up_categories.values().filter(|other| Some(other.id) != except);
        if let Some(duplicate) = others.clone().find(|other| equal_ignoring_case(&other.name, &name)) {
            let message = format!(
                "a wrap-up category named \"{}\" already exists (wrap-up category {})",
                duplicate.name, duplicate.id
            );
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        Ok(WrapUpCategory { id, name, reasons, tags })
    }
}

/// 1 to [`WRAP_UP_REASON_COUNT_MAX`] reasons, each a valid text, none twice.
fn reasons_checked(reasons: &[String]) -> Result<Vec<String>, Rejection> {
    let count = reasons.len() as u64;
    if count == 0 || count > u64::from(WRAP_UP_REASON_COUNT_MAX) {
        let message = format!("reasons must list 1 to {WRAP_UP_REASON_COUNT_MAX} reasons (got {count})");
        return Err(Rejection::invalid_field(message));
    }
    let mut checked: Vec<String> = Vec::with_capacity(reasons.len());
    for (index, reason) in reasons.iter().enumerate() {
        let reason = text_required(&format!("reasons[{index}]"), reason, WRAP_UP_TEXT_LENGTH_MAX)?;
        if checked.iter().any(|earlier| equal_ignoring_case(earlier, &reason)) {
            return Err(Rejection::new(
                RejectionCode::DuplicateName,
                format!("reasons lists \"{reason}\" more than once"),
            ));
        }
        checked.push(reason);
    }
    Ok(checked)
}
