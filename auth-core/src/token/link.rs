//! Link tokens: the single-use tokens a mailed link carries (a password reset, an address
//! verification), and the records stores keep of them (by digest only).

use std::time::Duration;

use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{TokenDigest, opaque::opaque_token};
use crate::{Email, UserId};

/// What a [`LinkToken`] is for. A token of one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkPurpose {
    /// `POST /auth/reset-password`: a new password for a forgotten one; valid 1 hour.
    PasswordReset,
    /// `POST /auth/verify-email`: proof that the user reads the address; valid 24 hours.
    EmailVerification,
}

impl LinkPurpose {
    /// The stored name (`password_reset`, `email_verification`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
        }
    }

    /// The purpose of a stored name.
    pub fn from_stored(stored: &str) -> Option<Self> {
        match stored {
            "password_reset" => Some(Self::PasswordReset),
            "email_verification" => Some(Self::EmailVerification),
            _ => None,
        }
    }

    /// How long a token of this purpose is valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::PasswordReset => Duration::from_secs(3600),
            Self::EmailVerification => Duration::from_secs(24 * 3600),
        }
    }
}

/// A token as a mailed link carries it: 256 random bits, base64url (the same shape as a
/// [`RefreshToken`](super::RefreshToken), and like it stored only as a [`TokenDigest`]).
/// `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct LinkToken(Zeroizing<String>);

opaque_token!(LinkToken);

/// A link token as stores keep it: what
/// [`LinkTokenStore::issue_link_token`](crate::LinkTokenStore::issue_link_token) stores and
/// the lookups return.
#[derive(Debug, Clone)]
pub struct LinkTokenRecord {
    /// The token's digest.
    pub digest: TokenDigest,
    /// Whose it is.
    pub user_id: UserId,
    /// What it is for.
    pub purpose: LinkPurpose,
    /// The address the link was sent to.
    pub email: Option<Email>,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_redacted_and_shape_checked() {
        let (a, b) = (LinkToken::generate(), LinkToken::generate());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert_eq!(LinkToken::parse(a.expose()).unwrap().digest(), a.digest());
        assert_eq!(format!("{a:?}"), "LinkToken([redacted])");
        for bad in ["", "short", &a.expose()[..42], &format!("{}=", a.expose()), "a.b.c"] {
            assert!(LinkToken::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn purposes_round_trip_and_last_as_the_api_says() {
        for p in [LinkPurpose::PasswordReset, LinkPurpose::EmailVerification] {
            assert_eq!(LinkPurpose::from_stored(p.as_str()), Some(p));
        }
        assert_eq!(LinkPurpose::PasswordReset.lifetime().as_secs(), 3600);
        assert_eq!(LinkPurpose::EmailVerification.lifetime().as_secs(), 86_400);
        assert_eq!(LinkPurpose::from_stored("other"), None);
    }
}
