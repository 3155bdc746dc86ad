//! Query strings and path parameters with the API's rejection: 422 naming the parameter,
//! decoded by `auth_core::http` as `auth-axum` decodes them.

use std::borrow::Cow;

use actix_router::Quoter;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::http::{ErrorResponse, decode_path, decode_query};
use serde::de::DeserializeOwned;

use super::{ExtractorFuture, in_argument_order};
use crate::ApiError;

/// A matched value fully percent-decoded (actix-web's router leaves `%2F` and the other
/// reserved characters of a path encoded), or a 422 when the bytes are not UTF-8, worded as
/// `auth-axum` words it (naming no parameter, as axum does not tell which).
fn decoded(value: &str) -> Result<Cow<'_, str>, ErrorResponse> {
    match Quoter::new(b"", b"").requote(value.as_bytes()) {
        None => Ok(Cow::Borrowed(value)),
        Some(bytes) => String::from_utf8(bytes)
            .map(Cow::Owned)
            .map_err(|_| ErrorResponse::validation("path", "must be valid UTF-8")),
    }
}

/// A query string, with a 422 naming the parameter on failure.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move { Ok(Self(decode_query(req.query_string())?)) })
    }
}

/// Path parameters, with a 422 naming the parameter when one does not parse (e.g. an id
/// that is not a number or does not fit in 64 bits).
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiPath<T> {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move {
            let values = req
                .match_info()
                .iter()
                .map(|(name, value)| Ok((name, decoded(value)?)))
                .collect::<Result<Vec<(&str, Cow<'_, str>)>, ErrorResponse>>()?;
            let pairs: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_ref())).collect();
            Ok(Self(decode_path(&pairs)?))
        })
    }
}
