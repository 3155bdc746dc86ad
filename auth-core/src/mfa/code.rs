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

/// A code a signed-in user or the second login step presents: the six digits of the
/// authenticator app, or one of the recovery codes. `Debug` shows neither.
///
/// ```
/// use auth_core::SecondFactorCode;
///
/// assert!(matches!(SecondFactorCode::parse("123 456")?, SecondFactorCode::Totp(_)));
/// assert!(matches!(
///     SecondFactorCode::parse("abcd-efgh-ijkl-mnop")?,
///     SecondFactorCode::Recovery(_)
/// ));
/// assert!(SecondFactorCode::parse("12345").is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Clone)]
pub enum SecondFactorCode {
    /// A code from the authenticator app.
    Totp(OneTimeCode),
    /// A recovery code.
    Recovery(super::RecoveryCode),
}

impl SecondFactorCode {
    /// Six digits (spaces ignored) are a TOTP code; anything else must be a recovery code.
    ///
    /// # Errors
    /// [`AuthError::Validation`] (field `code`) when it is neither. The message never
    /// repeats the input.
    pub fn parse(presented: &str) -> Result<Self, AuthError> {
        if let Ok(code) = OneTimeCode::parse(presented) {
            return Ok(Self::Totp(code));
        }
        super::RecoveryCode::parse(presented).map(Self::Recovery).map_err(|_| {
            AuthError::validation(
                "code",
                "must be the 6 digits the authenticator app shows, or a recovery code",
            )
        })
    }
}

impl fmt::Debug for SecondFactorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Totp(_) => f.write_str("SecondFactorCode::Totp([redacted])"),
            Self::Recovery(_) => f.write_str("SecondFactorCode::Recovery([redacted])"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any six digits with spaces anywhere parse to those digits, leading zeros kept.
        #[test]
        fn six_digits_parse_whatever_the_spaces(
            digits in "[0-9]{6}",
            spaces in proptest::collection::vec(0usize..3, 7),
        ) {
            let mut typed = String::new();
            for (i, c) in digits.chars().enumerate() {
                typed.push_str(&" ".repeat(spaces[i]));
                typed.push(c);
            }
            typed.push_str(&" ".repeat(spaces[6]));
            let parsed = OneTimeCode::parse(&typed).unwrap();
            prop_assert_eq!(parsed.expose(), digits.as_str());
            prop_assert!(matches!(SecondFactorCode::parse(&typed), Ok(SecondFactorCode::Totp(_))));
        }

        /// Five or seven digits never parse, nor do six characters with a non-digit.
        #[test]
        fn other_lengths_and_non_digits_are_refused(
            short in "[0-9]{5}",
            long in "[0-9]{7}",
            mixed in "[0-9]{0,5}[^0-9 ][0-9]{0,5}",
        ) {
            for bad in [&short, &long, &mixed] {
                let err = OneTimeCode::parse(bad).unwrap_err();
                prop_assert_eq!(err.code(), "validation_error");
                // (A short input may be a word of the message by chance.)
                prop_assert!(bad.len() < 5 || !err.to_string().contains(bad.as_str()));
            }
        }

        /// The parsers never panic, whatever they are given.
        #[test]
        fn arbitrary_input_never_panics(input in "\\PC{0,80}") {
            let _ = OneTimeCode::parse(&input);
            let _ = SecondFactorCode::parse(&input);
        }
    }

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
