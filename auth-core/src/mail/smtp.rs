//! [`SmtpMailer`]: SMTP on `lettre`, with implicit TLS (`smtps://`) or STARTTLS
//! (`smtp://…?tls=required`), authentication from the URL, pooled connections and timeouts.

use std::{fmt, time::Duration};

use async_trait::async_trait;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor, message::Mailbox};

use super::{MailError, MailMessage, Mailer, lettre_message};
use crate::{AuthError, Result};

/// Sends through an SMTP server. `Debug` shows the server's host only (never the
/// credentials of the URL).
///
/// ```
/// use auth_core::mail::SmtpMailer;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), auth_core::AuthError> {
/// let mailer = SmtpMailer::from_url("smtps://app:secret@mail.example:465", "Tasks <no-reply@tasks.example>")?;
/// assert!(!format!("{mailer:?}").contains("secret"));
/// // Plain SMTP only to this machine (a relay on localhost).
/// assert!(SmtpMailer::from_url("smtp://mail.example:25", "no-reply@tasks.example").is_err());
/// assert!(SmtpMailer::from_url("smtp://mail.example:587?tls=required", "no-reply@tasks.example").is_ok());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer").field("host", &self.host).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// How long one SMTP command may take before the send fails (and is retried): 10 s.
    pub const TIMEOUT: Duration = Duration::from_secs(10);

    /// A mailer for `url` (`smtps://user:password@host:port` for implicit TLS,
    /// `smtp://…?tls=required` for STARTTLS; plain `smtp://` only to a loopback host),
    /// sending as `from` (`Name <address>` or an address).
    ///
    /// # Errors
    /// [`AuthError::Config`] for a URL or sender that cannot be used; the message says
    /// why without repeating the URL (it may hold a password).
    pub fn from_url(url: &str, from: &str) -> Result<Self> {
        let config = |why: &str| AuthError::Config(format!("SMTP_URL: {why}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| config("not a URL"))?;
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or_default()
        } else {
            host_port.split(':').next().unwrap_or_default()
        };
        let loopback = host == "localhost"
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let tls_required = rest.contains("tls=required");
        match scheme {
            "smtps" => {}
            "smtp" if tls_required || loopback => {}
            "smtp" => {
                return Err(config("plain SMTP to another host: use smtps:// or ?tls=required"));
            }
            _ => return Err(config("the scheme must be smtp or smtps")),
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| config("cannot be parsed"))?
            .timeout(Some(Self::TIMEOUT))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| AuthError::Config("MAIL_FROM: not an address".into()))?;
        Ok(Self { transport, from, host: host.to_owned() })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let email = lettre_message(message, &self.from)?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Temporary(e.to_string())),
        }
    }
}
