//! Every error as the API answers it: a status, the `{"detail", "code"}` body and the headers
//! of RFC 6750 (`WWW-Authenticate`) and RFC 9110 (`Retry-After`). The one mapping from
//! [`AuthError`] to a response; the framework crates only copy it onto their own types.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::AuthError;

/// `WWW-Authenticate` when credentials are missing (RFC 6750 §3).
pub const WWW_AUTHENTICATE_MISSING: &str = "Bearer";
/// `WWW-Authenticate` when a presented token is refused.
pub const WWW_AUTHENTICATE_INVALID: &str = "Bearer error=\"invalid_token\"";
/// `WWW-Authenticate` when the token's role is not enough.
pub const WWW_AUTHENTICATE_SCOPE: &str = "Bearer error=\"insufficient_scope\"";
/// `WWW-Authenticate` when the token's session did not prove a second factor (RFC 9470).
pub const WWW_AUTHENTICATE_STEP_UP: &str = "Bearer error=\"insufficient_user_authentication\"";

/// The JSON body of every error: `{"detail": "...", "code": "..."}`, and for `mfa_required`
/// the challenge's `mfa_token` and `methods` too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A human message (the FastAPI convention existing clients read).
    pub detail: String,
    /// A stable snake_case code for programs.
    pub code: String,
    /// The second login step's token and methods (`mfa_required` only).
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<Box<MfaRequiredFields>>,
}

/// What a `403 mfa_required` adds to the error body: `{"mfa_token", "methods"}`. `Debug`
/// never shows the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaRequiredFields {
    /// The single-use token that `POST /auth/mfa/verify` takes with a code.
    pub mfa_token: String,
    /// How the login may be finished: `totp`, `recovery_code`.
    pub methods: Vec<String>,
}

impl std::fmt::Debug for MfaRequiredFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaRequiredFields")
            .field("mfa_token", &"[redacted]")
            .field("methods", &self.methods)
            .finish()
    }
}

impl MfaRequiredFields {
    /// The fields of `e`, when it is [`AuthError::MfaRequired`].
    pub fn of(e: &AuthError) -> Option<Box<Self>> {
        match e {
            AuthError::MfaRequired(challenge) => Some(Box::new(Self {
                mfa_token: challenge.token.expose().to_owned(),
                methods: challenge.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            })),
            _ => None,
        }
    }
}

/// A complete error response, ready for a framework to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: ErrorBody,
    /// The `WWW-Authenticate` header, if any.
    pub www_authenticate: Option<&'static str>,
    /// The `Retry-After` header in seconds, if any.
    pub retry_after: Option<u64>,
}

impl ErrorResponse {
    /// An error response without extra headers.
    pub fn new(status: u16, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody { detail: detail.into(), code: code.to_owned(), mfa: None },
            www_authenticate: None,
            retry_after: None,
        }
    }

    /// 400 `bad_request`: a request that cannot be read.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "bad_request", detail)
    }

    /// 404 `not_found`: no such route or resource.
    pub fn not_found() -> Self {
        Self::new(404, "not_found", "Not found")
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(405, "method_not_allowed", "Method not allowed")
    }

    /// 408 `request_timeout`: the request did not arrive in time.
    pub fn request_timeout() -> Self {
        Self::new(408, "request_timeout", "Request timed out")
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large() -> Self {
        Self::new(413, "payload_too_large", "Request body is too large")
    }

    /// 415 `unsupported_media_type`, naming what is accepted.
    pub fn unsupported_media_type(accepted: &str) -> Self {
        Self::new(415, "unsupported_media_type", format!("Content-Type must be {accepted}"))
    }

    /// 422 `validation_error` for one field.
    pub fn validation(field: &str, message: impl std::fmt::Display) -> Self {
        Self::new(422, "validation_error", format!("{field}: {message}"))
    }

    /// 500 `internal_error`; the detail never says more.
    pub fn internal() -> Self {
        Self::new(500, "internal_error", "Internal server error")
    }

    /// 400 for a body that could not be received (the client went away, a broken chunk).
    pub fn unreadable_body() -> Self {
        Self::bad_request("Could not read the request body")
    }

    /// Whether a response the framework or a middleware made itself (an error status
    /// without a JSON body) should get the API's error body instead.
    pub fn should_replace(status: u16, content_type: Option<&[u8]>) -> bool {
        let is_json = content_type.is_some_and(|v| v.starts_with(b"application/json"));
        status >= 400 && !is_json
    }

    /// The API's error for a bare error status made by the framework itself (404 for an
    /// unknown route, 405, 408 from a timeout, 413 from a body limit, …); `reason` is the
    /// status's canonical reason phrase, for the rare other statuses.
    pub fn for_bare_status(status: u16, reason: Option<&str>) -> Self {
        match status {
            404 => Self::not_found(),
            405 => Self::method_not_allowed(),
            408 => Self::request_timeout(),
            413 => Self::payload_too_large(),
            415 => Self::unsupported_media_type("application/json"),
            400 => Self::bad_request("Bad request"),
            500.. => Self::internal(),
            s => Self::new(s, "error", reason.unwrap_or("Error")),
        }
    }
}

