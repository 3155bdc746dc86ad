//! The HTTP rules of `API.md` that do not depend on a web framework, shared by `auth-axum`
//! and `auth-actix` so that both answer byte for byte alike: the mapping of every
//! [`AuthError`] to a status, a body and headers; the RFC 6749 token endpoint; parsing of the
//! `Authorization` header; and the request bodies of the `/auth` routes.

use std::{net::IpAddr, time::Duration};

use serde::{Deserialize, Serialize};

use crate::{
    Auth, AuthError, Password, Registration, RequestContext, Result, Role, TokenPair, User,
};

/// `WWW-Authenticate` when credentials are missing (RFC 6750 §3).
pub const WWW_AUTHENTICATE_MISSING: &str = "Bearer";
/// `WWW-Authenticate` when a presented token is refused.
pub const WWW_AUTHENTICATE_INVALID: &str = "Bearer error=\"invalid_token\"";
/// `WWW-Authenticate` when the token's role is not enough.
pub const WWW_AUTHENTICATE_SCOPE: &str = "Bearer error=\"insufficient_scope\"";

/// The headers of every response that carries a token or a user (token pairs, `/auth/me`):
/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub const NO_STORE_HEADERS: [(&str, &str); 2] =
    [("cache-control", "no-store"), ("pragma", "no-cache")];

/// What a body that may be JSON or a form accepts, for the 415 detail.
pub const JSON_OR_FORM: &str = "application/json or application/x-www-form-urlencoded";

/// What a request body is, as its `Content-Type` tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/json` or `application/*+json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

impl BodyKind {
    /// The kind a `Content-Type` header announces (parameters such as `charset` ignored,
    /// case-insensitively); `None` for anything else or no header.
    ///
    /// ```
    /// use auth_core::http::BodyKind;
    /// assert_eq!(BodyKind::of(Some("application/json; charset=utf-8")), Some(BodyKind::Json));
    /// assert_eq!(BodyKind::of(Some("application/x-www-form-urlencoded")), Some(BodyKind::Form));
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

/// The JSON body of every error: `{"detail": "...", "code": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A human message (the FastAPI convention existing clients read).
    pub detail: String,
    /// A stable snake_case code for programs.
    pub code: String,
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
            body: ErrorBody { detail: detail.into(), code: code.to_owned() },
            www_authenticate: None,
            retry_after: None,
        }
    }

    /// 400 `bad_request`: a body that is not valid JSON or form data.
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

    /// 400 for a body that is not JSON.
    pub fn malformed_json() -> Self {
        Self::bad_request("Malformed JSON body")
    }

    /// 400 for a form (in a query string) that cannot be decoded.
    pub fn malformed_form() -> Self {
        Self::bad_request("Malformed form body")
    }

    /// 400 for a query string that cannot be read.
    pub fn malformed_query() -> Self {
        Self::bad_request("Malformed query string")
    }

    /// 400 for a body that could not be received (the client went away, a broken chunk).
    pub fn unreadable_body() -> Self {
        Self::bad_request("Could not read the request body")
    }

    /// 422 naming the field, from the message of a deserialization error as
    /// `serde_path_to_error` renders it (`path: message at line L column C`). A missing field
    /// is `field: field required`; a message without a path names the `body`.
    ///
    /// ```
    /// use auth_core::http::ErrorResponse;
    /// let e = ErrorResponse::invalid_input("username: invalid type: integer `5`, expected a string at line 1 column 13");
    /// assert_eq!(e.body.detail, "username: invalid type: integer `5`, expected a string");
    /// let e = ErrorResponse::invalid_input("missing field `title` at line 1 column 2");
    /// assert_eq!(e.body.detail, "title: field required");
    /// ```
    pub fn invalid_input(message: &str) -> Self {
        let message = message.split(" at line ").next().unwrap_or(message).trim();
        if let Some(field) =
            message.strip_prefix("missing field `").and_then(|r| r.split('`').next())
        {
            return Self::validation(field, "field required");
        }
        match message.split_once(": ") {
            Some((path, msg)) if !path.contains(' ') => Self::validation(path, msg),
            _ => Self::validation("body", message),
        }
    }

    /// 422 for a path parameter (`key`, or `path` when unnamed) that does not parse as the
    /// Rust type `expected_type`: `id: must be a valid integer`.
    pub fn invalid_path_param(key: Option<&str>, expected_type: &str) -> Self {
        let friendly = match expected_type {
            "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64"
            | "u128" | "usize" => "integer",
            "f32" | "f64" => "number",
            "bool" => "boolean",
            other => other,
        };
        Self::validation(key.unwrap_or("path"), format!("must be a valid {friendly}"))
    }
}

