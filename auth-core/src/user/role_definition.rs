//! [`RoleDefinition`]: a role as an application declares it, by names ([`RoleName`],
//! [`PermissionName`]) that [`Roles`](crate::Roles) checks when the configuration is built.

use crate::{Permission, Role};

/// A role the application declares: its name, the roles it includes (whose roles and
/// permissions it has too) and the permissions it grants. Every role includes `user`.
/// Declaring `admin` or `user` adds to the built-in role (`user` may grant permissions, which
/// every role then has, but includes nothing). Checked by
/// [`AuthConfigBuilder::build`](crate::AuthConfigBuilder::build).
///
/// `admin` is the top of the hierarchy: it may include any role, and no role may include it.
/// Admins give roles (`PATCH /admin/users/{id}`), so every declared role is within an
/// admin's reach anyway; a role above admin would only pretend otherwise.
///
/// ```
/// use auth_core::{AuthConfig, KeySet, Permission, Role, RoleDefinition, SigningKey};
///
/// let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
/// let config = AuthConfig::builder(keys)
///     .role(RoleDefinition::new("viewer").grants(["notes:read"]))
///     .role(RoleDefinition::new("editor").includes(["viewer"]).grants(["notes:write"]))
///     .role(RoleDefinition::new("admin").includes(["editor"]))
///     .build()?;
/// let admin = config.roles().grants(&Role::Admin).unwrap();
/// assert!(admin.has_role(&Role::new("viewer")?));
/// assert!(admin.has_permission(&Permission::new("notes:read")?));
///
/// // Roles and permissions may be named by their types too (a role is not a permission).
/// let support = RoleDefinition::new(Role::new("support")?).grants([Permission::new("tickets:read")?]);
///
/// // Refused when built: a cycle, an undeclared role, a role above admin.
/// let keys = config.keys().clone();
/// let above_admin = AuthConfig::builder(keys).role(RoleDefinition::new("owner").includes(["admin"]));
/// assert!(matches!(above_admin.build(), Err(auth_core::AuthError::Config(_))));
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDefinition {
    pub(super) name: String,
    pub(super) includes: Vec<String>,
    pub(super) grants: Vec<String>,
}

impl RoleDefinition {
    /// A role named `name` (see [`Role`] for the rule) that includes only `user` and grants
    /// nothing yet.
    pub fn new(name: impl RoleName) -> Self {
        Self { name: name.role_name(), includes: Vec::new(), grants: Vec::new() }
    }

    /// Adds roles this one includes (names or [`Role`]s): `user`, or roles declared in the
    /// same configuration. Not `admin`, the top of the hierarchy.
    #[must_use]
    pub fn includes<I: IntoIterator<Item = R>, R: RoleName>(mut self, roles: I) -> Self {
        self.includes.extend(roles.into_iter().map(RoleName::role_name));
        self
    }

    /// Adds permissions this role grants (names or [`Permission`]s; see [`Permission`] for
    /// the rule).
    #[must_use]
    pub fn grants<I: IntoIterator<Item = P>, P: PermissionName>(mut self, permissions: I) -> Self {
        self.grants.extend(permissions.into_iter().map(PermissionName::permission_name));
        self
    }
}

mod sealed {
    pub trait Sealed {}

    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for crate::Role {}
    impl Sealed for &crate::Role {}
    impl Sealed for crate::Permission {}
    impl Sealed for &crate::Permission {}
}

/// A role as [`RoleDefinition`] names it: by its name (`&str`, `String`, checked when the
/// configuration is built) or as a [`Role`]. A [`Permission`] is not one.
pub trait RoleName: sealed::Sealed {
    /// The name.
    fn role_name(self) -> String;
}

/// A permission as [`RoleDefinition::grants`] names it: by its name (`&str`, `String`,
/// checked when the configuration is built) or as a [`Permission`]. A [`Role`] is not one:
///
/// ```compile_fail,E0277
/// auth_core::RoleDefinition::new("support").grants([auth_core::Role::Admin]);
/// ```
pub trait PermissionName: sealed::Sealed {
    /// The name.
    fn permission_name(self) -> String;
}

impl RoleName for &str {
    fn role_name(self) -> String {
        self.to_owned()
    }
}

impl RoleName for String {
    fn role_name(self) -> String {
        self
    }
}

impl RoleName for Role {
    fn role_name(self) -> String {
        self.as_str().to_owned()
    }
}

impl RoleName for &Role {
    fn role_name(self) -> String {
        self.as_str().to_owned()
    }
}

impl PermissionName for &str {
    fn permission_name(self) -> String {
        self.to_owned()
    }
}

impl PermissionName for String {
    fn permission_name(self) -> String {
        self
    }
}

impl PermissionName for Permission {
    fn permission_name(self) -> String {
        self.as_str().to_owned()
    }
}

impl PermissionName for &Permission {
    fn permission_name(self) -> String {
        self.as_str().to_owned()
    }
}
