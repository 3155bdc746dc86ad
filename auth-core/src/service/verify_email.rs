//! Address verification: a single-use link (24 hours) mailed to the address to prove (after
//! registration with an address, an address change, or on request), and its confirmation,
//! which makes a pending address the account's. Verified addresses are unique: the store
//! decides between accounts racing for one.

use super::Auth;
use crate::{
    Address, AuthError, Email, LinkPurpose, LinkToken, LinkTokenRecord, RequestContext, Result,
    Role, TokenRejection, User, UserId, UserRecord, UserUpdate,
    audit::audit,
    mail::{Mail, MailMessage},
    throttle::Bucket,
};

/// Where the verification page is, under the public URL; the token follows in the fragment.
pub(crate) const VERIFY_PATH: &str = "/verify-email";

impl Auth {
    /// Mails a verification link to the signed-in user's pending address, else to their
    /// unverified one (`POST /auth/verify-email/request`). With nothing to verify (the
    /// address is verified and none is pending) it sends nothing and succeeds.
    ///
    /// Throttled per client IP and per account, as the other requests that send mail.
    ///
    /// # Errors
    /// [`AuthError::Validation`] on `email` when the account has no address;
    /// [`AuthError::RateLimited`]; [`AuthError::MailUnavailable`] without
    /// [mail settings](crate::AuthBuilder::mail); [`AuthError::InvalidToken`] when the user
    /// is gone or inactive; [`AuthError::Store`].
    pub async fn request_email_verification(
        &self,
        user_id: UserId,
        ctx: &RequestContext,
    ) -> Result<()> {
        self.inner.mail.as_ref().ok_or(AuthError::MailUnavailable)?;
        let user = self.inner.store.user_by_id(user_id).await?.filter(|u| u.is_active);
        let user = user.ok_or(AuthError::InvalidToken(TokenRejection::UserInactive))?;
        let to = match (&user.pending_email, &user.email) {
            (Some(pending), _) => pending.clone(),
            (None, Some(email)) if !user.email_verified => email.clone(),
            (None, Some(_)) => return Ok(()),
            (None, None) => {
                return Err(AuthError::validation("email", "the account has no address to verify"));
            }
        };
        self.take_link_mail(&user, ctx).await?;
        audit!(info, "email_verification_requested", ctx, user_id = user.id.get());
        self.send_verification(&user, to);
        Ok(())
    }

    /// Whether an account of `role` needs a verified address to sign in: when the
    /// configuration [requires one](crate::AuthConfigBuilder::require_verified_email), for
    /// all but admins.
    pub(super) fn needs_verified_email(&self, role: &Role) -> bool {
        self.inner.config.require_verified_email() && *role != Role::Admin
    }

    /// Takes one message of the client IP's mail bucket and of the account's hourly mail
    /// limit, for a request that mails `user` a link.
    ///
    /// # Errors
    /// [`AuthError::RateLimited`] over either; [`AuthError::Store`].
    pub(super) async fn take_link_mail(
        &self,
        user: &UserRecord,
        ctx: &RequestContext,
    ) -> Result<()> {
        let throttle = &self.inner.throttle;
        let now = self.now();
        throttle.take(Bucket::Mail, ctx.ip(), now).await?;
        throttle.take_mail_for(&format!("account:{}", user.id.get()), now).await
    }

    /// Issues a verification token for `to` and mails its link, off the request path; a
    /// failure is logged. Without mail settings, nothing.
    pub(super) fn send_verification(&self, user: &UserRecord, to: Email) {
        let Some(delivery) = self.inner.mail.as_ref() else { return };
        let (auth, user) = (self.clone(), user.clone());
        delivery.dispatch("email_verification", async move {
            match auth.verification_message(&user, to).await {
                Ok(message) => message.map(|m| (user.id.get(), m)).into_iter().collect(),
                Err(e) => {
                    tracing::error!(target: "auth::mail", user_id = user.id.get(), error = %e, "email verification: token not stored");
                    Vec::new()
                }
            }
        });
    }

    async fn verification_message(
        &self,
        user: &UserRecord,
        to: Email,
    ) -> Result<Option<MailMessage>> {
        let purpose = LinkPurpose::EmailVerification;
        self.link_message(user, to, purpose, VERIFY_PATH, |templates, link, lifetime| {
            let valid_hours = lifetime.as_secs() / 3600;
            let username = user.username.as_str();
            templates.render(&Mail::EmailVerification { username, link, valid_hours })
        })
        .await
    }

