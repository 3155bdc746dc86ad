//! Signing and verification keys, and their rotation.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey,
    jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse, ThumbprintHash},
};
use sha2::{Digest, Sha256};

use crate::{AuthError, Result};

/// The key that signs new access tokens. `Debug` never shows key material.
///
/// HS256 takes a secret of at least 32 bytes; EdDSA (Ed25519), ES256 (P-256) and RS256
/// (at least 2048 bits) take a PKCS#8 private key in PEM. Each key has a `kid`: given, or
/// derived (the RFC 7638 thumbprint for public keys, a SHA-256 prefix of the secret for
/// HS256).
///
/// ```
/// use auth_core::SigningKey;
/// let key = SigningKey::hs256(b"an example secret of at least 32 bytes!")?;
/// assert_eq!(key.algorithm(), auth_core::Algorithm::HS256);
/// assert!(SigningKey::hs256(b"too short").is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    encoding: EncodingKey,
    verifying: VerifyingKey,
}

/// A key that verifies access tokens: the current signing key's, or an older one kept during
/// rotation. `Debug` never shows key material.
#[derive(Clone)]
pub struct VerifyingKey {
    kid: String,
    alg: Algorithm,
    decoding: DecodingKey,
    /// The public JWK (none for HMAC keys, which are never published).
    jwk: Option<Jwk>,
}

/// The shortest HS256 secret accepted, in bytes.
pub const MIN_HMAC_SECRET_LEN: usize = 32;

impl SigningKey {
    /// An HS256 key from a secret of at least 32 bytes.
    ///
    /// # Errors
    /// [`AuthError::Config`] if the secret is shorter.
    pub fn hs256(secret: &[u8]) -> Result<Self> {
        let verifying = VerifyingKey::hs256(secret)?;
        Ok(Self { encoding: EncodingKey::from_secret(secret), verifying })
    }

    /// An EdDSA (Ed25519) key from a PKCS#8 PEM private key.
    ///
    /// # Errors
    /// [`AuthError::Config`] if the PEM is not an Ed25519 private key.
    pub fn eddsa_pem(private_pem: &[u8]) -> Result<Self> {
        Self::asymmetric(EncodingKey::from_ed_pem(private_pem), Algorithm::EdDSA)
    }

    /// An ES256 (P-256) key from a PKCS#8 PEM private key.
    ///
    /// # Errors
    /// [`AuthError::Config`] if the PEM is not a P-256 private key.
    pub fn es256_pem(private_pem: &[u8]) -> Result<Self> {
        Self::asymmetric(EncodingKey::from_ec_pem(private_pem), Algorithm::ES256)
    }

    /// An RS256 key from a PEM private key of at least 2048 bits.
    ///
    /// # Errors
    /// [`AuthError::Config`] if the PEM is not an RSA private key or is too short.
    pub fn rs256_pem(private_pem: &[u8]) -> Result<Self> {
        Self::asymmetric(EncodingKey::from_rsa_pem(private_pem), Algorithm::RS256)
    }

    fn asymmetric(
        encoding: jsonwebtoken::errors::Result<EncodingKey>,
        alg: Algorithm,
    ) -> Result<Self> {
        let bad = || {
            AuthError::Config(format!("not a valid {alg:?} private key in PEM{}", rsa_note(alg)))
        };
        let encoding = encoding.map_err(|_| bad())?;
        let jwk = Jwk::from_encoding_key(&encoding, alg).map_err(|_| bad())?;
        let verifying = VerifyingKey::from_public_jwk(jwk, alg)?;
        Ok(Self { encoding, verifying })
    }

    /// Replaces the derived key id.
    ///
    /// # Errors
    /// [`AuthError::Config`] if `kid` is empty, longer than 64 bytes or not printable ASCII.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Result<Self> {
        self.verifying = self.verifying.with_kid(kid)?;
        Ok(self)
    }

    /// The key id written into the header of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.verifying.kid
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.verifying.alg
    }

    /// The matching verification key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    pub(crate) fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }
}

