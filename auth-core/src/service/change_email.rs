//! Address change (`PATCH /auth/me`): after the current password, a new address waits as
//! `pending_email` until its verification link is followed; the old address is told. Or
//! the address is removed.

use super::{Auth, address::same_credentials};
use crate::{
    Address, AuthError, Email, Password, RequestContext, Result, TokenRejection, User, UserId,
    UserRecord, UserUpdate, audit::audit, mail::Mail,
};

impl Auth {
    /// Changes the signed-in user's address to `new`, or removes it (`None`), once
    /// `current` is checked again (counted in the account's login backoff).
    ///
    /// A new address becomes `pending_email`, and a verification link goes to it: the
    /// account's address stays as it is until the link is followed
    /// ([`Auth::verify_email`]); a notice goes to the old address if it is verified. Asking
    /// for the address the account already has cancels a pending change (and sends a link
    /// if that address is unverified). Removing the address removes a pending one too, and
    /// tells the old one.
    ///
    /// # Errors
    /// [`AuthError::Validation`] on `email` for an address of a bad shape, or for a removal
    /// when [logins need a verified address](crate::AuthConfigBuilder::require_verified_email);
    /// [`AuthError::WrongPassword`]; [`AuthError::RateLimited`] (the login backoff, or the
    /// mail limits when a link is to go out); [`AuthError::MailUnavailable`] for a new
    /// address without [mail settings](crate::AuthBuilder::mail); [`AuthError::InvalidToken`]
    /// when the user is gone or inactive; [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub async fn change_email(
        &self,
        user_id: UserId,
        new: Option<&str>,
        current: &Password,
        ctx: &RequestContext,
    ) -> Result<User> {
        let gone = || AuthError::InvalidToken(TokenRejection::UserInactive);
        let user = self.inner.store.user_by_id(user_id).await?.filter(|u| u.is_active);
        let user = user.ok_or_else(gone)?;
        let new = new.map(Email::parse).transpose()?;
        if new.is_none() && self.needs_verified_email(&user.role) {
            return Err(AuthError::validation("email", "is required on this service"));
        }
        let link_due = link_to_send(&user, new.as_ref()).is_some();
        if link_due {
            self.inner.mail.as_ref().ok_or(AuthError::MailUnavailable)?;
        }
        self.reauthenticate(&user, current, ctx).await?;
        if link_due {
            self.take_link_mail(&user, ctx).await?;
        }
        // From the account as it is now (a verification may have landed while the password
        // was checked), and written only while it still is.
        let now = self.now();
        let written = self
            .write_address(user.clone(), |u| {
                let update = UserUpdate { updated_at: Some(now), ..Default::default() };
                // Only to the account the password was checked against: a reset or a
                // revocation meanwhile wins.
                same_credentials(u, &user).then(|| (next_address(u, new.as_ref()), update))
            })
            .await?;
        let (before, updated) = written.ok_or_else(gone)?;
        // Only the link the mail limits were taken for (a verification landing meanwhile
        // can change what is due; then none goes, and the user asks again).
        if let Some(to) = link_to_send(&before, new.as_ref()).filter(|_| link_due) {
            self.send_verification(&updated, to);
        }
        let user_id = user.id.get();
        let username = before.username.as_str();
        match &new {
            Some(e) if same_address(&before, e) => {
                audit!(info, "email_change_cancelled", ctx, user_id);
            }
            Some(e) => {
                audit!(info, "email_change_requested", ctx, user_id);
                let mail = Mail::AddressChanged { username, new_address: Some(e.as_str()) };
                self.notify("address_changed", &before, &mail);
            }
            None => {
                audit!(info, "email_removed", ctx, user_id);
                let mail = Mail::AddressChanged { username, new_address: None };
                self.notify("address_changed", &before, &mail);
            }
        }
        Ok(updated.into())
    }
}

/// Whether `e` is the address `user` has (ASCII case aside).
fn same_address(user: &UserRecord, e: &Email) -> bool {
    user.email.as_ref().is_some_and(|mine| mine.same_address(e))
}

/// `user`'s address state once they ask for `new`: a new address pending, their own
/// address with nothing pending, or none at all.
fn next_address(user: &UserRecord, new: Option<&Email>) -> Address {
    match new {
        None => Address::default(),
        Some(e) if same_address(user, e) => Address { pending: None, ..Address::of(user) },
        Some(e) => Address { pending: Some(e.clone()), ..Address::of(user) },
    }
}

