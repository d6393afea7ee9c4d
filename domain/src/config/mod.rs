//! Configuration shared by every channel: skills, teams, reason codes, users, desk and channel settings, wrap-up categories and predefined responses.
//!
//! Its commands and events nest in [`crate::Command`] and [`crate::Event`] under one variant,
//! and serialize as if they were theirs (`crate::grouped`): the log, snapshots and the public
//! event JSON name the variant alone.

pub(crate) mod content;
pub(crate) mod predefined_response;
pub(crate) mod reason_code;
pub(crate) mod settings;
pub(crate) mod skill;
pub(crate) mod team;
pub(crate) mod user;
pub(crate) mod wrap_up;

use crate::authorization::Scope;
use crate::outcome::Concern;
use serde::{Deserialize, Serialize};

use crate::config::predefined_response::PredefinedResponse;
use crate::config::predefined_response::PredefinedResponseSpec;
use crate::config::reason_code::ReasonCode;
use crate::config::reason_code::ReasonCodeSpec;
use crate::config::settings::ChannelParameters;
use crate::config::settings::DeskSettings;
use crate::config::skill::Skill;
use crate::config::skill::SkillSpec;
use crate::config::team::Team;
use crate::config::team::TeamSpec;
use crate::config::user::UserSpec;
use crate::config::user::UserView;
use crate::config::wrap_up::WrapUpCategory;
use crate::config::wrap_up::WrapUpCategorySpec;
use crate::ids::PredefinedResponseId;
use crate::ids::ReasonCodeId;
use crate::ids::SkillId;
use crate::ids::TeamId;
use crate::ids::UserId;
use crate::ids::WrapUpCategoryId;
use crate::outcome::Applied;
use crate::rejection::Rejection;
use crate::statistics::StatisticsSettings;
use crate::Center;

/// Configuration shared by every channel: skills, teams, reason codes, users, desk and channel settings, wrap-up categories and predefined responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ConfigCommand {
    /// Adds a skill.
    CreateSkill(SkillSpec),
    /// Replaces a skill's fields.
    UpdateSkill {
        /// The skill to change.
        id: SkillId,
        /// Its new fields.
        spec: SkillSpec,
    },
    /// Removes a skill no agent or CSQ uses.
    DeleteSkill {
        /// The skill to remove.
        id: SkillId,
    },
    /// Adds a team.
    CreateTeam(TeamSpec),
    /// Replaces a team's fields.
    UpdateTeam {
        /// The team to change.
        id: TeamId,
        /// Its new fields.
        spec: TeamSpec,
    },
    /// Removes a team with no agents.
    DeleteTeam {
        /// The team to remove.
        id: TeamId,
    },
    /// Adds a Not Ready or Logout reason code.
    CreateReasonCode(ReasonCodeSpec),
    /// Replaces a reason code's fields.
    UpdateReasonCode {
        /// The reason code to change.
        id: ReasonCodeId,
        /// Its new fields.
        spec: ReasonCodeSpec,
    },
    /// Removes a reason code.
    DeleteReasonCode {
        /// The reason code to remove.
        id: ReasonCodeId,
    },
    /// Adds a user (the node hashed the password).
    CreateUser(UserSpec),
    /// Replaces a user's fields.
    UpdateUser {
        /// The user to change.
        id: UserId,
        /// Its new fields.
        spec: UserSpec,
    },
    /// Removes a user.
    DeleteUser {
        /// The user to remove.
        id: UserId,
    },
    /// Replaces the agent desk settings.
    SetDeskSettings(DeskSettings),
    /// Replaces the digital channel parameters (new contacts only, see the type).
    SetChannelParameters(ChannelParameters),
    /// Adds a wrap-up category.
    CreateWrapUpCategory(WrapUpCategorySpec),
    /// Replaces a wrap-up category's fields.
    UpdateWrapUpCategory {
        /// The category to change.
        id: WrapUpCategoryId,
        /// Its new fields.
        spec: WrapUpCategorySpec,
    },
    /// Removes a wrap-up category.
    DeleteWrapUpCategory {
        /// The category to remove.
        id: WrapUpCategoryId,
    },
    /// Adds a predefined response.
    CreatePredefinedResponse(PredefinedResponseSpec),
    /// Replaces a predefined response's fields.
    UpdatePredefinedResponse {
        /// The response to change.
        id: PredefinedResponseId,
        /// Its new fields.
        spec: PredefinedResponseSpec,
    },
    /// Removes a predefined response.
    DeletePredefinedResponse {
        /// The response to remove.
        id: PredefinedResponseId,
    },
    /// Replaces the statistics settings (the service level threshold).
    SetStatisticsSettings(StatisticsSettings),
}

/// What config commands and deadlines change, as pushed to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfigEvent {
    /// A skill was created.
    SkillCreated(Skill),
    /// A skill was updated; this is its new value.
    SkillUpdated(Skill),
    /// A skill was deleted.
    SkillDeleted(SkillId),
    /// A team was created.
    TeamCreated(Team),
    /// A team was updated; this is its new value.
    TeamUpdated(Team),
    /// A team was deleted.
    TeamDeleted(TeamId),
    /// A reason code was created.
    ReasonCodeCreated(ReasonCode),
    /// A reason code was updated; this is its new value.
    ReasonCodeUpdated(ReasonCode),
    /// A reason code was deleted.
    ReasonCodeDeleted(ReasonCodeId),
    /// A user was added (the hash is never in an event).
    UserCreated(UserView),
    /// A user was changed.
    UserUpdated(UserView),
    /// A user was removed.
    UserDeleted(UserId),
    /// The agent desk settings were replaced; this is their new value.
    DeskSettingsUpdated(DeskSettings),
    /// The channel parameters were replaced; this is their new value.
    ChannelParametersUpdated(ChannelParameters),
    /// A wrap-up category was created.
    WrapUpCategoryCreated(WrapUpCategory),
    /// A wrap-up category was updated; this is its new value.
    WrapUpCategoryUpdated(WrapUpCategory),
    /// A wrap-up category was deleted.
    WrapUpCategoryDeleted(WrapUpCategoryId),
    /// A predefined response was created.
    PredefinedResponseCreated(PredefinedResponse),
    /// A predefined response was updated; this is its new value.
    PredefinedResponseUpdated(PredefinedResponse),
    /// A predefined response was deleted.
    PredefinedResponseDeleted(PredefinedResponseId),
    /// The statistics settings were replaced; this is their new value.
    StatisticsSettingsUpdated(StatisticsSettings),
}

