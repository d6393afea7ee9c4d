//! Entity ids: opaque newtypes over `u64`, so an agent id can never be passed as a skill id.
//!
//! The center assigns ids from one counter per kind, starting at 1 and never reused, so every
//! replica assigns the same id to the same create. The inner number is public only so the shell
//! can parse ids from URLs and seed data; the domain never does arithmetic on it.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// Wraps a raw id number.
            pub const fn new(value: u64) -> Self {
                Self(value)
            }

            /// The raw id number.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl From<u64> for $name {
            fn from(value: u64) -> Self {
                Self(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse::<u64>().map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a [`crate::Skill`].
    SkillId
);
id_type!(
    /// Identifies an [`crate::Agent`].
    AgentId
);
id_type!(
    /// Identifies a [`crate::Team`].
    TeamId
);
id_type!(
    /// Identifies a [`crate::Csq`] (contact service queue).
    CsqId
);
id_type!(
    /// Identifies a [`crate::ReasonCode`].
    ReasonCodeId
);
id_type!(
    /// Identifies a contact: a voice call, a chat or an email.
    ContactId
);
id_type!(
    /// Identifies a [`crate::User`].
    UserId
);
id_type!(
    /// Identifies a team message.
    TeamMessageId
);
id_type!(
    /// Identifies a wrap-up category.
    WrapUpCategoryId
);
id_type!(
    /// Identifies a predefined response.
    PredefinedResponseId
);
id_type!(
    /// Identifies an email signature.
    EmailSignatureId
);
id_type!(
    /// Identifies a call on the built-in switch.
    CallId
);
id_type!(
    /// Identifies a configured dialed number.
    DialedNumberId
);
id_type!(
    /// Identifies an email in the outbox.
    OutboxId
);
