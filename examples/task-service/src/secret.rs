//! The signing secret: given, or generated once and kept in a 0600 file.

use std::{
    fs,
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;

use crate::config::{AppEnv, Config, Secret};

/// The name of the generated secret's file.
pub const SECRET_FILE: &str = "task-service.secret";

/// Why the service will not start with this secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Production without SECRET_KEY.
    #[error("APP_ENV=production requires SECRET_KEY (at least 32 random bytes)")]
    Missing,
    /// Shorter than 32 bytes.
    #[error("SECRET_KEY must be at least 32 bytes")]
    TooShort,
    /// Guessable (accepted outside production only with ALLOW_INSECURE_SECRET).
    #[error(
        "SECRET_KEY is guessable: use at least 32 random bytes \
         (or ALLOW_INSECURE_SECRET=true, never in production)"
    )]
    Weak,
    /// The secret file could not be read or written.
    #[error("secret file {0}: {1}")]
    File(PathBuf, #[source] std::io::Error),
}

/// The secret to sign with. See [`Config::secret_key`].
///
/// # Errors
/// A [`SecretError`] when the secret is missing in production, shorter than 32 bytes, weak in
/// production, or its file cannot be used.
pub fn resolve(config: &Config) -> Result<Secret, SecretError> {
    if let Some(secret) = &config.secret_key {
        check(secret, config.app_env, config.allow_insecure_secret)?;
        return Ok(secret.clone());
    }
    if config.app_env == AppEnv::Production {
        return Err(SecretError::Missing);
    }
    let path = secret_path(&config.database_url);
    let secret = read_or_create(&path)?;
    tracing::warn!(
        file = %path.display(),
        "SECRET_KEY is not set: using a generated secret kept in this file (set SECRET_KEY in production)"
    );
    Ok(secret)
}

fn check(secret: &Secret, env: AppEnv, allow_insecure: bool) -> Result<(), SecretError> {
    if secret.expose().len() < auth_core::MIN_HMAC_SECRET_LEN {
        return Err(SecretError::TooShort);
    }
    // The estimate looks at the head only (its cost grows with length); cut on a character
    // boundary, never inside one.
    let head: zeroize::Zeroizing<String> =
        zeroize::Zeroizing::new(secret.expose().chars().take(64).collect());
    if u8::from(zxcvbn::zxcvbn(&head, &[]).score()) >= 3 {
        return Ok(());
    }
    if allow_insecure && env != AppEnv::Production {
        tracing::warn!(
            "insecure setting: a guessable SECRET_KEY is in use (ALLOW_INSECURE_SECRET)"
        );
        return Ok(());
    }
    Err(SecretError::Weak)
}

/// Next to a SQLite database file; otherwise in the working directory.
pub fn secret_path(database_url: &str) -> PathBuf {
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|f| !f.is_empty() && !f.starts_with(":memory:"));
    match file.and_then(|f| Path::new(f).parent()) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(SECRET_FILE),
        _ => PathBuf::from(SECRET_FILE),
    }
}

fn read_or_create(path: &Path) -> Result<Secret, SecretError> {
    let fail = |e| SecretError::File(path.to_owned(), e);
    match fs::read_to_string(path) {
        Ok(s) => {
            let mode = fs::metadata(path).map_err(fail)?.permissions().mode();
            if mode & 0o077 != 0 {
                fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(fail)?;
                tracing::warn!(file = %path.display(), "secret file was readable by others; now 0600");
            }
            let secret = Secret::new(s.trim());
            if secret.expose().len() < auth_core::MIN_HMAC_SECRET_LEN {
                return Err(SecretError::TooShort);
            }
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 48];
            rand::rng().fill_bytes(&mut bytes);
            let secret = Secret::new(URL_SAFE_NO_PAD.encode(bytes));
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(fail)?;
            f.write_all(secret.expose().as_bytes()).map_err(fail)?;
            Ok(secret)
        }
        Err(e) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_file_sits_next_to_the_sqlite_database() {
        assert_eq!(
            secret_path("sqlite://data/app.db?mode=rwc"),
            Path::new("data").join(SECRET_FILE)
        );
        assert_eq!(secret_path("sqlite://app.db?mode=rwc"), PathBuf::from(SECRET_FILE));
        assert_eq!(secret_path("sqlite::memory:"), PathBuf::from(SECRET_FILE));
        assert_eq!(secret_path("postgres://u@h/db"), PathBuf::from(SECRET_FILE));
    }

    #[test]
    fn generated_once_kept_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let config = Config::with_database(url);
        let a = resolve(&config).unwrap();
        let b = resolve(&config).unwrap();
        assert_eq!(a.expose(), b.expose());
        assert!(a.expose().len() >= 64);
        let mode = fs::metadata(dir.path().join(SECRET_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn production_refuses_missing_short_or_weak_secrets() {
        let mut config = Config::with_database("postgres://u@h/db");
        config.app_env = AppEnv::Production;
        assert!(matches!(resolve(&config), Err(SecretError::Missing)));
        config.secret_key = Some(Secret::new("too short"));
        assert!(matches!(resolve(&config), Err(SecretError::TooShort)));
        config.secret_key = Some(Secret::new("a".repeat(40)));
        assert!(matches!(resolve(&config), Err(SecretError::Weak)));
        config.secret_key = Some(Secret::new("q8ZrT1vX0wN5mB3kL9pF2sD7hG4jC6aE"));
        assert!(resolve(&config).is_ok());
        // Development refuses it too, unless explicitly allowed; production never allows it.
        config.secret_key = Some(Secret::new("a".repeat(40)));
        config.allow_insecure_secret = true;
        assert!(matches!(resolve(&config), Err(SecretError::Weak)));
        config.app_env = AppEnv::Development;
        config.allow_insecure_secret = false;
        assert!(matches!(resolve(&config), Err(SecretError::Weak)));
        config.allow_insecure_secret = true;
        assert!(resolve(&config).is_ok());
    }

    #[test]
    fn non_ascii_secrets_are_checked_without_panicking() {
        let mut config = Config::with_database("postgres://u@h/db");
        // A two-byte character straddles byte 64.
        let secret = format!("{}é{}", &"Zq8#vLp2".repeat(8)[..63], "xY7!".repeat(4));
        assert!(!secret.is_char_boundary(64));
        config.secret_key = Some(Secret::new(secret));
        assert!(resolve(&config).is_ok());
    }
}
