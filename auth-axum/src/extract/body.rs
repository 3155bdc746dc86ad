//! Request bodies with the API's rejections: 415 for another content type, 413 over the
//! body limit (axum's `DefaultBodyLimit`), 400 for malformed JSON, 422 naming the field for
//! values of the wrong type or missing fields. The bytes are decoded by `auth_core::http`,
//! as `auth-actix` decodes them.

use auth_core::http::{AcceptedBodies, ErrorResponse, decode_body, has_no_body};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{StatusCode, header},
};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// The body of `req` as a `T`, if it is one of the kinds `accepted` names.
pub(crate) async fn body_of<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
    accepted: AcceptedBodies,
) -> Result<T, ErrorResponse> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let kind = accepted.body_kind(content_type)?;
    let bytes = Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorResponse::payload_too_large()
        } else {
            ErrorResponse::unreadable_body()
        }
    })?;
    decode_body(kind, &bytes)
}

/// A JSON body, with the API's rejections.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(body_of(req, state, AcceptedBodies::Json).await?))
    }
}

/// A body as JSON or as an HTML/OAuth2 form, chosen by `Content-Type`.
#[derive(Debug, Clone)]
pub struct JsonOrForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(body_of(req, state, AcceptedBodies::JsonOrForm).await?))
    }
}

/// Like [`JsonOrForm`], but a request without a body gives `None` (for routes where the
/// value may come from a header instead, like a refresh token).
#[derive(Debug, Clone)]
pub struct OptionalJsonOrForm<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let no_body = {
            let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
            has_no_body(header(header::CONTENT_TYPE), header(header::CONTENT_LENGTH))
        };
        if no_body {
            return Ok(Self(None));
        }
        Ok(Self(Some(body_of(req, state, AcceptedBodies::JsonOrForm).await?)))
    }
}
