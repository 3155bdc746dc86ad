//! Query strings and path parameters with the API's rejection: 422 naming the parameter.

use auth_core::http::ErrorResponse;
use axum::{
    extract::{
        FromRequestParts, Path, Query,
        path::ErrorKind,
        rejection::{PathRejection, QueryRejection},
    },
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use crate::{ApiError, extract::body::data_error};

/// A query string, with a 422 naming the parameter on failure.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Self(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(data_error(&e).into()),
            Err(_) => Err(ErrorResponse::malformed_query().into()),
        }
    }
}

/// Path parameters, with a 422 naming the parameter when one does not parse (e.g. an id
/// that is not a number or does not fit in 64 bits).
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(Self(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(match e.kind() {
                ErrorKind::ParseErrorAtKey { key, expected_type, .. } => {
                    ErrorResponse::invalid_path_param(Some(key), expected_type)
                }
                ErrorKind::ParseError { expected_type, .. }
                | ErrorKind::ParseErrorAtIndex { expected_type, .. } => {
                    ErrorResponse::invalid_path_param(None, expected_type)
                }
                other => ErrorResponse::validation("path", other),
            }
            .into()),
            Err(e) => {
                tracing::error!(error = %e, "path parameters missing: route and extractor disagree");
                Err(ErrorResponse::internal().into())
            }
        }
    }
}