impl VerifyingKey {
    /// An HS256 verification key (an old secret during rotation).
    ///
    /// # Errors
    /// [`AuthError::Config`] if the secret is shorter than 32 bytes.
    pub fn hs256(secret: &[u8]) -> Result<Self> {
        if secret.len() < MIN_HMAC_SECRET_LEN {
            return Err(AuthError::Config(format!(
                "the HS256 secret must be at least {MIN_HMAC_SECRET_LEN} bytes"
            )));
        }
        let kid = format!("hs-{}", URL_SAFE_NO_PAD.encode(&Sha256::digest(secret)[..8]));
        Ok(Self {
            kid,
            alg: Algorithm::HS256,
            decoding: DecodingKey::from_secret(secret),
            jwk: None,
        })
    }

    /// An EdDSA verification key from a SPKI PEM public key.
    ///
    /// # Errors
    /// [`AuthError::Config`] if the PEM is not an Ed25519 public key.
    pub fn eddsa_public_pem(pem: &[u8]) -> Result<Self> {
        Self::from_public_pem(DecodingKey::from_ed_pem(pem), Algorithm::EdDSA)
    }

    /// An ES256 verification key from a SPKI PEM public key.
    ///
    /// # Errors
    /// [`AuthError::Config`] if the PEM is not a P-256 public key.
    pub fn es256_public_pem(pem: &[u8]) -> Result<Self> {
        Self::from_public_pem(DecodingKey::from_ec_pem(pem), Algorithm::ES256)
    }

    /// An RS256 verification key from a PEM public key of at least 2048 bits.
    ///
    /// # Errors
    /// [`AuthError::Config`] if the PEM is not an RSA public key or is too short.
    pub fn rs256_public_pem(pem: &[u8]) -> Result<Self> {
        Self::from_public_pem(DecodingKey::from_rsa_pem(pem), Algorithm::RS256)
    }

    fn from_public_pem(
        decoding: jsonwebtoken::errors::Result<DecodingKey>,
        alg: Algorithm,
    ) -> Result<Self> {
        let bad =
            || AuthError::Config(format!("not a valid {alg:?} public key in PEM{}", rsa_note(alg)));
        let decoding = decoding.map_err(|_| bad())?;
        let jwk = Jwk::from_decoding_key(&decoding, Some(alg)).map_err(|_| bad())?;
        Self::from_public_jwk(jwk, alg)
    }

