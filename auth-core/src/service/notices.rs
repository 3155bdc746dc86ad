//! The notices a user expects by mail: "your password was changed", "your address is
//! changing", "new sign-in from a device you had not used". Each goes out off the request
//! path, only to a verified address (an unverified one may be someone else's: the service
//! must not mail them about an account they never made), at most the per-account mail limit
//! an hour to one address.

use super::Auth;
use crate::{
    Email, FamilyId, KnownClient, RequestContext, UserRecord,
    mail::{Mail, MailMessage},
};

impl Auth {
    /// Sends `mail` to `user`'s address if it is verified, off the request path. `what`
    /// names it in the log.
    pub(super) fn notify(&self, what: &'static str, user: &UserRecord, mail: &Mail<'_>) {
        let Some(delivery) = self.inner.mail.as_ref() else { return };
        let Some(to) = verified_address(user) else { return };
        let content = delivery.settings().templates.render(mail);
        let (auth, user_id) = (self.clone(), user.id.get());
        delivery.dispatch(what, async move {
            let message = MailMessage { to, content };
            auth.within_notice_cap(what, user_id, message).await.into_iter().collect()
        });
    }

    /// After a login that began session `sid`: if the user has signed in before, but never
    /// from this client (IP and user agent), tells them. The lookup runs during the login
    /// ([`RefreshTokenStore::client_history`](crate::RefreshTokenStore::client_history)); only
    /// a notice to send takes a place among the messages in flight. A failed lookup is
    /// logged and sends nothing. The history is the account's refresh tokens, which are
    /// purged a day after they expire: the first login after a longer silence is no news.
    pub(super) async fn notify_if_new_client(
        &self,
        user: &UserRecord,
        sid: FamilyId,
        ctx: &RequestContext,
    ) {
        if self.inner.mail.is_none() || verified_address(user).is_none() {
            return;
        }
        let this =
            KnownClient { ip: ctx.ip_string(), user_agent: ctx.user_agent().map(str::to_owned) };
        let history = match self.inner.store.client_history(user.id, sid, &this).await {
            Ok(history) => history,
            Err(e) => {
                tracing::warn!(target: "auth::mail", user_id = user.id.get(), error = %e, "new sign-in: lookup failed");
                return;
            }
        };
        // The first sign-in of an account is no news, and a known client is none either.
        if !history.signed_in_before || history.from_this_client {
            return;
        }
        let at = self.now().format(&time::format_description::well_known::Rfc3339);
        // The user agent is the client's to choose: quoted short, so that a notice cannot
        // carry a paragraph of someone else's words.
        let agent: Option<String> = this.user_agent.as_deref().map(|ua| shorten(ua, 80));
        let mail = Mail::NewSignIn {
            username: user.username.as_str(),
            ip: this.ip.as_deref(),
            user_agent: agent.as_deref(),
            at: &at.unwrap_or_default(),
        };
        self.notify("new_sign_in", user, &mail);
    }

    /// `message` if its address may have another notice this hour. Notices have a cap of
    /// their own, so that they never use up the one links (resets, verifications) go under.
    async fn within_notice_cap(
        &self,
        what: &'static str,
        user_id: i64,
        message: MailMessage,
    ) -> Option<(i64, MailMessage)> {
        let key = format!("notice:{}", message.to.key());
        if self.inner.throttle.take_mail_for(&key, self.now()).await.is_err() {
            tracing::info!(target: "auth::mail", mail = what, user_id, "this address had enough notices for now");
            return None;
        }
        Some((user_id, message))
    }
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The user's address, when it is verified.
fn verified_address(user: &UserRecord) -> Option<Email> {
    user.email.clone().filter(|_| user.email_verified)
}

#[cfg(test)]
mod tests {
    use crate::{
        service::{test_mail::*, test_support::*},
        *,
    };

    #[tokio::test]
    async fn a_password_change_is_told_to_a_verified_address_only() {
        let (f, recorder) = mail_fixture();
        let u = user_with_mail(&f, "alice").await;
        let (pw, new) = (Password::new(PASSWORD), Password::new("a brand new passphrase here"));
        f.auth.change_password(u.id, &[Amr::Pwd], &pw, &new, &f.ctx).await.unwrap();
        let notice = with_subject(&recorder, "Your password was changed", 1).await.remove(0);
        assert_eq!(notice.to.as_str(), "alice@example.com");
        assert!(!notice.content.text.contains(new.expose()));
        // An address nobody proved gets nothing.
        let mut r = Registration::new("bob1", PASSWORD);
        r.email = Some("bob@example.com".into());
        let bob = f.auth.register(r, None, &f.ctx).await.unwrap();
        f.auth.change_password(bob.id, &[Amr::Pwd], &pw, &new, &f.ctx).await.unwrap();
        with_subject(&recorder, "Your password was changed", 1).await;
    }

    #[tokio::test]
    async fn a_sign_in_from_a_new_client_is_told_and_a_known_one_is_not() {
        let (f, recorder) = mail_fixture();
        user_with_mail(&f, "alice").await;
        let subject = "New sign-in to your account";
        // The first sign-in of an account is no news.
        f.login("alice").await;
        with_subject(&recorder, subject, 0).await;
        // The same client again: nothing.
        f.login("alice").await;
        with_subject(&recorder, subject, 0).await;
        // Another IP, then another browser on the same IP: one notice each.
        let pw = Password::new(PASSWORD);
        let elsewhere =
            RequestContext::new(Some("198.51.100.7".parse().unwrap()), Some("test-agent"));
        f.auth.login("alice", &pw, &elsewhere).await.unwrap();
        let notice = with_subject(&recorder, subject, 1).await.remove(0);
        assert_eq!(notice.to.as_str(), "alice@example.com");
        assert!(
            notice.content.text.contains("198.51.100.7")
                && notice.content.text.contains("test-agent")
        );
        let browser = RequestContext::new(Some("198.51.100.7".parse().unwrap()), Some("Other/2.0"));
        f.auth.login("alice", &pw, &browser).await.unwrap();
        with_subject(&recorder, subject, 2).await;
        f.auth.login("alice", &pw, &browser).await.unwrap();
        with_subject(&recorder, subject, 2).await;
    }

    #[tokio::test]
    async fn notices_have_an_hourly_cap_of_their_own() {
        let (f, recorder) = mail_fixture();
        user_with_mail(&f, "alice").await;
        f.login("alice").await;
        let pw = Password::new(PASSWORD);
        let limit = throttle::RateLimits::default().mail_per_account_per_hour as usize;
        for i in 0..limit + 2 {
            let ctx = RequestContext::new(Some(format!("198.51.100.{i}").parse().unwrap()), None);
            f.auth.login("alice", &pw, &ctx).await.unwrap();
        }
        with_subject(&recorder, "New sign-in to your account", limit).await;
        // Links still go out: the cap is not theirs.
        let forgot = ForgottenAccount::Username("alice".into());
        f.auth.forgot_password(&forgot, &f.ctx).await.unwrap();
        links(&recorder, "/reset-password", 1).await;
    }
}
