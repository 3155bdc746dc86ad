//! The one authorization rule: an active user whose role meets the requirement, resolved
//! from the configuration's [`Roles`](crate::Roles) at the time of the check. Every check
//! goes through [`Auth::authorize`]: the use cases of the core, the guards of both framework
//! crates, and the applications built on them.

use std::{fmt, marker::PhantomData, ops::Deref};

use super::Auth;
use crate::{AuthError, Policy, Requirement, Result, Role, User};

/// A user who passed [`Auth::authorize`] for the policy `P`: only [`Auth::authorize_as`]
/// makes one, so holding it is the proof. Derefs to the [`User`].
pub struct Authorized<P> {
    user: User,
    policy: PhantomData<fn() -> P>,
}

impl<P> Authorized<P> {
    /// The user.
    pub fn into_user(self) -> User {
        self.user
    }
}

impl<P> Deref for Authorized<P> {
    type Target = User;

    fn deref(&self) -> &User {
        &self.user
    }
}

impl<P> Clone for Authorized<P> {
    fn clone(&self) -> Self {
        Self { user: self.user.clone(), policy: PhantomData }
    }
}

impl<P> fmt::Debug for Authorized<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorized")
            .field("policy", &std::any::type_name::<P>())
            .field("user", &self.user)
            .finish()
    }
}

crate::role! {
    /// Requires [`Role::Admin`].
    pub AdminRole = "admin"
}

crate::role! {
    /// Requires [`Role::User`], which every role includes: any active user whose role the
    /// configuration declares (unlike a bare `CurrentUser`, which any active user passes).
    pub UserRole = "user"
}

/// [`AdminRole`]'s requirement, as a constant.
const ADMIN: Requirement = Requirement::Role(Role::Admin);

impl Auth {
    /// Whether `user` may act under `required`: the account is active, and its role (with
    /// the roles it includes and the permissions they grant, as the configuration declares
    /// them now) meets the requirement. A role the configuration does not know meets
    /// nothing.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, Registration, RequestContext, SigningKey};
    /// use auth_core::{Permission, Requirement, Role, RoleDefinition};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), auth_core::AuthError> {
    /// # let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
    /// let config = AuthConfig::builder(keys)
    ///     .role(RoleDefinition::new("user").grants(["notes:read"]))
    ///     .build()?;
    /// let auth = Auth::new(config, Arc::new(MemoryStore::new()));
    /// let alice = auth.register(Registration::new("alice", "correct horse battery staple"), None, &RequestContext::internal()).await?;
    /// assert!(auth.authorize(&alice, &Role::User.into()).is_ok());
    /// assert!(auth.authorize(&alice, &Permission::new("notes:read")?.into()).is_ok());
    /// assert!(auth.authorize(&alice, &Role::Admin.into()).is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AuthError::Forbidden`].
    pub fn authorize(&self, user: &User, required: &Requirement) -> Result<()> {
        let roles = self.inner.config.roles();
        if !roles.contains(&user.role) {
            // Logged here, where the account is known, so that operators can find it.
            let (id, role) = (user.id, &user.role);
            roles.report(&format!("role:{role}"), || {
                format!(
                    "user {id} has the role \"{role}\", which is not declared: it grants nothing \
                     (other accounts with this role are not logged)"
                )
            });
            return Err(AuthError::Forbidden);
        }
        if user.is_active && roles.allows(&user.role, required) {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }

    /// [`authorize`](Self::authorize) for the requirement of the policy `P`, keeping the
    /// proof.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`].
    pub fn authorize_as<P: Policy>(&self, user: User) -> Result<Authorized<P>> {
        self.authorize(&user, &P::requirement())?;
        Ok(Authorized { user, policy: PhantomData })
    }

    /// [`authorize`](Self::authorize) for the admin role: what the admin API requires.
    pub(crate) fn require_admin(&self, user: &User) -> Result<()> {
        self.authorize(user, &ADMIN)
    }

    /// Refuses a role the configuration does not declare, where a role is assigned.
    pub(crate) fn check_declared(&self, role: &Role) -> Result<()> {
        if self.inner.config.roles().contains(role) {
            Ok(())
        } else {
            Err(AuthError::validation("role", "is not a role of this service"))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn active_users_with_the_role_pass() {
        let f = fixture();
        let user = f.user("alice").await;
        let admin = f.admin("root").await;
        assert!(f.auth.authorize(&user, &Role::User.into()).is_ok());
        assert!(matches!(f.auth.authorize(&user, &Role::Admin.into()), Err(AuthError::Forbidden)));
        assert!(f.auth.authorize(&admin, &Role::Admin.into()).is_ok());
        assert!(f.auth.authorize(&admin, &UserRole::requirement()).is_ok());
        assert_eq!(AdminRole::requirement(), Requirement::Role(Role::Admin));
        let proof = f.auth.authorize_as::<AdminRole>(admin.clone()).unwrap();
        assert_eq!(proof.username, admin.username);
        assert!(matches!(f.auth.authorize_as::<AdminRole>(user), Err(AuthError::Forbidden)));
    }

    #[tokio::test]
    async fn an_inactive_admin_is_refused() {
        let f = fixture();
        let mut admin = f.admin("root").await;
        admin.is_active = false;
        for required in [Role::Admin, Role::User] {
            let refused = f.auth.authorize(&admin, &required.into());
            assert!(matches!(refused, Err(AuthError::Forbidden)));
        }
    }

    #[tokio::test]
    async fn a_stored_role_the_configuration_forgot_is_never_an_admin() {
        let f = fixture();
        let mut ghost = f.admin("root").await;
        ghost.role = Role::new("superuser").unwrap();
        let log = std::sync::Arc::new(tempfile::tempfile().unwrap());
        let subscriber =
            tracing_subscriber::fmt().with_writer(log.clone()).with_ansi(false).finish();
        let guard = tracing::subscriber::set_default(subscriber);
        for required in [Role::Admin, Role::User, Role::new("superuser").unwrap()] {
            assert!(matches!(
                f.auth.authorize(&ghost, &required.into()),
                Err(AuthError::Forbidden)
            ));
        }
        drop(guard);
        let mut text = String::new();
        let mut file: &std::fs::File = &log;
        std::io::Seek::rewind(&mut file).unwrap();
        std::io::Read::read_to_string(&mut file, &mut text).unwrap();
        let line = format!("user {} has the role \"superuser\", which is not declared", ghost.id);
        assert_eq!(text.matches(&line).count(), 1, "logged once, naming the user: {text}");
    }
}
