//! Turns the error responses that the framework and tower layers produce themselves (404
//! for an unknown route, 405, 408 from a timeout, 413 from a body limit, …) into the API's
//! JSON error body, keeping their headers (e.g. `Allow`).

use auth_core::http::ErrorResponse;
use axum::{
    extract::Request,
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::ApiError;

/// Middleware: apply with `axum::middleware::from_fn(api_errors)` as an outer layer.
pub async fn api_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let content_type = res.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes());
    if !ErrorResponse::should_replace(status.as_u16(), content_type) {
        return res;
    }
    let error = ErrorResponse::for_bare_status(status.as_u16(), status.canonical_reason());
    let (mut parts, _) = res.into_parts();
    let mut fresh = ApiError(error).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    fresh.headers_mut().extend(parts.headers);
    fresh
}
