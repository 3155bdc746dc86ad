use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::AuthError;

/// What a user may do. Serialized as `"user"` / `"admin"`.
///
/// The enum is `#[non_exhaustive]` so that more roles can be added without breaking matches
/// in applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// An ordinary user: their own data only.
    #[default]
    User,
    /// An administrator: every user and every user's data.
    Admin,
}

impl Role {
    /// The wire name: `"user"` or `"admin"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    /// Whether this role grants what `required` grants (an admin may do what a user may).
    pub fn satisfies(self, required: Role) -> bool {
        match required {
            Role::User => true,
            Role::Admin => self == Role::Admin,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            _ => Err(AuthError::validation("role", "must be \"user\" or \"admin\"")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_wire_names() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{role}\""));
        }
        assert!("Admin".parse::<Role>().is_err());
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn admin_satisfies_user() {
        assert!(Role::Admin.satisfies(Role::User));
        assert!(!Role::User.satisfies(Role::Admin));
    }
}