    fn from_public_jwk(mut jwk: Jwk, alg: Algorithm) -> Result<Self> {
        let bad = |m: &str| AuthError::Config(format!("{alg:?} key: {m}"));
        if let AlgorithmParameters::RSA(rsa) = &jwk.algorithm {
            let n = URL_SAFE_NO_PAD.decode(&rsa.n).map_err(|_| bad("bad modulus"))?;
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 {
                return Err(bad("RSA keys must be at least 2048 bits"));
            }
        }
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).map_err(|_| bad("no thumbprint"))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|_| bad("unusable public key"))?;
        Ok(Self { kid, alg, decoding, jwk: Some(jwk) })
    }

    /// A verification key from a published JWK (an issuer's JWKS, RFC 7517), keeping its
    /// `kid`. The algorithm comes from the key's type: Ed25519 (`OKP`) is EdDSA, P-256
    /// (`EC`) is ES256, and an RSA key of at least 2048 bits must say `"alg": "RS256"`. A
    /// key's `alg`, when given, must be that algorithm, and its `use`, when given, `sig`.
    ///
    /// ```
    /// use auth_core::{KeySet, SigningKey, VerifyingKey};
    /// let pem = include_bytes!("../../tests/keys/es256.pem");
    /// let jwks = KeySet::new(SigningKey::es256_pem(pem)?).jwks();
    /// let key = VerifyingKey::from_jwk(&jwks.keys[0])?;
    /// assert_eq!(key.algorithm(), auth_core::Algorithm::ES256);
    /// # Ok::<(), auth_core::AuthError>(())
    /// ```
    ///
    /// # Errors
    /// [`AuthError::Config`] for a key without a valid `kid`, a symmetric key (never
    /// published), another use, an algorithm this crate does not verify, or an `alg` that
    /// does not match the key.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        use jsonwebtoken::jwk::{EllipticCurve, KeyAlgorithm as K};
        let bad = |m: &str| AuthError::Config(format!("published key: {m}"));
        let kid = jwk.common.key_id.clone().ok_or_else(|| bad("no kid"))?;
        if jwk.common.public_key_use.as_ref().is_some_and(|u| *u != PublicKeyUse::Signature) {
            return Err(bad("not a signature key"));
        }
        let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::OctetKeyPair(p), None | Some(K::EdDSA))
                if p.curve == EllipticCurve::Ed25519 =>
            {
                Algorithm::EdDSA
            }
            (AlgorithmParameters::EllipticCurve(p), None | Some(K::ES256))
                if p.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            (AlgorithmParameters::RSA(_), Some(K::RS256)) => Algorithm::RS256,
            _ => return Err(bad("an algorithm or key type this crate does not verify")),
        };
        let mut public = Jwk { common: Default::default(), algorithm: jwk.algorithm.clone() };
        public.common.key_algorithm = jwk.common.key_algorithm;
        Self::from_public_jwk(public, alg)?.with_kid(kid)
    }

    /// Replaces the derived key id.
    ///
    /// # Errors
    /// [`AuthError::Config`] if `kid` is empty, longer than 64 bytes or not printable ASCII.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Result<Self> {
        let kid = kid.into();
        if kid.is_empty() || kid.len() > 64 || !kid.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::Config("kid must be 1..=64 printable ASCII bytes".into()));
        }
        if let Some(jwk) = &mut self.jwk {
            jwk.common.key_id = Some(kid.clone());
        }
        self.kid = kid;
        Ok(self)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm tokens verified by this key must name.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }
}

fn rsa_note(alg: Algorithm) -> &'static str {
    if alg == Algorithm::RS256 { " (RSA keys must be at least 2048 bits)" } else { "" }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.verifying.kid)
            .field("alg", &self.verifying.alg)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The keys of a service: one current signing key, plus older keys that still verify
/// during a rotation.
///
/// ```
/// use auth_core::{KeySet, SigningKey, VerifyingKey};
/// let old = b"the secret we used until yesterday!!";
/// let new = b"the secret we sign with from today on";
/// let keys = KeySet::new(SigningKey::hs256(new)?).with_previous(VerifyingKey::hs256(old)?)?;
/// assert_eq!(keys.verifying_keys().count(), 2);
/// assert!(keys.jwks().keys.is_empty()); // HMAC keys are never published
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct KeySet {
    signing: SigningKey,
    previous: Vec<VerifyingKey>,
}

impl KeySet {
    /// A key set with one signing key.
    pub fn new(signing: SigningKey) -> Self {
        Self { signing, previous: Vec::new() }
    }

    /// Adds an older key that still verifies (but never signs).
    ///
    /// # Errors
    /// [`AuthError::Config`] if its `kid` is already in the set.
    pub fn with_previous(mut self, key: VerifyingKey) -> Result<Self> {
        if self.verifying_keys().any(|k| k.kid == key.kid) {
            return Err(AuthError::Config(format!("duplicate kid {:?} in key set", key.kid)));
        }
        self.previous.push(key);
        Ok(self)
    }

    /// The signing key.
    pub fn signing(&self) -> &SigningKey {
        &self.signing
    }

    /// Every key that verifies: the signing key's first, then the older ones.
    pub fn verifying_keys(&self) -> impl Iterator<Item = &VerifyingKey> {
        std::iter::once(&self.signing.verifying).chain(&self.previous)
    }

