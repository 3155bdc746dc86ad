//! Turns the error responses that the framework and tower layers produce themselves (404
//! for an unknown route, 405, 408 from a timeout, 413 from a body limit, …) into the API's
//! JSON error body, keeping their headers (e.g. `Allow`).

use auth_core::http::ErrorResponse;
use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use tower::util::MapResponseLayer;

use crate::ApiError;

/// The layer that gives the error responses axum and tower layers make themselves (404 for
/// an unknown route, 405, 408 from a timeout, 413 from a body limit, …) the API's JSON body
/// (`{"detail", "code"}`), keeping their headers (e.g. `Allow`). Error responses that
/// already carry a JSON body, and every success, pass unchanged.
///
/// Apply it as an outer layer: `router.layer(api_errors())`. It only maps the response: no
/// boxing, no clone of the service it wraps. (`Router::layer` wraps every route in it; an
/// application that wants each request to pass its layers once wraps the whole router with
/// `tower::ServiceBuilder` instead, as the example task service does.)
///
/// ```
/// use auth_axum::api_errors;
/// use axum::{Router, routing::get};
///
/// let app: Router = Router::new().route("/", get(|| async { "hello" })).layer(api_errors());
/// ```
pub fn api_errors() -> MapResponseLayer<fn(Response) -> Response> {
    MapResponseLayer::new(rewrite)
}

/// The API's body in place of a framework-made error's.
fn rewrite(res: Response) -> Response {
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
