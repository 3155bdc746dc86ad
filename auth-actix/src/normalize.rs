//! Turns the error responses that actix-web produces itself (404 for an unknown route, 405
//! for a known route and another method, …) and those of other middleware (408 from a
//! timeout, 413, …) into the API's JSON error body, keeping their headers (e.g. `Allow`).

use actix_web::{
    Error, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    middleware::Next,
};
use auth_core::http::ErrorResponse;

use crate::ApiError;

/// Middleware: apply with `.wrap(actix_web::middleware::from_fn(api_errors))` as an outer
/// middleware of the `App`.
///
/// # Errors
/// An error of the inner service, whose response is then the rewritten one.
pub async fn api_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match next.call(req).await {
        Ok(res) => {
            let (request, res) = res.into_parts();
            Ok(ServiceResponse::new(request, rewrite(res.map_into_boxed_body())))
        }
        Err(e) => {
            let res = rewrite(e.error_response());
            Err(InternalError::from_response(e, res).into())
        }
    }
}

/// The response itself if it is a success or already JSON, else the API's error body with
/// the response's status and other headers.
fn rewrite(res: HttpResponse<BoxBody>) -> HttpResponse<BoxBody> {
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
    let mut fresh = ApiError(error).error_response();
    let headers = fresh.headers_mut();
    let kept =
        |name: &header::HeaderName| name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE;
    for name in res.headers().keys().filter(|n| kept(n)) {
        headers.remove(name);
    }
    for (name, value) in res.headers().iter().filter(|(n, _)| kept(n)) {
        if name == header::ALLOW {
            // actix joins the methods with ", ", axum with ",": one form for both.
            let joined = value.to_str().unwrap_or_default().replace(", ", ",");
            headers.append(name.clone(), HeaderValue::from_str(&joined).unwrap_or(value.clone()));
        } else {
            headers.append(name.clone(), value.clone());
        }
    }
    fresh
}
