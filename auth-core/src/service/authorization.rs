//! The one authorization rule: an active user whose role satisfies the role required. Every
//! check goes through [`Auth::authorize`]: the use cases of the core, the role guards of
//! both framework crates, and the applications built on them.

use std::{fmt, marker::PhantomData, ops::Deref};

use super::Auth;
use crate::{AuthError, Result, Role, User};

/// A role that a guard requires, named by a type so that an extractor can carry it
/// (`RequireRole<AdminRole>` in `auth-axum` and `auth-actix`).
pub trait RequiredRole: Send + Sync + 'static {
    /// The role required.
    fn role() -> Role;
}

/// A user who passed [`Auth::authorize`] for the role `R` names: only
/// [`Auth::authorize_as`] makes one, so holding it is the proof. Derefs to the [`User`].
pub struct Authorized<R> {
    user: User,
    role: PhantomData<fn() -> R>,
}

impl<R> Authorized<R> {
    /// The user.
    pub fn into_user(self) -> User {
        self.user
    }
}

impl<R> Deref for Authorized<R> {
    type Target = User;

    fn deref(&self) -> &User {
        &self.user
    }
}

impl<R> Clone for Authorized<R> {
    fn clone(&self) -> Self {
        Self { user: self.user.clone(), role: PhantomData }
    }
}

impl<R> fmt::Debug for Authorized<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorized")
            .field("role", &std::any::type_name::<R>())
            .field("user", &self.user)
            .finish()
    }
}

/// Requires [`Role::Admin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminRole;

impl RequiredRole for AdminRole {
    fn role() -> Role {
        Role::Admin
    }
}

/// Requires [`Role::User`], which every role satisfies: any active user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRole;

impl RequiredRole for UserRole {
    fn role() -> Role {
        Role::User
    }
}

impl Auth {
    /// Whether `user` may act with the `required` role: the account is active, and its role
    /// satisfies the one required (an admin has every role).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, Registration, RequestContext, Role, SigningKey};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), auth_core::AuthError> {
    /// # let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
    /// # let auth = Auth::new(AuthConfig::builder(keys).build()?, Arc::new(MemoryStore::new()));
    /// let alice = auth.register(Registration::new("alice", "correct horse battery staple"), None, &RequestContext::internal()).await?;
    /// assert!(auth.authorize(&alice, Role::User).is_ok());
    /// assert!(auth.authorize(&alice, Role::Admin).is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AuthError::Forbidden`].
    pub fn authorize(&self, user: &User, required: Role) -> Result<()> {
        if user.is_active && user.role.satisfies(required) {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }

    /// [`authorize`](Self::authorize) for the role `R` names, keeping the proof.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`].
    pub fn authorize_as<R: RequiredRole>(&self, user: User) -> Result<Authorized<R>> {
        self.authorize(&user, R::role())?;
        Ok(Authorized { user, role: PhantomData })
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
        assert!(f.auth.authorize(&user, Role::User).is_ok());
        assert!(matches!(f.auth.authorize(&user, Role::Admin), Err(AuthError::Forbidden)));
        assert!(f.auth.authorize(&admin, Role::Admin).is_ok());
        assert!(f.auth.authorize(&admin, UserRole::role()).is_ok());
        assert_eq!(AdminRole::role(), Role::Admin);
        let proof = f.auth.authorize_as::<AdminRole>(admin.clone()).unwrap();
        assert_eq!(proof.username, admin.username);
        assert!(matches!(f.auth.authorize_as::<AdminRole>(user), Err(AuthError::Forbidden)));
    }

    #[tokio::test]
    async fn an_inactive_admin_is_refused() {
        let f = fixture();
        let mut admin = f.admin("root").await;
        admin.is_active = false;
        assert!(matches!(f.auth.authorize(&admin, Role::Admin), Err(AuthError::Forbidden)));
        assert!(matches!(f.auth.authorize(&admin, Role::User), Err(AuthError::Forbidden)));
    }
}
