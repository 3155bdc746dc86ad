#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api_errors;
mod authorize_layer;
mod error;
mod extract;
mod routes;

pub use api_errors::api_errors;
pub use authorize_layer::{Authorize, AuthorizeLayer};
pub use error::{ApiError, TokenEndpointError, no_store};
#[cfg(feature = "remote-keys")]
pub use extract::RemoteClaims;
pub use extract::{
    Admin, ApiJson, ApiPath, ApiQuery, Claims, Client, CurrentUser, JsonOrForm, MaybeUser,
    OptionalJsonOrForm, Require, SecondFactorUser,
};
pub use routes::{auth_router, discovery_router};
