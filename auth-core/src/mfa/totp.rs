//! TOTP (RFC 6238 through `totp-rs`: SHA-1, 6 digits, 30-second steps): the secret, the
//! `otpauth://` URI and its QR code for enrolment, and the check of a code against the
//! steps around now, which says which step matched so that each is accepted once.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::{TryRngCore, rngs::OsRng};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};
use zeroize::Zeroizing;

use super::OneTimeCode;
use crate::AuthError;

/// Seconds per TOTP step.
pub const TOTP_STEP_SECONDS: u64 = 30;

/// How many steps before and after now a code may come from: one (a code shown up to 30 s
/// early or late is accepted, two steps off is not).
const SKEW_STEPS: u64 = 1;

/// What the key URI leaves as it is in a label or parameter (RFC 3986 unreserved).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A TOTP shared secret: 160 bits from the operating system's RNG (RFC 4226's recommended
/// length). Only its encrypted form is stored ([`MfaKeyRing`](crate::MfaKeyRing)); `Debug`
/// prints `[redacted]`, and the bytes are wiped when dropped.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// The length of a secret: 20 bytes.
    pub const LEN: usize = 20;

    /// A fresh secret from the operating system's RNG.
    ///
    /// # Panics
    /// When the operating system cannot give random bytes (nothing safe can go on then).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; Self::LEN]);
        OsRng.try_fill_bytes(&mut bytes).expect("the operating system's RNG works");
        Self(bytes)
    }

    /// A secret from its bytes (as decrypted from the store).
    ///
    /// # Errors
    /// [`AuthError::Config`] unless it is [`TotpSecret::LEN`] bytes.
    pub fn from_bytes(bytes: Zeroizing<Vec<u8>>) -> Result<Self, AuthError> {
        if bytes.len() == Self::LEN {
            Ok(Self(bytes))
        } else {
            Err(AuthError::Config("a stored TOTP secret has the wrong length".into()))
        }
    }

    /// A secret as an authenticator app takes it typed in: base32 (RFC 4648), any case,
    /// spaces and padding ignored. For tools and tests that compute codes.
    ///
    /// ```
    /// use auth_core::TotpSecret;
    ///
    /// let secret = TotpSecret::generate();
    /// let typed = TotpSecret::from_base32(&secret.base32().to_lowercase())?;
    /// assert_eq!(typed.expose_bytes(), secret.expose_bytes());
    /// # Ok::<(), auth_core::AuthError>(())
    /// ```
    ///
    /// # Errors
    /// [`AuthError::Validation`] (field `secret`) unless it decodes to [`TotpSecret::LEN`]
    /// bytes. The message never repeats the input.
    pub fn from_base32(typed: &str) -> Result<Self, AuthError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            typed
                .chars()
                .filter(|c| *c != ' ' && *c != '=')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        match Secret::Encoded(cleaned.to_string()).to_bytes() {
            Ok(bytes) if bytes.len() == Self::LEN => Ok(Self(Zeroizing::new(bytes))),
            _ => Err(AuthError::validation("secret", "must be a 160-bit secret in base32")),
        }
    }

    /// The bytes.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret in base32 without padding, as an authenticator app takes it typed in.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(Secret::Raw(self.0.to_vec()).to_encoded().to_string())
    }

    fn totp(&self) -> TOTP {
        TOTP::new(Algorithm::SHA1, OneTimeCode::DIGITS, 0, TOTP_STEP_SECONDS, self.0.to_vec())
            .expect("a 160-bit secret and 6 digits are valid TOTP parameters")
    }

    /// The `otpauth://totp/…` key URI an authenticator app scans: the label
    /// `issuer:account`, the secret, the issuer, and SHA-1, 6 digits, 30 s spelled out.
    ///
    /// # Errors
    /// [`AuthError::Config`] for an empty issuer or account name, or one with a `:` (the
    /// key URI format forbids it, encoded or not).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<Zeroizing<String>, AuthError> {
        if [issuer, account].iter().any(|s| s.is_empty() || s.contains(':')) {
            return Err(AuthError::Config(
                "a TOTP issuer or account name is empty or has a ':'".into(),
            ));
        }
        let (issuer, account) =
            (utf8_percent_encode(issuer, UNRESERVED), utf8_percent_encode(account, UNRESERVED));
        Ok(Zeroizing::new(format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={}&period={TOTP_STEP_SECONDS}",
            self.base32().as_str(),
            OneTimeCode::DIGITS,
        )))
    }

    /// The step a code of this secret matches, among the step of `now` and one on either
    /// side, compared in constant time; `None` if none does.
    pub fn matching_step(&self, code: &OneTimeCode, now: OffsetDateTime) -> Option<u64> {
        let totp = self.totp();
        let current = u64::try_from(now.unix_timestamp()).ok()? / TOTP_STEP_SECONDS;
        let mut found = None;
        // Every candidate is computed and compared, so the time taken does not say which.
        for step in current.saturating_sub(SKEW_STEPS)..=current + SKEW_STEPS {
            let expected = Zeroizing::new(totp.generate(step * TOTP_STEP_SECONDS));
            if bool::from(expected.as_bytes().ct_eq(code.expose().as_bytes())) {
                found = Some(step);
            }
        }
        found
    }

    /// The code of this secret for the step of `at` (for tests and the `totp` helper of the
    /// binaries).
    pub fn code_at(&self, at: OffsetDateTime) -> Zeroizing<String> {
        let seconds = u64::try_from(at.unix_timestamp()).unwrap_or(0);
        Zeroizing::new(self.totp().generate(seconds))
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

/// The QR code of `uri` as an SVG document (black on white, with a quiet zone), for an
/// enrolment page to show inline. It draws the secret (anyone who reads the picture can
/// enrol), so it is wiped when dropped and belongs only in an answer that is not cached.
///
/// # Errors
/// [`AuthError::Config`] for a text too long for a QR code.
pub fn qr_svg(uri: &str) -> Result<Zeroizing<String>, AuthError> {
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M)
        .map_err(|e| AuthError::Config(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Zeroizing::new(svg))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn rfc6238_secret() -> TotpSecret {
        TotpSecret::from_bytes(Zeroizing::new(b"12345678901234567890".to_vec())).unwrap()
    }

    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        // RFC 6238, appendix B (SHA-1), last six digits.
        let secret = rfc6238_secret();
        for (at, code) in [
            (datetime!(1970-01-01 00:00:59 UTC), "287082"),
            (datetime!(2005-03-18 01:58:29 UTC), "081804"),
            (datetime!(2009-02-13 23:31:30 UTC), "005924"),
            (datetime!(2033-05-18 03:33:20 UTC), "279037"),
        ] {
            assert_eq!(secret.code_at(at).as_str(), code, "{at}");
        }
    }

    #[test]
    fn one_step_either_side_matches_two_do_not() {
        let secret = TotpSecret::generate();
        let now = datetime!(2026-12-06 12:00:15 UTC);
        let step = 1_796_558_415 / 30;
        assert_eq!(u64::try_from(now.unix_timestamp()).unwrap() / 30, step);
        let code_at = |offset: i64| {
            OneTimeCode::parse(&secret.code_at(now + time::Duration::seconds(offset * 30))).unwrap()
        };
        assert_eq!(secret.matching_step(&code_at(0), now), Some(step));
        assert_eq!(secret.matching_step(&code_at(-1), now), Some(step - 1));
        assert_eq!(secret.matching_step(&code_at(1), now), Some(step + 1));
        for far in [-2, 2, -10] {
            let code = code_at(far);
            // Unless that code happens to equal a nearby one (one in 10^6), it is refused.
            if ![-1, 0, 1].iter().any(|n| code_at(*n).expose() == code.expose()) {
                assert_eq!(secret.matching_step(&code, now), None, "{far} steps off");
            }
        }
        let other = TotpSecret::generate();
        let theirs = OneTimeCode::parse(&other.code_at(now)).unwrap();
        if ![-1, 0, 1].iter().any(|n| code_at(*n).expose() == theirs.expose()) {
            assert_eq!(secret.matching_step(&theirs, now), None, "another secret's code");
        }
    }

    #[test]
    fn secrets_are_random_redacted_and_enrol_by_uri_and_qr() {
        let (a, b) = (TotpSecret::generate(), TotpSecret::generate());
        assert_ne!(a.expose_bytes(), b.expose_bytes());
        assert_eq!(a.expose_bytes().len(), 20);
        assert_eq!(a.base32().len(), 32);
        assert_eq!(format!("{a:?}"), "TotpSecret([redacted])");
        let uri = a.otpauth_uri("task-service", "alice").unwrap();
        let expected = format!(
            "otpauth://totp/task-service:alice?secret={}&issuer=task-service&algorithm=SHA1&digits=6&period=30",
            a.base32().as_str()
        );
        assert_eq!(uri.as_str(), expected);
        // Labels are percent-encoded; an empty part or a ':' in either is refused.
        let encoded = a.otpauth_uri("Task Service", "zoë").unwrap();
        assert!(
            encoded.starts_with("otpauth://totp/Task%20Service:zo%C3%AB?"),
            "{}",
            encoded.as_str()
        );
        assert!(encoded.contains("&issuer=Task%20Service&"), "{}", encoded.as_str());
        for (issuer, account) in [("a:b", "alice"), ("tasks", "al:ice"), ("", "alice")] {
            assert!(a.otpauth_uri(issuer, account).is_err(), "{issuer:?} {account:?}");
        }
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{}", svg.as_str());
        assert!(!svg.contains(a.base32().as_str()), "the secret is drawn, not written as text");
        assert!(TotpSecret::from_bytes(Zeroizing::new(vec![0; 19])).is_err());
    }
}