impl ErrorResponse {
    /// The response for `e`, after logging what a client must not see: the cause of an
    /// internal error (error level) or of a store failure (warn level). Framework crates
    /// convert every [`AuthError`] through here.
    pub fn logged(e: &AuthError) -> Self {
        if matches!(e, AuthError::Internal(_) | AuthError::Config(_)) {
            tracing::error!(error = %e, source = ?std::error::Error::source(e), "internal error");
        } else if let AuthError::Store(s) = e {
            tracing::warn!(error = ?s, "store unavailable");
        }
        Self::from(e)
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

impl From<&AuthError> for ErrorResponse {
    fn from(e: &AuthError) -> Self {
        let status = match e {
            AuthError::Validation(_) => 422,
            AuthError::UsernameTaken | AuthError::Conflict(_) => 409,
            AuthError::InvalidCredentials
            | AuthError::MissingCredentials
            | AuthError::InvalidToken(_) => 401,
            AuthError::Forbidden => 403,
            AuthError::NotFound => 404,
            AuthError::RateLimited { .. } => 429,
            AuthError::Overloaded { .. } | AuthError::Store(_) => 503,
            _ => 500,
        };
        let www_authenticate = match e {
            AuthError::InvalidCredentials | AuthError::MissingCredentials => {
                Some(WWW_AUTHENTICATE_MISSING)
            }
            AuthError::InvalidToken(_) => Some(WWW_AUTHENTICATE_INVALID),
            AuthError::Forbidden => Some(WWW_AUTHENTICATE_SCOPE),
            _ => None,
        };
        // `Display` of an AuthError is safe to show; 500s say nothing more than that.
        let detail = if status == 500 { "Internal server error".to_owned() } else { e.to_string() };
        Self {
            status,
            body: ErrorBody { detail, code: e.code().to_owned() },
            www_authenticate,
            retry_after: e.retry_after().map(retry_secs),
        }
    }
}

impl From<AuthError> for ErrorResponse {
    fn from(e: AuthError) -> Self {
        Self::from(&e)
    }
}

fn retry_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Where an access token came from, as far as the `Authorization` header tells.
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

/// Whether an `Authorization` header is HTTP Basic with empty client credentials (`:`),
/// as Swagger UI sends on its password flow. Such a header is ignored on login.
pub fn is_empty_basic(authorization: Option<&str>) -> bool {
    use base64::{Engine, engine::general_purpose::STANDARD};
    let Some(value) = authorization.map(str::trim) else { return false };
    let (scheme, creds) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("basic")
        && STANDARD.decode(creds.trim()).is_ok_and(|d| d.is_empty() || d == b":")
}

/// The client's access token from the `Authorization` header.
///
/// # Errors
/// [`AuthError::MissingCredentials`] when there is no bearer token.
pub fn require_bearer(authorization: Option<&str>) -> Result<&str> {
    bearer_token(authorization).ok_or(AuthError::MissingCredentials)
}

/// The proxies whose `X-Forwarded-For` is believed (cheap to clone: extractors take it on
/// every request). Empty by default: the client IP is the
/// socket's peer address, and `X-Forwarded-For` is ignored (anyone can send it).
///
/// ```
/// use auth_core::http::TrustedProxies;
/// let trusted: TrustedProxies = "10.0.0.0/8, 127.0.0.1".parse()?;
/// let peer = "10.1.2.3".parse().unwrap();
/// assert_eq!(trusted.client_ip(peer, Some("198.51.100.7, 10.9.9.9")), "198.51.100.7".parse::<std::net::IpAddr>().unwrap());
/// // An untrusted peer's header is ignored.
/// let stranger = "203.0.113.1".parse().unwrap();
/// assert_eq!(trusted.client_ip(stranger, Some("1.2.3.4")), stranger);
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(std::sync::Arc<[ipnet::IpNet]>);

impl TrustedProxies {
    /// No trusted proxies.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether none are configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's IP: the peer address, unless the peer is a trusted proxy, in which
    /// case the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, x_forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let Some(xff) = x_forwarded_for else { return peer };
        let mut client = peer;
        for hop in xff.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

impl std::str::FromStr for TrustedProxies {
    type Err = AuthError;

    /// A comma-separated list of addresses and CIDR ranges.
    fn from_str(s: &str) -> Result<Self> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        AuthError::Config(format!("not an IP address or CIDR range: {p:?}"))
                    })
            })
            .collect::<Result<Vec<_>>>()
            .map(|nets| Self(nets.into()))
    }
}

/// The body of `POST /auth/register`.
#[derive(Debug, Clone, Deserialize)]
pub struct RegisterRequest {
    /// Wanted username.
    pub username: String,
    /// Password.
    pub password: Password,
    /// Optional e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// `"user"` (default) or `"admin"` (only with an admin bearer).
    #[serde(default)]
    pub role: Option<String>,
}

