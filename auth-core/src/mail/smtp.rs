//! [`SmtpMailer`]: SMTP on `lettre`, with implicit TLS (`smtps://`) or STARTTLS
//! (`smtp://…?tls=required`), authentication from the URL, pooled connections and timeouts.

use std::{fmt, time::Duration};

use async_trait::async_trait;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
    message::Mailbox,
    transport::smtp::client::{Certificate, Tls, TlsParameters},
};

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
/// let sneaky = "smtp://u:p@mail.example:25?tls=opportunistic&x=tls=required";
/// assert!(SmtpMailer::from_url(sneaky, "no-reply@tasks.example").is_err());
/// assert!(SmtpMailer::from_url("smtp://u:p@evil.example#@localhost", "no-reply@tasks.example").is_err());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    timeout: Duration,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer").field("host", &self.host).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// How long a whole send (connection, greeting, every command) may take before it fails
    /// as temporary (and is retried): 30 s. lettre's own timeout covers the connection, not
    /// a server that accepts it and then says nothing.
    pub const TIMEOUT: Duration = Duration::from_secs(30);

    /// A mailer for `url` (`smtps://user:password@host:port` for implicit TLS,
    /// `smtp://…?tls=required` for STARTTLS; plain `smtp://` only to a loopback host),
    /// sending as `from` (`Name <address>` or an address). Call it within a Tokio runtime:
    /// the connection pool runs a task of its own.
    ///
    /// # Errors
    /// [`AuthError::Config`] for a URL or sender that cannot be used (a second `tls`
    /// parameter, or `tls=opportunistic` to another host, included); the message says why
    /// without repeating the URL (it may hold a password).
    pub fn from_url(url: &str, from: &str) -> Result<Self> {
        Self::build(url, from, None)
    }

    /// As [`from_url`](Self::from_url), trusting the certificate authorities of `ca_pem`
    /// (PEM) for the server's certificate besides the system's: for a relay whose
    /// certificate comes from a private authority.
    ///
    /// # Errors
    /// As [`from_url`](Self::from_url), and [`AuthError::Config`] for a PEM without a
    /// certificate, or with a URL of plain SMTP (no TLS to trust anything for).
    pub fn from_url_trusting(url: &str, from: &str, ca_pem: &[u8]) -> Result<Self> {
        Self::build(url, from, Some(ca_pem))
    }

    fn build(url: &str, from: &str, ca_pem: Option<&[u8]>) -> Result<Self> {
        let config = |why: &str| AuthError::Config(format!("SMTP URL: {why}"));
        // Parsed as lettre parses it (the `url` crate), so that the checks see what it runs.
        let parsed = url::Url::parse(url).map_err(|_| config("not a URL"))?;
        if parsed.fragment().is_some() {
            return Err(config("no fragment allowed"));
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(config("no host")),
        };
        let loopback = crate::public_url::is_loopback_host(&host);
        let tls: Vec<_> = parsed.query_pairs().filter(|(k, _)| k == "tls").collect();
        let tls_required = matches!(tls.as_slice(), [(_, v)] if v == "required");
        match parsed.scheme() {
            "smtps" if tls.is_empty() => {}
            "smtp" if tls_required || (tls.is_empty() && loopback) => {}
            "smtp" | "smtps" => {
                return Err(config(
                    "plain or opportunistic SMTP to another host: use smtps:// or one ?tls=required",
                ));
            }
            _ => return Err(config("the scheme must be smtp or smtps")),
        }
        let mut transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| config("cannot be parsed"))?
            .timeout(Some(Self::TIMEOUT));
        if let Some(pem) = ca_pem {
            let ca = |why: &str| AuthError::Config(format!("SMTP CA certificate: {why}"));
            if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                return Err(ca("no PEM certificate"));
            }
            let cert = Certificate::from_pem(pem).map_err(|_| ca("not a PEM certificate"))?;
            let params = TlsParameters::builder(host.clone())
                .add_root_certificate(cert)
                .build_rustls()
                .map_err(|_| ca("cannot be used"))?;
            transport = transport.tls(match parsed.scheme() {
                "smtps" => Tls::Wrapper(params),
                _ if tls_required => Tls::Required(params),
                _ => return Err(ca("plain SMTP has no TLS to trust it for")),
            });
        }
        let transport = transport.build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| AuthError::Config("mail sender: not an address".into()))?;
        Ok(Self { transport, from, host, timeout: Self::TIMEOUT })
    }

    /// Gives up on a send after `timeout` instead of [`TIMEOUT`](Self::TIMEOUT).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let email = lettre_message(message, &self.from)?;
        let sent = tokio::time::timeout(self.timeout, self.transport.send(email)).await;
        let Ok(sent) = sent else {
            return Err(MailError::Temporary("SMTP timeout (the whole send)".into()));
        };
        match sent {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(describe(&e))),
            Err(e) => Err(MailError::Temporary(describe(&e))),
        }
    }
}

/// What went wrong, without the server's words: a reply may repeat the recipient's address.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_tls() {
        "TLS failure"
    } else if e.is_permanent() {
        "permanent reply"
    } else if e.is_transient() {
        "transient reply"
    } else if e.is_client() {
        "client error"
    } else {
        "connection failure"
    };
    match e.status() {
        Some(code) => format!("SMTP {kind} {code}"),
        None => format!("SMTP {kind}"),
    }
}
