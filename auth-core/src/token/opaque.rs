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

/// The methods every opaque token type shares (`generate`, `parse`, `expose`, `digest`) and
/// its redacted `Debug`, for a `struct $name(Zeroizing<String>)`: written once.
macro_rules! opaque_token {
    ($name:ident) => {
        impl $name {
            /// A fresh random token: 256 bits from the OS-seeded CSPRNG.
            pub fn generate() -> Self {
                Self($crate::token::opaque::generate())
            }

            /// Checks the shape of a presented token before any lookup: exactly 43
            /// base64url characters that decode to 32 bytes (a JWT never passes).
            ///
            /// # Errors
            /// [`TokenRejection::Malformed`](crate::TokenRejection::Malformed).
            pub fn parse(presented: &str) -> Result<Self, $crate::TokenRejection> {
                $crate::token::opaque::parse(presented).map(Self)
            }

            /// The token, for the client (or the link).
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// The SHA-256 digest under which the token is stored.
            pub fn digest(&self) -> $crate::TokenDigest {
                $crate::token::opaque::digest(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

pub(super) use opaque_token;
