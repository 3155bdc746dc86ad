//! # auth-actix
//!
//! [actix-web](https://docs.rs/actix-web) integration of `auth-core`: extractors ([`Claims`],
//! [`CurrentUser`], the role guard [`RequireRole`] with its [`Admin`] alias), the error type
//! every handler and extractor answers with ([`ApiError`]), and a ready-made scope for every
//! `/auth` route ([`auth_scope`]). The app data is `web::Data<auth_core::http::AuthState>`.
//!
//! ```
//! use std::sync::Arc;
//! use actix_web::{App, HttpServer, middleware::from_fn, web};
//! use auth_actix::{CurrentUser, api_errors, auth_scope};
//! use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, SigningKey, http::AuthState};
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
//! Every failure answers with the body and headers of the API: `{"detail", "code"}`, 401
//! with `WWW-Authenticate: Bearer` (`error="invalid_token"` for a refused token), 403 with
//! `error="insufficient_scope"`, 503 with `Retry-After` when the store or the hasher is
//! saturated. The rules themselves live in `auth_core::http`, shared with `auth-axum`, and
//! the extractors of one request run in the order of the handler's arguments, as axum's do,
//! so both crates answer every request alike.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api_errors;
mod error;
mod extract;
mod routes;
#[cfg(test)]
mod tests;

pub use api_errors::api_errors;
pub use error::{ApiError, TokenEndpointError, no_store};
pub use extract::{
    Admin, ApiJson, ApiPath, ApiQuery, BodyLimit, Claims, Client, CurrentUser, JsonOrForm,
    MaybeUser, OptionalJsonOrForm, RequireRole,
};
pub use routes::{auth_scope, get_or_head};
