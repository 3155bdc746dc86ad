//! Password change: verify the current password, store the new hash, end every other
//! session and outstanding access token, and start a fresh session.

use super::{Auth, SignedIn};
use crate::{
    AuthError, Password, RequestContext, Result, TokenRejection, UserId, UserUpdate, audit::audit,
};

impl Auth {
    /// Changes a user's password. Every session of the user ends (refresh tokens revoked,
    /// access tokens refused by store-checked requests); a new session is returned for the
    /// caller.
    ///
    /// # Errors
    /// [`AuthError::InvalidCredentials`] when `current` is wrong; [`AuthError::Validation`]
    /// when `new` breaks the policy; [`AuthError::InvalidToken`] when the user is gone or
    /// inactive; [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub async fn change_password(
        &self,
        user_id: UserId,
        current: &Password,
        new: &Password,
        ctx: &RequestContext,
    ) -> Result<SignedIn> {
        let store = &self.inner.store;
        let Some(user) = store.user_by_id(user_id).await?.filter(|u| u.is_active) else {
            return Err(AuthError::InvalidToken(TokenRejection::UserInactive));
        };
        let policy = self.inner.config.password_policy();
        policy.check_length(new)?;
        if !self.inner.hasher.verify(current, &user.password_hash).await?.matches {
            audit!(info, "password_change_failed", ctx, user_id = user.id.get());
            return Err(AuthError::InvalidCredentials);
        }
        let hash = self.inner.hasher.check_and_hash(policy, new, &[user.username.as_str()]).await?;
        let update = UserUpdate {
            password_hash: Some(hash),
            updated_at: Some(self.now()),
            ..Default::default()
        };
        self.write_user(user.id, update).await?;
        self.revoke_everything(user.id).await?;
        let user = store
            .user_by_id(user.id)
            .await?
            .ok_or(AuthError::InvalidToken(TokenRejection::UserInactive))?;
        let tokens = self.start_session(&user, ctx).await?;
        audit!(info, "password_changed", ctx, user_id = user.id.get());
        Ok(SignedIn { user: user.into(), tokens })
    }
}

#[cfg(test)]
mod tests {
    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn change_password_ends_other_sessions() {
        let f = fixture();
        let u = f.user("alice").await;
        let old = f.login("alice").await;
        let new_pw = Password::new("a brand new passphrase");
        let fresh =
            f.auth.change_password(u.id, &Password::new(PASSWORD), &new_pw, &f.ctx).await.unwrap();
        assert!(f.auth.authenticate(old.tokens.access_token.expose()).await.is_err());
        assert!(f.auth.refresh(old.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        assert!(f.auth.authenticate(fresh.tokens.access_token.expose()).await.is_ok());
        assert!(f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.is_err());
        assert!(f.auth.login("alice", &new_pw, &f.ctx).await.is_ok());
    }

    #[tokio::test]
    async fn wrong_current_password_or_weak_new_one_changes_nothing() {
        let f = fixture();
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        let err = f
            .auth
            .change_password(
                u.id,
                &Password::new("not my password"),
                &Password::new("a brand new passphrase"),
                &f.ctx,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::InvalidCredentials));
        let err = f
            .auth
            .change_password(u.id, &Password::new(PASSWORD), &Password::new("password"), &f.ctx)
            .await;
        assert_eq!(err.unwrap_err().code(), "validation_error");
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_ok());
    }
}