    /// Confirms an address with the token of a verification link (`POST
    /// /auth/verify-email`): a pending address becomes the account's, verified; the
    /// account's own address becomes verified.
    ///
    /// The link works once, for 24 hours, while it is the account's newest, and only for
    /// the address it was sent to while the account still has it (as its address or as the
    /// pending one). A link to a pending address also dies when the account's sessions are
    /// revoked (a password change or reset, "sign out everywhere"), so that whoever asked
    /// for the change with a stolen session cannot complete it once the owner acts.
    ///
    /// # Errors
    /// [`AuthError::InvalidLink`] for a token that is malformed, unknown, spent, expired,
    /// superseded, stale or of another kind, or whose account is gone or inactive;
    /// [`AuthError::EmailTaken`] when another account has verified the address (the link
    /// is spent); [`AuthError::RateLimited`] over the per-IP login limit;
    /// [`AuthError::Store`].
    pub async fn verify_email(&self, presented: &str, ctx: &RequestContext) -> Result<User> {
        let purpose = LinkPurpose::EmailVerification;
        // A presented token is a credential: it takes from the client's login bucket.
        self.inner.throttle.take(Bucket::Login, ctx.ip(), self.now()).await?;
        let token = LinkToken::parse(presented).map_err(|_| AuthError::InvalidLink)?;
        let store = &self.inner.store;
        let live = store.live_link_token(&token.digest(), purpose, self.now()).await?;
        let record = live.ok_or(AuthError::InvalidLink)?;
        let user = store.user_by_id(record.user_id).await?;
        let user = user.filter(|u| verified(u, &record).is_some()).ok_or(AuthError::InvalidLink)?;
        if store.spend_link_token(&token.digest(), purpose, self.now()).await?.is_none() {
            return Err(AuthError::InvalidLink);
        }
        let now = self.now();
        // Written from the account as it is when it is written: a password reset that ended
        // a pending change meanwhile wins.
        let written = self
            .write_address(user.clone(), |u| {
                let update = UserUpdate { updated_at: Some(now), ..Default::default() };
                verified(u, &record).map(|a| (a, update))
            })
            .await;
        let user_id = user.id.get();
        let (before, updated) = match written {
            Err(AuthError::EmailTaken) => {
                audit!(
                    warn,
                    "email_verification_refused",
                    ctx,
                    user_id,
                    reason = "verified by another account"
                );
                return Err(AuthError::EmailTaken);
            }
            other => other?.ok_or(AuthError::InvalidLink)?,
        };
        let changed = updated.email != before.email;
        audit!(info, "email_verified", ctx, user_id, address_changed = changed);
        Ok(updated.into())
    }
}

/// The address state `user` gets from the verification link `record`, or `None` when the
/// link does not fit the account as it is now.
fn verified(user: &UserRecord, record: &LinkTokenRecord) -> Option<Address> {
    if !user.is_active {
        return None;
    }
    let to = record.email.as_ref()?;
    if user.pending_email.as_ref() == Some(to) {
        // A change of address: asked for with a session, so it dies with the sessions.
        let stale = user.tokens_valid_after.is_some_and(|stamp| record.created_at < stamp);
        return (!stale).then(|| Address {
            email: Some(to.clone()),
            verified: true,
            pending: None,
        });
    }
    (user.email.as_ref() == Some(to)).then(|| Address {
        email: Some(to.clone()),
        verified: true,
        pending: user.pending_email.clone(),
    })
}

#[cfg(test)]
mod tests {
    use crate::{
        service::{test_mail::*, test_support::*},
        *,
    };

    async fn register_with(f: &Fixture, name: &str, email: &str) -> User {
        let mut r = Registration::new(name, PASSWORD);
        r.email = Some(email.into());
        f.auth.register(r, None, &f.ctx).await.unwrap()
    }

    #[tokio::test]
    async fn registration_mails_a_link_that_verifies_the_address_once() {
        let (f, recorder) = mail_fixture();
        let u = register_with(&f, "alice", "Alice@Example.com").await;
        assert!(!u.email_verified && u.pending_email.is_none());
        let message = links(&recorder, "/verify-email", 1).await.remove(0);
        assert_eq!(message.to.as_str(), "Alice@Example.com");
        assert!(message.content.text.contains("https://tasks.example/verify-email#token="));
        assert!(message.content.text.contains("24 hours"));
        let token = token_of(&message);
        let verified = f.auth.verify_email(&token, &f.ctx).await.unwrap();
        assert!(verified.email_verified);
        assert_eq!(verified.email.as_ref().map(Email::as_str), Some("Alice@Example.com"));
        assert!(f.store.user_by_id(u.id).await.unwrap().unwrap().email_verified);
        let again = f.auth.verify_email(&token, &f.ctx).await;
        assert!(matches!(again, Err(AuthError::InvalidLink)), "single use: {again:?}");
        // Nothing left to verify: the request sends nothing and succeeds.
        f.auth.request_email_verification(u.id, &f.ctx).await.unwrap();
        sent(&recorder, 1).await;
    }

