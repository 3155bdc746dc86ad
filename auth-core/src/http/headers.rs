//! Reading the request headers the API cares about: `Authorization` (bearer tokens, and the
//! HTTP Basic header Swagger UI sends on login), `Content-Type` and `Content-Length`; and the
//! `no-store` headers of responses that carry a token or a user.

use super::ErrorResponse;
use crate::{AuthError, Result};

/// The headers of every response that carries a token or a user (token pairs, `/auth/me`):
/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub const NO_STORE_HEADERS: [(&str, &str); 2] =
    [("cache-control", "no-store"), ("pragma", "no-cache")];

/// The bearer token of an `Authorization` header.
///
/// The scheme is matched case-insensitively; anything but `Bearer` (e.g. `Basic`) is not a
/// token. Tokens are never taken from the query string.
///
/// ```
/// use auth_core::http::bearer_token;
/// assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
/// assert_eq!(bearer_token(Some("bearer abc")), Some("abc"));
/// assert_eq!(bearer_token(Some("Basic Og==")), None);
/// assert_eq!(bearer_token(None), None);
/// ```
pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The client's access token from the `Authorization` header.
///
/// # Errors
/// [`AuthError::MissingCredentials`] when there is no bearer token.
pub fn require_bearer(authorization: Option<&str>) -> Result<&str> {
    bearer_token(authorization).ok_or(AuthError::MissingCredentials)
}

/// Whether an `Authorization` header is HTTP Basic with empty client credentials (`:`),
/// as Swagger UI sends on its password flow.
fn is_empty_basic(authorization: &str) -> bool {
    use base64::{Engine, engine::general_purpose::STANDARD};
    let value = authorization.trim();
    let (scheme, creds) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("basic")
        && STANDARD.decode(creds.trim()).is_ok_and(|d| d.is_empty() || d == b":")
}

/// The `Authorization` rule of `POST /auth/login`: no client authentication is supported,
/// but HTTP Basic with empty client credentials (what Swagger UI sends on its password
/// flow) is ignored, and so is any other scheme.
///
/// # Errors
/// 400 `bad_request` for HTTP Basic with credentials.
pub(crate) fn check_login_authorization(
    authorization: Option<&str>,
) -> std::result::Result<(), ErrorResponse> {
    let Some(value) = authorization else { return Ok(()) };
    if value.trim_start().get(..5).is_some_and(|s| s.eq_ignore_ascii_case("basic"))
        && !is_empty_basic(value)
    {
        return Err(ErrorResponse::bad_request("Client authentication is not supported"));
    }
    Ok(())
}

/// What a request body is, as its `Content-Type` tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/json` or `application/*+json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

impl BodyKind {
    /// The kind a `Content-Type` header announces (media types are case-insensitive;
    /// parameters such as `charset` are ignored); `None` for anything else or no header.
    ///
    /// ```
    /// use auth_core::http::BodyKind;
    /// assert_eq!(BodyKind::of(Some("application/json; charset=utf-8")), Some(BodyKind::Json));
    /// assert_eq!(BodyKind::of(Some("Application/X-WWW-Form-Urlencoded")), Some(BodyKind::Form));
    /// assert_eq!(BodyKind::of(Some("text/plain")), None);
    /// assert_eq!(BodyKind::of(None), None);
    /// ```
    pub fn of(content_type: Option<&str>) -> Option<Self> {
        let mime = content_type?.split(';').next()?.trim().to_ascii_lowercase();
        if mime == "application/json"
            || (mime.starts_with("application/") && mime.ends_with("+json"))
        {
            Some(Self::Json)
        } else if mime == "application/x-www-form-urlencoded" {
            Some(Self::Form)
        } else {
            None
        }
    }
}

/// The bodies a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptedBodies {
    /// JSON only.
    Json,
    /// A form only (the RFC 6749 token endpoint).
    Form,
    /// JSON or a form, by `Content-Type` (login, refresh, logout).
    JsonOrForm,
}

impl AcceptedBodies {
    /// The kind of body to read, checked before anything is read so that a body of the
    /// wrong type is refused (415) whatever its size.
    ///
    /// ```
    /// use auth_core::http::{AcceptedBodies, BodyKind};
    /// assert_eq!(AcceptedBodies::JsonOrForm.body_kind(Some("application/json")), Ok(BodyKind::Json));
    /// assert_eq!(AcceptedBodies::Json.body_kind(Some("text/plain")).unwrap_err().status, 415);
    /// ```
    ///
    /// # Errors
    /// 415 `unsupported_media_type`, naming what this route accepts.
    pub fn body_kind(
        self,
        content_type: Option<&str>,
    ) -> std::result::Result<BodyKind, ErrorResponse> {
        match (self, BodyKind::of(content_type)) {
            (Self::Json | Self::JsonOrForm, Some(BodyKind::Json)) => Ok(BodyKind::Json),
            (Self::Form | Self::JsonOrForm, Some(BodyKind::Form)) => Ok(BodyKind::Form),
            _ => Err(ErrorResponse::unsupported_media_type(self.media_types())),
        }
    }

    fn media_types(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Form => "application/x-www-form-urlencoded",
            Self::JsonOrForm => "application/json or application/x-www-form-urlencoded",
        }
    }
}

/// Whether a request carries no body at all, as its headers tell: no `Content-Type`, and
/// no `Content-Length` or a zero one. Routes whose value may come from a header instead
/// (a refresh token as a bearer) then read nothing.
///
/// ```
/// use auth_core::http::has_no_body;
/// assert!(has_no_body(None, None));
/// assert!(has_no_body(None, Some("0")));
/// assert!(!has_no_body(Some("application/json"), Some("0")));
/// assert!(!has_no_body(None, Some("12")));
/// ```
pub fn has_no_body(content_type: Option<&str>, content_length: Option<&str>) -> bool {
    content_type.is_none() && content_length.is_none_or(|v| v.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token(Some("BEARER  t0k")), Some("t0k"));
        assert_eq!(bearer_token(Some("Bearer")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(Some("Token abc")), None);
        assert!(is_empty_basic("Basic Og=="));
        assert!(is_empty_basic("basic "));
        assert!(!is_empty_basic("Basic dXNlcjpwYXNz"));
        assert!(!is_empty_basic("Bearer abc"));
    }

    #[test]
    fn login_authorization() {
        assert!(check_login_authorization(None).is_ok());
        assert!(check_login_authorization(Some("Basic Og==")).is_ok());
        assert!(check_login_authorization(Some("Bearer abc")).is_ok());
        let refused = check_login_authorization(Some("basic dXNlcjpwYXNz")).unwrap_err();
        assert_eq!((refused.status, refused.body.code.as_str()), (400, "bad_request"));
    }

    #[test]
    fn body_kinds() {
        assert_eq!(BodyKind::of(Some("application/problem+json")), Some(BodyKind::Json));
        assert_eq!(
            BodyKind::of(Some("APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8")),
            Some(BodyKind::Form)
        );
        assert_eq!(BodyKind::of(Some("text/json")), None);
        let e = AcceptedBodies::JsonOrForm.body_kind(None).unwrap_err();
        assert_eq!(
            e.body.detail,
            "Content-Type must be application/json or application/x-www-form-urlencoded"
        );
        let e = AcceptedBodies::Form.body_kind(Some("application/json")).unwrap_err();
        assert_eq!(e.body.detail, "Content-Type must be application/x-www-form-urlencoded");
    }
}
