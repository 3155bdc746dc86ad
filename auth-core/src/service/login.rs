//! Login: one answer for unknown user, wrong password and inactive user, with the same cost.

use super::Auth;
use crate::{
    Amr, AuthError, HashingError, LoginOrigin, Password, RequestContext, Result, TokenPair, User,
    UserRecord, UserUpdate, Username, audit::audit, throttle::Bucket,
};

/// A successful login (or password change): the user and the first token pair of their new
/// session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who logged in.
    pub user: User,
    /// The access and refresh tokens.
    pub tokens: TokenPair,
}

impl Auth {
    /// Logs a user in with username and password and starts a new session.
    ///
    /// Unknown users cost one verification against a dummy hash, so the three failures
    /// (unknown user, wrong password, inactive user) take as long and answer alike. A hash
    /// made with outdated parameters (or legacy bcrypt) is replaced after a successful
    /// login.
    ///
    /// Throttled first (see [`throttle`](crate::throttle)): attempts per client IP, and a
    /// backoff for an account after consecutive failures from that IP; a success resets it.
    /// The attempt is counted before the password is checked, so that parallel guesses
    /// cannot all pass one check of the backoff.
    ///
    /// # Errors
    /// - [`AuthError::RateLimited`] over a limit, before any hashing;
    /// - [`AuthError::InvalidCredentials`] for every kind of failed login;
    /// - [`AuthError::EmailNotVerified`] for a right password when logins
    ///   [need a verified address](crate::AuthConfigBuilder::require_verified_email) and the
    ///   account has none;
    /// - [`AuthError::MfaRequired`] for a right password of an account with a second factor:
    ///   no session starts; the challenge's token and a code finish the login
    ///   ([`Auth::verify_second_factor`]);
    /// - [`AuthError::Validation`] for a password over the byte limit (it cannot be right);
    /// - [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub async fn login(
        &self,
        username: &str,
        password: &Password,
        ctx: &RequestContext,
    ) -> Result<SignedIn> {
        self.login_from(LoginOrigin::Login, username, password, ctx).await
    }

    /// [`Auth::login`] for a login that began at `origin`, which an
    /// [MFA challenge](AuthError::MfaRequired) remembers so that its second step answers in
    /// the first step's shape ([`SecondStep::origin`](crate::SecondStep::origin)).
    ///
    /// # Errors
    /// As [`Auth::login`].
    pub async fn login_from(
        &self,
        origin: LoginOrigin,
        username: &str,
        password: &Password,
        ctx: &RequestContext,
    ) -> Result<SignedIn> {
        let throttle = &self.inner.throttle;
        let now = self.now();
        throttle.take(Bucket::Login, ctx.ip(), now).await?;
        // Look up any plausible name, even one today's rules would not register.
        let lookup =
            if username.len() <= 256 { Username::from_stored(username).ok() } else { None };
        // The backoff is per account (as the store would find it) and client IP.
        let account =
            throttle.account_key(lookup.as_ref().map_or(username, Username::key), ctx.ip());
        // Over the byte limit it cannot be right: refused before it counts or hashes.
        let policy = self.inner.config.password_policy();
        if password.expose().len() > policy.max_bytes() {
            return Err(AuthError::validation(
                "password",
                format!("must be at most {} bytes", policy.max_bytes()),
            ));
        }
        let attempt = throttle.begin_attempt(account, now).await?;
        let user = match self.check_credentials(lookup.as_ref(), password, ctx).await {
            Ok(user) => user,
            Err(e @ AuthError::InvalidCredentials) => return Err(e),
            Err(e) => {
                throttle.withdrawn(attempt).await;
                return Err(e);
            }
        };
        throttle.succeeded(attempt).await?;
        if !user.email_verified && self.needs_verified_email(&user.role) {
            audit!(
                info,
                "login_refused",
                ctx,
                user_id = user.id.get(),
                reason = "address not verified"
            );
            return Err(AuthError::EmailNotVerified);
        }
        // With a second factor, the login goes on with a code (whose wrong guesses count in
        // the account's code tally, which this right password does not clear). The MFA
        // token dates from before the password was checked, so that a password change
        // meanwhile ends it.
        if user.mfa_enabled {
            return Err(self.mfa_challenge(&user, origin, now, ctx).await);
        }
        let (user, tokens, sid) = self.start_session(&user, &[Amr::Pwd], ctx).await?;
        audit!(info, "login_succeeded", ctx, user_id = user.id.get());
        self.notify_if_new_client(&user, sid, ctx).await;
        Ok(SignedIn { user: user.into(), tokens })
    }

    /// Verifies a password against the account `lookup` names, at the same cost whether it
    /// exists or not; upgrades an outdated hash.
    async fn check_credentials(
        &self,
        lookup: Option<&Username>,
        password: &Password,
        ctx: &RequestContext,
    ) -> Result<UserRecord> {
        let found = match lookup {
            Some(name) => self.inner.store.user_by_username(name).await?,
            None => None,
        };
        let Some(user) = found else {
            self.inner.hasher.verify_dummy(password).await?;
            audit!(info, "login_failed", ctx, reason = "unknown_user");
            return Err(AuthError::InvalidCredentials);
        };
        let verification = match self.inner.hasher.verify(password, &user.password_hash).await {
            Ok(v) => v,
            Err(e @ HashingError::Overloaded { .. }) => return Err(e.into()),
            // A hash that cannot be verified (malformed, or Argon2 failing on it) answers as
            // a wrong password, at the same cost: a 500 would tell that the account exists.
            Err(e) => {
                tracing::error!(target: "auth::hashing", user_id = user.id.get(), error = %e, "stored hash cannot be verified");
                self.inner.hasher.verify_dummy(password).await?;
                return Err(AuthError::InvalidCredentials);
            }
        };
        if !verification.matches {
            audit!(info, "login_failed", ctx, reason = "wrong_password", user_id = user.id.get());
            return Err(AuthError::InvalidCredentials);
        }
        if !user.is_active {
            audit!(info, "login_failed", ctx, reason = "inactive", user_id = user.id.get());
            return Err(AuthError::InvalidCredentials);
        }
        if verification.needs_rehash {
            self.upgrade_hash(&user, password).await;
        }
        Ok(user)
    }

    /// Replaces an outdated hash; a failure is logged and the login goes on.
    async fn upgrade_hash(&self, user: &crate::UserRecord, password: &Password) {
        let result = async {
            let hash = self.inner.hasher.hash(password).await?;
            let update = UserUpdate {
                password_hash: Some(hash),
                updated_at: Some(self.now()),
                ..Default::default()
            };
            self.write_user(user.id, update).await?;
            Ok::<_, AuthError>(())
        }
        .await;
        match result {
            Ok(()) => {
                tracing::info!(target: "auth::audit", event = "password_rehashed", user_id = user.id.get())
            }
            Err(e) => {
                tracing::warn!(target: "auth::hashing", user_id = user.id.get(), error = %e, "could not upgrade password hash")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn logs_in_case_insensitively_and_issues_a_pair() {
        let f = fixture();
        let alice = f.user("Alice").await;
        let s = f.login("alice").await;
        assert_eq!(s.user.id, alice.id);
        assert_eq!(s.tokens.expires_in, 900);
        let claims = f.auth.verify_access(s.tokens.access_token.expose()).unwrap();
        assert_eq!(
            (claims.sub, claims.username.as_str(), claims.role),
            (alice.id, "Alice", Role::User)
        );
        let live = f.store.live_refresh_tokens(alice.id, f.clock.now()).await.unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(live[0].user_agent.as_deref(), Some("test-agent"));
    }

    #[tokio::test]
    async fn three_failures_one_answer() {
        let f = fixture();
        let u = f.user("alice").await;
        f.user("bob1").await;
        f.auth.set_active(&f.admin("root").await, u.id, false, &f.ctx).await.unwrap();
        let wrong =
            f.auth.login("bob1", &Password::new("not the password"), &f.ctx).await.unwrap_err();
        let unknown = f.auth.login("nobody", &Password::new(PASSWORD), &f.ctx).await.unwrap_err();
        let inactive = f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.unwrap_err();
        for e in [&wrong, &unknown, &inactive] {
            assert!(matches!(e, AuthError::InvalidCredentials));
            assert_eq!(e.to_string(), wrong.to_string());
        }
    }

    #[tokio::test]
    async fn unknown_users_cost_a_real_verification() {
        let f = fixture();
        f.user("alice").await;
        let before = f.auth.hashing_stats();
        let _ = f.auth.login("ghost-user", &Password::new(PASSWORD), &f.ctx).await;
        let after_unknown = f.auth.hashing_stats();
        assert_eq!(after_unknown.verifications, before.verifications + 1, "dummy verify ran");
        let _ = f.auth.login("alice", &Password::new("wrong password!"), &f.ctx).await;
        assert_eq!(f.auth.hashing_stats().verifications, after_unknown.verifications + 1);
        // Even a name no rule would accept costs one verification.
        let _ = f.auth.login(&"x".repeat(300), &Password::new(PASSWORD), &f.ctx).await;
        assert_eq!(f.auth.hashing_stats().verifications, after_unknown.verifications + 2);
    }

    #[tokio::test]
    async fn oversized_password_is_a_validation_error_before_any_lookup() {
        let f = fixture();
        let err =
            f.auth.login("alice", &Password::new("x".repeat(2000)), &f.ctx).await.unwrap_err();
        assert_eq!(err.code(), "validation_error");
    }

    #[tokio::test]
    async fn outdated_hash_is_upgraded_on_login() {
        let f = fixture();
        let u = f.user("alice").await;
        let old = PasswordHasher::new(
            HashingConfig::builder()
                .params(
                    Argon2Params::builder()
                        .m_cost_kib(32)
                        .t_cost(1)
                        .allow_insecure_low_cost()
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        );
        let hash = old.hash(&Password::new(PASSWORD)).await.unwrap();
        let update = UserUpdate { password_hash: Some(hash.clone()), ..Default::default() };
        f.store.update_user(u.id, update).await.unwrap();
        f.login("alice").await;
        let after = f.store.user_by_id(u.id).await.unwrap().unwrap().password_hash;
        assert_ne!(after, hash);
        assert!(!f.auth.inner.hasher.needs_rehash(&after));
    }

    #[cfg(feature = "bcrypt")]
    #[tokio::test]
    async fn legacy_bcrypt_user_logs_in_and_is_upgraded() {
        let f = fixture();
        let u = f.user("legacy").await;
        // As the Python originals stored it (passlib, bcrypt 4.0.1).
        let hash = StoredHash::new("$2b$04$bTXy8OttXSQntrw9t3lbAeAR2uVxk4O5RmjO.bY85OocvY4lR4lZK");
        f.store
            .update_user(u.id, UserUpdate { password_hash: Some(hash), ..Default::default() })
            .await
            .unwrap();
        assert!(f.auth.login("legacy", &Password::new("wrong-secret-1"), &f.ctx).await.is_err());
        f.auth.login("legacy", &Password::new("legacy-secret-1"), &f.ctx).await.unwrap();
        let after = f.store.user_by_id(u.id).await.unwrap().unwrap().password_hash;
        assert!(after.as_str().starts_with("$argon2id$"), "upgraded");
        f.auth.login("legacy", &Password::new("legacy-secret-1"), &f.ctx).await.unwrap();
    }

    #[tokio::test]
    async fn corrupt_stored_hash_fails_closed_as_invalid_credentials() {
        let f = fixture();
        let u = f.user("alice").await;
        let update =
            UserUpdate { password_hash: Some(StoredHash::new("garbage")), ..Default::default() };
        f.store.update_user(u.id, update).await.unwrap();
        let before = f.auth.hashing_stats().verifications;
        let err = f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.unwrap_err();
        assert!(matches!(err, AuthError::InvalidCredentials));
        // The failed parse plus one dummy verification: as costly as a wrong password.
        assert_eq!(f.auth.hashing_stats().verifications, before + 2);
    }

    #[tokio::test]
    async fn a_session_started_across_a_password_change_ends() {
        let f = fixture();
        let u = f.user("alice").await;
        // The record the login checked the password against…
        let checked = f.store.user_by_id(u.id).await.unwrap().unwrap();
        // …then the password changes (every session revoked) before the session starts.
        let new = Password::new("a brand new passphrase here");
        f.clock.advance(std::time::Duration::from_secs(1));
        f.auth
            .change_password(u.id, &[Amr::Pwd], &Password::new(PASSWORD), &new, &f.ctx)
            .await
            .unwrap();
        let before = f.auth.sessions(&u, None).await.unwrap().len();
        let raced =
            f.auth.start_session(&checked, &[Amr::Pwd], &f.ctx).await.map(|(u, p, _)| (u, p));
        assert!(matches!(raced, Err(AuthError::InvalidCredentials)), "{raced:?}");
        assert_eq!(f.auth.sessions(&u, None).await.unwrap().len(), before, "no session was left");
    }
}

#[cfg(test)]
mod verified_email_tests {
    use crate::{
        service::{test_mail::*, test_support::*},
        *,
    };

    #[tokio::test]
    async fn a_required_verified_address_gates_logins_but_not_admins() {
        let (f, recorder) = mail_fixture_configured(|c| c.require_verified_email(true));
        // Self-registration needs an address then.
        let r = f.auth.register(Registration::new("nomail", PASSWORD), None, &f.ctx).await;
        assert_eq!(r.unwrap_err().code(), "validation_error");
        let mut r = Registration::new("alice", PASSWORD);
        r.email = Some("alice@example.com".into());
        f.auth.register(r, None, &f.ctx).await.unwrap();
        let pw = Password::new(PASSWORD);
        let refused = f.auth.login("alice", &pw, &f.ctx).await;
        assert!(matches!(refused, Err(AuthError::EmailNotVerified)), "{refused:?}");
        assert_eq!(AuthError::EmailNotVerified.code(), "email_not_verified");
        // A wrong password is still the one answer for every failure.
        let wrong = f.auth.login("alice", &Password::new("not my password"), &f.ctx).await;
        assert!(matches!(wrong, Err(AuthError::InvalidCredentials)), "{wrong:?}");
        let link = links(&recorder, "/verify-email", 1).await.remove(0);
        f.auth.verify_email(&token_of(&link), &f.ctx).await.unwrap();
        let s = f.auth.login("alice", &pw, &f.ctx).await.unwrap();
        // Nor can the address be removed afterwards.
        let r = f.auth.change_email(s.user.id, None, &pw, &f.ctx).await;
        assert_eq!(r.unwrap_err().code(), "validation_error");
        // The operator's admin has no address and still signs in.
        f.admin("root").await;
        f.login("root").await;
    }

    #[test]
    fn a_required_verified_address_needs_mail() {
        let keys = KeySet::new(SigningKey::hs256(b"fixture secret, 32 bytes or more!").unwrap());
        let config = AuthConfig::builder(keys).require_verified_email(true).build().unwrap();
        let built = Auth::builder(config, std::sync::Arc::new(MemoryStore::new())).build();
        assert!(matches!(built, Err(AuthError::Config(_))), "{built:?}");
    }
}