/// Where a verification link goes when `user` asks for `new`: the new address, or their
/// own if they ask for it and it is unverified.
fn link_to_send(user: &UserRecord, new: Option<&Email>) -> Option<Email> {
    match new {
        Some(e) if same_address(user, e) => user.email.clone().filter(|_| !user.email_verified),
        other => other.cloned(),
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        service::{test_mail::*, test_support::*},
        *,
    };

    #[tokio::test]
    async fn a_new_address_waits_for_its_link_and_the_old_one_is_told() {
        let (f, recorder) = mail_fixture();
        let u = user_with_mail(&f, "alice").await;
        let pw = Password::new(PASSWORD);
        let out = f.auth.change_email(u.id, Some(" New@Example.org "), &pw, &f.ctx).await.unwrap();
        assert_eq!(out.email.as_ref().map(Email::as_str), Some("alice@example.com"));
        assert!(out.email_verified, "the old address stays until the new one is proved");
        assert_eq!(out.pending_email.as_ref().map(Email::as_str), Some("New@Example.org"));
        let link = links(&recorder, "/verify-email", 1).await.remove(0);
        assert_eq!(link.to.as_str(), "New@Example.org");
        let notice = with_subject(&recorder, "Your e-mail address is changing", 1).await.remove(0);
        assert_eq!(notice.to.as_str(), "alice@example.com");
        assert!(notice.content.text.contains("New@Example.org"));
        let done = f.auth.verify_email(&token_of(&link), &f.ctx).await.unwrap();
        assert_eq!(done.email.as_ref().map(Email::as_str), Some("New@Example.org"));
        assert!(done.email_verified && done.pending_email.is_none());
        // Resets now go to the new address only.
        let forgot = ForgottenAccount::Email("alice@example.com".into());
        f.auth.forgot_password(&forgot, &f.ctx).await.unwrap();
        let forgot = ForgottenAccount::Email("new@example.org".into());
        f.auth.forgot_password(&forgot, &f.ctx).await.unwrap();
        let resets = links(&recorder, "/reset-password", 1).await;
        assert_eq!(resets[0].to.as_str(), "New@Example.org");
    }

    #[tokio::test]
    async fn the_same_address_cancels_a_pending_change_and_none_removes_it() {
        let (f, recorder) = mail_fixture();
        let u = user_with_mail(&f, "alice").await;
        let pw = Password::new(PASSWORD);
        f.auth.change_email(u.id, Some("new@example.org"), &pw, &f.ctx).await.unwrap();
        let link = token_of(&links(&recorder, "/verify-email", 1).await[0]);
        let back = f.auth.change_email(u.id, Some("ALICE@example.com"), &pw, &f.ctx).await;
        let back = back.unwrap();
        assert!(back.pending_email.is_none() && back.email_verified);
        let r = f.auth.verify_email(&link, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidLink)), "cancelled: {r:?}");
        links(&recorder, "/verify-email", 1).await;
        recorder.clear();
        let gone = f.auth.change_email(u.id, None, &pw, &f.ctx).await.unwrap();
        assert_eq!((gone.email, gone.email_verified, gone.pending_email), (None, false, None));
        let notice = with_subject(&recorder, "Your e-mail address is changing", 1).await;
        assert_eq!(notice[0].to.as_str(), "alice@example.com");
        assert!(notice[0].content.text.contains("removed"));
    }

    #[tokio::test]
    async fn a_wrong_password_or_a_bad_address_changes_nothing() {
        let (f, recorder) = mail_fixture();
        let u = user_with_mail(&f, "alice").await;
        let wrong = Password::new("not my password");
        let r = f.auth.change_email(u.id, Some("new@example.org"), &wrong, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::WrongPassword)), "{r:?}");
        let pw = Password::new(PASSWORD);
        for bad in ["not an address", "a\r\nBcc: x@y.io@example.com", &"a".repeat(10_000)] {
            let r = f.auth.change_email(u.id, Some(bad), &pw, &f.ctx).await;
            assert_eq!(r.unwrap_err().code(), "validation_error", "{bad:?}");
        }
        let after = f.store.user_by_id(u.id).await.unwrap().unwrap();
        assert_eq!(Address::of(&after).pending, None);
        assert!(after.email_verified);
        sent(&recorder, 0).await;
        // Without mail, a new address could never be proved.
        let plain = fixture();
        let u = plain.user("alice").await;
        let r = plain.auth.change_email(u.id, Some("a@example.com"), &pw, &plain.ctx).await;
        assert!(matches!(r, Err(AuthError::MailUnavailable)), "{r:?}");
    }

    #[tokio::test]
    async fn a_pending_change_dies_with_the_sessions_that_asked_for_it() {
        let (f, recorder) = mail_fixture();
        let u = user_with_mail(&f, "alice").await;
        let pw = Password::new(PASSWORD);
        f.auth.change_email(u.id, Some("thief@example.org"), &pw, &f.ctx).await.unwrap();
        let link = token_of(&links(&recorder, "/verify-email", 1).await[0]);
        f.clock.advance(std::time::Duration::from_secs(1));
        f.auth.logout_all(u.id, &f.ctx).await.unwrap();
        let r = f.auth.verify_email(&link, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidLink)), "{r:?}");
        // The owner's password change clears it from the account too.
        let new = Password::new("a brand new passphrase here");
        f.auth.change_password(u.id, &[Amr::Pwd], &pw, &new, &f.ctx).await.unwrap();
        let after = f.store.user_by_id(u.id).await.unwrap().unwrap();
        assert!(after.pending_email.is_none() && after.email_verified);
    }
}
