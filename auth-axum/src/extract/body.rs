//! Request bodies with the API's rejections: 400 for malformed JSON or form data, 415 for
//! another content type, 413 over the body limit, 422 (naming the field) for values of the
//! wrong type or missing fields.

use auth_core::http::{BodyKind, ErrorResponse, JSON_OR_FORM};
use axum::{
    Form, Json,
    extract::{
        FromRequest, Request,
        rejection::{FormRejection, JsonRejection},
    },
    http::{StatusCode, header},
};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// A JSON body, with the API's rejections.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(r) => Err(json_rejection(r).into()),
        }
    }
}

/// A body as JSON or as an HTML/OAuth2 form, chosen by `Content-Type`.
#[derive(Debug, Clone)]
pub struct JsonOrForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        match BodyKind::of(content_type) {
            Some(BodyKind::Json) => {
                ApiJson::from_request(req, state).await.map(|ApiJson(v)| Self(v))
            }
            Some(BodyKind::Form) => match Form::<T>::from_request(req, state).await {
                Ok(Form(v)) => Ok(Self(v)),
                Err(r) => Err(form_rejection(r).into()),
            },
            None => Err(ErrorResponse::unsupported_media_type(JSON_OR_FORM).into()),
        }
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
            auth_core::http::has_no_body(
                header(header::CONTENT_TYPE),
                header(header::CONTENT_LENGTH),
            )
        };
        if no_body {
            return Ok(Self(None));
        }
        JsonOrForm::from_request(req, state).await.map(|JsonOrForm(v)| Self(Some(v)))
    }
}

/// The API error for a JSON extraction failure.
pub fn json_rejection(r: JsonRejection) -> ErrorResponse {
    match r {
        JsonRejection::JsonDataError(e) => data_error(&e),
        JsonRejection::JsonSyntaxError(_) => ErrorResponse::malformed_json(),
        JsonRejection::MissingJsonContentType(_) => {
            ErrorResponse::unsupported_media_type("application/json")
        }
        other => body_error(other.status()),
    }
}

/// The API error for a form extraction failure.
pub fn form_rejection(r: FormRejection) -> ErrorResponse {
    match r {
        FormRejection::FailedToDeserializeFormBody(e) => data_error(&e),
        FormRejection::FailedToDeserializeForm(_) => ErrorResponse::malformed_form(),
        FormRejection::InvalidFormContentType(_) => {
            ErrorResponse::unsupported_media_type("application/x-www-form-urlencoded")
        }
        other => body_error(other.status()),
    }
}

fn body_error(status: StatusCode) -> ErrorResponse {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorResponse::payload_too_large()
    } else {
        ErrorResponse::unreadable_body()
    }
}

/// A 422 naming the field, from a deserialization error (`field: message`).
pub(crate) fn data_error(e: &dyn std::error::Error) -> ErrorResponse {
    let inner = e.source().map_or_else(|| e.to_string(), ToString::to_string);
    ErrorResponse::invalid_input(&inner)
}
