//! The key access tokens are signed with: the HS256 secret (see [`crate::secret`]),
//! or an EdDSA, ES256 or RS256 private key read from `JWT_PRIVATE_KEY_FILE`.

use std::{fs, io::Read, os::unix::fs::PermissionsExt, path::PathBuf};

use auth_core::{KeySet, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::{
    app::StartupError,
    config::{AppEnv, Config, JwtAlgorithm},
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
    /// In production, a key file that users other than its owner can read.
    #[error("JWT_PRIVATE_KEY_FILE {0} has mode {1:o}: other users can read it; make it 0600")]
    ReadableByOthers(PathBuf, u32),
    /// The key file cannot be read.
    #[error("JWT_PRIVATE_KEY_FILE {0}: {1}")]
    File(PathBuf, #[source] std::io::Error),
    /// The key file does not hold a key of the algorithm (the message names the algorithm,
    /// never the file's content).
    #[error("JWT_PRIVATE_KEY_FILE {0}: {1}")]
    Key(PathBuf, #[source] auth_core::AuthError),
}

/// Every key that verifies access tokens: the signing key ([`signing_key`]) and the
/// verify-only public keys of `JWT_VERIFY_ONLY_KEY_FILES` (each logged with its key id).
///
/// # Errors
/// As [`signing_key`]; a [`StartupError`] for a verify-only file that is unreadable, holds
/// no EdDSA, ES256 or RS256 public key, or repeats a key.
pub fn key_set(config: &Config) -> Result<KeySet, StartupError> {
    let mut keys = KeySet::new(signing_key(config)?);
    // (Empty entries, as an emptied list or a trailing comma leaves, are none.)
    let files = config.jwt_verify_only_key_files.iter().map(|f| f.trim()).filter(|f| !f.is_empty());
    for path in files.map(std::path::Path::new) {
        let bad = |why: String| {
            StartupError::Other(format!("JWT_VERIFY_ONLY_KEY_FILES {}: {why}", path.display()))
        };
        let pem = fs::read(path).map_err(|e| bad(e.to_string()))?;
        let key = VerifyingKey::eddsa_public_pem(&pem)
            .or_else(|_| VerifyingKey::es256_public_pem(&pem))
            .or_else(|_| VerifyingKey::rs256_public_pem(&pem))
            .map_err(|_| bad("not an EdDSA, ES256 or RS256 public key in PEM".into()))?;
        tracing::info!(kid = key.kid(), algorithm = ?key.algorithm(), file = %path.display(), "access tokens are also verified with this key (it never signs)");
        keys = keys.with_previous(key).map_err(|e| bad(e.to_string()))?;
    }
    Ok(keys)
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
    let io = |e| SigningError::File(path.clone(), e);
    let mut file = fs::File::open(path).map_err(io)?;
    // The mode of the file read, not of whatever the path names a moment later.
    let mode = file.metadata().map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        if config.app_env == AppEnv::Production {
            return Err(SigningError::ReadableByOthers(path.clone(), mode).into());
        }
        tracing::warn!(
            file = %path.display(),
            mode = format!("{mode:o}"),
            "JWT_PRIVATE_KEY_FILE can be read by other users: make it 0600 (production refuses it)"
        );
    }
    let mut pem = Zeroizing::new(Vec::new());
    file.read_to_end(&mut pem).map_err(io)?;
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
    fn verify_only_keys_join_the_set_and_bad_ones_are_refused() {
        let mut c = config(JwtAlgorithm::EdDsa, Some("ed25519.pem"));
        let file = |f: &str| PathBuf::from(KEYS).join(f).display().to_string();
        c.jwt_verify_only_key_files = vec![file("es256.pub.pem"), String::new()];
        let keys = key_set(&c).unwrap();
        assert_eq!(keys.verifying_keys().count(), 2);
        assert_eq!(keys.jwks().keys.len(), 2, "both are published");
        for (name, why) in [
            ("es256.pem", "not an EdDSA, ES256 or RS256 public key"),
            ("ed25519.pem", "not an EdDSA, ES256 or RS256 public key"),
            ("rs256.pem", "not an EdDSA, ES256 or RS256 public key"),
            ("missing.pub.pem", "No such file"),
            ("ed25519.pub.pem", "duplicate kid"),
        ] {
            c.jwt_verify_only_key_files = vec![file(name)];
            let err = key_set(&c).unwrap_err().to_string();
            assert!(
                err.contains("JWT_VERIFY_ONLY_KEY_FILES") && err.contains(why),
                "{name}: {err}"
            );
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
        for window in body.as_bytes().windows(12) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!shown.contains(window), "{window} of the key in: {shown}");
        }
    }

    #[test]
    fn production_refuses_a_key_file_others_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::copy(PathBuf::from(KEYS).join("es256.pem"), &path).unwrap();
        let mut c = config(JwtAlgorithm::Es256, None);
        c.jwt_private_key_file = Some(path.clone());
        for (mode, env, ok) in [
            (0o644, AppEnv::Development, true),
            (0o640, AppEnv::Production, false),
            (0o600, AppEnv::Production, true),
            (0o400, AppEnv::Production, true),
        ] {
            std::fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            c.app_env = env;
            let result = signing_key(&c);
            assert_eq!(result.is_ok(), ok, "mode {mode:o} in {env:?}");
            if let Err(e) = result {
                assert!(e.to_string().contains("make it 0600"), "{e}");
            }
        }
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