impl RegisterRequest {
    /// The registration this asks for.
    ///
    /// # Errors
    /// [`AuthError::Validation`] for an unknown role.
    pub fn into_registration(self) -> Result<Registration> {
        let role = self.role.as_deref().map(str::parse::<Role>).transpose()?;
        Ok(Registration {
            username: self.username,
            password: self.password,
            email: self.email,
            role,
        })
    }
}

/// The body of `POST /auth/login`, as JSON or as the OAuth2 password form (whose other
/// fields, `grant_type`, `scope`, `client_id`, are accepted and ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    pub password: Password,
}

/// A refresh token in a JSON or form body (`/auth/refresh`, `/auth/logout`).
#[derive(Debug, Clone, Deserialize)]
pub struct RefreshRequest {
    /// The refresh token.
    pub refresh_token: String,
}

/// The form of the RFC 6749 token endpoint (`POST /auth/token`).
#[derive(Debug, Clone, Default, Deserialize)]
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

/// The body of `PATCH /admin/users/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatchRequest {
    /// A new role: `"user"` or `"admin"`.
    pub role: Option<String>,
    /// A new active flag.
    pub is_active: Option<bool>,
}

impl UserPatchRequest {
    /// The patch this asks for.
    ///
    /// # Errors
    /// [`AuthError::Validation`] for an unknown role.
    pub fn into_patch(self) -> Result<crate::UserPatch> {
        let role = self.role.as_deref().map(str::parse::<Role>).transpose()?;
        Ok(crate::UserPatch { role, is_active: self.is_active })
    }
}

/// The body of `GET /auth/admin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminGreeting {
    /// `"Welcome, admin <username>"`.
    pub msg: String,
}

impl AdminGreeting {
    /// The greeting for an admin.
    pub fn for_user(user: &User) -> Self {
        Self { msg: format!("Welcome, admin {}", user.username) }
    }
}

/// An RFC 6749 §5.2 error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, …
    pub error: String,
    /// A human message.
    pub error_description: String,
}

/// An error of the token endpoint.
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
            body: OAuthErrorBody { error: error.to_owned(), error_description: description.into() },
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
            AuthError::Validation(f) => Self::invalid_request(f.to_string()),
            AuthError::RateLimited { .. } => Self::new(429, "slow_down", e.to_string()),
            AuthError::Overloaded { .. } | AuthError::Store(_) => {
                Self::new(503, "temporarily_unavailable", e.to_string())
            }
            _ => Self::new(500, "server_error", "Internal server error"),
        };
        r.retry_after = e.retry_after().map(retry_secs);
        r
    }
}

/// Runs the RFC 6749 token endpoint: the `password` and `refresh_token` grants.
///
/// # Errors
/// An [`OAuthErrorResponse`] as RFC 6749 §5.2 describes.
pub async fn token_grant(
    auth: &Auth,
    request: TokenRequest,
    ctx: &RequestContext,
) -> std::result::Result<TokenPair, OAuthErrorResponse> {
    let missing = |p: &str| OAuthErrorResponse::invalid_request(format!("missing parameter: {p}"));
    match request.grant_type.as_deref() {
        None | Some("") => Err(missing("grant_type")),
        Some("password") => {
            let username =
                request.username.filter(|u| !u.is_empty()).ok_or_else(|| missing("username"))?;
            let password = request.password.ok_or_else(|| missing("password"))?;
            let session = auth
                .login(&username, &password, ctx)
                .await
                .map_err(|e| OAuthErrorResponse::from(&e))?;
            Ok(session.tokens)
        }
        Some("refresh_token") => {
            let token = request
                .refresh_token
                .filter(|t| !t.is_empty())
                .ok_or_else(|| missing("refresh_token"))?;
            auth.refresh(&token, ctx).await.map_err(|e| OAuthErrorResponse::from(&e))
        }
        Some(_) => Err(OAuthErrorResponse::new(
            400,
            "unsupported_grant_type",
            "grant_type must be password or refresh_token",
        )),
    }
}

/// Registers a user on behalf of an HTTP request: `actor` is the authenticated caller when
/// the request carried a bearer (already store-checked).
///
/// # Errors
/// As [`Auth::register`], plus [`AuthError::Validation`] for an unknown role.
pub async fn register(
    auth: &Auth,
    request: RegisterRequest,
    actor: Option<&User>,
    ctx: &RequestContext,
) -> Result<User> {
    auth.register(request.into_registration()?, actor, ctx).await
}

