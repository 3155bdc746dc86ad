//! The messages' words: [`MailTemplates`], which an application replaces to use its own,
//! and the [`DefaultTemplates`].

use std::fmt::Write as _;

/// A message the library sends, with what its words need. More kinds come as features do.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Mail<'a> {
    /// A link that sets a new password, after `POST /auth/forgot-password`.
    PasswordReset {
        /// The account's username.
        username: &'a str,
        /// The link (it carries the token: never log it).
        link: &'a str,
        /// How long the link works, in minutes.
        valid_minutes: u64,
    },
    /// A link that proves the user reads this address: after registration with an address,
    /// an address change, or `POST /auth/verify-email/request`.
    EmailVerification {
        /// The account's username.
        username: &'a str,
        /// The link (it carries the token: never log it).
        link: &'a str,
        /// How long the link works, in hours.
        valid_hours: u64,
    },
    /// To the old address, when the user asked to change it (`new_address`) or removed it
    /// (`None`).
    AddressChanged {
        /// The account's username.
        username: &'a str,
        /// The address waiting for its verification, or `None` when it was removed.
        new_address: Option<&'a str>,
    },
    /// The password was changed (by the user, or with a reset link).
    PasswordChanged {
        /// The account's username.
        username: &'a str,
    },
    /// A sign-in from a client (IP and user agent) the account had not used.
    NewSignIn {
        /// The account's username.
        username: &'a str,
        /// The client IP, if known.
        ip: Option<&'a str>,
        /// The client's user agent, if known.
        user_agent: Option<&'a str>,
        /// When, in RFC 3339.
        at: &'a str,
    },
    /// A second factor was turned on or off (by the user, or off by an administrator), or
    /// the recovery codes were replaced.
    SecondFactorChanged {
        /// The account's username.
        username: &'a str,
        /// What changed.
        change: SecondFactorChange,
    },
    /// Wrong second-factor codes were entered after the right password: someone else may
    /// know it.
    SecondFactorFailures {
        /// The account's username.
        username: &'a str,
        /// How many wrong codes in a row.
        failures: u32,
        /// Whether codes are no longer taken (for a day after the last attempt).
        locked: bool,
    },
    /// A recovery code was used.
    RecoveryCodeUsed {
        /// The account's username.
        username: &'a str,
        /// How many unused codes are left.
        left: u32,
    },
}

/// What happened to a user's second factor, for [`Mail::SecondFactorChanged`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecondFactorChange {
    /// The user turned it on.
    Enabled,
    /// The user turned it off.
    Disabled,
    /// An administrator removed it (a lost device).
    RemovedByAdmin,
    /// The user replaced the recovery codes.
    RecoveryCodesReplaced,
}

/// A message's subject and bodies.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl std::fmt::Debug for RenderedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedMail").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Writes the messages. Replace it to change the words, the language or the look; delegate
/// to [`DefaultTemplates`] for the kinds you do not change.
///
/// ```
/// use auth_core::mail::{DefaultTemplates, Mail, MailTemplates, RenderedMail};
///
/// struct Ours;
///
/// impl MailTemplates for Ours {
///     fn render(&self, mail: &Mail<'_>) -> RenderedMail {
///         let mut m = DefaultTemplates.render(mail);
///         m.subject = format!("[Tasks] {}", m.subject);
///         m
///     }
/// }
/// let link = "https://tasks.example/reset-password#token=…";
/// let m = Ours.render(&Mail::PasswordReset { username: "alice", link, valid_minutes: 60 });
/// assert!(m.subject.starts_with("[Tasks] "));
/// ```
pub trait MailTemplates: Send + Sync + 'static {
    /// The subject and bodies of `mail`.
    fn render(&self, mail: &Mail<'_>) -> RenderedMail;
}

/// The library's own words, in English.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultTemplates;

