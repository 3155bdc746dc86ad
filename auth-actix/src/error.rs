//! [`ApiError`] and [`TokenEndpointError`]: the API's error responses as actix-web
//! responses. What each error answers is decided once, in `auth_core::http`; this file
//! copies it.

use actix_web::{
    HttpResponse, HttpResponseBuilder, ResponseError,
    http::{
        StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
};
use auth_core::http::{ErrorResponse, NO_STORE_HEADERS, OAuthErrorResponse};

/// An error as the API answers it: `{"detail", "code"}` with the status and headers of the
/// API. Every handler and extractor of this crate fails with it; use it in your own
/// handlers too (`?` converts an [`AuthError`](auth_core::AuthError), logging what the client does not see).
#[derive(Debug, Clone)]
pub struct ApiError(pub ErrorResponse);

/// From an [`AuthError`](auth_core::AuthError) (logging what the response hides) or an `ErrorResponse`.
impl<E: Into<ErrorResponse>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.status, self.0.body.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status(self.0.status)
    }

    fn error_response(&self) -> HttpResponse {
        let e = &self.0;
        let mut res = HttpResponse::build(status(e.status));
        if let Some(www) = e.www_authenticate {
            res.insert_header((header::WWW_AUTHENTICATE, www));
        }
        retry_after(&mut res, e.retry_after);
        res.json(&e.body)
    }
}

/// An error of the RFC 6749 token endpoint: `{"error", "error_description"}`, never cached.
#[derive(Debug, Clone)]
pub struct TokenEndpointError(pub OAuthErrorResponse);

impl std::fmt::Display for TokenEndpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.status, self.0.body.error)
    }
}

impl ResponseError for TokenEndpointError {
    fn status_code(&self) -> StatusCode {
        status(self.0.status)
    }

    fn error_response(&self) -> HttpResponse {
        let e = &self.0;
        let mut res = HttpResponse::build(status(e.status));
        for h in no_store() {
            res.insert_header(h);
        }
        retry_after(&mut res, e.retry_after);
        res.json(&e.body)
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache`, for token and `/auth/me` responses
/// (`auth_core::http::NO_STORE_HEADERS`): `builder.insert_header(h)` each.
pub fn no_store() -> [(HeaderName, HeaderValue); 2] {
    NO_STORE_HEADERS
        .map(|(name, value)| (HeaderName::from_static(name), HeaderValue::from_static(value)))
}

fn retry_after(res: &mut HttpResponseBuilder, secs: Option<u64>) {
    if let Some(secs) = secs {
        res.insert_header((header::RETRY_AFTER, secs));
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
