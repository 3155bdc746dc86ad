//! [`MfaSettings`]: what second factors need from the application, given with
//! [`AuthBuilder::mfa`](crate::AuthBuilder::mfa).

use super::MfaKeyRing;
use crate::AuthError;

/// What second factors need: the keys that seal TOTP secrets at rest, and the issuer name
/// authenticator apps show beside the account (`Task service: alice`). Without them,
/// enrolment and the second login step answer
/// [`AuthError::MfaUnavailable`](crate::AuthError::MfaUnavailable).
///
/// ```
/// use auth_core::{MfaKey, MfaKeyRing, MfaSettings};
///
/// let key = MfaKey::derive(b"the service's secret, 32 bytes or more")?;
/// let settings = MfaSettings::new("Task service", MfaKeyRing::new(key))?;
/// assert_eq!(settings.issuer(), "Task service");
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MfaSettings {
    issuer: String,
    keys: MfaKeyRing,
}

impl MfaSettings {
    /// Longest issuer name: 64 bytes.
    pub const MAX_ISSUER_LEN: usize = 64;

    /// Settings with this issuer name and key ring.
    ///
    /// # Errors
    /// [`AuthError::Config`] for an empty issuer, one over [`MAX_ISSUER_LEN`](Self::MAX_ISSUER_LEN)
    /// bytes, or one with a colon or a control character (the `otpauth://` label separates
    /// issuer and account with a colon).
    pub fn new(issuer: impl Into<String>, keys: MfaKeyRing) -> Result<Self, AuthError> {
        let issuer = issuer.into();
        if issuer.trim().is_empty()
            || issuer.len() > Self::MAX_ISSUER_LEN
            || issuer.chars().any(|c| c == ':' || c.is_control())
        {
            return Err(AuthError::Config(format!(
                "the MFA issuer must be 1 to {} bytes, without a colon or control characters",
                Self::MAX_ISSUER_LEN
            )));
        }
        Ok(Self { issuer, keys })
    }

    /// The issuer name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The keys.
    pub fn keys(&self) -> &MfaKeyRing {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MfaKey;

    #[test]
    fn issuers_are_checked() {
        let ring = || MfaKeyRing::new(MfaKey::from_bytes([3; 32]));
        for bad in ["", "  ", "a:b", "line\nbreak", &"x".repeat(65)] {
            assert!(MfaSettings::new(bad, ring()).is_err(), "{bad:?}");
        }
        assert!(MfaSettings::new("Task service", ring()).is_ok());
    }
}