impl MailTemplates for DefaultTemplates {
    fn render(&self, mail: &Mail<'_>) -> RenderedMail {
        match *mail {
            Mail::PasswordReset { username, link, valid_minutes } => {
                let text = format!(
                    "Hello {username},\n\n\
                     someone asked to reset the password of your account. To choose a new \
                     one, open this link within {valid_minutes} minutes:\n\n{link}\n\n\
                     It works once. If you did not ask, ignore this message: your password \
                     stays as it is.\n"
                );
                let mut html = String::new();
                let _ = write!(
                    html,
                    "<p>Hello {},</p><p>someone asked to reset the password of your account. \
                     To choose a new one, open this link within {valid_minutes} minutes:</p>\
                     <p><a href=\"{link}\">Choose a new password</a></p><p>It works once. If \
                     you did not ask, ignore this message: your password stays as it is.</p>",
                    escape(username),
                    link = escape(link),
                );
                RenderedMail { subject: "Reset your password".into(), text, html }
            }
            Mail::EmailVerification { username, link, valid_hours } => {
                let text = format!(
                    "Hello {username},\n\n\
                     to confirm that this address is yours, open this link within \
                     {valid_hours} hours:\n\n{link}\n\n\
                     It works once. If you did not ask for it, ignore this message.\n"
                );
                let html = format!(
                    "<p>Hello {},</p><p>to confirm that this address is yours, open this link \
                     within {valid_hours} hours:</p><p><a href=\"{link}\">Confirm my \
                     address</a></p><p>It works once. If you did not ask for it, ignore this \
                     message.</p>",
                    escape(username),
                    link = escape(link),
                );
                RenderedMail { subject: "Confirm your e-mail address".into(), text, html }
            }
            Mail::AddressChanged { username, new_address } => {
                let what = match new_address {
                    Some(new) => format!(
                        "someone signed in to your account asked to change its e-mail address \
                         to {new}. It changes once that address is confirmed."
                    ),
                    None => "someone signed in to your account removed its e-mail address: \
                             this address will no longer get its messages."
                        .to_owned(),
                };
                notice("Your e-mail address is changing", username, &what)
            }
            Mail::PasswordChanged { username } => notice(
                "Your password was changed",
                username,
                "the password of your account was just changed, and every session that \
                 was open has ended.",
            ),
            Mail::NewSignIn { username, ip, user_agent, at } => {
                let what = format!(
                    "your account was signed in to at {at} from a device it had not used \
                     before (address {}, browser \"{}\").",
                    ip.unwrap_or("unknown"),
                    user_agent.unwrap_or("unknown"),
                );
                notice("New sign-in to your account", username, &what)
            }
            Mail::SecondFactorChanged { username, change } => {
                let (subject, what) = match change {
                    SecondFactorChange::Enabled => (
                        "Two-step sign-in is on",
                        "two-step sign-in was turned on for your account: signing in now \
                         needs a code from your authenticator app (or a recovery code), and \
                         every other session has ended.",
                    ),
                    SecondFactorChange::Disabled => (
                        "Two-step sign-in is off",
                        "two-step sign-in was turned off for your account: a password alone \
                         signs in again.",
                    ),
                    SecondFactorChange::RemovedByAdmin => (
                        "Two-step sign-in was reset",
                        "an administrator removed the second factor of your account (a lost \
                         device): a password alone signs in again, and every session has \
                         ended. Turn two-step sign-in on again from your account page.",
                    ),
                    SecondFactorChange::RecoveryCodesReplaced => (
                        "New recovery codes",
                        "a new set of recovery codes was made for your account; the old codes \
                         no longer work, and every other session has ended.",
                    ),
                };
                notice(subject, username, what)
            }
            Mail::SecondFactorFailures { username, failures, locked } => {
                let what = format!(
                    "{failures} wrong codes in a row were entered at the second step of signing \
                     in to your account, each after the right password: someone else may know \
                     your password.{}",
                    if locked {
                        " Codes are no longer accepted for a day after the last attempt: change \
                         your password, and ask an administrator to reset your second factor \
                         if you cannot wait."
                    } else {
                        ""
                    }
                );
                notice("Wrong sign-in codes for your account", username, &what)
            }
            Mail::RecoveryCodeUsed { username, left } => {
                let what = format!(
                    "a recovery code of your account was used. You have {left} \
                     unused code{} left{}",
                    if left == 1 { "" } else { "s" },
                    if left <= 3 {
                        ": make a new set from your account page before they run out."
                    } else {
                        "."
                    }
                );
                notice("A recovery code was used", username, &what)
            }
        }
    }
}

