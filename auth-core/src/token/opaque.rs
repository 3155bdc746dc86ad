//! What every opaque token shares (refresh tokens, link tokens): 256 random bits from the
//! OS-seeded CSPRNG in unpadded base64url, a shape check before any lookup, and the SHA-256
//! digest that stores keep instead of the token.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::TokenDigest;
use crate::TokenRejection;

/// Length on the wire: 32 random bytes in unpadded base64url.
const ENCODED_LEN: usize = 43;

/// A fresh random token.
pub(super) fn generate() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(&mut *bytes);
    Zeroizing::new(URL_SAFE_NO_PAD.encode(*bytes))
}

/// Exactly 43 base64url characters that decode to 32 bytes, or [`TokenRejection::Malformed`].
pub(super) fn parse(presented: &str) -> Result<Zeroizing<String>, TokenRejection> {
    if presented.len() != ENCODED_LEN {
        return Err(TokenRejection::Malformed);
    }
    match URL_SAFE_NO_PAD.decode(presented) {
        Ok(bytes) if bytes.len() == 32 => Ok(Zeroizing::new(presented.to_owned())),
        _ => Err(TokenRejection::Malformed),
    }
}

/// The digest a token is stored under.
pub(super) fn digest(token: &str) -> TokenDigest {
    TokenDigest::from_bytes(Sha256::digest(token.as_bytes()).into())
}
