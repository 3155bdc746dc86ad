//! [`ApiError`] and [`TokenEndpointError`]: the API's error responses as axum responses.
//! What each error answers is decided once, in `auth_core::http`; this file copies it.

use auth_core::http::{ErrorResponse, NO_STORE_HEADERS, OAuthErrorResponse};
use axum::{
    Json,
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let mut res = (status(e.status), Json(&e.body)).into_response();
        let headers = res.headers_mut();
        if let Some(www) = e.www_authenticate {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(www));
        }
        if let Some(secs) = e.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// An error of the RFC 6749 token endpoint: `{"error", "error_description"}`, never cached.
#[derive(Debug, Clone)]
pub struct TokenEndpointError(pub OAuthErrorResponse);

impl IntoResponse for TokenEndpointError {
    fn into_response(self) -> Response {
        let e = self.0;
        let mut res = (status(e.status), no_store(), Json(&e.body)).into_response();
        if let Some(secs) = e.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache`, for token and `/auth/me` responses
/// (`auth_core::http::NO_STORE_HEADERS`).
pub fn no_store() -> [(HeaderName, HeaderValue); 2] {
    NO_STORE_HEADERS
        .map(|(name, value)| (HeaderName::from_static(name), HeaderValue::from_static(value)))
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
