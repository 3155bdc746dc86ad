#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api_errors;
mod authorize;
mod error;
mod extract;
mod routes;
#[cfg(test)]
mod tests;

pub use api_errors::api_errors;
pub use authorize::{Authorize, AuthorizeMiddleware};
pub use error::{ApiError, TokenEndpointError, no_store};
#[cfg(feature = "remote-keys")]
pub use extract::RemoteClaims;
pub use extract::{
    Admin, ApiJson, ApiPath, ApiQuery, BodyLimit, Claims, Client, CurrentUser, JsonOrForm,
    MaybeUser, OptionalJsonOrForm, Require, SecondFactorUser,
};
pub use routes::{auth_scope, discovery_routes, get_or_head};
