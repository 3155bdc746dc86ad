//! Password change: verify the current password, store the new hash, end every other
//! session and outstanding access token, and start a fresh session.

use super::{Auth, SignedIn, address::same_credentials};
use crate::{
    Address, Amr, AuthError, Email, FieldError, Password, PasswordPolicy, RequestContext, Result,
    StoredHash, TokenRejection, UserId, UserRecord, UserUpdate, audit::audit, mail::Mail,
};

impl Auth {
    /// Changes a signed-in user's password (`POST /auth/password`). `current` is checked
    /// again, counted in the account's login backoff; `new` must meet the policy and differ
    /// from it. Every session of the user ends (refresh tokens revoked, access tokens
    /// refused by store-checked requests, the caller's included); the caller gets a new
    /// session, signed in with the password and what else `signed_in_with` (the `amr` of the
    /// caller's access token) says.
    ///
    /// # Errors
    /// [`AuthError::SecondFactorRequired`] when the user has a second factor and
    /// `signed_in_with` names none; [`AuthError::WrongPassword`] when `current` is wrong; [`AuthError::RateLimited`]
    /// while the account backs off; [`AuthError::Validation`] on `new_password` when `new`
    /// breaks the policy or equals `current`; [`AuthError::InvalidToken`] when the user is
    /// gone or inactive; [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub async fn change_password(
        &self,
        user_id: UserId,
        signed_in_with: &[Amr],
        current: &Password,
        new: &Password,
        ctx: &RequestContext,
    ) -> Result<SignedIn> {
        let store = &self.inner.store;
        let Some(user) = store.user_by_id(user_id).await?.filter(|u| u.is_active) else {
            return Err(AuthError::InvalidToken(TokenRejection::UserInactive));
        };
        // The new session says what the caller's did; with a second factor on, one that
        // did not prove it gets nothing (it would otherwise come out as if it had).
        if user.mfa_enabled && !signed_in_with.iter().any(|m| m.is_second_factor()) {
            return Err(AuthError::SecondFactorRequired);
        }
        let policy = self.inner.config.password_policy();
        policy.check_length(new).map_err(as_new_password)?;
        self.reauthenticate(&user, current, ctx).await?;
        if PasswordPolicy::normalize(new) == PasswordPolicy::normalize(current) {
            return Err(AuthError::validation(
                "new_password",
                "must differ from the current password",
            ));
        }
        let hash = self.hash_new_password(&user, new).await?;
        // Written only while the account is as it was when the current password was
        // checked: a reset, another change or a revocation meanwhile wins. A pending address
        // change ends with the sessions that asked for it.
        let user = self
            .set_password(&user, hash, |u| {
                same_credentials(u, &user).then(|| Address { pending: None, ..Address::of(u) })
            })
            .await?
            .ok_or(AuthError::InvalidToken(TokenRejection::UserInactive))?;
        // The caller typed the password again; the other methods are their session's.
        let mut amr = vec![Amr::Pwd];
        amr.extend(signed_in_with.iter().filter(|m| **m != Amr::Pwd));
        let (user, tokens, _) = self.start_session(&user, &amr, ctx).await?;
        audit!(info, "password_changed", ctx, user_id = user.id.get());
        self.notify(
            "password_changed",
            &user,
            &Mail::PasswordChanged { username: user.username.as_str() },
        );
        Ok(SignedIn { user: user.into(), tokens })
    }

    /// The hash of `new` for `user`, once it meets the policy (which also refuses a password
    /// made of the username or address). Refusals name `new_password`.
    pub(super) async fn hash_new_password(
        &self,
        user: &UserRecord,
        new: &Password,
    ) -> Result<StoredHash> {
        let policy = self.inner.config.password_policy();
        policy.check_length(new).map_err(as_new_password)?;
        let mut known = vec![user.username.as_str()];
        known.extend(user.email.as_ref().map(Email::as_str));
        self.inner.hasher.check_and_hash(policy, new, &known).await.map_err(as_new_password)
    }

    /// Sets a new password hash and, in the same write, the revocation stamp and the address
    /// state `address` makes of `user` (as last read, or as they are now if they changed
    /// since: see [`Auth::write_address`]), so that no
    /// access or refresh token issued before survives it even if what follows fails; then
    /// revokes the refresh tokens. The user as they are now, or `None` when gone or when
    /// `address` declines.
    pub(super) async fn set_password(
        &self,
        user: &UserRecord,
        hash: StoredHash,
        mut address: impl FnMut(&UserRecord) -> Option<Address>,
    ) -> Result<Option<UserRecord>> {
        let (stamp, now) = (self.revocation_stamp(), self.now());
        let written = self
            .write_address(user.clone(), |u| {
                let update = UserUpdate {
                    password_hash: Some(hash.clone()),
                    tokens_valid_after: Some(stamp),
                    updated_at: Some(now),
                    ..Default::default()
                };
                address(u).map(|a| (a, update))
            })
            .await?;
        let Some((_, updated)) = written else { return Ok(None) };
        self.inner.store.revoke_user_tokens(user.id, self.now()).await?;
        Ok(Some(updated))
    }
}

/// The policy's refusals name `password`; on this route the field is `new_password`.
fn as_new_password(e: AuthError) -> AuthError {
    match e {
        AuthError::Validation(FieldError { field: "password", message }) => {
            AuthError::Validation(FieldError { field: "new_password", message })
        }
        other => other,
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
        let fresh = f
            .auth
            .change_password(u.id, &[Amr::Pwd], &Password::new(PASSWORD), &new_pw, &f.ctx)
            .await
            .unwrap();
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
                &[Amr::Pwd],
                &Password::new("not my password"),
                &Password::new("a brand new passphrase"),
                &f.ctx,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::WrongPassword));
        let refusal = |new: &'static str| {
            let auth = f.auth.clone();
            let ctx = f.ctx.clone();
            async move {
                match auth
                    .change_password(
                        u.id,
                        &[Amr::Pwd],
                        &Password::new(PASSWORD),
                        &Password::new(new),
                        &ctx,
                    )
                    .await
                {
                    Err(AuthError::Validation(e)) => e,
                    other => panic!("{new:?}: expected a validation error, got {other:?}"),
                }
            }
        };
        let weak = refusal("password").await;
        assert_eq!(weak.field, "new_password");
        let same = refusal(PASSWORD).await;
        assert_eq!(
            (same.field, same.message.as_str()),
            ("new_password", "must differ from the current password")
        );
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_ok());
        assert!(f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.is_ok());
    }

    #[tokio::test]
    async fn wrong_current_passwords_count_in_the_login_backoff() {
        let f = fixture();
        let u = f.user("alice").await;
        let limit = throttle::RateLimits::default().login_failures_per_account;
        let new = Password::new("a brand new passphrase");
        for _ in 0..limit {
            let wrong = Password::new("not my password");
            let r = f.auth.change_password(u.id, &[Amr::Pwd], &wrong, &new, &f.ctx).await;
            assert!(matches!(r, Err(AuthError::WrongPassword)));
        }
        // The account now backs off: even the right password waits, and so does a login.
        let r =
            f.auth.change_password(u.id, &[Amr::Pwd], &Password::new(PASSWORD), &new, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::RateLimited { .. })), "{r:?}");
        let login = f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await;
        assert!(matches!(login, Err(AuthError::RateLimited { .. })));
        f.clock.advance(std::time::Duration::from_secs(16 * 60));
        assert!(
            f.auth
                .change_password(u.id, &[Amr::Pwd], &Password::new(PASSWORD), &new, &f.ctx)
                .await
                .is_ok()
        );
    }
}
