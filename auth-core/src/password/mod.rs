//! Passwords: the [`Password`] secret, the [`PasswordPolicy`] it must meet, and hashing:
//! its configuration (`hashing_config`), the bounded blocking pool that runs it
//! (`hashing_pool`, [`PasswordHasher`]), and Argon2id with its PHC strings (`argon2id`,
//! `argon2_memory`), plus legacy bcrypt (`legacy`) and calibration.

mod argon2_memory;
mod argon2id;
mod calibrate;
mod hashing_config;
mod hashing_pool;
#[cfg(feature = "bcrypt")]
mod legacy;
mod params;
mod policy;

use std::fmt;

use zeroize::Zeroizing;

pub use calibrate::{Calibration, calibrate};
pub use hashing_config::{HashingConfig, HashingConfigBuilder, HashingConfigError, Pepper};
pub use hashing_pool::{HasherStats, HashingError, PasswordHasher, Verification};
pub use params::{Argon2Params, Argon2ParamsBuilder, VerifyLimits};
pub use policy::{PasswordPolicy, PasswordPolicyBuilder};

/// A plaintext password. Wiped from memory on drop; `Debug` prints `[redacted]`; no
/// `Display`, no `Serialize`.
///
/// ```
/// use auth_core::Password;
/// let p = Password::new("correct horse battery staple");
/// assert_eq!(format!("{p:?}"), "Password([redacted])");
/// ```
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a plaintext password.
    pub fn new(plain: impl Into<String>) -> Self {
        Self(Zeroizing::new(plain.into()))
    }

    /// The plaintext. Use only to hash or verify it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl<'de> serde::Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

/// A stored password hash: an Argon2 PHC string, or a legacy bcrypt string.
/// `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredHash(String);

impl StoredHash {
    /// Wraps a hash string as read from a store.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The hash string, to write it to a store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredHash([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let p = Password::new("hunter2hunter2");
        assert!(!format!("{p:?}").contains("hunter2"));
        let h = StoredHash::new("$argon2id$v=19$m=19456,t=2,p=1$abc$def");
        assert!(!format!("{h:?}").contains("argon2"));
    }
}
