//! MFA tokens: what a correct password earns when the account has a second factor, to be
//! exchanged with a code for a token pair (`POST /auth/mfa/verify`). Single use, 5 minutes,
//! at most 5 codes tried (each attempt is counted before its code is checked), bound to the
//! user and to how the login began; stored by digest only.

use std::time::Duration;

use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{TokenDigest, opaque::opaque_token};
use crate::UserId;

/// How a login began, which its MFA token remembers, so that the second step answers as the
/// first would have: a token pair in JSON, the OAuth token response, or session cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LoginOrigin {
    /// `POST /auth/login`.
    Login,
    /// `POST /auth/token` (the OAuth password grant).
    TokenEndpoint,
    /// `POST /auth/session` (a browser's cookie session).
    Session,
}

impl LoginOrigin {
    /// The stored name (`login`, `token`, `session`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::TokenEndpoint => "token",
            Self::Session => "session",
        }
    }

    /// The origin of a stored name.
    pub fn from_stored(stored: &str) -> Option<Self> {
        match stored {
            "login" => Some(Self::Login),
            "token" => Some(Self::TokenEndpoint),
            "session" => Some(Self::Session),
            _ => None,
        }
    }
}

/// An MFA token as the client holds it: 256 random bits, base64url, stored only as a
/// [`TokenDigest`]. `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct MfaToken(Zeroizing<String>);

impl MfaToken {
    /// How long an MFA token lives: 5 minutes.
    pub const LIFETIME: Duration = Duration::from_secs(5 * 60);

    /// How many codes may be tried with one MFA token: 5. Each attempt is counted before
    /// its code is checked, so concurrent guesses cannot exceed it.
    pub const MAX_ATTEMPTS: u32 = 5;
}

opaque_token!(MfaToken);

/// A way to finish a login with an MFA token, as the `methods` of a `403 mfa_required`
/// answer name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MfaMethod {
    /// A code from the authenticator app (`totp`).
    Totp,
    /// One of the recovery codes (`recovery_code`).
    RecoveryCode,
}

impl MfaMethod {
    /// The name clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// What a correct password earns when the account has a second factor: the MFA token to
/// present with a code at `POST /auth/mfa/verify`, and the methods that may finish the login.
/// Carried by [`AuthError::MfaRequired`](crate::AuthError::MfaRequired); `Debug` never shows
/// the token.
#[derive(Debug)]
pub struct MfaChallenge {
    /// The single-use token that continues the login.
    pub token: MfaToken,
    /// How the login may be finished.
    pub methods: Vec<MfaMethod>,
}

/// An MFA token as stores keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaTokenRecord {
    /// The token's digest.
    pub digest: TokenDigest,
    /// Whose login it continues.
    pub user_id: UserId,
    /// How the login began.
    pub origin: LoginOrigin,
    /// When the password was checked (the session's `auth_time`).
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// How many codes were tried with it (counted before each is checked).
    pub attempts: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_redacted_and_shape_checked() {
        let (a, b) = (MfaToken::generate(), MfaToken::generate());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(MfaToken::parse(a.expose()).unwrap().digest(), a.digest());
        assert_eq!(format!("{a:?}"), "MfaToken([redacted])");
        assert!(MfaToken::parse("short").is_err());
        for o in [LoginOrigin::Login, LoginOrigin::TokenEndpoint, LoginOrigin::Session] {
            assert_eq!(LoginOrigin::from_stored(o.as_str()), Some(o));
        }
        assert_eq!(LoginOrigin::from_stored("other"), None);
        assert_eq!((MfaToken::LIFETIME.as_secs(), MfaToken::MAX_ATTEMPTS), (300, 5));
    }
}
