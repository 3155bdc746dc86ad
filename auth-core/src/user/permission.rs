//! [`Permission`]: a named right that roles grant, such as `tasks:read_all`.

use std::{fmt, str::FromStr, sync::Arc};

use serde::{Serialize, Serializer};

use super::name::{Name, is_valid};
use crate::AuthError;

/// A named right that roles grant ([`RoleDefinition::grants`](crate::RoleDefinition::grants))
/// and guards require: 1 to 64 lower-case ASCII letters, digits, `_`, `-`, `.` and `:`,
/// starting with a letter (`tasks:read_all`, `notes.write`).
///
/// ```
/// use auth_core::Permission;
///
/// let read_all = Permission::new("tasks:read_all")?;
/// assert_eq!(read_all, Permission::from_static("tasks:read_all"));
/// assert!(Permission::new("Tasks read").is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission(Name);

impl Permission {
    /// The longest permission name: 64 bytes.
    pub const MAX_LEN: usize = 64;

    /// The permission named `name`.
    ///
    /// # Errors
    /// [`AuthError::Validation`] (field `permission`) for an invalid name.
    pub fn new(name: &str) -> Result<Self, AuthError> {
        if !is_valid(name, Self::MAX_LEN, b".:") {
            return Err(AuthError::validation(
                "permission",
                "must be 1 to 64 lower-case letters, digits, '_', '-', '.' or ':', starting with a letter",
            ));
        }
        Ok(Self(Name::Shared(Arc::from(name))))
    }

    /// [`Permission::new`] for a name written in the code, usable in constants: an invalid
    /// name fails the build in a constant (as the [`permission!`](crate::permission) macro
    /// uses it) and panics otherwise.
    pub const fn from_static(name: &'static str) -> Self {
        assert!(is_valid(name, Self::MAX_LEN, b".:"), "invalid permission name");
        Self(Name::Static(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Permission").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["tasks:read_all", "notes.write", "a", "billing:refund-large"] {
            assert_eq!(good.parse::<Permission>().unwrap().as_str(), good);
        }
        for bad in ["", ":read", "Tasks", "tasks read", "tasks/read", &"p".repeat(65)] {
            assert!(bad.parse::<Permission>().is_err(), "{bad:?}");
        }
        const READ: Permission = Permission::from_static("notes:read");
        assert_eq!(READ, Permission::new("notes:read").unwrap());
        assert_eq!(format!("{READ:?} {READ}"), "Permission(\"notes:read\") notes:read");
    }
}
