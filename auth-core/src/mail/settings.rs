//! [`MailSettings`]: which mailer, which templates, the public URL the links use, and how
//! failed sends are retried.

use std::{fmt, sync::Arc, time::Duration};

use super::{DefaultTemplates, MailTemplates, Mailer};
use crate::Result;

/// How [`Auth`](crate::Auth) sends mail: set with
/// [`AuthBuilder::mail`](crate::AuthBuilder::mail). Without it, the routes that send mail
/// answer `503 mail_unavailable`.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::mail::{MailError, MailMessage, MailSettings, Mailer};
///
/// struct Nowhere;
/// #[async_trait::async_trait]
/// impl Mailer for Nowhere {
///     async fn send(&self, _: &MailMessage) -> Result<(), MailError> { Ok(()) }
/// }
/// let settings = MailSettings::new(Arc::new(Nowhere), "https://tasks.example/")?;
/// assert_eq!(settings.link("/reset-password", "t0ken"), "https://tasks.example/reset-password#token=t0ken");
/// assert!(MailSettings::new(Arc::new(Nowhere), "tasks.example").is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Clone)]
pub struct MailSettings {
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) templates: Arc<dyn MailTemplates>,
    public_url: String,
    pub(crate) retry_delays: Vec<Duration>,
    pub(crate) max_in_flight: usize,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("public_url", &self.public_url)
            .field("retry_delays", &self.retry_delays)
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

impl MailSettings {
    /// Waits before the second, third and fourth attempt of a send that failed for a
    /// reason that may pass: 5 s, 30 s, 2 min.
    pub const DEFAULT_RETRY_DELAYS: [Duration; 3] =
        [Duration::from_secs(5), Duration::from_secs(30), Duration::from_secs(120)];
    /// Messages being prepared or sent at once; more are dropped (and logged), so a flood
    /// of requests cannot grow memory without bound: 256.
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

    /// Sends through `mailer`, with links under `public_url` (`http://` or `https://`,
    /// no query or fragment; a trailing `/` is dropped).
    ///
    /// # Errors
    /// [`AuthError::Config`](crate::AuthError::Config) for a URL of another form.
    pub fn new(mailer: Arc<dyn Mailer>, public_url: &str) -> Result<Self> {
        let url = crate::PublicUrl::parse(public_url)?;
        Ok(Self {
            mailer,
            templates: Arc::new(DefaultTemplates),
            public_url: url.as_str().to_owned(),
            retry_delays: Self::DEFAULT_RETRY_DELAYS.to_vec(),
            max_in_flight: Self::DEFAULT_MAX_IN_FLIGHT,
        })
    }

    /// Writes the messages with `templates` instead of the [`DefaultTemplates`].
    pub fn templates(mut self, templates: Arc<dyn MailTemplates>) -> Self {
        self.templates = templates;
        self
    }

    /// Waits these delays between attempts of a send that failed temporarily (one attempt
    /// more than delays); see [`DEFAULT_RETRY_DELAYS`](Self::DEFAULT_RETRY_DELAYS).
    pub fn retry_delays(mut self, delays: Vec<Duration>) -> Self {
        self.retry_delays = delays;
        self
    }

    /// At most this many messages in preparation or sending at once (at least 1); see
    /// [`DEFAULT_MAX_IN_FLIGHT`](Self::DEFAULT_MAX_IN_FLIGHT).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// The public URL links start with.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The link to the page at `path` (from the public URL) with `token` in its fragment:
    /// browsers send no fragment to servers, so the token stays out of request lines,
    /// access logs and `Referer` headers.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}#token={token}", self.public_url)
    }
}
