//! Turns the error responses that actix-web produces itself (404 for an unknown route, 405
//! for a known route and another method, …) and those of other middleware (408 from a
//! timeout, 413, …) into the API's JSON error body, keeping their headers (e.g. `Allow`).

use actix_web::{
    Error, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::header::{self, HeaderValue},
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
    let content_type = res.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes());
    if !ErrorResponse::should_replace(status.as_u16(), content_type) {
        return res;
    }
    let error = ErrorResponse::for_bare_status(status.as_u16(), status.canonical_reason());
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
