//! [`OneTimeCode`]: the six digits a user types from an authenticator app, checked for shape
//! before any lookup.

use std::fmt;

use zeroize::Zeroizing;

use crate::AuthError;

/// Six decimal digits, as an authenticator app shows them (RFC 6238 with 6 digits). Parsing
/// ignores ASCII spaces (apps show `123 456`) and keeps leading zeros; anything else (other
/// digits counts, letters, other characters, non-ASCII digits) is refused. `Debug` prints
/// `[redacted]`.
///
/// ```
/// use auth_core::OneTimeCode;
///
/// assert_eq!(OneTimeCode::parse(" 012 345 ")?.expose(), "012345");
/// assert!(OneTimeCode::parse("12345").is_err());
/// assert!(OneTimeCode::parse("1234567").is_err());
/// assert!(OneTimeCode::parse("12a456").is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
///
/// No `PartialEq`: codes are compared in constant time, where they are checked.
#[derive(Clone)]
pub struct OneTimeCode(Zeroizing<String>);

impl OneTimeCode {
    /// How many digits a code has.
    pub const DIGITS: usize = 6;

    /// The code in `presented`, without its spaces.
    ///
    /// # Errors
    /// [`AuthError::Validation`] (field `code`) unless it is six ASCII digits once spaces
    /// are removed. The message never repeats the input.
    pub fn parse(presented: &str) -> Result<Self, AuthError> {
        if presented.len() > super::MAX_TYPED_LEN {
            return Err(Self::refusal());
        }
        let digits: Zeroizing<String> =
            Zeroizing::new(presented.chars().filter(|c| *c != ' ').collect());
        if digits.len() == Self::DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(Self::refusal())
        }
    }

    fn refusal() -> AuthError {
        AuthError::validation("code", "must be the 6 digits the authenticator app shows")
    }

    /// The digits.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_with_spaces_anywhere() {
        for (input, digits) in [
            ("123456", "123456"),
            ("000000", "000000"),
            ("123 456", "123456"),
            (" 0 1 2 3 4 5 ", "012345"),
        ] {
            assert_eq!(OneTimeCode::parse(input).unwrap().expose(), digits, "{input:?}");
        }
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "１２３４５６",
            "123\t456",
            "123-456",
            "+12345",
            &"1".repeat(65),
        ] {
            let err = OneTimeCode::parse(bad).unwrap_err();
            assert_eq!(err.code(), "validation_error", "{bad:?}");
            assert!(!err.to_string().contains(bad) || bad.is_empty(), "{err}");
        }
        assert_eq!(
            format!("{:?}", OneTimeCode::parse("123456").unwrap()),
            "OneTimeCode([redacted])"
        );
    }
}
