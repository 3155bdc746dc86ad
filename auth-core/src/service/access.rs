//! Checking access tokens: stateless ([`Auth::verify_access`]) and store-checked
//! ([`Auth::current_user`], [`Auth::authenticate`]).

use super::Auth;
use crate::{AccessClaims, AuthError, Result, Role, TokenRejection, User};

impl Auth {
    /// Verifies an access token's signature and claims. No I/O: revocation is not seen
    /// here; use [`Auth::authenticate`] where it matters.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`].
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims> {
        self.inner.tokens.verify(token)
    }

    /// The user behind verified claims, checked against the store: the user exists, is
    /// active, still has the role the token claims (a role change ends old tokens), and the
    /// token was issued after their revocation stamp (logout-all, password change,
    /// deactivation).
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] (`UserInactive` or `Revoked`); [`AuthError::Store`].
    pub async fn current_user(&self, claims: &AccessClaims) -> Result<User> {
        let user = self.inner.store.user_by_id(claims.sub).await?;
        let Some(user) = user.filter(|u| u.is_active) else {
            return Err(AuthError::InvalidToken(TokenRejection::UserInactive));
        };
        if user.role != claims.role {
            return Err(AuthError::InvalidToken(TokenRejection::Revoked));
        }
        if user
            .tokens_valid_after
            .is_some_and(|stamp| claims.iat < crate::token::stamp_second(stamp))
        {
            return Err(AuthError::InvalidToken(TokenRejection::Revoked));
        }
        Ok(user.into())
    }

    /// [`verify_access`](Self::verify_access) then [`current_user`](Self::current_user).
    ///
    /// # Errors
    /// As those two.
    pub async fn authenticate(&self, token: &str) -> Result<User> {
        let claims = self.verify_access(token)?;
        self.current_user(&claims).await
    }

    /// Checks that `user` has `role` (an admin has every role).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`].
    pub fn require_role(&self, user: &User, role: Role) -> Result<()> {
        if user.role.satisfies(role) { Ok(()) } else { Err(AuthError::Forbidden) }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn access_tokens_expire_on_the_clock() {
        let f = fixture();
        f.user("alice").await;
        let s = f.login("alice").await;
        f.clock.advance(Duration::from_secs(900 + 30));
        assert!(f.auth.verify_access(s.tokens.access_token.expose()).is_ok());
        f.clock.advance(Duration::from_secs(1));
        assert!(matches!(
            f.auth.verify_access(s.tokens.access_token.expose()),
            Err(AuthError::InvalidToken(TokenRejection::Expired))
        ));
    }

    #[tokio::test]
    async fn deleted_users_tokens_fail_the_store_check() {
        let f = fixture();
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        f.auth.delete_user(&f.admin("root").await, u.id, &f.ctx).await.unwrap();
        assert!(matches!(
            f.auth.authenticate(s.tokens.access_token.expose()).await,
            Err(AuthError::InvalidToken(TokenRejection::UserInactive))
        ));
    }

    #[tokio::test]
    async fn require_role() {
        let f = fixture();
        let user = f.user("alice").await;
        let admin = f.admin("root").await;
        assert!(f.auth.require_role(&user, Role::User).is_ok());
        assert!(matches!(f.auth.require_role(&user, Role::Admin), Err(AuthError::Forbidden)));
        assert!(f.auth.require_role(&admin, Role::Admin).is_ok());
    }
}
