//! The RFC 6749 token endpoint (`POST /auth/token`): its form, its two grants and its own
//! error shape (§5.2), which is not the API's `{"detail", "code"}`.

use serde::{Deserialize, Serialize};

use super::error_response::{log_hidden_cause, retry_after_secs};
use crate::{Auth, AuthError, Password, RequestContext, TokenPair};

/// The form of the token endpoint. `Debug` prints `[redacted]` for the refresh token (the
/// password redacts itself).
#[derive(Clone, Default, Deserialize)]
pub struct TokenRequest {
    /// `password` or `refresh_token`.
    pub grant_type: Option<String>,
    /// For the password grant.
    pub username: Option<String>,
    /// For the password grant.
    pub password: Option<Password>,
    /// For the refresh_token grant.
    pub refresh_token: Option<String>,
    /// Ignored (no scopes).
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("scope", &self.scope)
            .finish()
    }
}

/// An RFC 6749 §5.2 error body; `mfa_required` adds the second login step's `mfa_token`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `mfa_required`, …
    pub error: String,
    /// A human message.
    pub error_description: String,
    /// The token that `POST /auth/mfa/verify` takes with a code (`mfa_required` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_token: Option<String>,
}

impl std::fmt::Debug for OAuthErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthErrorBody")
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("mfa_token", &self.mfa_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// An error of the token endpoint. Its responses also carry `Cache-Control: no-store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthErrorResponse {
    /// The HTTP status (400 for protocol errors; 429/503/500 otherwise).
    pub status: u16,
    /// The body.
    pub body: OAuthErrorBody,
    /// `Retry-After` in seconds, if any.
    pub retry_after: Option<u64>,
}

impl OAuthErrorResponse {
    fn new(status: u16, error: &str, description: impl Into<String>) -> Self {
        Self {
            status,
            body: OAuthErrorBody {
                error: error.to_owned(),
                error_description: description.into(),
                mfa_token: None,
            },
            retry_after: None,
        }
    }

    /// `invalid_request`: a parameter is missing or malformed.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }
}

impl From<&AuthError> for OAuthErrorResponse {
    fn from(e: &AuthError) -> Self {
        let mut r = match e {
            AuthError::InvalidCredentials => {
                Self::new(400, "invalid_grant", "Incorrect username or password")
            }
            AuthError::InvalidToken(_) | AuthError::MissingCredentials => {
                Self::new(400, "invalid_grant", "Invalid or expired refresh token")
            }
            // The password was right, but the account may not sign in yet.
            AuthError::EmailNotVerified => Self::new(400, "invalid_grant", e.to_string()),
            // The password was right; the login goes on with a code.
            AuthError::MfaRequired(challenge) => {
                let mut r = Self::new(403, "mfa_required", e.to_string());
                r.body.mfa_token = Some(challenge.token.expose().to_owned());
                r
            }
            AuthError::Validation(f) => Self::invalid_request(f.to_string()),
            AuthError::RateLimited { .. } => Self::new(429, "slow_down", e.to_string()),
            AuthError::Overloaded { .. } | AuthError::Store(_) | AuthError::MfaUnavailable => {
                Self::new(503, "temporarily_unavailable", e.to_string())
            }
            _ => Self::new(500, "server_error", "Internal server error"),
        };
        r.retry_after = e.retry_after().map(retry_after_secs);
        r
    }
}

/// Runs the token endpoint on a decoded form, or on why the form could not be decoded
/// (which becomes `invalid_request` with the same description).
///
/// # Errors
/// An [`OAuthErrorResponse`] as RFC 6749 §5.2 describes.
pub async fn token_grant(
    auth: &Auth,
    form: Result<TokenRequest, super::ErrorResponse>,
    ctx: &RequestContext,
) -> Result<TokenPair, OAuthErrorResponse> {
    let request = form.map_err(|e| OAuthErrorResponse::invalid_request(e.body.detail))?;
    let missing = |p: &str| OAuthErrorResponse::invalid_request(format!("missing parameter: {p}"));
    match request.grant_type.as_deref() {
        None | Some("") => Err(missing("grant_type")),
        Some("password") => {
            let username =
                request.username.filter(|u| !u.is_empty()).ok_or_else(|| missing("username"))?;
            let password = request.password.ok_or_else(|| missing("password"))?;
            let session = auth
                .login_from(crate::LoginOrigin::TokenEndpoint, &username, &password, ctx)
                .await
                .map_err(refused)?;
            Ok(session.tokens)
        }
        Some("refresh_token") => {
            let token = request
                .refresh_token
                .filter(|t| !t.is_empty())
                .ok_or_else(|| missing("refresh_token"))?;
            auth.refresh(&token, ctx).await.map_err(refused)
        }
        Some(_) => Err(OAuthErrorResponse::new(
            400,
            "unsupported_grant_type",
            "grant_type must be password or refresh_token",
        )),
    }
}

/// The §5.2 answer to a failed grant, after logging what the answer hides.
fn refused(e: AuthError) -> OAuthErrorResponse {
    log_hidden_cause(&e);
    OAuthErrorResponse::from(&e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenRejection;

    #[test]
    fn debug_never_shows_the_refresh_token() {
        let r = TokenRequest {
            grant_type: Some("refresh_token".into()),
            refresh_token: Some("live-refresh-token-value".into()),
            ..TokenRequest::default()
        };
        let shown = format!("{r:?}");
        assert!(!shown.contains("live-refresh") && shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn oauth_errors() {
        assert_eq!(
            OAuthErrorResponse::from(&AuthError::InvalidCredentials).body.error,
            "invalid_grant"
        );
        let t = OAuthErrorResponse::from(&AuthError::InvalidToken(TokenRejection::RefreshReused));
        assert_eq!((t.status, t.body.error.as_str()), (400, "invalid_grant"));
        let unverified = OAuthErrorResponse::from(&AuthError::EmailNotVerified);
        assert_eq!((unverified.status, unverified.body.error.as_str()), (400, "invalid_grant"));
        assert!(unverified.body.error_description.contains("Verify your e-mail address"));
        let v = OAuthErrorResponse::from(&AuthError::validation("password", "too long"));
        assert_eq!(v.body.error, "invalid_request");
    }
}
