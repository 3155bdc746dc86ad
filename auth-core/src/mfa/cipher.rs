//! TOTP secrets at rest: XChaCha20-Poly1305 under a key derived with HKDF-SHA-256 from the
//! service's secret (its own label) or given as is, with the key's id stored beside each
//! secret so that keys can rotate. A database dump alone yields no usable secret.

use std::fmt;

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use hkdf::Hkdf;
use rand::{TryRngCore, rngs::OsRng};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::TotpSecret;
use crate::{AuthError, UserId};

/// The HKDF label of the TOTP encryption key: a key derived from the service's secret for
/// this use and no other.
const HKDF_INFO: &[u8] = b"auth-core/totp-secret-encryption/v1";

/// Bytes of an XChaCha20 nonce.
const NONCE_LEN: usize = 24;

/// A 256-bit key that encrypts TOTP secrets, with its id (the first 8 bytes of a SHA-256 of
/// the key, in hex: stored beside each secret, it says which key opens it without saying
/// anything about the key). `Debug` shows the id only.
#[derive(Clone)]
pub struct MfaKey {
    id: String,
    key: Zeroizing<[u8; 32]>,
}

impl MfaKey {
    /// The key derived from the service's secret (`SECRET_KEY`) with HKDF-SHA-256 and a label
    /// of its own, so that it is not the token-signing key.
    ///
    /// # Errors
    /// [`AuthError::Config`] for a secret shorter than an HMAC signing secret may be
    /// ([`MIN_HMAC_SECRET_LEN`](crate::MIN_HMAC_SECRET_LEN)).
    pub fn derive(secret: &[u8]) -> Result<Self, AuthError> {
        if secret.len() < crate::MIN_HMAC_SECRET_LEN {
            return Err(AuthError::Config(format!(
                "the secret to derive the MFA key from must be at least {} bytes",
                crate::MIN_HMAC_SECRET_LEN
            )));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, secret)
            .expand(HKDF_INFO, &mut *key)
            .expect("32 bytes is a valid HKDF-SHA-256 output length");
        Ok(Self::from_bytes(*key))
    }

    /// A key given as is (`MFA_ENCRYPTION_KEY`: 32 random bytes).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let key = Zeroizing::new(key);
        let mut hasher = Sha256::new();
        hasher.update(b"auth-core/mfa-key-id");
        hasher.update(*key);
        let id = hasher.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self { id, key }
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.key).into())
    }
}

impl fmt::Debug for MfaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The keys of TOTP secrets: the current one, which encrypts, and older ones that still
/// decrypt what they encrypted (rotation: add the new key as current, keep the old until no
/// stored secret names it).
///
/// ```
/// use auth_core::{MfaKey, MfaKeyRing, TotpSecret, UserId};
///
/// let old = MfaKey::derive(b"the service's secret, 32 bytes or more")?;
/// let sealed = MfaKeyRing::new(old.clone()).seal(UserId::new(7), &TotpSecret::generate())?;
/// let rotated = MfaKeyRing::new(MfaKey::from_bytes([7; 32])).with_old_key(old);
/// assert!(rotated.open(UserId::new(7), &sealed).is_ok());
/// assert!(rotated.open(UserId::new(8), &sealed).is_err(), "bound to its user");
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MfaKeyRing {
    current: MfaKey,
    old: Vec<MfaKey>,
}

/// A TOTP secret as stores keep it: the id of the key that sealed it, and the nonce followed
/// by the ciphertext and its tag. Bound to its user (the user id is authenticated data), so
/// a sealed secret copied to another account does not open.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The id of the [`MfaKey`] that sealed it.
    pub key_id: String,
    /// The 24-byte nonce, then the ciphertext with its 16-byte tag.
    pub sealed: Vec<u8>,
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecret").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl MfaKeyRing {
    /// A ring whose current key is `current`.
    pub fn new(current: MfaKey) -> Self {
        Self { current, old: Vec::new() }
    }

    /// Adds a key that only decrypts.
    #[must_use]
    pub fn with_old_key(mut self, key: MfaKey) -> Self {
        if key.id != self.current.id && self.old.iter().all(|k| k.id != key.id) {
            self.old.push(key);
        }
        self
    }

    /// The id of the key that seals.
    pub fn current_key_id(&self) -> &str {
        self.current.id()
    }

    /// Whether the ring holds the key with this id (current or old).
    pub fn has_key(&self, id: &str) -> bool {
        self.current.id == id || self.old.iter().any(|k| k.id == id)
    }

    /// Encrypts `secret` for `user` under the current key, with a fresh random nonce.
    ///
    /// # Errors
    /// [`AuthError::Config`] if the operating system's RNG or the cipher fails.
    pub fn seal(&self, user: UserId, secret: &TotpSecret) -> Result<SealedSecret, AuthError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|_| AuthError::Config("the operating system's RNG failed".into()))?;
        let aad = aad(user);
        let payload = Payload { msg: secret.expose_bytes(), aad: &aad };
        let ciphertext = self
            .current
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), payload)
            .map_err(|_| AuthError::Config("TOTP secret encryption failed".into()))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(SealedSecret { key_id: self.current.id.clone(), sealed })
    }

    /// Decrypts a stored secret of `user`.
    ///
    /// # Errors
    /// [`AuthError::Config`] when no key of the ring has its id (a key was retired too early,
    /// or the service's secret changed), or when it does not open (tampered with, or another
    /// user's). Never says more, never logs the secret.
    pub fn open(&self, user: UserId, sealed: &SealedSecret) -> Result<TotpSecret, AuthError> {
        let key = std::iter::once(&self.current)
            .chain(&self.old)
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| {
            AuthError::Config(format!(
                "no MFA key with id {} to open a stored TOTP secret",
                sealed.key_id
            ))
        })?;
        if sealed.sealed.len() <= NONCE_LEN {
            return Err(AuthError::Config("a stored TOTP secret is truncated".into()));
        }
        let (nonce, ciphertext) = sealed.sealed.split_at(NONCE_LEN);
        let aad = aad(user);
        let plain = key
            .cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad })
            .map_err(|_| AuthError::Config("a stored TOTP secret does not open".into()))?;
        TotpSecret::from_bytes(Zeroizing::new(plain))
    }
}