    #[tokio::test]
    async fn a_request_mails_a_new_link_and_only_the_newest_works() {
        let (f, recorder) = mail_fixture();
        let u = register_with(&f, "alice", "alice@example.com").await;
        f.auth.request_email_verification(u.id, &f.ctx).await.unwrap();
        let sent = links(&recorder, "/verify-email", 2).await;
        let (first, second) = (token_of(&sent[0]), token_of(&sent[1]));
        let old = f.auth.verify_email(&first, &f.ctx).await;
        assert!(matches!(old, Err(AuthError::InvalidLink)), "superseded: {old:?}");
        f.clock.advance(std::time::Duration::from_secs(24 * 3600));
        let late = f.auth.verify_email(&second, &f.ctx).await;
        assert!(matches!(late, Err(AuthError::InvalidLink)), "24 hours: {late:?}");
        for bad in ["", "short", &second[..42], "a.b.c"] {
            let r = f.auth.verify_email(bad, &f.ctx).await;
            assert!(matches!(r, Err(AuthError::InvalidLink)), "{bad:?}");
        }
        // No address at all: nothing to verify.
        let nomail = f.user("nomail").await;
        let r = f.auth.request_email_verification(nomail.id, &f.ctx).await;
        assert_eq!(r.unwrap_err().code(), "validation_error");
        // Without mail settings.
        let plain = fixture();
        let u = plain.user("alice").await;
        let r = plain.auth.request_email_verification(u.id, &plain.ctx).await;
        assert!(matches!(r, Err(AuthError::MailUnavailable)));
    }

    #[tokio::test]
    async fn a_token_of_one_kind_never_works_for_the_other() {
        let (f, recorder) = mail_fixture();
        register_with(&f, "alice", "alice@example.com").await;
        let verify = token_of(&links(&recorder, "/verify-email", 1).await[0]);
        let forgot = ForgottenAccount::Username("alice".into());
        f.auth.forgot_password(&forgot, &f.ctx).await.unwrap();
        let reset = token_of(&links(&recorder, "/reset-password", 1).await[0]);
        let new = Password::new("a brand new passphrase here");
        let r = f.auth.reset_password(&verify, &new, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidLink)), "{r:?}");
        let r = f.auth.verify_email(&reset, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidLink)), "{r:?}");
        // Both still work for what they are.
        f.auth.verify_email(&verify, &f.ctx).await.unwrap();
        f.auth.reset_password(&reset, &new, &f.ctx).await.unwrap();
    }

    #[tokio::test]
    async fn a_verified_address_belongs_to_one_account() {
        let (f, recorder) = mail_fixture();
        user_with_mail(&f, "alice").await;
        let bob = register_with(&f, "bob1", "ALICE@example.com").await;
        let token = token_of(&links(&recorder, "/verify-email", 1).await[0]);
        let r = f.auth.verify_email(&token, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::EmailTaken)), "{r:?}");
        assert_eq!(AuthError::EmailTaken.code(), "email_taken");
        let bob = f.store.user_by_id(bob.id).await.unwrap().unwrap();
        assert!(!bob.email_verified, "nothing changed");
        let r = f.auth.verify_email(&token, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidLink)), "spent: {r:?}");
        // A reset through that address works, and leaves it unverified.
        let forgot = ForgottenAccount::Username("bob1".into());
        f.auth.forgot_password(&forgot, &f.ctx).await.unwrap();
        let reset = token_of(&links(&recorder, "/reset-password", 1).await[0]);
        let new = Password::new("a brand new passphrase here");
        f.auth.reset_password(&reset, &new, &f.ctx).await.unwrap();
        let bob = f.store.user_by_id(bob.id).await.unwrap().unwrap();
        assert!(!bob.email_verified);
        f.auth.login("bob1", &new, &f.ctx).await.unwrap();
    }

    #[tokio::test]
    async fn a_reset_verifies_the_address_and_ends_a_pending_change() {
        let (f, recorder) = mail_fixture();
        let u = register_with(&f, "alice", "alice@example.com").await;
        links(&recorder, "/verify-email", 1).await;
        recorder.clear();
        let pw = Password::new(PASSWORD);
        let changed = f.auth.change_email(u.id, Some("mallory@example.com"), &pw, &f.ctx).await;
        assert_eq!(changed.unwrap().pending_email.unwrap().as_str(), "mallory@example.com");
        let pending = token_of(&links(&recorder, "/verify-email", 1).await[0]);
        f.clock.advance(std::time::Duration::from_secs(1));
        let forgot = ForgottenAccount::Username("alice".into());
        f.auth.forgot_password(&forgot, &f.ctx).await.unwrap();
        let reset = token_of(&links(&recorder, "/reset-password", 1).await[0]);
        let new = Password::new("a brand new passphrase here");
        f.auth.reset_password(&reset, &new, &f.ctx).await.unwrap();
        let after = f.store.user_by_id(u.id).await.unwrap().unwrap();
        assert_eq!(after.email.as_ref().map(Email::as_str), Some("alice@example.com"));
        assert!(after.email_verified && after.pending_email.is_none());
        let r = f.auth.verify_email(&pending, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidLink)), "the change died: {r:?}");
    }
}