    /// The public keys as a JWKS document (RFC 7517), for services that verify tokens
    /// without the secret. HMAC keys are left out.
    pub fn jwks(&self) -> JwkSet {
        JwkSet { keys: self.verifying_keys().filter_map(|k| k.jwk.clone()).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &[u8] = include_bytes!("../../tests/keys/ed25519.pem");
    const ED_PUB: &[u8] = include_bytes!("../../tests/keys/ed25519.pub.pem");
    const ES: &[u8] = include_bytes!("../../tests/keys/es256.pem");
    const ES_PUB: &[u8] = include_bytes!("../../tests/keys/es256.pub.pem");
    const RS: &[u8] = include_bytes!("../../tests/keys/rs256.pem");
    const RS_PUB: &[u8] = include_bytes!("../../tests/keys/rs256.pub.pem");
    const RS_SHORT: &[u8] = include_bytes!("../../tests/keys/rs1024.pem");

    #[test]
    fn hmac_secret_length_boundary() {
        assert!(SigningKey::hs256(&[1u8; 31]).is_err());
        assert!(SigningKey::hs256(&[1u8; 32]).is_ok());
    }

    #[test]
    fn pem_keys_load_and_match_their_public_halves() {
        for (private, public, alg) in [
            (ED, VerifyingKey::eddsa_public_pem(ED_PUB), Algorithm::EdDSA),
            (ES, VerifyingKey::es256_public_pem(ES_PUB), Algorithm::ES256),
            (RS, VerifyingKey::rs256_public_pem(RS_PUB), Algorithm::RS256),
        ] {
            let key = match alg {
                Algorithm::EdDSA => SigningKey::eddsa_pem(private),
                Algorithm::ES256 => SigningKey::es256_pem(private),
                _ => SigningKey::rs256_pem(private),
            }
            .unwrap();
            let public = public.unwrap();
            assert_eq!(key.algorithm(), alg);
            // Same thumbprint, hence same derived kid.
            assert_eq!(key.kid(), public.kid());
        }
    }

    #[test]
    fn wrong_or_weak_pem_is_a_config_error() {
        assert!(SigningKey::rs256_pem(RS_SHORT).is_err());
        assert!(SigningKey::es256_pem(RS).is_err());
        assert!(SigningKey::eddsa_pem(b"not a pem").is_err());
        let msg = SigningKey::rs256_pem(RS_SHORT).unwrap_err().to_string();
        assert!(msg.contains("2048"));
    }

    #[test]
    fn jwks_lists_public_keys_with_kids_only() {
        let keys = KeySet::new(SigningKey::eddsa_pem(ED).unwrap())
            .with_previous(VerifyingKey::es256_public_pem(ES_PUB).unwrap())
            .unwrap()
            .with_previous(VerifyingKey::hs256(&[9u8; 32]).unwrap())
            .unwrap();
        let jwks = keys.jwks();
        assert_eq!(jwks.keys.len(), 2);
        let json = serde_json::to_string(&jwks).unwrap();
        assert!(json.contains(keys.signing().kid()));
        assert!(!json.contains("\"d\""), "no private parts: {json}");
    }

    #[test]
    fn duplicate_kids_are_refused_and_kids_validated() {
        let k = SigningKey::hs256(&[1u8; 32]).unwrap();
        let same = VerifyingKey::hs256(&[1u8; 32]).unwrap();
        assert!(KeySet::new(k.clone()).with_previous(same).is_err());
        assert!(k.clone().with_kid("").is_err());
        assert!(k.clone().with_kid("has space").is_err());
        assert_eq!(k.with_kid("2026-11").unwrap().kid(), "2026-11");
    }

    #[test]
    fn debug_shows_no_key_material() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let dbg = format!("{:?}", KeySet::new(SigningKey::hs256(secret).unwrap()));
        assert!(!dbg.contains("0123456789"));
        assert!(dbg.contains("[redacted]"));
    }
}
