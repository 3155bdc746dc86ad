use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{AuthError, Result};

/// An e-mail address, checked for shape only (one `@`, a dotted domain, no spaces or control
/// characters, at most 254 bytes). Whether it can receive mail is not checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The longest address accepted (RFC 5321 path limit).
    pub const MAX_LEN: usize = 254;

    /// Validates `raw` (surrounding white space is trimmed).
    ///
    /// # Errors
    /// [`AuthError::Validation`] on the field `email`.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let bad = |m: &str| Err(AuthError::validation("email", m));
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return bad("must be between 3 and 254 characters");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("must not contain spaces or control characters");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return bad("must contain @");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return bad("has an invalid local part");
        }
        let labels_ok = domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && l.len() <= 63);
        if !domain.contains('.') || !labels_ok {
            return bad("has an invalid domain");
        }
        Ok(Self(s.to_owned()))
    }

    /// Whether `other` is the same address, as stores compare them: ASCII case aside, byte
    /// for byte (no accent or Unicode case folding).
    pub fn same_address(&self, other: &Email) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }

    /// The form throttles count requests under: ASCII lower case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = AuthError;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        assert_eq!(Email::parse(" a@b.io ").unwrap().as_str(), "a@b.io");
        assert!(Email::parse("first.last+tag@sub.example.org").is_ok());
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in ["", "a", "a@", "@b.io", "a@b", "a b@c.io", "a@b..io", "a@-b.io", "a\r\n@b.io"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
