//! [`Role`]: the built-in `user` and `admin`, or a role the application declares.

use std::{fmt, str::FromStr, sync::Arc};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::name::{Name, is_valid, same};
use crate::AuthError;

/// A user's role, stored and sent by its name: the built-in `"user"` (the default, which
/// every role includes) and `"admin"`, or a [`Custom`](Role::Custom) role the application
/// declares in its configuration ([`RoleDefinition`](crate::RoleDefinition)).
///
/// A name is 1 to 32 lower-case ASCII letters, digits, `_` and `-`, starting with a letter.
/// What a role may do is not in the role: [`Roles`](crate::Roles) resolves it from the
/// configuration when a request is checked.
///
/// ```
/// use auth_core::Role;
///
/// assert_eq!(Role::new("admin")?, Role::Admin);
/// let editor = Role::new("editor")?;
/// assert_eq!(editor.as_str(), "editor");
/// assert_eq!(editor, Role::from_static("editor"));
/// assert!(Role::new("Editor").is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
///
/// Roles have no order (no `<`): which role has more is the hierarchy's business
/// ([`Grants::has_role`](crate::Grants::has_role)), not a comparison's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Role {
    /// The built-in role of every account: what any active user may do. Every role includes
    /// it.
    #[default]
    User,
    /// The built-in administrator: the admin API (users, their sessions), plus what the
    /// application lets it include.
    Admin,
    /// A role the application declares; never named `user` or `admin`.
    Custom(CustomRole),
}

/// The name of a [`Role::Custom`]: valid, and neither `user` nor `admin` (only
/// [`Role::new`] and [`Role::from_static`] make one).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CustomRole(Name);

impl CustomRole {
    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for CustomRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Role {
    /// The longest role name: 32 bytes.
    pub const MAX_LEN: usize = 32;

    /// The role named `name`: [`Role::User`] and [`Role::Admin`] for theirs, a
    /// [`Role::Custom`] for any other valid name (whether the configuration declares it is
    /// checked where a role is assigned).
    ///
    /// # Errors
    /// [`AuthError::Validation`] (field `role`) for an invalid name.
    pub fn new(name: &str) -> Result<Self, AuthError> {
        if !is_valid(name, Self::MAX_LEN, b"") {
            return Err(AuthError::validation(
                "role",
                "must be 1 to 32 lower-case letters, digits, '_' or '-', starting with a letter",
            ));
        }
        Ok(match name {
            "user" => Self::User,
            "admin" => Self::Admin,
            _ => Self::Custom(CustomRole(Name::Shared(Arc::from(name)))),
        })
    }

    /// [`Role::new`] for a name written in the code, usable in constants. An invalid name is
    /// a programming error: it fails the build when evaluated in a constant
    /// (`const EDITOR: Role = Role::from_static("editor");`, as the
    /// [`role!`](crate::role) macro does), and panics otherwise.
    pub const fn from_static(name: &'static str) -> Self {
        assert!(is_valid(name, Self::MAX_LEN, b""), "invalid role name");
        if same(name, "user") {
            Self::User
        } else if same(name, "admin") {
            Self::Admin
        } else {
            Self::Custom(CustomRole(Name::Static(name)))
        }
    }

    /// The name: `"user"`, `"admin"`, or the custom role's.
    pub fn as_str(&self) -> &str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
            Self::Custom(custom) => custom.as_str(),
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
        Self::new(s)
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor, so that the built-in names (every token's, on the hot path) are read
        // without an allocation.
        struct Name;

        impl serde::de::Visitor<'_> for Name {
            type Value = Role;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a role name")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Role, E> {
                Role::new(name).map_err(|_| E::custom("invalid role name"))
            }

            fn visit_bytes<E: serde::de::Error>(self, name: &[u8]) -> Result<Role, E> {
                let name = std::str::from_utf8(name).map_err(|_| E::custom("invalid role name"))?;
                self.visit_str(name)
            }
        }

        deserializer.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_wire_names() {
        for role in [Role::User, Role::Admin, Role::new("support-lead").unwrap()] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{role}\""));
            assert_eq!(serde_json::from_str::<Role>(&format!("\"{role}\"")).unwrap(), role);
        }
        for bad in ["Admin", "", "a b", "root!", "ADMIN", &"r".repeat(33)] {
            assert!(bad.parse::<Role>().is_err(), "{bad:?}");
            assert!(serde_json::from_str::<Role>(&format!("{bad:?}")).is_err());
        }
        assert_eq!("r".repeat(32).parse::<Role>().unwrap().as_str().len(), 32);
        // Escaped and owned strings take the same path as borrowed ones.
        assert_eq!(serde_json::from_str::<Role>(r#""\u0061dmin""#).unwrap(), Role::Admin);
        let owned: Role = serde_json::from_value(serde_json::json!("support-lead")).unwrap();
        assert_eq!(owned.as_str(), "support-lead");
    }

    #[test]
    fn the_built_in_names_are_never_custom() {
        assert_eq!(Role::new("user").unwrap(), Role::User);
        assert_eq!(Role::from_static("admin"), Role::Admin);
        const EDITOR: Role = Role::from_static("editor");
        assert_eq!(EDITOR, Role::new("editor").unwrap());
        assert!(matches!(EDITOR, Role::Custom(ref c) if c.as_str() == "editor"));
        assert_eq!(format!("{EDITOR:?}"), "Custom(\"editor\")");
    }

    #[test]
    #[should_panic(expected = "invalid role name")]
    fn an_invalid_static_name_panics_outside_a_constant() {
        let name: &'static str = Box::leak(String::from("Editor").into_boxed_str());
        let _ = Role::from_static(name);
    }
}
