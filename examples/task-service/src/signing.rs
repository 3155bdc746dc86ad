//! The key access tokens are signed with: the HS256 secret (see [`crate::secret`]),
//! or an EdDSA, ES256 or RS256 private key read from `JWT_PRIVATE_KEY_FILE`.

use std::{fs, os::unix::fs::PermissionsExt, path::PathBuf};

use auth_core::SigningKey;
use zeroize::Zeroizing;

use crate::{
    app::StartupError,
    config::{Config, JwtAlgorithm},
    secret,
};

/// Why the signing key cannot be used. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// An asymmetric algorithm without a key file.
    #[error("JWT_ALGORITHM={0} requires JWT_PRIVATE_KEY_FILE (a PKCS#8 PEM private key)")]
    MissingKeyFile(&'static str),
    /// A key file with HS256, which is keyed by SECRET_KEY.
    #[error("JWT_PRIVATE_KEY_FILE is for EdDSA, ES256 and RS256: set JWT_ALGORITHM too")]
    KeyFileWithHmac,
    /// SECRET_KEY with an asymmetric algorithm, which would ignore it.
    #[error(
        "SECRET_KEY is not used with JWT_ALGORITHM={0}: unset it (the key is JWT_PRIVATE_KEY_FILE)"
    )]
    SecretWithAsymmetric(&'static str),
    /// The key file cannot be read.
    #[error("JWT_PRIVATE_KEY_FILE {0}: {1}")]
    File(PathBuf, #[source] std::io::Error),
    /// The key file does not hold a key of the algorithm (the message names the algorithm,
    /// never the file's content).
    #[error("JWT_PRIVATE_KEY_FILE {0}: {1}")]
    Key(PathBuf, #[source] auth_core::AuthError),
}

/// The key to sign access tokens with, as [`Config::jwt_algorithm`] and
/// [`Config::jwt_private_key_file`] (or [`Config::secret_key`]) say. Logs the algorithm and
/// key id, and warns when the key file can be read by other users.
///
/// # Errors
/// A [`StartupError`] when the settings do not fit together, the secret is refused, or the
/// key file is unreadable or holds no key of the algorithm.
pub fn signing_key(config: &Config) -> Result<SigningKey, StartupError> {
    let key = match config.jwt_algorithm {
        JwtAlgorithm::Hs256 => hmac(config)?,
        JwtAlgorithm::EdDsa => from_file(config, SigningKey::eddsa_pem)?,
        JwtAlgorithm::Es256 => from_file(config, SigningKey::es256_pem)?,
        JwtAlgorithm::Rs256 => from_file(config, SigningKey::rs256_pem)?,
    };
    tracing::info!(
        algorithm = config.jwt_algorithm.name(),
        kid = key.kid(),
        "access tokens are signed with this key"
    );
    Ok(key)
}

fn hmac(config: &Config) -> Result<SigningKey, StartupError> {
    if config.jwt_private_key_file.is_some() {
        return Err(SigningError::KeyFileWithHmac.into());
    }
    let secret = secret::resolve(config)?;
    Ok(SigningKey::hs256(secret.expose().as_bytes())?)
}

fn from_file(
    config: &Config,
    parse: fn(&[u8]) -> auth_core::Result<SigningKey>,
) -> Result<SigningKey, StartupError> {
    let alg = config.jwt_algorithm.name();
    let Some(path) = &config.jwt_private_key_file else {
        return Err(SigningError::MissingKeyFile(alg).into());
    };
    if config.secret_key.is_some() {
        return Err(SigningError::SecretWithAsymmetric(alg).into());
    }
    let file = |e| SigningError::File(path.clone(), e);
    let pem = Zeroizing::new(fs::read(path).map_err(file)?);
    let mode = fs::metadata(path).map_err(file)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(
            file = %path.display(),
            mode = format!("{:o}", mode & 0o777),
            "JWT_PRIVATE_KEY_FILE can be read by other users: make it 0600"
        );
    }
    Ok(parse(&pem).map_err(|e| SigningError::Key(path.clone(), e))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../auth-core/tests/keys");

    fn config(alg: JwtAlgorithm, file: Option<&str>) -> Config {
        let mut c = Config::with_database("sqlite::memory:");
        c.jwt_algorithm = alg;
        c.jwt_private_key_file = file.map(|f| PathBuf::from(KEYS).join(f));
        c
    }

    #[test]
    fn each_asymmetric_algorithm_reads_its_key_file() {
        for (alg, file) in [
            (JwtAlgorithm::EdDsa, "ed25519.pem"),
            (JwtAlgorithm::Es256, "es256.pem"),
            (JwtAlgorithm::Rs256, "rs256.pem"),
        ] {
            let key = signing_key(&config(alg, Some(file))).expect(file);
            assert_eq!(format!("{:?}", key.algorithm()), alg.name());
        }
    }

    #[test]
    fn settings_that_do_not_fit_are_refused() {
        let err = |c: &Config| signing_key(c).unwrap_err().to_string();
        assert!(err(&config(JwtAlgorithm::Es256, None)).contains("requires JWT_PRIVATE_KEY_FILE"));
        assert!(err(&config(JwtAlgorithm::Hs256, Some("es256.pem"))).contains("set JWT_ALGORITHM"));
        let mut with_secret = config(JwtAlgorithm::Es256, Some("es256.pem"));
        with_secret.secret_key = Some(Secret::new("x".repeat(48)));
        assert!(err(&with_secret).contains("SECRET_KEY is not used"));
        // A key of another algorithm, a too-short RSA key, a missing file.
        assert!(err(&config(JwtAlgorithm::Es256, Some("ed25519.pem"))).contains("ES256"));
        assert!(err(&config(JwtAlgorithm::Rs256, Some("rs1024.pem"))).contains("2048"));
        assert!(err(&config(JwtAlgorithm::EdDsa, Some("absent.pem"))).contains("absent.pem"));
    }

    #[test]
    fn errors_never_show_the_key() {
        let pem = std::fs::read_to_string(PathBuf::from(KEYS).join("es256.pem")).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let e = signing_key(&config(JwtAlgorithm::EdDsa, Some("es256.pem"))).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(&body[..16]), "{shown}");
    }

    #[test]
    fn the_algorithm_setting_ignores_case() {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        for (given, alg) in [("es256", JwtAlgorithm::Es256), ("EdDSA", JwtAlgorithm::EdDsa)] {
            let c = Only::parse_from(["task-service", "--jwt-algorithm", given]).config;
            assert_eq!(c.jwt_algorithm, alg);
        }
    }
}
