//! [`OutboxMailer`]: each message as an `.eml` file in a directory, for development and
//! the embedded default of the example service.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor, message::Mailbox};

use super::{MailError, MailMessage, Mailer, lettre_message};
use crate::{AuthError, Result};

/// Writes every message as `<id>.eml` (RFC 5322, as an SMTP server would receive it) into
/// a directory, and logs the file's name (never its contents). A directory it makes is
/// readable by the process's user only (the files hold live links).
///
/// ```
/// use auth_core::mail::OutboxMailer;
/// let dir = tempfile::tempdir().unwrap();
/// let outbox = OutboxMailer::new(dir.path().join("outbox"), "no-reply@tasks.example")?;
/// assert!(outbox.dir().is_dir());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    transport: AsyncFileTransport<Tokio1Executor>,
    dir: PathBuf,
    from: Mailbox,
}

impl OutboxMailer {
    /// Writes into `dir` (made if missing), as sent by `from`.
    ///
    /// # Errors
    /// [`AuthError::Config`] when the directory cannot be made or `from` is no address.
    pub fn new(dir: impl Into<PathBuf>, from: &str) -> Result<Self> {
        let dir = dir.into();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        // The files hold live links: readable by this user only.
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        let made = builder.create(&dir);
        // A directory that was there already is made private too.
        #[cfg(unix)]
        let made = made.and_then(|()| {
            std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        });
        made.map_err(|e| AuthError::Config(format!("mail outbox {}: {e}", dir.display())))?;
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| AuthError::Config("mail sender: not an address".into()))?;
        Ok(Self { transport: AsyncFileTransport::new(&dir), dir, from })
    }

    /// The directory the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let email = lettre_message(message, &self.from)?;
        let id =
            self.transport.send(email).await.map_err(|e| MailError::Temporary(e.to_string()))?;
        tracing::info!(target: "auth::mail", file = %self.dir.join(format!("{id}.eml")).display(), "message written to the outbox");
        Ok(())
    }
}
