//! Recovery codes: ten single-use codes shown once at enrolment, for when the authenticator
//! is lost. 80 random bits each, stored only as SHA-256 digests (at 80 bits a digest cannot
//! be reversed by guessing, so no slow hash is needed).

use std::fmt;

use rand::{TryRngCore, rngs::OsRng};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{AuthError, TokenDigest};

/// The alphabet of recovery codes: RFC 4648 base32 in lower case (no 0/1/8/9, so no o/l/b/g
/// look-alikes among the digits).
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Characters of a code, without its dashes: 16 × 5 bits = 80 bits.
const LEN: usize = 16;

/// One recovery code, shown as `xxxx-xxxx-xxxx-xxxx`. Parsing ignores dashes, spaces and
/// case. `Debug` prints `[redacted]`; the text is wiped when dropped.
///
/// ```
/// use auth_core::RecoveryCode;
///
/// let codes = RecoveryCode::generate_set();
/// assert_eq!(codes.len(), 10);
/// let typed = codes[0].expose().to_uppercase().replace('-', " ");
/// assert_eq!(RecoveryCode::parse(&typed)?.digest(), codes[0].digest());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
///
/// No `PartialEq`: stores compare digests ([`RecoveryCode::digest`]).
#[derive(Clone)]
pub struct RecoveryCode(Zeroizing<String>);

impl RecoveryCode {
    /// How many codes a set has.
    pub const SET_SIZE: usize = 10;

    /// A fresh set of [`SET_SIZE`](Self::SET_SIZE) codes from the operating system's RNG.
    ///
    /// # Panics
    /// When the operating system cannot give random bytes.
    pub fn generate_set() -> Vec<Self> {
        (0..Self::SET_SIZE).map(|_| Self::generate()).collect()
    }

    fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; LEN]);
        OsRng.try_fill_bytes(&mut *bytes).expect("the operating system's RNG works");
        // 256 is a multiple of 32: taking each byte modulo 32 is uniform.
        Self(grouped(bytes.iter().map(|b| char::from(ALPHABET[usize::from(b % 32)]))))
    }

    /// The code a user typed: dashes and spaces ignored, any case.
    ///
    /// # Errors
    /// [`AuthError::Validation`] (field `recovery_code`) unless 16 characters of the code
    /// alphabet remain. The message never repeats the input.
    pub fn parse(presented: &str) -> Result<Self, AuthError> {
        let refusal = || {
            AuthError::validation("recovery_code", "must be a recovery code (xxxx-xxxx-xxxx-xxxx)")
        };
        if presented.len() > super::MAX_TYPED_LEN {
            return Err(refusal());
        }
        let chars: Zeroizing<String> = Zeroizing::new(
            presented
                .chars()
                .filter(|c| *c != '-' && *c != ' ')
                .map(|c| c.to_ascii_lowercase())
                .collect(),
        );
        if chars.len() != LEN || !chars.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(refusal());
        }
        Ok(Self(grouped(chars.chars())))
    }

    /// The code as shown: `xxxx-xxxx-xxxx-xxxx`.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest stores keep (of the shown form, so that every way of typing it matches).
    pub fn digest(&self) -> TokenDigest {
        TokenDigest::from_bytes(Sha256::digest(self.0.as_bytes()).into())
    }
}

/// The code's characters as shown: in groups of four joined by dashes.
fn grouped(chars: impl Iterator<Item = char>) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(LEN + 3));
    for (i, c) in chars.enumerate() {
        if i > 0 && i % 4 == 0 {
            text.push('-');
        }
        text.push(c);
    }
    text
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_set_is_ten_distinct_well_formed_codes() {
        let set = RecoveryCode::generate_set();
        let distinct: HashSet<&str> = set.iter().map(RecoveryCode::expose).collect();
        assert_eq!(distinct.len(), 10);
        for code in &set {
            let text = code.expose();
            assert_eq!(text.len(), 19, "{text}");
            assert_eq!(text.matches('-').count(), 3);
            assert_eq!(RecoveryCode::parse(text).unwrap().digest(), code.digest());
            assert_eq!(format!("{code:?}"), "RecoveryCode([redacted])");
        }
    }

    #[test]
    fn typing_variants_match_and_others_are_refused() {
        let code = RecoveryCode::parse("abcd-efgh-ijkl-mnop").unwrap();
        for typed in [
            "ABCD-EFGH-IJKL-MNOP",
            "abcdefghijklmnop",
            " abcd efgh ijkl mnop ",
            "abcd--efghijkl-mnop",
        ] {
            assert_eq!(RecoveryCode::parse(typed).unwrap().digest(), code.digest(), "{typed:?}");
        }
        for bad in [
            "",
            "abcd-efgh-ijkl-mno",
            "abcd-efgh-ijkl-mnopq",
            "abcd-efgh-ijkl-mno1",
            "abcd-efgh-ijkl-mnó",
            "123456",
            &"a".repeat(65),
        ] {
            let err = RecoveryCode::parse(bad).unwrap_err();
            assert_eq!(err.code(), "validation_error", "{bad:?}");
        }
        assert_ne!(RecoveryCode::parse("abcd-efgh-ijkl-mnoq").unwrap().digest(), code.digest());
    }
}
