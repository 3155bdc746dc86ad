//! Logout (one session) and logout-all (every session, and every outstanding access token).

use super::Auth;
use crate::{AuthError, RefreshToken, RequestContext, Result, UserId, UserUpdate, audit::audit};

impl Auth {
    /// Ends the session a refresh token belongs to (its whole family), and with it the
    /// session's access tokens at their next store-checked request. Idempotent: an
    /// unknown, spent or already revoked token is not an error.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] when the value is not a refresh token at all;
    /// [`AuthError::Store`].
    pub async fn logout(&self, presented: &str, ctx: &RequestContext) -> Result<()> {
        let token = RefreshToken::parse(presented).map_err(AuthError::InvalidToken)?;
        if let Some(record) = self.inner.store.refresh_token(&token.digest()).await? {
            let revoked = self.end_family(record.user_id, record.family_id).await?;
            audit!(info, "logout", ctx, user_id = record.user_id.get(), family = %record.family_id, revoked);
        }
        Ok(())
    }

    /// Ends every session of a user and invalidates their outstanding access tokens for
    /// store-checked requests ([`Auth::current_user`]).
    ///
    /// # Errors
    /// [`AuthError::Store`].
    pub async fn logout_all(&self, user: UserId, ctx: &RequestContext) -> Result<()> {
        let revoked = self.revoke_everything(user).await?;
        audit!(info, "logout_all", ctx, user_id = user.get(), revoked);
        Ok(())
    }

    /// Revokes all refresh tokens and stamps the user so older access tokens stop working.
    pub(super) async fn revoke_everything(&self, user: UserId) -> Result<u64> {
        let stamp = self.revocation_stamp();
        let update = UserUpdate {
            tokens_valid_after: Some(stamp),
            updated_at: Some(self.now()),
            ..Default::default()
        };
        self.write_user(user, update).await?;
        Ok(self.inner.store.revoke_user_tokens(user, self.now()).await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn logout_ends_one_session_and_is_idempotent() {
        let f = fixture();
        f.user("alice").await;
        let s1 = f.login("alice").await;
        let s2 = f.login("alice").await;
        f.auth.logout(s1.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        f.auth.logout(s1.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        f.auth.logout(RefreshToken::generate().expose(), &f.ctx).await.unwrap();
        assert!(f.auth.refresh(s1.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        assert!(f.auth.refresh(s2.tokens.refresh_token.expose(), &f.ctx).await.is_ok());
        assert!(f.auth.logout("not-a-refresh-token", &f.ctx).await.is_err());
    }

    #[tokio::test]
    async fn logout_all_ends_sessions_and_access_tokens_but_not_later_logins() {
        let f = fixture();
        let u = f.user("alice").await;
        let s1 = f.login("alice").await;
        let s2 = f.login("alice").await;
        f.auth.logout_all(u.id, &f.ctx).await.unwrap();
        for s in [&s1, &s2] {
            assert!(f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await.is_err());
            // Still a valid JWT, but store-checked requests refuse it.
            let claims = f.auth.verify_access(s.tokens.access_token.expose()).unwrap();
            assert!(matches!(
                f.auth.current_user(&claims).await,
                Err(AuthError::InvalidToken(TokenRejection::Revoked))
            ));
        }
        // A login in the very same second works.
        let s3 = f.login("alice").await;
        assert!(f.auth.authenticate(s3.tokens.access_token.expose()).await.is_ok());
        assert_eq!(f.store.live_refresh_tokens(u.id, f.clock.now()).await.unwrap().len(), 1);
    }
}