/// The authenticated data of a user's secret.
fn aad(user: UserId) -> Vec<u8> {
    format!("auth-core/totp:{}", user.get()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"the service's secret, 32 bytes or more";

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_user() {
        let ring = MfaKeyRing::new(MfaKey::derive(SECRET).unwrap());
        let secret = TotpSecret::generate();
        let sealed = ring.seal(UserId::new(1), &secret).unwrap();
        assert_eq!(sealed.key_id, ring.current_key_id());
        assert_eq!(sealed.sealed.len(), 24 + 20 + 16);
        let opened = ring.open(UserId::new(1), &sealed).unwrap();
        assert_eq!(opened.expose_bytes(), secret.expose_bytes());
        // Another user, a flipped bit, a truncation, an unknown key: refused.
        assert!(ring.open(UserId::new(2), &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped.sealed[30] ^= 1;
        assert!(ring.open(UserId::new(1), &flipped).is_err());
        let truncated = SealedSecret { sealed: sealed.sealed[..24].to_vec(), ..sealed.clone() };
        assert!(ring.open(UserId::new(1), &truncated).is_err());
        let other =
            MfaKeyRing::new(MfaKey::derive(b"another secret of at least 32 bytes!").unwrap());
        let err = other.open(UserId::new(1), &sealed).unwrap_err();
        assert!(err.to_string().contains(&sealed.key_id), "{err}");
        // Two seals of one secret differ (fresh nonces).
        assert_ne!(ring.seal(UserId::new(1), &secret).unwrap().sealed, sealed.sealed);
    }

    #[test]
    fn the_derived_key_is_its_own_and_rotation_keeps_old_secrets() {
        let derived = MfaKey::derive(SECRET).unwrap();
        // Not the secret itself, nor a plain hash of it.
        assert_ne!(&derived.key[..], &SECRET[..32]);
        assert_ne!(&derived.key[..], &Sha256::digest(SECRET)[..]);
        assert_eq!(derived.id(), MfaKey::derive(SECRET).unwrap().id());
        assert_eq!(derived.id().len(), 16);
        assert!(MfaKey::derive(b"short").is_err());
        let sealed =
            MfaKeyRing::new(derived.clone()).seal(UserId::new(3), &TotpSecret::generate()).unwrap();
        let next = MfaKey::from_bytes([9; 32]);
        let rotated = MfaKeyRing::new(next.clone()).with_old_key(derived);
        assert!(rotated.open(UserId::new(3), &sealed).is_ok());
        assert_eq!(
            rotated.seal(UserId::new(3), &TotpSecret::generate()).unwrap().key_id,
            next.id()
        );
        assert!(format!("{rotated:?}").contains(next.id()));
        assert!(!format!("{next:?}").contains("9, 9"), "the key never shows");
    }

    #[test]
    fn a_dump_alone_yields_no_secret() {
        // What a stolen row holds: the key id and the sealed bytes. The secret's bytes and
        // its base32 form appear nowhere in it.
        let ring = MfaKeyRing::new(MfaKey::derive(SECRET).unwrap());
        let secret = TotpSecret::generate();
        let sealed = ring.seal(UserId::new(5), &secret).unwrap();
        let row = format!("{} {:?} {:?}", sealed.key_id, sealed.sealed, sealed);
        assert!(!sealed.sealed.windows(20).any(|w| w == secret.expose_bytes()));
        assert!(!row.contains(secret.base32().as_str()));
    }
}
