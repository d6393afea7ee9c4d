//! Skills: named abilities agents hold at a competence and CSQs require at a minimum.
//!
//! A skill must exist before an agent or CSQ references it, and cannot be deleted while one
//! does, so no reference in the center ever dangles. This module also holds the list rules
//! shared by agent skills and CSQ requirements (competence range, no repeats, skills exist).

use crate::ConfigEvent;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::SkillId;
use crate::limits::{COMPETENCE_MAX, COMPETENCE_MIN, NAME_LENGTH_MAX, SKILL_COUNT_MAX};
use crate::outcome::{Applied, EntityRef, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_required};

/// A skill as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skill {
    /// Assigned by the center.
    pub id: SkillId,
    /// Unique among skills, case-insensitively; stored trimmed.
    pub name: String,
}

/// The fields a client sets on a skill.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillSpec {
    /// 1 to [`NAME_LENGTH_MAX`] characters after trimming.
    pub name: String,
}

/// One entry of a skill list being checked: the skill and its competence.
pub(crate) struct SkillListItem {
    pub(crate) skill: SkillId,
    pub(crate) competence: u8,
}

/// How a skill list is named in messages, e.g. `skills` and `competence`.
pub(crate) struct SkillListFields<'a> {
    pub(crate) list: &'a str,
    pub(crate) competence: &'a str,
    pub(crate) count_min: u32,
    pub(crate) count_max: u32,
}

impl Center {
    pub(crate) fn skill_create(&mut self, spec: &SkillSpec) -> Result<Applied, Rejection> {
        let id = self.skills.id_next("skill")?;
        let skill = self.skill_checked(id, spec, None)?;
        self.skills.check_room("skills", SKILL_COUNT_MAX)?;
        self.skills.insert_new(id, skill.clone());
        Ok(Applied::created(Event::Config(ConfigEvent::SkillCreated(skill)), EntityRef::Skill(id)))
    }

    pub(crate) fn skill_update(&mut self, id: SkillId, spec: &SkillSpec) -> Result<Applied, Rejection> {
        if !self.skills.contains(id) {
            return Err(Rejection::not_found("skill", id));
        }
        let skill = self.skill_checked(id, spec, Some(id))?;
        self.skills.replace(id, skill.clone());
        Ok(Applied::event(Event::Config(ConfigEvent::SkillUpdated(skill))))
    }

    pub(crate) fn skill_delete(&mut self, id: SkillId) -> Result<Applied, Rejection> {
        if !self.skills.contains(id) {
            return Err(Rejection::not_found("skill", id));
        }
        let agents = self.agents.values().filter(|agent| agent.skills.iter().any(|level| level.skill == id));
        let csqs = self.csqs.values().filter(|csq| csq.skills.iter().any(|required| required.skill == id));
        let references: Vec<String> = agents
            .map(|agent| format!("agent {}", agent.id))
            .chain(csqs.map(|csq| format!("CSQ {}", csq.id)))
            .collect();
        if !references.is_empty() {
            return Err(Rejection::in_use(&format!("skill {id}"), &references));
        }
        self.skills.remove(id);
        Ok(Applied::event(Event::Config(ConfigEvent::SkillDeleted(id))))
    }

    /// Validates `spec` as skill `id`; `except` is the skill being updated, whose own name
    /// does not count as a duplicate.
    fn skill_checked(&self, id: SkillId, spec: &SkillSpec, except: Option<SkillId>) -> Result<Skill, Rejection> {
        let name = text_required("name", &spec.name, NAME_LENGTH_MAX)?;
        let duplicate =
            self.skills.values().find(|skill| Some(skill.id) != except && equal_ignoring_case(&skill.name, &name));
        if let Some(duplicate) = duplicate {
            let message = format!("a skill named \"{}\" already exists (skill {})", duplicate.name, duplicate.id);
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        Ok(Skill { id, name })
    }

    /// Checks a skill list: its length, each competence, no skill twice, every skill exists.
    pub(crate) fn skill_list_checked(
        &self,
        fields: &SkillListFields<'_>,
        items: &[SkillListItem],
    ) -> Result<(), Rejection> {
        let count = items.len() as u64;
        if count < u64::from(fields.count_min) || count > u64::from(fields.count_max) {
            let (list, min, max) = (fields.list, fields.count_min, fields.count_max);
            let message = format!("{list} must list between {min} and {max} skills (got {count})");
            return Err(Rejection::invalid_field(message));
        }
        let mut seen = BTreeSet::new();
        for (index, item) in items.iter().enumerate() {
            let field = format!("{}[{index}].{}", fields.list, fields.competence);
            competence_checked(&field, item.competence)?;
            if !seen.insert(item.skill) {
                let message = format!("{} lists skill {} more than once", fields.list, item.skill);
                return Err(Rejection::invalid_field(message));
            }
        }
        for (index, item) in items.iter().enumerate() {
            if !self.skills.contains(item.skill) {
                let message = format!("{}[{index}].skill: skill {} does not exist", fields.list, item.skill);
                return Err(Rejection::new(RejectionCode::UnknownSkill, message));
            }
        }
        Ok(())
    }
}

/// Checks a competence is within [`COMPETENCE_MIN`]..=[`COMPETENCE_MAX`].
fn competence_checked(field: &str, competence: u8) -> Result<(), Rejection> {
    if (COMPETENCE_MIN..=COMPETENCE_MAX).contains(&competence) {
        return Ok(());
    }
    let message = format!("{field} must be between {COMPETENCE_MIN} and {COMPETENCE_MAX} (got {competence})");
    Err(Rejection::invalid_field(message))
}