impl Center {
    /// Applies a config command (see [`Center::apply`]).
    pub(crate) fn execute_config(&mut self, command: &ConfigCommand) -> Result<Applied, Rejection> {
        match command {
            ConfigCommand::CreateSkill(spec) => self.skill_create(spec),
            ConfigCommand::UpdateSkill { id, spec } => self.skill_update(*id, spec),
            ConfigCommand::DeleteSkill { id } => self.skill_delete(*id),
            ConfigCommand::CreateTeam(spec) => self.team_create(spec),
            ConfigCommand::UpdateTeam { id, spec } => self.team_update(*id, spec),
            ConfigCommand::DeleteTeam { id } => self.team_delete(*id),
            ConfigCommand::CreateReasonCode(spec) => self.reason_code_create(spec),
            ConfigCommand::UpdateReasonCode { id, spec } => self.reason_code_update(*id, spec),
            ConfigCommand::DeleteReasonCode { id } => self.reason_code_delete(*id),
            ConfigCommand::CreateUser(spec) => self.user_create(spec),
            ConfigCommand::UpdateUser { id, spec } => self.user_update(*id, spec),
            ConfigCommand::DeleteUser { id } => self.user_delete(*id),
            ConfigCommand::SetDeskSettings(settings) => self.desk_settings_set(settings),
            ConfigCommand::SetChannelParameters(parameters) => self.channel_parameters_set(parameters),
            ConfigCommand::SetStatisticsSettings(settings) => self.statistics_settings_set(settings),
            ConfigCommand::CreateWrapUpCategory(spec) => self.wrap_up_category_create(spec),
            ConfigCommand::UpdateWrapUpCategory { id, spec } => self.wrap_up_category_update(*id, spec),
            ConfigCommand::DeleteWrapUpCategory { id } => self.wrap_up_category_delete(*id),
            ConfigCommand::CreatePredefinedResponse(spec) => self.predefined_response_create(spec),
            ConfigCommand::UpdatePredefinedResponse { id, spec } => self.predefined_response_update(*id, spec),
            ConfigCommand::DeletePredefinedResponse { id } => self.predefined_response_delete(*id),
        }
    }
}

impl ConfigCommand {
    /// Which agent the command acts for, and as whom: what [`crate::Center::authorize`] checks.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            ConfigCommand::CreateSkill(_)
            | ConfigCommand::UpdateSkill { .. }
            | ConfigCommand::DeleteSkill { .. }
            | ConfigCommand::CreateTeam(_)
            | ConfigCommand::UpdateTeam { .. }
            | ConfigCommand::DeleteTeam { .. }
            | ConfigCommand::CreateReasonCode(_)
            | ConfigCommand::UpdateReasonCode { .. }
            | ConfigCommand::DeleteReasonCode { .. }
            | ConfigCommand::CreateUser(_)
            | ConfigCommand::UpdateUser { .. }
            | ConfigCommand::DeleteUser { .. }
            | ConfigCommand::SetDeskSettings(_)
            | ConfigCommand::SetChannelParameters(_)
            | ConfigCommand::CreateWrapUpCategory(_)
            | ConfigCommand::UpdateWrapUpCategory { .. }
            | ConfigCommand::DeleteWrapUpCategory { .. }
            | ConfigCommand::CreatePredefinedResponse(_)
            | ConfigCommand::UpdatePredefinedResponse { .. }
            | ConfigCommand::DeletePredefinedResponse { .. }
            | ConfigCommand::SetStatisticsSettings(_) => Scope::Administration,
        }
    }
}

impl ConfigEvent {
    /// Whom the event is about: what [`crate::Center::audience`] resolves into who sees it.
    pub(crate) fn concerns(&self) -> Concern<'_> {
        match self {
            ConfigEvent::UserCreated(_) | ConfigEvent::UserUpdated(_) | ConfigEvent::UserDeleted(_) => {
                Concern::Administrators
            }
            ConfigEvent::SkillCreated(_)
            | ConfigEvent::SkillUpdated(_)
            | ConfigEvent::SkillDeleted(_)
            | ConfigEvent::TeamCreated(_)
            | ConfigEvent::TeamUpdated(_)
            | ConfigEvent::TeamDeleted(_)
            | ConfigEvent::ReasonCodeCreated(_)
            | ConfigEvent::ReasonCodeUpdated(_)
            | ConfigEvent::ReasonCodeDeleted(_)
            | ConfigEvent::DeskSettingsUpdated(_)
            | ConfigEvent::ChannelParametersUpdated(_)
            | ConfigEvent::WrapUpCategoryCreated(_)
            | ConfigEvent::WrapUpCategoryUpdated(_)
            | ConfigEvent::WrapUpCategoryDeleted(_)
            | ConfigEvent::PredefinedResponseCreated(_)
            | ConfigEvent::PredefinedResponseUpdated(_)
            | ConfigEvent::PredefinedResponseDeleted(_)
            | ConfigEvent::StatisticsSettingsUpdated(_) => Concern::All,
        }
    }
}
