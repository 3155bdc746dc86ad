//! Query strings and path parameters with the API's rejection: 422 naming the parameter,
//! decoded by `auth_core::http` as `auth-actix` decodes them.

use auth_core::http::{ErrorResponse, decode_path, decode_query};
use axum::{
    extract::{FromRequestParts, RawPathParams, rejection::RawPathParamsRejection},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// A query string, with a 422 naming the parameter on failure.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(decode_query(parts.uri.query().unwrap_or_default())?))
    }
}

/// Path parameters, with a 422 naming the parameter when one does not parse (e.g. an id
/// that is not a number or does not fit in 64 bits).
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|e| match e {
            // axum does not say which parameter (but in its message): both crates name none.
            RawPathParamsRejection::InvalidUtf8InPathParam(_) => {
                ErrorResponse::validation("path", "must be valid UTF-8")
            }
            other => {
                tracing::error!(error = %other, "path parameters missing: route and extractor disagree");
                ErrorResponse::internal()
            }
        })?;
        let pairs: Vec<(&str, &str)> = params.iter().collect();
        Ok(Self(decode_path(&pairs)?))
    }
}
