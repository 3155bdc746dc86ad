//! The one error type of the library, [`AuthError`], and the store error it wraps.
//!
//! Every variant has a stable machine code ([`AuthError::code`]) that the framework crates put
//! in the `code` field of error bodies. The `Display` text of an [`AuthError`] is safe to show
//! to a client: it never contains SQL, a password, a hash or a token. The underlying cause,
//! when there is one, is kept as the error's `source()` for logs.

use std::{error::Error as StdError, fmt, time::Duration};

/// A boxed error source, kept for logs and never shown to clients.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why an access or refresh token was refused.
///
/// Clients only ever see `invalid_token`; this detail is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenRejection {
    /// Not a well-formed token of the expected kind (including a refresh token presented as
    /// an access token, or the reverse).
    Malformed,
    /// The signature does not verify with the key the header points at.
    BadSignature,
    /// The header names an algorithm that the configured keys do not use (`none`, HS/RS
    /// confusion, …).
    WrongAlgorithm,
    /// The header's `kid` names no configured key.
    UnknownKey,
    /// The header `typ` is not `at+jwt`, or it carries a `crit` extension we do not implement.
    WrongType,
    /// A required claim is missing or has the wrong JSON type.
    BadClaims,
    /// `exp` has passed (beyond the leeway).
    Expired,
    /// `nbf` or `iat` lies in the future (beyond the leeway).
    NotYetValid,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` does not contain the configured audience.
    WrongAudience,
    /// The token was revoked: logout, logout-all, a password or role change, or deactivation.
    Revoked,
    /// The token's user no longer exists or is inactive.
    UserInactive,
    /// The refresh token has expired or its session ended.
    RefreshExpired,
    /// A refresh token that was already spent was presented again; its family is now revoked.
    RefreshReused,
    /// No such refresh token.
    RefreshUnknown,
    /// An MFA token that is unknown, spent, expired or out of attempts.
    MfaTokenDead,
}

impl fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::Malformed => "malformed token",
            Self::BadSignature => "bad signature",
            Self::WrongAlgorithm => "algorithm not allowed",
            Self::UnknownKey => "unknown key id",
            Self::WrongType => "wrong token type",
            Self::BadClaims => "missing or malformed claims",
            Self::Expired => "token expired",
            Self::NotYetValid => "token not yet valid",
            Self::WrongIssuer => "wrong issuer",
            Self::WrongAudience => "wrong audience",
            Self::Revoked => "token revoked",
            Self::UserInactive => "user missing or inactive",
            Self::RefreshExpired => "refresh token expired",
            Self::RefreshReused => "refresh token reused",
            Self::RefreshUnknown => "unknown refresh token",
            Self::MfaTokenDead => "MFA token unknown, spent, expired or out of attempts",
        };
        f.write_str(s)
    }
}

/// What kind of failure a [`StoreError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// A uniqueness constraint was violated (duplicate username).
    Conflict,
    /// The store cannot be reached right now: connection refused, pool timeout, server gone.
    Unavailable,
    /// Anything else the backend reported (corrupt row, unexpected schema, …).
    Backend,
}

/// An error reported by a storage backend.
///
/// Stores convert their own errors into this type; the source is kept for logs, and the
/// `Display` text is generic so that no SQL can reach a client through it.
pub struct StoreError {
    kind: StoreErrorKind,
    source: Option<BoxError>,
}

impl StoreError {
    /// A duplicate username (or other unique key).
    pub fn conflict() -> Self {
        Self { kind: StoreErrorKind::Conflict, source: None }
    }

