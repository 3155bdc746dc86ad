//! The service's mail: SMTP when `SMTP_URL` is set, else (outside production) an outbox
//! directory of `.eml` files; links under `PUBLIC_URL`.

use std::sync::Arc;

use auth_core::mail::{MailSettings, Mailer, OutboxMailer, SmtpMailer};

use crate::{
    app::StartupError,
    config::{AppEnv, Config},
};

/// The mail settings `config` asks for.
///
/// # Errors
/// [`StartupError::Other`] in production without `SMTP_URL`; [`StartupError::Auth`] for an
/// unusable `SMTP_URL`, `MAIL_FROM`, `MAIL_OUTBOX_DIR` or `PUBLIC_URL`.
pub fn settings(config: &Config) -> Result<MailSettings, StartupError> {
    let production = config.app_env == AppEnv::Production;
    if production && !config.public_url.starts_with("https://") {
        return Err(StartupError::Other(
            "APP_ENV=production requires an https:// PUBLIC_URL (mailed links carry tokens)".into(),
        ));
    }
    let mailer: Arc<dyn Mailer> = match &config.smtp_url {
        Some(url) => Arc::new(match &config.smtp_ca_file {
            Some(file) => {
                let pem = std::fs::read(file).map_err(|e| {
                    StartupError::Other(format!("SMTP_CA_FILE {}: {e}", file.display()))
                })?;
                SmtpMailer::from_url_trusting(url.expose(), &config.mail_from, &pem)?
            }
            None => SmtpMailer::from_url(url.expose(), &config.mail_from)?,
        }),
        None if production => {
            return Err(StartupError::Other(
                "APP_ENV=production requires SMTP_URL (password resets are sent by mail)".into(),
            ));
        }
        None if config.smtp_ca_file.is_some() => {
            return Err(StartupError::Other(
                "SMTP_CA_FILE is set without SMTP_URL: it would trust nothing".into(),
            ));
        }
        None => {
            let outbox = OutboxMailer::new(&config.mail_outbox_dir, &config.mail_from)?;
            tracing::warn!(
                dir = %outbox.dir().display(),
                "SMTP_URL is not set: mail is written to this directory as .eml files (development only)"
            );
            Arc::new(outbox)
        }
    };
    Ok(MailSettings::new(mailer, &config.public_url)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    // The SMTP transport's pool needs a Tokio runtime.
    #[tokio::test]
    async fn production_needs_smtp_and_development_writes_an_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_database("sqlite::memory:");
        config.mail_outbox_dir = dir.path().join("outbox");
        assert_eq!(settings(&config).unwrap().public_url(), "http://127.0.0.1:8000");
        assert!(config.mail_outbox_dir.is_dir());
        config.app_env = AppEnv::Production;
        let err = settings(&config).unwrap_err().to_string();
        assert!(err.contains("https:// PUBLIC_URL"), "the default http:// one: {err}");
        config.public_url = "https://tasks.example".into();
        let err = settings(&config).unwrap_err().to_string();
        assert!(err.contains("SMTP_URL"), "{err}");
        config.smtp_url = Some(Secret::new("smtps://app:hunter2-password@mail.example:465"));
        assert!(settings(&config).is_ok());
        // A bad URL is refused without repeating it (it holds a password).
        config.smtp_url = Some(Secret::new("ftp://app:hunter2-password@mail.example"));
        let err = settings(&config).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        config.smtp_url = None;
        config.app_env = AppEnv::Development;
        config.public_url = "not a url".into();
        assert!(settings(&config).is_err());
    }

    #[tokio::test]
    async fn a_private_authority_is_read_for_smtp_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_database("sqlite::memory:");
        config.mail_outbox_dir = dir.path().join("outbox");
        config.smtp_ca_file = Some(dir.path().join("ca.pem"));
        let err = settings(&config).unwrap_err().to_string();
        assert!(err.contains("SMTP_CA_FILE is set without SMTP_URL"), "{err}");
        config.smtp_url = Some(Secret::new("smtp://app:pw@mail.example:587?tls=required"));
        let err = settings(&config).unwrap_err().to_string();
        assert!(err.contains("SMTP_CA_FILE") && !err.contains("pw@"), "a missing file: {err}");
        std::fs::write(dir.path().join("ca.pem"), "not a certificate").unwrap();
        let err = settings(&config).unwrap_err().to_string();
        assert!(err.contains("SMTP CA certificate"), "{err}");
    }
}
