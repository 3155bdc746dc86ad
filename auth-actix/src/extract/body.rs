//! Request bodies with the API's rejections: 415 for another content type, 413 over the
//! [`BodyLimit`], 400 for malformed JSON, 422 naming the field for values of the wrong type
//! or missing fields. The bytes are decoded by `auth_core::http`, as `auth-axum` decodes
//! them.

use actix_web::{
    FromRequest, HttpRequest,
    body::{BodyStream, to_bytes_limited},
    dev::Payload,
    http::header,
};
use auth_core::http::{AcceptedBodies, ErrorResponse, decode_body, has_no_body};
use serde::de::DeserializeOwned;

use super::{ExtractorFuture, in_argument_order};
use crate::ApiError;

/// The largest body the body extractors read, as app data on an `App`, a `Scope` or a
/// `Resource` (the innermost wins); larger bodies are refused with 413.
///
/// ```
/// use actix_web::{App, web};
/// use auth_actix::BodyLimit;
/// let app = App::new().app_data(BodyLimit(64 * 1024));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

impl BodyLimit {
    /// The limit where none is configured: 2 MiB (axum's default too).
    pub const DEFAULT: Self = Self(2 * 1024 * 1024);
}

impl Default for BodyLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The body of `req` as a `T`, if it is one of the kinds `accepted` names: the kind is
/// checked first, then the bytes are read up to the [`BodyLimit`] in force.
pub(crate) async fn body_of<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: Payload,
    accepted: AcceptedBodies,
) -> Result<T, ErrorResponse> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let kind = accepted.body_kind(content_type)?;
    let limit = req.app_data::<BodyLimit>().copied().unwrap_or_default().0;
    let bytes = match to_bytes_limited(BodyStream::new(payload), limit).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return Err(ErrorResponse::unreadable_body()),
        Err(_limit_exceeded) => return Err(ErrorResponse::payload_too_large()),
    };
    decode_body(kind, &bytes)
}

/// A JSON body, with the API's rejections.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = payload.take();
        in_argument_order(req, move |req| async move {
            Ok(Self(body_of(&req, payload, AcceptedBodies::Json).await?))
        })
    }
}

/// A body as JSON or as an HTML/OAuth2 form, chosen by `Content-Type`.
#[derive(Debug, Clone)]
pub struct JsonOrForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonOrForm<T> {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = payload.take();
        in_argument_order(req, move |req| async move {
            Ok(Self(body_of(&req, payload, AcceptedBodies::JsonOrForm).await?))
        })
    }
}

/// Like [`JsonOrForm`], but a request without a body gives `None` (for routes where the
/// value may come from a header instead, like a refresh token).
#[derive(Debug, Clone)]
pub struct OptionalJsonOrForm<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonOrForm<T> {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = payload.take();
        in_argument_order(req, move |req| async move {
            let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
            if has_no_body(header(header::CONTENT_TYPE), header(header::CONTENT_LENGTH)) {
                return Ok(Self(None));
            }
            Ok(Self(Some(body_of(&req, payload, AcceptedBodies::JsonOrForm).await?)))
        })
    }
}
