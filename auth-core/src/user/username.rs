use std::{
    fmt,
    hash::{Hash, Hasher},
};

use serde::{Serialize, Serializer};
use unicode_normalization::UnicodeNormalization;

use crate::{AuthError, Result};

/// Length limits for usernames, counted in characters after NFKC normalization.
///
/// ```
/// use auth_core::UsernameRules;
/// let rules = UsernameRules::new(3, 32)?;
/// assert_eq!(rules.min_chars(), 3);
/// assert!(UsernameRules::new(0, 32).is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsernameRules {
    min_chars: usize,
    max_chars: usize,
}

impl UsernameRules {
    /// Default minimum length: 4 characters.
    pub const DEFAULT_MIN_CHARS: usize = 4;
    /// Default maximum length: 20 characters.
    pub const DEFAULT_MAX_CHARS: usize = 20;
    /// The smallest minimum that may be configured.
    pub const MIN_MIN_CHARS: usize = 1;
    /// The largest maximum that may be configured (stores size their columns for it).
    pub const MAX_MAX_CHARS: usize = 64;

    /// Rules with the given bounds.
    ///
    /// # Errors
    /// [`AuthError::Config`] unless `1 <= min <= max <= 64`.
    pub fn new(min_chars: usize, max_chars: usize) -> Result<Self> {
        if min_chars < Self::MIN_MIN_CHARS
            || max_chars > Self::MAX_MAX_CHARS
            || min_chars > max_chars
        {
            return Err(AuthError::Config(format!(
                "username length bounds must satisfy {} <= min <= max <= {}",
                Self::MIN_MIN_CHARS,
                Self::MAX_MAX_CHARS
            )));
        }
        Ok(Self { min_chars, max_chars })
    }

    /// The minimum length in characters.
    pub fn min_chars(&self) -> usize {
        self.min_chars
    }

    /// The maximum length in characters.
    pub fn max_chars(&self) -> usize {
        self.max_chars
    }
}

impl Default for UsernameRules {
    /// 4 to 20 characters.
    fn default() -> Self {
        Self { min_chars: Self::DEFAULT_MIN_CHARS, max_chars: Self::DEFAULT_MAX_CHARS }
    }
}

/// A validated username.
///
/// Input is normalized with Unicode NFKC, must then be 4–20 characters (configurable through
/// [`UsernameRules`]) of letters, digits, `_`, `-` and `.`. Two usernames are equal when their
/// case-folded forms ([`Username::key`]) are equal, so `Alice` and `alice` collide; the form
/// the user typed (after NFKC) is kept for display.
///
/// ```
/// use auth_core::Username;
/// let a = Username::parse("Alice")?;
/// let b = Username::parse("alice")?;
/// assert_eq!(a, b);
/// assert_eq!(a.as_str(), "Alice");
/// assert_eq!(a.key(), "alice");
/// assert!(Username::parse("al").is_err());
/// assert!(Username::parse("bob smith").is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Clone)]
pub struct Username {
    display: String,
    key: String,
}

impl Username {
    /// Validates `raw` with the default [`UsernameRules`].
    ///
    /// # Errors
    /// [`AuthError::Validation`] on the field `username`.
    pub fn parse(raw: &str) -> Result<Self> {
        Self::parse_with(raw, &UsernameRules::default())
    }

    /// Validates `raw` with the given rules.
    ///
    /// # Errors
    /// [`AuthError::Validation`] on the field `username`.
    pub fn parse_with(raw: &str, rules: &UsernameRules) -> Result<Self> {
        let bad = |m: String| Err(AuthError::validation("username", m));
        // Cap the work done on hostile input before normalizing it.
        if raw.len() > rules.max_chars * 4 * 18 {
            return bad(format!(
                "must be between {} and {} characters",
                rules.min_chars, rules.max_chars
            ));
        }
        let display: String = raw.nfkc().collect();
        let len = display.chars().count();
        if len < rules.min_chars || len > rules.max_chars {
            return bad(format!(
                "must be between {} and {} characters",
                rules.min_chars, rules.max_chars
            ));
        }
        if !display.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            return bad("may only contain letters, digits, '_', '-' and '.'".to_owned());
        }
        Ok(Self::from_normalized(display))
    }

    /// Rebuilds a username read back from a store, without the length rules (which may
    /// have changed since it was registered).
    ///
    /// # Errors
    /// [`AuthError::Internal`] if the stored value is empty.
    pub fn from_stored(stored: &str) -> Result<Self> {
        if stored.is_empty() {
            return Err(AuthError::Internal("stored username is empty".into()));
        }
        Ok(Self::from_normalized(stored.nfkc().collect()))
    }

    fn from_normalized(display: String) -> Self {
        let key = display.to_lowercase().nfkc().collect();
        Self { display, key }
    }

    /// The username as the user typed it, after NFKC normalization.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The case-folded form that identifies the user: stores index and compare this.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl PartialEq for Username {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Username {}

impl Hash for Username {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Username").field(&self.display).finish()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl Serialize for Username {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_boundaries() {
        assert!(Username::parse("abc").is_err());
        assert!(Username::parse("abcd").is_ok());
        assert!(Username::parse(&"a".repeat(20)).is_ok());
        assert!(Username::parse(&"a".repeat(21)).is_err());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 20 two-byte characters are fine.
        assert!(Username::parse(&"é".repeat(20)).is_ok());
        assert!(Username::parse(&"é".repeat(21)).is_err());
    }

    #[test]
    fn allowed_characters() {
        assert!(Username::parse("a_b-c.d9").is_ok());
        assert!(Username::parse("Jürgen").is_ok());
        for bad in ["with space", "semi;colon", "nul\0byte", "crlf\r\nx", "slash/x", "emoji😀x"] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nfkc_and_case_fold() {
        // Composed and decomposed forms of é are one username.
        let composed = Username::parse("caf\u{e9}x").unwrap();
        let decomposed = Username::parse("cafe\u{301}x").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(composed.as_str(), decomposed.as_str());
        // Full-width letters normalize to ASCII under NFKC.
        assert_eq!(Username::parse("ＡＬＩＣＥ").unwrap(), Username::parse("alice").unwrap());
        assert_eq!(Username::parse("ALICE").unwrap().key(), "alice");
    }

    #[test]
    fn rules_are_validated() {
        assert!(UsernameRules::new(0, 10).is_err());
        assert!(UsernameRules::new(5, 4).is_err());
        assert!(UsernameRules::new(1, 65).is_err());
        let rules = UsernameRules::new(2, 3).unwrap();
        assert!(Username::parse_with("ab", &rules).is_ok());
        assert!(Username::parse_with("abcd", &rules).is_err());
    }

    #[test]
    fn huge_input_is_rejected_cheaply() {
        assert!(Username::parse(&"a".repeat(1_000_000)).is_err());
    }
}