impl ErrorResponse {
    /// The response for `e`, without logging anything (the one public conversion,
    /// `From<AuthError>`, logs what the response hides).
    pub(crate) fn unlogged(e: &AuthError) -> Self {
        let status = match e {
            AuthError::Validation(_) => 422,
            AuthError::InvalidLink => 400,
            AuthError::UsernameTaken
            | AuthError::EmailTaken
            | AuthError::Conflict(_)
            | AuthError::LastAdmin => 409,
            AuthError::InvalidCredentials
            | AuthError::MissingCredentials
            | AuthError::InvalidCode
            | AuthError::InvalidToken(_) => 401,
            AuthError::Forbidden
            | AuthError::WrongPassword
            | AuthError::WrongCode
            | AuthError::MfaRequired(_)
            | AuthError::SecondFactorRequired
            | AuthError::EmailNotVerified => 403,
            AuthError::NotFound => 404,
            AuthError::RateLimited { .. } => 429,
            AuthError::Overloaded { .. }
            | AuthError::Store(_)
            | AuthError::MailUnavailable
            | AuthError::MfaUnavailable
            | AuthError::KeysUnavailable { .. } => 503,
            _ => 500,
        };
        let www_authenticate = match e {
            AuthError::InvalidCredentials | AuthError::MissingCredentials => {
                Some(WWW_AUTHENTICATE_MISSING)
            }
            AuthError::InvalidToken(_) => Some(WWW_AUTHENTICATE_INVALID),
            AuthError::Forbidden => Some(WWW_AUTHENTICATE_SCOPE),
            AuthError::SecondFactorRequired => Some(WWW_AUTHENTICATE_STEP_UP),
            _ => None,
        };
        // `Display` of an AuthError is safe to show; 500s say nothing more than that.
        let detail = if status == 500 { "Internal server error".to_owned() } else { e.to_string() };
        Self {
            status,
            body: ErrorBody { detail, code: e.code().to_owned(), mfa: MfaRequiredFields::of(e) },
            www_authenticate,
            retry_after: e.retry_after().map(retry_after_secs),
        }
    }
}

/// The response for `e`, after logging what a client must not see: the cause of an
/// internal error (error level) or of a store failure (warn level). The framework crates
/// convert every [`AuthError`] through here.
impl From<AuthError> for ErrorResponse {
    fn from(e: AuthError) -> Self {
        log_hidden_cause(&e);
        Self::unlogged(&e)
    }
}

/// Logs the cause of an error whose response hides it: an internal error (error level) or a
/// store failure (warn level).
pub(crate) fn log_hidden_cause(e: &AuthError) {
    if matches!(e, AuthError::Internal(_) | AuthError::Config(_)) {
        tracing::error!(error = %e, source = ?std::error::Error::source(e), "internal error");
    } else if let AuthError::Store(s) = e {
        tracing::warn!(error = ?s, "store unavailable");
    }
}

