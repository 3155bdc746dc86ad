//! Mail: the [`Mailer`] trait every transport implements, the messages the library sends
//! (written by replaceable [`MailTemplates`]), and how [`Auth`](crate::Auth) sends them: off
//! the request path, retried with a backoff, never reported to the requester
//! ([`MailSettings`]).
//!
//! Transports on `lettre` (feature `mail`): [`SmtpMailer`] (TLS or STARTTLS, auth,
//! timeouts) and [`OutboxMailer`] (one `.eml` file per message, for development).

mod delivery;
#[cfg(feature = "mail")]
mod outbox;
mod settings;
#[cfg(feature = "mail")]
mod smtp;
mod templates;

use std::fmt;

use async_trait::async_trait;

pub(crate) use delivery::Delivery;
#[cfg(feature = "mail")]
pub use outbox::OutboxMailer;
pub use settings::MailSettings;
#[cfg(feature = "mail")]
pub use smtp::SmtpMailer;
pub use templates::{DefaultTemplates, Mail, MailTemplates, RenderedMail, SecondFactorChange};

use crate::Email;

/// A message to one recipient, in plain text and HTML. Its `Debug` shows the recipient's
/// domain and the subject only: the bodies carry tokens.
#[derive(Clone)]
pub struct MailMessage {
    /// The recipient.
    pub to: Email,
    /// What the templates wrote.
    pub content: RenderedMail,
}

impl fmt::Debug for MailMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.to.as_str().rsplit('@').next().unwrap_or_default();
        f.debug_struct("MailMessage")
            .field("to_domain", &domain)
            .field("subject", &self.content.subject)
            .finish_non_exhaustive()
    }
}

/// Why a message was not sent. The text never holds the message's bodies.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later: the server is down, slow, or answered with a 4xx.
    #[error("mail not sent (temporary): {0}")]
    Temporary(String),
    /// Trying again would fail the same way: a 5xx answer, a bad address, a bad setting.
    #[error("mail not sent (permanent): {0}")]
    Permanent(String),
}

/// A way to send mail. Object-safe, so [`MailSettings`] holds any as `Arc<dyn Mailer>`.
///
/// ```
/// use auth_core::mail::{MailError, MailMessage, Mailer};
///
/// /// Prints the subject instead of sending (a test double).
/// struct Printer;
///
/// #[async_trait::async_trait]
/// impl Mailer for Printer {
///     async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
///         println!("{}", message.content.subject);
///         Ok(())
///     }
/// }
/// let _: std::sync::Arc<dyn Mailer> = std::sync::Arc::new(Printer);
/// ```
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Sends one message.
    ///
    /// # Errors
    /// [`MailError::Temporary`] when a later attempt may succeed, else
    /// [`MailError::Permanent`].
    async fn send(&self, message: &MailMessage) -> Result<(), MailError>;
}

/// `message` as `lettre` sends it: from `from`, plain text and HTML as alternatives.
#[cfg(feature = "mail")]
fn lettre_message(
    message: &MailMessage,
    from: &lettre::message::Mailbox,
) -> Result<lettre::Message, MailError> {
    use lettre::message::{Mailbox, MultiPart};
    let to: Mailbox =
        message.to.as_str().parse().map_err(|_| MailError::Permanent("bad recipient".into()))?;
    let content = &message.content;
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(content.subject.clone())
        .multipart(MultiPart::alternative_plain_html(content.text.clone(), content.html.clone()))
        .map_err(|e| MailError::Permanent(format!("message cannot be built: {e}")))
}
