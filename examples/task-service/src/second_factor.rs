//! The keys of second factors: `MFA_ENCRYPTION_KEY` (and `MFA_ENCRYPTION_OLD_KEYS`), or a
//! key derived from `SECRET_KEY`; and the issuer name authenticator apps show.

use auth_core::{MfaKey, MfaKeyRing, MfaSettings};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD},
};
use zeroize::Zeroizing;

use crate::{
    app::StartupError,
    config::{Config, JwtAlgorithm, Secret},
    secret,
};

/// The MFA settings of `config`, or `None` (logged) when no key can be had: an asymmetric
/// signing algorithm and no `MFA_ENCRYPTION_KEY`.
///
/// # Errors
/// A [`StartupError`] for a key that is not 32 bytes of base64, an issuer name the library
/// refuses, or a `SECRET_KEY` that [`secret::resolve`] refuses.
pub fn settings(config: &Config) -> Result<Option<MfaSettings>, StartupError> {
    let current = match &config.mfa_encryption_key {
        Some(key) => parse_key(key, "MFA_ENCRYPTION_KEY")?,
        None if config.jwt_algorithm == JwtAlgorithm::Hs256 => {
            let secret = secret::resolve(config)?;
            MfaKey::derive(secret.expose().as_bytes())?
        }
        None => {
            tracing::warn!(
                algorithm = config.jwt_algorithm.name(),
                "second factors are off: set MFA_ENCRYPTION_KEY (there is no SECRET_KEY to derive a key from)"
            );
            return Ok(None);
        }
    };
    let mut ring = MfaKeyRing::new(current);
    for old in &config.mfa_encryption_old_keys {
        ring = ring.with_old_key(parse_key(old, "MFA_ENCRYPTION_OLD_KEYS")?);
    }
    tracing::info!(key_id = ring.current_key_id(), "TOTP secrets are sealed with this key");
    Ok(Some(MfaSettings::new(config.mfa_issuer.clone(), ring)?))
}

/// 32 bytes in base64 (standard or URL-safe, padded or not). The error names the setting,
/// never the value.
fn parse_key(key: &Secret, name: &str) -> Result<MfaKey, StartupError> {
    let text = key.expose().trim();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .map(Zeroizing::new);
    match bytes.as_ref().map(|b| <[u8; 32]>::try_from(b.as_slice())) {
        Some(Ok(bytes)) => Ok(MfaKey::from_bytes(bytes)),
        _ => Err(StartupError::Other(format!(
            "{name} must be 32 random bytes in base64 (openssl rand -base64 32)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_32_bytes_of_base64_and_errors_never_show_them() {
        let good = STANDARD.encode([7u8; 32]);
        assert!(parse_key(&Secret::new(good.clone()), "K").is_ok());
        assert!(parse_key(&Secret::new(URL_SAFE_NO_PAD.encode([7u8; 32])), "K").is_ok());
        for bad in [STANDARD.encode([7u8; 31]), "not base64 at all!".into(), String::new()] {
            let err = parse_key(&Secret::new(bad.clone()), "MFA_ENCRYPTION_KEY").unwrap_err();
            let shown = err.to_string();
            assert!(shown.contains("MFA_ENCRYPTION_KEY"), "{shown}");
            assert!(bad.is_empty() || !shown.contains(&bad), "{shown}");
        }
    }

    #[test]
    fn the_key_comes_from_the_setting_else_from_the_secret() {
        let mut config = Config::with_database("sqlite::memory:");
        config.secret_key = Some(Secret::new("q8ZrT1vX0wN5mB3kL9pF2sD7hG4jC6aE"));
        let derived = settings(&config).unwrap().unwrap();
        config.mfa_encryption_key = Some(Secret::new(STANDARD.encode([9u8; 32])));
        let given = settings(&config).unwrap().unwrap();
        assert_ne!(derived.keys().current_key_id(), given.keys().current_key_id());
        assert_eq!(given.keys().current_key_id(), MfaKey::from_bytes([9; 32]).id());
        // No secret to derive from: off, not a weak key.
        config.mfa_encryption_key = None;
        config.secret_key = None;
        config.jwt_algorithm = JwtAlgorithm::Es256;
        assert!(settings(&config).unwrap().is_none());
    }
}
