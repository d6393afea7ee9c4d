//! The cluster's own entries: no-ops, deadline expiries, the session key, and the simulator's planted bugs.
//!
//! Its commands and events nest in [`crate::Command`] and [`crate::Event`] under one variant,
//! and serialize as if they were theirs (`crate::grouped`): the log, snapshots and the public
//! event JSON name the variant alone.

#[cfg(feature = "planted-bugs")]
pub(crate) mod planted;

use crate::authorization::Scope;
use serde::{Deserialize, Serialize};

use crate::deadline::Deadline;
use crate::outcome::Applied;
use crate::rejection::Rejection;
use crate::Center;

/// The cluster's own entries: no-ops, deadline expiries, the session key, and the simulator's planted bugs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SystemCommand {
    /// Before decision 0027: a session key in clear. Still decoded, so old logs replay, and
    /// refused: keys enter the log sealed ([`SystemCommand::AddSessionKey`]).
    SetSessionKey {
        /// 64 hexadecimal digits.
        key: String,
    },
    /// Adds a key tokens are signed with, sealed by the proposing node with the cluster key:
    /// the first key (`replaces` none), or a rotation of the current one.
    AddSessionKey {
        /// The key, sealed; the domain never sees it in clear.
        sealed: String,
        /// The current key's id when the node proposed this one (none: there was none). A
        /// proposal that lost a race changes nothing.
        replaces: Option<u32>,
        /// Drop every other key at once: tokens they signed stop working.
        #[serde(default)]
        retire_others: bool,
    },
    /// Changes nothing but time; used by benchmarks and health probes.
    Noop,
    /// A login as this user failed (wrong password, or any attempt while locked out).
    LoginFailed {
        /// The user named at login.
        user: crate::UserId,
    },
    /// The user logged out: every session token issued to it until now stops working.
    RevokeTokens {
        /// The user who logged out.
        user: crate::UserId,
    },
    /// A login as this user succeeded: its consecutive failures start over.
    LoginSucceeded {
        /// The user who logged in.
        user: crate::UserId,
    },
    /// A deadline passed on the leader's clock. A stale epoch is a no-op.
    Expire {
        /// Which timer.
        deadline: Deadline,
        /// The epoch the leader saw in [`crate::Center::deadline_next`].
        epoch: u64,
    },
    /// Switches the simulator's planted bugs (test builds only; see `planted`).
    #[cfg(feature = "planted-bugs")]
    PlantBugs(crate::system::planted::PlantedBugs),
}

impl Center {
    /// Applies a system command (see [`Center::apply`]).
    pub(crate) fn execute_system(&mut self, command: &SystemCommand) -> Result<Applied, Rejection> {
        match command {
            SystemCommand::Noop => Ok(Applied::default()),
            SystemCommand::Expire { deadline, epoch } => Ok(self.expire(*deadline, *epoch)),
            SystemCommand::SetSessionKey { .. } => Err(Rejection::new(
                crate::RejectionCode::InvalidState,
                "session keys in clear are no longer accepted; keys enter the log sealed (AddSessionKey)",
            )),
            SystemCommand::AddSessionKey { sealed, replaces, retire_others } => {
                self.session_key_add(sealed, *replaces, *retire_others)
            }
            SystemCommand::LoginFailed { user } => Ok(self.login_failed(*user)),
            SystemCommand::LoginSucceeded { user } => Ok(self.login_succeeded(*user)),
            SystemCommand::RevokeTokens { user } => Ok(self.tokens_revoked(*user)),
            #[cfg(feature = "planted-bugs")]
            SystemCommand::PlantBugs(bugs) => Ok(self.bugs_planted(*bugs)),
        }
    }
}

impl SystemCommand {
    /// Which agent the command acts for, and as whom: what [`crate::Center::authorize`] checks.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            SystemCommand::SetSessionKey { .. }
            | SystemCommand::AddSessionKey { .. }
            | SystemCommand::Noop
            | SystemCommand::Expire { .. }
            | SystemCommand::LoginFailed { .. }
            | SystemCommand::LoginSucceeded { .. }
            | SystemCommand::RevokeTokens { .. } => Scope::Administration,
            #[cfg(feature = "planted-bugs")]
            SystemCommand::PlantBugs(_) => Scope::Administration,
        }
    }
}
