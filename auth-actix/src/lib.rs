//! # auth-actix
//!
//! [actix-web](https://docs.rs/actix-web) integration of `auth-core`: extractors ([`Claims`],
//! [`CurrentUser`], [`Admin`]), the one error-to-response mapping ([`ApiError`]), and a
//! ready-made scope for every `/auth` route ([`auth_scope`]).
//!
//! ```
//! use std::sync::Arc;
//! use actix_web::{App, HttpServer, middleware::from_fn, web};
//! use auth_actix::{AuthState, CurrentUser, api_errors, auth_scope};
//! use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, SigningKey};
//!
//! async fn hello(CurrentUser(user): CurrentUser) -> String {
//!     format!("hello {}", user.username)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeySet::new(SigningKey::hs256(b"load me from a secret store, 32+ bytes")?);
//! let auth = Auth::new(AuthConfig::builder(keys).build()?, Arc::new(MemoryStore::new()));
//! let state = web::Data::new(AuthState::new(auth));
//! HttpServer::new(move || {
//!     App::new()
//!         .app_data(state.clone())
//!         .route("/hello", web::get().to(hello))
//!         .service(auth_scope())
//!         .wrap(from_fn(api_errors))
//! })
//! .bind("127.0.0.1:8000")?
//! .run()
//! .await?;
//! # Ok(()) }
//! ```
//!
//! Every failure answers with the body and headers of `API.md`: `{"detail", "code"}`, 401
//! with `WWW-Authenticate: Bearer` (`error="invalid_token"` for a refused token), 403 with
//! `error="insufficient_scope"`, 503 with `Retry-After` when the store or the hasher is
//! saturated. The mapping itself lives in `auth_core::http`, shared with `auth-axum`, and
//! the extractors of one request run in the order of the handler's arguments, as axum's do,
//! so both crates answer every request alike.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod extract;
mod normalize;
mod routes;
mod state;
#[cfg(test)]
mod tests;

pub use error::{ApiError, TokenEndpointError, no_store};
pub use extract::{
    Admin, ApiJson, ApiPath, ApiQuery, BodyLimit, Claims, Client, CurrentUser, JsonOrForm,
    MaybeUser, OptionalJsonOrForm,
};
pub use normalize::api_errors;
pub use routes::{AUTH_BODY_LIMIT, auth_scope, get_or_head};
pub use state::AuthState;
