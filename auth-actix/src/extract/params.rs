//! Query strings and path parameters with the API's rejection: 422 naming the parameter.

use std::{future::Future, pin::Pin};

use actix_router::PathDeserializer;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::http::ErrorResponse;
use serde::de::DeserializeOwned;

use crate::{
    ApiError,
    extract::{body::decode_form, turn},
};

/// A query string, with a 422 naming the parameter on failure.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let _turn = turn::take(&req).await;
            Ok(Self(decode_form(req.query_string().as_bytes())?))
        })
    }
}

/// Path parameters, with a 422 naming the parameter when one does not parse (e.g. an id
/// that is not a number or does not fit in 64 bits).
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiPath<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let _turn = turn::take(&req).await;
            let deserializer = PathDeserializer::new(req.match_info());
            serde_path_to_error::deserialize(deserializer).map(Self).map_err(|e| {
                let path = e.path().to_string();
                let key = (!e.path().iter().all(|s| {
                    matches!(s, serde_path_to_error::Segment::Unknown)
                }))
                .then_some(path.as_str());
                let message = e.inner().to_string();
                // actix-router says `can not parse "abc" to a i64`.
                if let Some(expected) = message.rsplit_once(" to a ").map(|(_, t)| t) {
                    return ErrorResponse::invalid_path_param(key, expected).into();
                }
                if message.starts_with("missing field") {
                    tracing::error!(error = %message, "path parameters missing: route and extractor disagree");
                    return ErrorResponse::internal().into();
                }
                ErrorResponse::validation(key.unwrap_or("path"), message).into()
            })
        })
    }
}
