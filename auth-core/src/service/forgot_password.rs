//! Forgotten password: a reset link by mail. The answer does not depend on whether the
//! account exists, has an address or is active: the request only checks its own shape and
//! the throttles, then hands the lookup and the message to a task off the request path.

use super::Auth;
use crate::{
    AuthError, Email, LinkPurpose, RequestContext, Result, UserRecord, Username,
    audit::audit,
    mail::{Mail, MailMessage},
    throttle::Bucket,
};

/// The account `POST /auth/forgot-password` names, as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForgottenAccount {
    /// By address (every account with it gets a link).
    Email(String),
    /// By username.
    Username(String),
}

/// What the background task looks up.
enum Lookup {
    Email(Email),
    Username(Username),
}

/// Where the reset page is, under the public URL; the token follows in the fragment.
pub(crate) const RESET_PATH: &str = "/reset-password";

impl Auth {
    /// Sends a password-reset link to the account's address, if there is such an account
    /// with an address and it is active — and answers the same, at once, when there is not.
    /// The link's token (256 random bits) is stored as a digest, works once, for an hour,
    /// and only while it is the account's newest.
    ///
    /// Throttled per client IP and per submitted value (whether or not an account has it).
    ///
    /// # Errors
    /// [`AuthError::Validation`] for a value that is no address / username at all;
    /// [`AuthError::RateLimited`]; [`AuthError::MailUnavailable`] without
    /// [mail settings](crate::AuthBuilder::mail); [`AuthError::Store`] when the throttle
    /// store fails. Never anything that depends on the account.
    pub async fn forgot_password(
        &self,
        account: &ForgottenAccount,
        ctx: &RequestContext,
    ) -> Result<()> {
        let delivery = self.inner.mail.as_ref().ok_or(AuthError::MailUnavailable)?;
        let (key, lookup) = match account {
            ForgottenAccount::Email(raw) => {
                let email = Email::parse(raw)?;
                (format!("email:{}", email.key()), Lookup::Email(email))
            }
            ForgottenAccount::Username(raw) => {
                let bad = || AuthError::validation("username", "must be a username");
                if raw.len() > 256 || raw.chars().any(char::is_control) {
                    return Err(bad());
                }
                let name = Username::from_stored(raw.trim()).map_err(|_| bad())?;
                (format!("username:{}", name.key()), Lookup::Username(name))
            }
        };
        let throttle = &self.inner.throttle;
        let now = self.now();
        throttle.take(Bucket::Mail, ctx.ip(), now).await?;
        throttle.take_mail_for(&key, now).await?;
        audit!(info, "password_reset_requested", ctx);
        let auth = self.clone();
        delivery.dispatch("password_reset", async move { auth.reset_messages(lookup).await });
        Ok(())
    }

    /// The reset messages for the accounts `lookup` finds (off the request path): a fresh
    /// token stored for each. A store failure is logged and sends nothing.
    async fn reset_messages(&self, lookup: Lookup) -> Vec<(i64, MailMessage)> {
        let store = &self.inner.store;
        let found = match &lookup {
            Lookup::Email(email) => store.users_by_email(email).await,
            Lookup::Username(name) => store.user_by_username(name).await.map(Vec::from_iter),
        };
        let users = match found {
            // The store's comparison is not trusted to be the core's.
            Ok(users) => users
                .into_iter()
                .filter(|u| match &lookup {
                    Lookup::Email(email) => u.email.as_ref().is_some_and(|e| e.same_address(email)),
                    Lookup::Username(name) => u.username == *name,
                })
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::error!(target: "auth::mail", error = %e, "password reset: lookup failed");
                return Vec::new();
            }
        };
        let mut messages = Vec::new();
        for user in users.into_iter().filter(|u| u.is_active) {
            match self.reset_message(&user).await {
                Ok(Some(message)) => messages.push((user.id.get(), message)),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(target: "auth::mail", user_id = user.id.get(), error = %e, "password reset: token not stored");
                }
            }
        }
        messages
    }

    async fn reset_message(&self, user: &UserRecord) -> Result<Option<MailMessage>> {
        let Some(to) = user.email.clone() else { return Ok(None) };
        let purpose = LinkPurpose::PasswordReset;
        self.link_message(user, to, purpose, RESET_PATH, |templates, link, lifetime| {
            let valid_minutes = lifetime.as_secs() / 60;
            let username = user.username.as_str();
            templates.render(&Mail::PasswordReset { username, link, valid_minutes })
        })
        .await
    }
}
