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
        }
    }
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
}