/// The `Authorization` rule of `POST /auth/login`: no client authentication is supported, but
/// HTTP Basic with empty client credentials (what Swagger UI sends) is ignored, and so is
/// any other scheme.
///
/// # Errors
/// 400 `bad_request` for HTTP Basic with credentials.
pub fn check_login_authorization(
    authorization: Option<&str>,
) -> std::result::Result<(), ErrorResponse> {
    if authorization.is_some_and(|a| a.trim_start().to_ascii_lowercase().starts_with("basic"))
        && !is_empty_basic(authorization)
    {
        return Err(ErrorResponse::bad_request("Client authentication is not supported"));
    }
    Ok(())
}

/// The `Location` of a user created by `POST /auth/register`: `/users/{id}`.
pub fn user_location(user: &User) -> String {
    format!("/users/{}", user.id)
}

/// The refresh token a request presents: the body's, else the bearer.
///
/// # Errors
/// [`AuthError::MissingCredentials`] when there is none.
pub fn presented_refresh_token<'a>(
    body: Option<&'a str>,
    authorization: Option<&'a str>,
) -> Result<&'a str> {
    body.filter(|t| !t.is_empty())
        .or_else(|| bearer_token(authorization))
        .ok_or(AuthError::MissingCredentials)
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
            (AuthError::NotFound, 404, "not_found", None),
            (AuthError::Conflict("x"), 409, "conflict", None),
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
            let r = ErrorResponse::from(&e);
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
        assert_eq!(ErrorResponse::from(&e).body.detail, "title: must not be empty");
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token(Some("BEARER  t0k")), Some("t0k"));
        assert_eq!(bearer_token(Some("Bearer")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(Some("Token abc")), None);
        assert!(is_empty_basic(Some("Basic Og==")));
        assert!(is_empty_basic(Some("basic ")));
        assert!(!is_empty_basic(Some("Basic dXNlcjpwYXNz")));
        assert!(!is_empty_basic(Some("Bearer abc")));
        assert_eq!(presented_refresh_token(None, Some("Bearer r")).unwrap(), "r");
        assert_eq!(presented_refresh_token(Some("b"), Some("Bearer r")).unwrap(), "b");
        assert!(presented_refresh_token(Some(""), None).is_err());
    }

    #[test]
    fn login_authorization_and_input_errors() {
        assert!(check_login_authorization(None).is_ok());
        assert!(check_login_authorization(Some("Basic Og==")).is_ok());
        assert!(check_login_authorization(Some("Bearer abc")).is_ok());
        let refused = check_login_authorization(Some("basic dXNlcjpwYXNz")).unwrap_err();
        assert_eq!((refused.status, refused.body.code.as_str()), (400, "bad_request"));
        let e = ErrorResponse::invalid_path_param(Some("id"), "i64");
        assert_eq!((e.status, e.body.detail.as_str()), (422, "id: must be a valid integer"));
        assert_eq!(
            ErrorResponse::invalid_path_param(None, "bool").body.detail,
            "path: must be a valid boolean"
        );
        assert_eq!(
            ErrorResponse::invalid_input("expected value").body.detail,
            "body: expected value"
        );
        assert_eq!(
            ErrorResponse::invalid_input(
                "[0].a: invalid type: null, expected a string at line 1 column 9"
            )
            .body
            .detail,
            "[0].a: invalid type: null, expected a string"
        );
        assert_eq!(BodyKind::of(Some("application/problem+json")), Some(BodyKind::Json));
        assert_eq!(
            BodyKind::of(Some("APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8")),
            Some(BodyKind::Form)
        );
        assert_eq!(BodyKind::of(Some("text/json")), None);
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let none = TrustedProxies::none();
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(none.client_ip(peer, Some("1.2.3.4")), peer);
        let t: TrustedProxies = "10.0.0.0/8,::1".parse().unwrap();
        assert_eq!(
            t.client_ip(peer, Some("1.2.3.4, 10.0.0.9")),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        // A client cannot push a forged entry past the first untrusted hop.
        assert_eq!(
            t.client_ip(peer, Some("6.6.6.6, 1.2.3.4")),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(t.client_ip(peer, Some("garbage")), peer);
        assert_eq!(t.client_ip(peer, None), peer);
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn oauth_errors() {
        assert_eq!(
            OAuthErrorResponse::from(&AuthError::InvalidCredentials).body.error,
            "invalid_grant"
        );
        let t = OAuthErrorResponse::from(&AuthError::InvalidToken(TokenRejection::RefreshReused));
        assert_eq!((t.status, t.body.error.as_str()), (400, "invalid_grant"));
        let v = OAuthErrorResponse::from(&AuthError::validation("password", "too long"));
        assert_eq!(v.body.error, "invalid_request");
    }
}
