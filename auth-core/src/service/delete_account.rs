//! Account deletion by its owner: the current password again, and never the last active
//! admin's account.

use super::Auth;
use crate::{
    AuthError, Password, RequestContext, Result, TokenRejection, User, UserDeletion, audit::audit,
};

impl Auth {
    /// Deletes the caller's own account after checking `current_password` again (counted
    /// in the login backoff). Its sessions go with it; so does what the application's tables
    /// tie to the user by a cascading foreign key (the task service's tasks).
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`]; [`AuthError::RateLimited`] while the account backs off;
    /// [`AuthError::LastAdmin`] for the last active admin; [`AuthError::InvalidToken`] when
    /// the user is gone or inactive; [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub async fn delete_account(
        &self,
        user: &User,
        current_password: &Password,
        ctx: &RequestContext,
    ) -> Result<()> {
        let store = &self.inner.store;
        let Some(record) = store.user_by_id(user.id).await?.filter(|u| u.is_active) else {
            return Err(AuthError::InvalidToken(TokenRejection::UserInactive));
        };
        self.reauthenticate(&record, current_password, ctx).await?;
        let outcome = store.delete_user_unless_last_admin(record.id).await;
        self.inner.users.forget(record.id);
        match outcome? {
            UserDeletion::Deleted => {
                audit!(info, "account_deleted", ctx, user_id = record.id.get());
                Ok(())
            }
            UserDeletion::LastAdmin => Err(AuthError::LastAdmin),
            UserDeletion::NotFound => Err(AuthError::InvalidToken(TokenRejection::UserInactive)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn the_owner_deletes_their_account_with_the_password() {
        let f = fixture();
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        let wrong = f.auth.delete_account(&u, &Password::new("not my password"), &f.ctx).await;
        assert!(matches!(wrong, Err(AuthError::WrongPassword)));
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_ok());
        f.auth.delete_account(&u, &Password::new(PASSWORD), &f.ctx).await.unwrap();
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_err());
        assert!(f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        assert!(f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.is_err());
        // The name is free again.
        f.user("alice").await;
    }

    #[tokio::test]
    async fn the_last_active_admin_keeps_their_account() {
        let f = fixture();
        let root = f.admin("root").await;
        let r = f.auth.delete_account(&root, &Password::new(PASSWORD), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::LastAdmin)));
        assert_eq!(AuthError::LastAdmin.code(), "last_admin");
        // With a second active admin, the first may go.
        let second = f.admin("second").await;
        f.auth.delete_account(&root, &Password::new(PASSWORD), &f.ctx).await.unwrap();
        let r = f.auth.delete_account(&second, &Password::new(PASSWORD), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::LastAdmin)));
    }
}
