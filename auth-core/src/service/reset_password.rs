//! Password reset with the token of a mailed link: checked before it is spent (a refused
//! new password leaves the link working), spent atomically (of concurrent resets with one
//! token exactly one wins), then the new hash, the address verified, and the end of every
//! session.

use super::Auth;
use crate::{
    Address, AuthError, LinkPurpose, LinkToken, Password, RequestContext, Result, UserRecord,
    audit::audit, mail::Mail, throttle::Bucket,
};

impl Auth {
    /// Sets a new password with the token of a reset link
    /// ([`Auth::forgot_password`]) and ends every session of the account.
    ///
    /// Takes one attempt of the client's per-IP login bucket first. A link made before the
    /// account's sessions were last revoked, or sent to another address than the account
    /// has now, does not work.
    ///
    /// # Errors
    /// [`AuthError::RateLimited`] over the per-IP login limit; [`AuthError::InvalidLink`]
    /// for a token that is malformed, unknown, spent, expired, superseded, stale or of
    /// another kind, or whose account is gone or inactive (one answer for all); [`AuthError::Validation`] on `new_password` when it breaks the policy (the link
    /// still works); [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub async fn reset_password(
        &self,
        presented: &str,
        new_password: &Password,
        ctx: &RequestContext,
    ) -> Result<()> {
        let purpose = LinkPurpose::PasswordReset;
        // A reset sets a password: it takes from the client's login bucket, before any
        // lookup or hashing, so guesses and floods of new passwords are bounded.
        self.inner.throttle.take(Bucket::Login, ctx.ip(), self.now()).await?;
        let token = LinkToken::parse(presented).map_err(|_| AuthError::InvalidLink)?;
        let store = &self.inner.store;
        let live = store.live_link_token(&token.digest(), purpose, self.now()).await?;
        let record = live.ok_or(AuthError::InvalidLink)?;
        // A link made before the account's sessions were last revoked (a password change,
        // "sign out everywhere"), or sent to an address the account no longer has, is dead.
        let current = |u: &UserRecord| {
            u.is_active
                && u.tokens_valid_after.is_none_or(|stamp| record.created_at >= stamp)
                && u.email == record.email
        };
        let user = store.user_by_id(record.user_id).await?;
        let user = user.filter(current).ok_or(AuthError::InvalidLink)?;
        let hash = self.hash_new_password(&user, new_password).await?;
        // Spent only now, and only once: a concurrent reset with the same token loses here.
        if store.spend_link_token(&token.digest(), purpose, self.now()).await?.is_none() {
            return Err(AuthError::InvalidLink);
        }
        // Hashing took a while: a revocation made meanwhile still wins (the write is
        // conditional on the account as read, and checked again as it is now). The link came to the account's address: that verifies it
        // (unless another account verified it first), and ends a pending change of it.
        let still = |u: &UserRecord| current(u) && u.password_hash == user.password_hash;
        let verified = |u: &UserRecord| {
            still(u).then(|| Address { email: u.email.clone(), verified: true, pending: None })
        };
        let updated = match self.set_password(&user, hash.clone(), verified).await {
            Err(AuthError::EmailTaken) => {
                let unverified = |u: &UserRecord| {
                    still(u).then(|| Address { verified: false, pending: None, ..Address::of(u) })
                };
                self.set_password(&user, hash, unverified).await
            }
            other => other,
        };
        let user = updated?.ok_or(AuthError::InvalidLink)?;
        audit!(
            info,
            "password_reset_completed",
            ctx,
            user_id = user.id.get(),
            email_verified = user.email_verified
        );
        self.notify(
            "password_changed",
            &user,
            &Mail::PasswordChanged { username: user.username.as_str() },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use crate::{
        mail::{MailError, MailMessage, MailSettings, Mailer},
        service::{test_mail::*, test_support::*},
        *,
    };

    fn by_name(name: &str) -> ForgottenAccount {
        ForgottenAccount::Username(name.into())
    }

    #[tokio::test]
    async fn a_mailed_link_resets_the_password_once_and_ends_every_session() {
        let (f, recorder) = mail_fixture();
        let u = user_with_mail(&f, "alice").await;
        let s = f.login("alice").await;
        f.auth.forgot_password(&by_name("ALICE"), &f.ctx).await.unwrap();
        let message = links(&recorder, "/reset-password", 1).await.remove(0);
        assert_eq!(message.to.as_str(), "alice@example.com");
        assert!(message.content.text.contains("https://tasks.example/reset-password#token="));
        let token = token_of(&message);
        assert_eq!(token.len(), 43, "256 bits");
        // A refused password leaves the link working.
        let weak = f.auth.reset_password(&token, &Password::new("password"), &f.ctx).await;
        assert_eq!(weak.unwrap_err().code(), "validation_error");
        let new = Password::new("a brand new passphrase here");
        f.auth.reset_password(&token, &new, &f.ctx).await.unwrap();
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_err());
        assert!(f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        f.auth.login("alice", &new, &f.ctx).await.unwrap();
        assert!(f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.is_err());
        let again = f.auth.reset_password(&token, &new, &f.ctx).await;
        assert!(matches!(again, Err(AuthError::InvalidLink)), "single use");
        let _ = u;
    }

    #[tokio::test]
    async fn the_answer_is_the_same_for_every_account_and_none() {
        let (f, recorder) = mail_fixture();
        user_with_mail(&f, "alice").await;
        f.user("nomail").await;
        let off = user_with_mail(&f, "gone1").await;
        let admin = f.admin("root").await;
        f.auth.set_active(&admin, off.id, false, &f.ctx).await.unwrap();
        for account in [
            by_name("nobody"),
            by_name("nomail"),
            by_name("gone1"),
            ForgottenAccount::Email("ghost@example.com".into()),
        ] {
            f.auth.forgot_password(&account, &f.ctx).await.unwrap();
        }
        f.auth
            .forgot_password(&ForgottenAccount::Email("Alice@Example.com".into()), &f.ctx)
            .await
            .unwrap();
        let sent = links(&recorder, "/reset-password", 1).await;
        assert_eq!(sent[0].to.as_str(), "alice@example.com", "only the real one is mailed");
        // Bad shapes are refused before anything else.
        let bad = ForgottenAccount::Email("not an address".into());
        assert_eq!(
            f.auth.forgot_password(&bad, &f.ctx).await.unwrap_err().code(),
            "validation_error"
        );
        let bad = by_name(&"x".repeat(300));
        assert_eq!(
            f.auth.forgot_password(&bad, &f.ctx).await.unwrap_err().code(),
            "validation_error"
        );
    }

    #[tokio::test]
    async fn only_the_newest_link_works_and_only_for_an_hour() {
        let (f, recorder) = mail_fixture();
        user_with_mail(&f, "alice").await;
        f.auth.forgot_password(&by_name("alice"), &f.ctx).await.unwrap();
        let first = token_of(&links(&recorder, "/reset-password", 1).await[0]);
        f.auth.forgot_password(&by_name("alice"), &f.ctx).await.unwrap();
        let second = token_of(&links(&recorder, "/reset-password", 2).await[1]);
        let new = Password::new("a brand new passphrase here");
        let old = f.auth.reset_password(&first, &new, &f.ctx).await;
        assert!(matches!(old, Err(AuthError::InvalidLink)));
        f.clock.advance(Duration::from_secs(3600));
        let late = f.auth.reset_password(&second, &new, &f.ctx).await;
        assert!(matches!(late, Err(AuthError::InvalidLink)));
        for bad in ["", "short", &second[..42], "a.b.c"] {
            let r = f.auth.reset_password(bad, &new, &f.ctx).await;
            assert!(matches!(r, Err(AuthError::InvalidLink)), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_link_dies_with_a_password_change_and_with_its_account() {
        let (f, recorder) = mail_fixture();
        let u = user_with_mail(&f, "alice").await;
        f.auth.forgot_password(&by_name("alice"), &f.ctx).await.unwrap();
        let token = token_of(&links(&recorder, "/reset-password", 1).await[0]);
        f.clock.advance(Duration::from_secs(1));
        let changed = Password::new("the owner's own new passphrase");
        f.auth
            .change_password(u.id, &[Amr::Pwd], &Password::new(PASSWORD), &changed, &f.ctx)
            .await
            .unwrap();
        let new = Password::new("a brand new passphrase here");
        let r = f.auth.reset_password(&token, &new, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidLink)), "made before the change: {r:?}");

        // A link to an account that is gone does not work either.
        f.auth.forgot_password(&by_name("alice"), &f.ctx).await.unwrap();
        let token = token_of(&links(&recorder, "/reset-password", 2).await[1]);
        f.auth.delete_account(&u, &changed, &f.ctx).await.unwrap();
        let r = f.auth.reset_password(&token, &new, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidLink)), "{r:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_ten_concurrent_resets_with_one_token_one_wins() {
        let (f, recorder) = mail_fixture();
        user_with_mail(&f, "alice").await;
        f.auth.forgot_password(&by_name("alice"), &f.ctx).await.unwrap();
        let token = token_of(&links(&recorder, "/reset-password", 1).await[0]);
        let resets: Vec<_> = (0..10)
            .map(|i| {
                let (auth, ctx, token) = (f.auth.clone(), f.ctx.clone(), token.clone());
                tokio::spawn(async move {
                    let new = Password::new(format!("a brand new passphrase number {i}"));
                    auth.reset_password(&token, &new, &ctx).await
                })
            })
            .collect();
        let mut won = 0;
        for reset in resets {
            match reset.await.unwrap() {
                Ok(()) => won += 1,
                Err(AuthError::InvalidLink) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(won, 1);
    }

    #[tokio::test]
    async fn failed_sends_are_retried_and_mail_can_be_absent() {
        let (f, recorder) = mail_fixture();
        user_with_mail(&f, "alice").await;
        *recorder.failures.lock().unwrap() = 2;
        f.auth.forgot_password(&by_name("alice"), &f.ctx).await.unwrap();
        links(&recorder, "/reset-password", 1).await;

        let plain = fixture();
        let r = plain.auth.forgot_password(&by_name("alice"), &plain.ctx).await;
        assert!(matches!(r, Err(AuthError::MailUnavailable)));
    }

    /// Never answers.
    struct Hanging;

    #[async_trait::async_trait]
    impl Mailer for Hanging {
        async fn send(&self, _: &MailMessage) -> Result<(), MailError> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_mail_server_that_hangs_does_not_hold_the_answer() {
        let settings = MailSettings::new(Arc::new(Hanging), "https://tasks.example").unwrap();
        let f = fixture_with_mail(settings);
        let mut r = Registration::new("alice", PASSWORD);
        r.email = Some("alice@example.com".into());
        f.auth.register(r, None, &f.ctx).await.unwrap();
        let alice = by_name("alice");
        let answer = f.auth.forgot_password(&alice, &f.ctx);
        let answered = tokio::time::timeout(Duration::from_secs(1), answer).await;
        assert!(matches!(answered, Ok(Ok(()))), "answered at once: {answered:?}");
    }

    #[tokio::test]
    async fn resets_take_from_the_login_bucket() {
        let (f, _recorder) = mail_fixture();
        let new = Password::new("a brand new passphrase here");
        let per_minute = throttle::RateLimits::default().login_per_ip_per_minute;
        for _ in 0..per_minute {
            let r = f.auth.reset_password("not a token", &new, &f.ctx).await;
            assert!(matches!(r, Err(AuthError::InvalidLink)));
        }
        let r = f.auth.reset_password("not a token", &new, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::RateLimited { .. })), "{r:?}");
        assert!(matches!(
            f.auth.login("alice", &new, &f.ctx).await,
            Err(AuthError::RateLimited { .. })
        ));
    }

    #[tokio::test]
    async fn accounts_sharing_an_address_cannot_multiply_its_mail() {
        let (f, recorder) = mail_fixture();
        let internal = RequestContext::internal();
        for i in 0..7 {
            let mut r = Registration::new(format!("victim{i}"), PASSWORD);
            r.email = Some("victim@example.com".into());
            f.auth.register(r, None, &internal).await.unwrap();
        }
        let by_mail = ForgottenAccount::Email("victim@example.com".into());
        f.auth.forgot_password(&by_mail, &f.ctx).await.unwrap();
        // Seven sign-ups named the address: it got the hourly limit of verification links,
        // and its reset links have a limit of their own, which the sign-ups did not use up.
        let limit = throttle::RateLimits::default().mail_per_account_per_hour as usize;
        links(&recorder, "/verify-email", limit).await;
        links(&recorder, "/reset-password", limit).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(recorder.sent.lock().unwrap().len(), 2 * limit, "no more to that address");
    }

    #[tokio::test]
    async fn mail_requests_are_throttled_per_submitted_account() {
        let (f, _recorder) = mail_fixture();
        // Different client IPs, one name: five an hour.
        for i in 0..5 {
            let ctx = RequestContext::new(Some(format!("198.51.100.{i}").parse().unwrap()), None);
            f.auth.forgot_password(&by_name("someone"), &ctx).await.unwrap();
        }
        let ctx = RequestContext::new(Some("198.51.100.99".parse().unwrap()), None);
        let r = f.auth.forgot_password(&by_name("SOMEONE"), &ctx).await;
        assert!(matches!(r, Err(AuthError::RateLimited { .. })), "{r:?}");
        // Five a minute from one IP, whatever the account.
        let (f, _recorder) = mail_fixture();
        for i in 0..5 {
            f.auth.forgot_password(&by_name(&format!("user{i}")), &f.ctx).await.unwrap();
        }
        let r = f.auth.forgot_password(&by_name("user9"), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::RateLimited { .. })));
    }
}
