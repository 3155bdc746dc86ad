use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::Password;
use crate::{AuthError, Result};

/// What a new password must meet (NIST SP 800-63B, OWASP ASVS 6.2): a minimum length in
/// characters after NFKC normalization, a maximum length in bytes (checked before anything
/// else, so a huge password costs nothing), and not being a common or easily guessed
/// password. No composition rules; long passphrases are welcome.
///
/// The common-password check uses the `zxcvbn` crate, whose frequency lists (passwords,
/// English words, names, …) come with the crate: a password is refused when zxcvbn estimates
/// fewer than 10^6 guesses for it (score 0 or 1), which covers the common-password list,
/// its l33t and case variants, keyboard walks, repeats and the username itself.
///
/// ```
/// use auth_core::{Password, PasswordPolicy};
/// let policy = PasswordPolicy::default();
/// assert!(policy.check(&Password::new("correct horse battery staple"), &[]).is_ok());
/// assert!(policy.check(&Password::new("password1"), &[]).is_err()); // common
/// assert!(policy.check(&Password::new("x7#k"), &[]).is_err());      // too short
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_chars: usize,
    max_bytes: usize,
    reject_common: bool,
}

impl PasswordPolicy {
    /// Default minimum length: 8 characters.
    pub const DEFAULT_MIN_CHARS: usize = 8;
    /// Default maximum length: 1024 bytes.
    pub const DEFAULT_MAX_BYTES: usize = 1024;
    /// Lowest minimum that may be configured (NIST's floor).
    pub const MIN_MIN_CHARS: usize = 8;
    /// Highest minimum that may be configured.
    pub const MAX_MIN_CHARS: usize = 128;
    /// Lowest maximum that may be configured (NIST: allow at least 64).
    pub const MIN_MAX_BYTES: usize = 64;
    /// Highest maximum that may be configured.
    pub const MAX_MAX_BYTES: usize = 4096;
    /// How many leading characters the guessability estimate looks at (its cost grows
    /// quickly with length; a long password's head decides).
    const STRENGTH_PREFIX_CHARS: usize = 64;

    /// A builder starting from the defaults.
    pub fn builder() -> PasswordPolicyBuilder {
        PasswordPolicyBuilder { policy: Self::default() }
    }

    /// Minimum length in characters.
    pub fn min_chars(&self) -> usize {
        self.min_chars
    }

    /// Maximum length in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Whether common and easily guessed passwords are refused.
    pub fn rejects_common(&self) -> bool {
        self.reject_common
    }

    /// The cheap checks: size in bytes, then length in characters after NFKC. Run before any
    /// hashing, also at login (a password over the limit can never be right).
    ///
    /// # Errors
    /// [`AuthError::Validation`] on the field `password`.
    pub fn check_length(&self, password: &Password) -> Result<()> {
        let raw = password.expose();
        if raw.len() > self.max_bytes {
            return Err(AuthError::validation(
                "password",
                format!("must be at most {} bytes", self.max_bytes),
            ));
        }
        let chars = raw.nfkc().count();
        if chars < self.min_chars {
            return Err(AuthError::validation(
                "password",
                format!("must be at least {} characters", self.min_chars),
            ));
        }
        Ok(())
    }

    /// All checks for a new password. `user_inputs` are words the password must not lean
    /// on (the username, the e-mail).
    ///
    /// # Errors
    /// [`AuthError::Validation`] on the field `password`; the message never contains the
    /// password.
    pub fn check(&self, password: &Password, user_inputs: &[&str]) -> Result<()> {
        self.check_length(password)?;
        if self.reject_common {
            let head: Zeroizing<String> = Zeroizing::new(
                password.expose().nfkc().take(Self::STRENGTH_PREFIX_CHARS).collect(),
            );
            let entropy = zxcvbn::zxcvbn(&head, user_inputs);
            if u8::from(entropy.score()) < 2 {
                return Err(AuthError::validation(
                    "password",
                    "is too common or too easy to guess; a few unrelated words make a strong one",
                ));
            }
        }
        Ok(())
    }

    /// The form of a password that is hashed: NFKC-normalized, so that the same password
    /// typed on different keyboards or systems verifies.
    pub(crate) fn normalize(password: &Password) -> Zeroizing<String> {
        Zeroizing::new(password.expose().nfkc().collect())
    }
}

impl Default for PasswordPolicy {
    /// 8 characters to 1024 bytes, common passwords refused.
    fn default() -> Self {
        Self {
            min_chars: Self::DEFAULT_MIN_CHARS,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            reject_common: true,
        }
    }
}

