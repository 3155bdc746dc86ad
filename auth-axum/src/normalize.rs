//! Turns the error responses that the framework and tower layers produce themselves (404
//! for an unknown route, 405, 408 from a timeout, 413 from a body limit, …) into the API's
//! JSON error body, keeping their headers (e.g. `Allow`).

use auth_core::http::ErrorResponse;
use axum::{
    extract::Request,
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::ApiError;

/// Middleware: apply with `axum::middleware::from_fn(api_errors)` as an outer layer.
pub async fn api_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let error = match status {
        StatusCode::NOT_FOUND => ErrorResponse::not_found(),
        StatusCode::METHOD_NOT_ALLOWED => ErrorResponse::method_not_allowed(),
        StatusCode::REQUEST_TIMEOUT => ErrorResponse::request_timeout(),
        StatusCode::PAYLOAD_TOO_LARGE => ErrorResponse::payload_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ErrorResponse::unsupported_media_type("application/json")
        }
        StatusCode::BAD_REQUEST => ErrorResponse::bad_request("Bad request"),
        s if s.is_server_error() => ErrorResponse::internal(),
        s => ErrorResponse::new(s.as_u16(), "error", s.canonical_reason().unwrap_or("Error")),
    };
    let (mut parts, _) = res.into_parts();
    let mut fresh = ApiError(error).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    fresh.headers_mut().extend(parts.headers);
    fresh
}