    /// The store is unreachable; `source` is the backend's error, kept for logs.
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self { kind: StoreErrorKind::Unavailable, source: Some(source.into()) }
    }

    /// Any other backend failure; `source` is the backend's error, kept for logs.
    pub fn backend(source: impl Into<BoxError>) -> Self {
        Self { kind: StoreErrorKind::Backend, source: Some(source.into()) }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Whether the store is unreachable (as opposed to a conflict or a backend fault).
    pub fn is_unavailable(&self) -> bool {
        self.kind == StoreErrorKind::Unavailable
    }

    /// Whether this is a uniqueness conflict.
    pub fn is_conflict(&self) -> bool {
        self.kind == StoreErrorKind::Conflict
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            StoreErrorKind::Conflict => "store conflict: the key already exists",
            StoreErrorKind::Unavailable => "store unavailable",
            StoreErrorKind::Backend => "store backend error",
        })
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// A field of a request that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as clients send it (`username`, `password`, `email`, `role`, …).
    pub field: &'static str,
    /// A human message, safe to show (never echoes the value of a secret field).
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The library's error: every variant has a stable machine code ([`AuthError::code`]), and
/// its `Display` text is safe to show to a client; the cause, when there is one, is kept as
/// the `source()` for logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Input failed validation (HTTP 422, code `validation_error`).
    #[error("{0}")]
    Validation(FieldError),
    /// The username is taken, case-insensitively (HTTP 409, code `username_taken`).
    #[error("Username already registered")]
    UsernameTaken,
    /// Unknown user, wrong password or inactive user: one answer for all three (HTTP 401,
    /// code `invalid_credentials`).
    #[error("Incorrect username or password")]
    InvalidCredentials,
    /// The current password, asked again before an account change, is wrong (HTTP 403, code
    /// `invalid_credentials`: the caller is signed in, so this is not a 401).
    #[error("Incorrect password")]
    WrongPassword,
    /// No credentials were presented where they are required (HTTP 401, code
    /// `not_authenticated`).
    #[error("Not authenticated")]
    MissingCredentials,
    /// A token was presented but refused (HTTP 401, code `invalid_token`). The reason is for
    /// logs only; the message shown is the same for every reason.
    #[error("Invalid or expired token")]
    InvalidToken(TokenRejection),
    /// Authenticated, but the role does not allow this (HTTP 403, code `forbidden`).
    #[error("Not enough privileges")]
    Forbidden,
    /// No such resource, or it belongs to someone else (HTTP 404, code `not_found`).
    #[error("Not found")]
    NotFound,
    /// The change would leave no active admin: the last one cannot be deleted, demoted or
    /// deactivated (HTTP 409, code `last_admin`).
    #[error("The last active admin must stay an active admin")]
    LastAdmin,
    /// The token of a mailed link (a password reset, …) is malformed, unknown, spent,
    /// expired, superseded by a newer one or of another kind (HTTP 400, code
    /// `invalid_token`). One answer for all, so it tells nothing more.
    #[error("Invalid or expired link")]
    InvalidLink,
    /// The address is verified by another account: addresses are unique once verified
    /// (HTTP 409, code `email_taken`).
    #[error("This address is already verified by another account")]
    EmailTaken,
    /// The password is right, but the account has no verified address and the
    /// configuration requires one (HTTP 403, code `email_not_verified`).
    #[error("Verify your e-mail address before signing in")]
    EmailNotVerified,
    /// The password is right and the account has a second factor: the login goes on at
    /// `POST /auth/mfa/verify` with the challenge's token (HTTP 403, code `mfa_required`).
    /// No token pair was issued. `Display` never shows the token.
    #[error("A second factor is required: finish the login with a code")]
    MfaRequired(Box<crate::MfaChallenge>),
    /// The second step of a login failed: the code is wrong or was used already (HTTP 401,
    /// code `invalid_credentials`).
    #[error("Incorrect or already used code")]
    InvalidCode,
    /// A signed-in user's code, asked before a change to their second factors, is wrong or
    /// was used already (HTTP 403, code `invalid_credentials`).
    #[error("Incorrect or already used code")]
    WrongCode,
    /// The route needs a session that proved a second factor, and the token's session did
    /// not (HTTP 403, code `second_factor_required`).
    #[error("This needs a sign-in with a second factor")]
    SecondFactorRequired,
    /// Second factors need an encryption key, and none is configured, or the key that
    /// sealed a stored secret is gone (HTTP 503, code `mfa_unavailable`). The cause is
    /// logged, never shown.
    #[error("Second factors are not available on this server")]
    MfaUnavailable,
    /// This needs mail, and none is configured (HTTP 503, code `mail_unavailable`).
    #[error("Mail is not available on this server")]
    MailUnavailable,
    /// A resource server has no keys to verify tokens with: it could not fetch the issuer's
    /// key set yet (HTTP 503, code `keys_unavailable`). See
    /// [`RemoteKeySet`](crate::RemoteKeySet).
    #[error("Token verification is temporarily unavailable")]
    KeysUnavailable {
        /// When fetching the key set is tried again.
        retry_after: Duration,
    },
    /// The operation conflicts with the current state (HTTP 409, code `conflict`).
    #[error("{0}")]
    Conflict(&'static str),
    /// Password hashing is saturated; retry after the given time (HTTP 503, code
    /// `overloaded`).
    #[error("Server busy, retry later")]
    Overloaded {
        /// How long the client should wait before retrying.
        retry_after: Duration,
    },
    /// Too many attempts; retry after the given time (HTTP 429, code `rate_limited`).
    #[error("Too many attempts, retry later")]
    RateLimited {
        /// How long the client should wait before retrying.
        retry_after: Duration,
    },
    /// The store failed (HTTP 503, code `unavailable`). The source is for logs only.
    #[error("Service temporarily unavailable")]
    Store(#[source] StoreError),
    /// The configuration is invalid (raised when building it, code `config_error`).
    #[error("Invalid configuration: {0}")]
    Config(String),
    /// An internal failure that is not the client's fault (HTTP 500, code `internal_error`).
    #[error("Internal server error")]
    Internal(#[source] BoxError),
}

impl AuthError {
    /// The stable machine code of this error, as the API reference (`docs/API.md`) names it.
    ///
    /// ```
    /// use auth_core::AuthError;
    /// assert_eq!(AuthError::InvalidCredentials.code(), "invalid_credentials");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_error",
            Self::UsernameTaken => "username_taken",
            Self::InvalidCredentials
            | Self::WrongPassword
            | Self::InvalidCode
            | Self::WrongCode => "invalid_credentials",
            Self::MfaRequired(_) => "mfa_required",
            Self::SecondFactorRequired => "second_factor_required",
            Self::MfaUnavailable => "mfa_unavailable",
            Self::MissingCredentials => "not_authenticated",
            Self::InvalidToken(_) | Self::InvalidLink => "invalid_token",
            Self::MailUnavailable => "mail_unavailable",
            Self::KeysUnavailable { .. } => "keys_unavailable",
            Self::EmailTaken => "email_taken",
            Self::EmailNotVerified => "email_not_verified",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::LastAdmin => "last_admin",
            Self::Conflict(_) => "conflict",
            Self::Overloaded { .. } => "overloaded",
            Self::RateLimited { .. } => "rate_limited",
            Self::Store(_) => "unavailable",
            Self::Config(_) => "config_error",
            Self::Internal(_) => "internal_error",
        }
    }

    /// A validation error for `field` with a human `message`.
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation(FieldError { field, message: message.into() })
    }

    /// The `Retry-After` a response to this error should carry, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Overloaded { retry_after }
            | Self::RateLimited { retry_after }
            | Self::KeysUnavailable { retry_after } => Some(*retry_after),
            Self::Store(_) => Some(Duration::from_secs(1)),
            _ => None,
        }
    }
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        if e.is_conflict() { Self::UsernameTaken } else { Self::Store(e) }
    }
}

/// The result type of this crate.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_error_display_hides_the_source() {
        let e = StoreError::unavailable("SELECT password_hash FROM users -- connection refused");
        assert_eq!(e.to_string(), "store unavailable");
        let auth: AuthError = e.into();
        assert_eq!(auth.to_string(), "Service temporarily unavailable");
        assert_eq!(auth.code(), "unavailable");
        // The source chain keeps the detail for logs.
        let src = StdError::source(&auth).and_then(StdError::source).unwrap();
        assert!(src.to_string().contains("connection refused"));
    }

    #[test]
    fn conflict_becomes_username_taken() {
        let auth: AuthError = StoreError::conflict().into();
        assert_eq!(auth.code(), "username_taken");
    }

    #[test]
    fn every_token_rejection_has_the_same_public_message() {
        let a = AuthError::InvalidToken(TokenRejection::Expired).to_string();
        let b = AuthError::InvalidToken(TokenRejection::BadSignature).to_string();
        assert_eq!(a, b);
    }
}
