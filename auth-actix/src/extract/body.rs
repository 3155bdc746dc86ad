//! Request bodies with the API's rejections: 400 for malformed JSON, 415 for another content
//! type, 413 over the body limit, 422 (naming the field) for values of the wrong type or
//! missing fields. The rules are axum's `Json` and `Form`, so that both crates answer alike.

use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest,
    body::{BodyStream, to_bytes_limited},
    dev::Payload,
    http::header,
    mime, web,
};
use auth_core::http::{BodyKind, ErrorResponse, JSON_OR_FORM};
use serde::de::DeserializeOwned;

use crate::{ApiError, extract::turn};

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

type BodyFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// A JSON body, with the API's rejections.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = BodyFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let _turn = turn::take(&req).await;
            Ok(Self(json(&req, payload).await?))
        })
    }
}

/// A body as JSON or as an HTML/OAuth2 form, chosen by `Content-Type`.
#[derive(Debug, Clone)]
pub struct JsonOrForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonOrForm<T> {
    type Error = ApiError;
    type Future = BodyFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let _turn = turn::take(&req).await;
            Ok(Self(json_or_form(&req, payload).await?))
        })
    }
}

/// Like [`JsonOrForm`], but a request without a body gives `None` (for routes where the
/// value may come from a header instead, like a refresh token).
#[derive(Debug, Clone)]
pub struct OptionalJsonOrForm<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonOrForm<T> {
    type Error = ApiError;
    type Future = BodyFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let _turn = turn::take(&req).await;
            let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
            if auth_core::http::has_no_body(
                header(header::CONTENT_TYPE),
                header(header::CONTENT_LENGTH),
            ) {
                return Ok(Self(None));
            }
            Ok(Self(Some(json_or_form(&req, payload).await?)))
        })
    }
}

async fn json_or_form<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: Payload,
) -> Result<T, ErrorResponse> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match BodyKind::of(content_type) {
        Some(BodyKind::Json) => json(req, payload).await,
        Some(BodyKind::Form) => form(req, payload).await,
        None => Err(ErrorResponse::unsupported_media_type(JSON_OR_FORM)),
    }
}

/// A JSON body: `application/json` or `application/*+json`, then the bytes, then the value.
async fn json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: Payload,
) -> Result<T, ErrorResponse> {
    if !is_json(req) {
        return Err(ErrorResponse::unsupported_media_type("application/json"));
    }
    decode_json(&read(req, payload).await?)
}

/// A form body: `application/x-www-form-urlencoded`, then the bytes, then the value.
pub(crate) async fn form<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: Payload,
) -> Result<T, ErrorResponse> {
    if !is_form(req) {
        return Err(ErrorResponse::unsupported_media_type("application/x-www-form-urlencoded"));
    }
    decode_form(&read(req, payload).await?)
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(mime) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
    else {
        return false;
    };
    mime.type_() == "application"
        && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
}

fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The whole body, up to the [`BodyLimit`] in force.
async fn read(req: &HttpRequest, payload: Payload) -> Result<web::Bytes, ErrorResponse> {
    let limit = req.app_data::<BodyLimit>().copied().unwrap_or_default().0;
    match to_bytes_limited(BodyStream::new(payload), limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ErrorResponse::unreadable_body()),
        Err(_limit_exceeded) => Err(ErrorResponse::payload_too_large()),
    }
}

/// Decodes JSON: syntax errors are 400, values of the wrong shape 422 naming the field.
pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ErrorResponse> {
    use serde_json::error::Category;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        match e.inner().classify() {
            Category::Data => ErrorResponse::invalid_input(&e.to_string()),
            Category::Syntax | Category::Eof | Category::Io => ErrorResponse::malformed_json(),
        }
    })?;
    deserializer.end().map_err(|_| ErrorResponse::malformed_json())?;
    Ok(value)
}

/// Decodes `application/x-www-form-urlencoded` data (a body or a query string): 422 naming
/// the field.
pub(crate) fn decode_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ErrorResponse> {
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(form_urlencoded::parse(
        bytes,
    )))
    .map_err(|e| ErrorResponse::invalid_input(&e.to_string()))
}