/// A notice: `what` happened; if it was not the user, what to do. Plain text and HTML.
fn notice(subject: &str, username: &str, what: &str) -> RenderedMail {
    const IF_NOT_YOU: &str = "If this was you, there is nothing to do. If it was not, reset \
                              your password at once (\"forgot password\" on the sign-in page): \
                              that ends every session and cancels a pending address change.";
    let text = format!("Hello {username},\n\n{what}\n\n{IF_NOT_YOU}\n");
    let html = format!(
        "<p>Hello {},</p><p>{}</p><p>{}</p>",
        escape(username),
        escape(what),
        escape(IF_NOT_YOU)
    );
    RenderedMail { subject: subject.to_owned(), text, html }
}

/// Escapes text for HTML content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_message_carries_the_link_and_escapes_html() {
        let link = "https://x.example/reset-password#token=abc&x=\"1\"";
        let m = DefaultTemplates.render(&Mail::PasswordReset {
            username: "<b>eve</b>",
            link,
            valid_minutes: 60,
        });
        assert!(m.text.contains(link) && m.text.contains("60 minutes"));
        assert!(m.html.contains("&lt;b&gt;eve&lt;/b&gt;") && !m.html.contains("<b>eve"));
        assert!(m.html.contains("token=abc&amp;x=&quot;1&quot;"));
        assert!(!format!("{m:?}").contains("token"), "Debug shows no body");
    }

    #[test]
    fn every_message_names_the_user_and_escapes_what_it_quotes() {
        let link = "https://x.example/verify-email#token=abc";
        let ua = "<script>alert(1)</script>";
        let mails = [
            Mail::EmailVerification { username: "<i>eve</i>", link, valid_hours: 24 },
            Mail::AddressChanged { username: "<i>eve</i>", new_address: Some("new@x.example") },
            Mail::AddressChanged { username: "<i>eve</i>", new_address: None },
            Mail::PasswordChanged { username: "<i>eve</i>" },
            Mail::NewSignIn {
                username: "<i>eve</i>",
                ip: Some("192.0.2.1"),
                user_agent: Some(ua),
                at: "2026-12-06T10:00:00Z",
            },
            Mail::SecondFactorChanged {
                username: "<i>eve</i>",
                change: SecondFactorChange::RemovedByAdmin,
            },
            Mail::RecoveryCodeUsed { username: "<i>eve</i>", left: 2 },
            Mail::SecondFactorFailures { username: "<i>eve</i>", failures: 5, locked: false },
        ];
        for mail in mails {
            let m = DefaultTemplates.render(&mail);
            assert!(m.text.contains("Hello <i>eve</i>"), "{mail:?}");
            assert!(m.html.contains("&lt;i&gt;eve&lt;/i&gt;") && !m.html.contains("<i>"));
            assert!(!m.html.contains("<script>"), "{mail:?}");
            assert!(!m.subject.is_empty());
        }
        let m = DefaultTemplates.render(&mails[0]);
        assert!(m.text.contains(link) && m.text.contains("24 hours"));
        assert!(DefaultTemplates.render(&mails[1]).text.contains("to new@x.example"));
        assert!(DefaultTemplates.render(&mails[4]).text.contains("192.0.2.1"));
    }
}