/// `Retry-After` carries whole seconds: rounded up, so a client that waits that long is
/// not refused again for being early.
pub(crate) fn retry_after_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldError, StoreError, TokenRejection};

    #[test]
    fn status_code_and_headers_per_error() {
        let cases: Vec<(AuthError, u16, &str, Option<&str>)> = vec![
            (AuthError::validation("username", "too short"), 422, "validation_error", None),
            (AuthError::UsernameTaken, 409, "username_taken", None),
            (AuthError::InvalidCredentials, 401, "invalid_credentials", Some("Bearer")),
            (AuthError::MissingCredentials, 401, "not_authenticated", Some("Bearer")),
            (
                AuthError::InvalidToken(TokenRejection::Revoked),
                401,
                "invalid_token",
                Some(WWW_AUTHENTICATE_INVALID),
            ),
            (AuthError::Forbidden, 403, "forbidden", Some(WWW_AUTHENTICATE_SCOPE)),
            (AuthError::WrongPassword, 403, "invalid_credentials", None),
            (AuthError::NotFound, 404, "not_found", None),
            (AuthError::Conflict("x"), 409, "conflict", None),
            (AuthError::LastAdmin, 409, "last_admin", None),
            (AuthError::InvalidLink, 400, "invalid_token", None),
            (AuthError::MailUnavailable, 503, "mail_unavailable", None),
            (AuthError::EmailTaken, 409, "email_taken", None),
            (AuthError::EmailNotVerified, 403, "email_not_verified", None),
            (AuthError::InvalidCode, 401, "invalid_credentials", None),
            (AuthError::WrongCode, 403, "invalid_credentials", None),
            (
                AuthError::SecondFactorRequired,
                403,
                "second_factor_required",
                Some(WWW_AUTHENTICATE_STEP_UP),
            ),
            (AuthError::MfaUnavailable, 503, "mfa_unavailable", None),
            (
                AuthError::KeysUnavailable { retry_after: Duration::from_secs(30) },
                503,
                "keys_unavailable",
                None,
            ),
            (
                AuthError::Overloaded { retry_after: Duration::from_secs(1) },
                503,
                "overloaded",
                None,
            ),
            (
                AuthError::RateLimited { retry_after: Duration::from_millis(1500) },
                429,
                "rate_limited",
                None,
            ),
            (AuthError::Store(StoreError::unavailable("SELECT 1")), 503, "unavailable", None),
            (AuthError::Internal("boom at line 3".into()), 500, "internal_error", None),
        ];
        for (e, status, code, www) in cases {
            let r = ErrorResponse::unlogged(&e);
            assert_eq!(
                (r.status, r.body.code.as_str(), r.www_authenticate),
                (status, code, www),
                "{e:?}"
            );
            assert!(!r.body.detail.contains("SELECT") && !r.body.detail.contains("boom"));
        }
        let r = ErrorResponse::from(AuthError::RateLimited {
            retry_after: Duration::from_millis(1500),
        });
        assert_eq!(r.retry_after, Some(2));
        assert_eq!(
            ErrorResponse::from(AuthError::Store(StoreError::unavailable("x"))).retry_after,
            Some(1)
        );
    }

    #[test]
    fn mfa_required_carries_the_challenge_and_debug_hides_its_token() {
        let token = crate::MfaToken::generate();
        let exposed = token.expose().to_owned();
        let methods = vec![crate::MfaMethod::Totp, crate::MfaMethod::RecoveryCode];
        let e = AuthError::MfaRequired(Box::new(crate::MfaChallenge { token, methods }));
        let r = ErrorResponse::unlogged(&e);
        assert_eq!(
            (r.status, r.body.code.as_str(), r.www_authenticate),
            (403, "mfa_required", None)
        );
        let json = serde_json::to_value(&r.body).unwrap();
        assert_eq!(json["mfa_token"], exposed.as_str());
        assert_eq!(json["methods"], serde_json::json!(["totp", "recovery_code"]));
        for shown in [format!("{r:?}"), format!("{e:?}"), e.to_string()] {
            assert!(!shown.contains(&exposed), "{shown}");
        }
        // Other errors have neither key.
        let plain = serde_json::to_value(ErrorResponse::unlogged(&AuthError::NotFound).body);
        assert_eq!(plain.unwrap(), serde_json::json!({"detail": "Not found", "code": "not_found"}));
    }

    #[test]
    fn bare_framework_statuses_get_the_api_body() {
        assert!(ErrorResponse::should_replace(404, None));
        assert!(ErrorResponse::should_replace(405, Some(b"text/plain")));
        assert!(!ErrorResponse::should_replace(401, Some(b"application/json")));
        assert!(!ErrorResponse::should_replace(204, None));
        let cases = [
            (404, "not_found"),
            (405, "method_not_allowed"),
            (408, "request_timeout"),
            (413, "payload_too_large"),
            (415, "unsupported_media_type"),
            (400, "bad_request"),
            (502, "internal_error"),
            (418, "error"),
        ];
        for (status, code) in cases {
            let r = ErrorResponse::for_bare_status(status, Some("I'm a teapot"));
            assert_eq!(r.body.code, code, "{status}");
            let expected_status = if status >= 500 { 500 } else { status };
            assert_eq!(r.status, expected_status);
        }
    }

    #[test]
    fn validation_detail_names_the_field() {
        let e = AuthError::Validation(FieldError {
            field: "title",
            message: "must not be empty".into(),
        });
        assert_eq!(ErrorResponse::unlogged(&e).body.detail, "title: must not be empty");
    }
}