/// Builder for [`PasswordPolicy`]; see there.
#[derive(Debug, Clone)]
pub struct PasswordPolicyBuilder {
    policy: PasswordPolicy,
}

impl PasswordPolicyBuilder {
    /// Minimum length in characters after NFKC. Defaults to 8; 8..=128.
    pub fn min_chars(mut self, n: usize) -> Self {
        self.policy.min_chars = n;
        self
    }

    /// Maximum length in bytes. Defaults to 1024; 64..=4096.
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.policy.max_bytes = n;
        self
    }

    /// Accepts common and easily guessed passwords. **Insecure**; logged as such by the
    /// service at startup.
    pub fn allow_insecure_common_passwords(mut self) -> Self {
        self.policy.reject_common = false;
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// [`AuthError::Config`] when a bound is out of range or the minimum cannot fit in the
    /// maximum.
    pub fn build(self) -> Result<PasswordPolicy> {
        let p = self.policy;
        if !(PasswordPolicy::MIN_MIN_CHARS..=PasswordPolicy::MAX_MIN_CHARS).contains(&p.min_chars) {
            return Err(AuthError::Config(format!(
                "password min_chars must be {}..={}",
                PasswordPolicy::MIN_MIN_CHARS,
                PasswordPolicy::MAX_MIN_CHARS
            )));
        }
        if !(PasswordPolicy::MIN_MAX_BYTES..=PasswordPolicy::MAX_MAX_BYTES).contains(&p.max_bytes) {
            return Err(AuthError::Config(format!(
                "password max_bytes must be {}..={}",
                PasswordPolicy::MIN_MAX_BYTES,
                PasswordPolicy::MAX_MAX_BYTES
            )));
        }
        if p.min_chars * 4 > p.max_bytes {
            return Err(AuthError::Config(
                "password max_bytes must leave room for min_chars 4-byte characters".into(),
            ));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<()> {
        PasswordPolicy::default().check(&Password::new(p), &[])
    }

    #[test]
    fn min_length_boundary_in_characters_after_nfkc() {
        assert!(check("Zq8#vLp").is_err()); // 7
        assert!(check("Zq8#vLpW").is_ok()); // 8
        // 8 characters, 16 bytes.
        assert!(check("ßðđŋħĸłæ").is_ok());
        // "e" + combining acute composes to one character under NFKC: 7 chars.
        assert!(check("Zq8#vLe\u{301}").is_err());
    }

    #[test]
    fn max_length_boundary_in_bytes() {
        let head = "correct horse battery staple ";
        let at = format!("{head}{}", "x".repeat(1024 - head.len()));
        assert_eq!(at.len(), 1024);
        assert!(check(&at).is_ok());
        let over = format!("{at}x");
        let err = check(&over).unwrap_err();
        assert_eq!(err.code(), "validation_error");
        assert!(err.to_string().contains("1024 bytes"));
    }

    #[test]
    fn common_passwords_are_refused() {
        for p in
            ["password", "password1", "12345678", "qwertyuiop", "iloveyou", "P@ssw0rd", "aaaaaaaa"]
        {
            match check(p) {
                Err(AuthError::Validation(e)) => {
                    assert_eq!(e.field, "password");
                    assert!(e.message.starts_with("is too common"), "{p}: {}", e.message);
                }
                other => panic!("{p} accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn username_as_password_is_refused() {
        let policy = PasswordPolicy::default();
        assert!(policy.check(&Password::new("ZebraCrossing1"), &["ZebraCrossing1"]).is_err());
    }

    #[test]
    fn passphrases_pass() {
        assert!(check("correct horse battery staple").is_ok());
        assert!(check("my cat eats paper at 5am").is_ok());
    }

    #[test]
    fn common_check_can_be_turned_off() {
        let policy = PasswordPolicy::builder().allow_insecure_common_passwords().build().unwrap();
        assert!(policy.check(&Password::new("password"), &[]).is_ok());
        assert!(!policy.rejects_common());
    }

    #[test]
    fn builder_bounds() {
        let b = PasswordPolicy::builder;
        assert!(b().min_chars(7).build().is_err());
        assert!(b().min_chars(129).build().is_err());
        assert!(b().max_bytes(63).build().is_err());
        assert!(b().max_bytes(4097).build().is_err());
        assert!(b().min_chars(20).max_bytes(64).build().is_err());
        let p = b().min_chars(12).max_bytes(256).build().unwrap();
        assert!(p.check(&Password::new("short pass!"), &[]).is_err()); // 11 chars
        assert!(p.check(&Password::new("sheep jump fence"), &[]).is_ok());
    }
}
