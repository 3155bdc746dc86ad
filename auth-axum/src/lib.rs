//! # auth-axum
//!
//! [axum](https://docs.rs/axum) integration of `auth-core`: extractors ([`Claims`],
//! [`CurrentUser`], the role guard [`RequireRole`] with its [`Admin`] alias), the error type
//! every handler and extractor answers with ([`ApiError`]), and a ready-made router for every
//! `/auth` route ([`auth_router`]). The state is `auth_core::http::AuthState`.
//!
//! ```
//! use std::{net::SocketAddr, sync::Arc};
//! use auth_axum::{CurrentUser, auth_router};
//! use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, SigningKey, http::AuthState};
//! use axum::{Router, routing::get};
//!
//! async fn hello(CurrentUser(user): CurrentUser) -> String {
//!     format!("hello {}", user.username)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeySet::new(SigningKey::hs256(b"load me from a secret store, 32+ bytes")?);
//! let auth = Auth::new(AuthConfig::builder(keys).build()?, Arc::new(MemoryStore::new()));
//! let app = Router::new()
//!     .route("/hello", get(hello))
//!     .nest("/auth", auth_router())
//!     .with_state(AuthState::new(auth));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
//! # Ok(()) }
//! ```
//!
//! Every failure answers with the body and headers of the API: `{"detail", "code"}`, 401
//! with `WWW-Authenticate: Bearer` (`error="invalid_token"` for a refused token), 403 with
//! `error="insufficient_scope"`, 503 with `Retry-After` when the store or the hasher is
//! saturated. The rules themselves live in `auth_core::http`, shared with `auth-actix`; this
//! crate only reads requests and writes responses the axum way.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api_errors;
mod error;
mod extract;
mod routes;

pub use api_errors::api_errors;
pub use error::{ApiError, TokenEndpointError, no_store};
pub use extract::{
    Admin, ApiJson, ApiPath, ApiQuery, Claims, Client, CurrentUser, JsonOrForm, MaybeUser,
    OptionalJsonOrForm, RequireRole,
};
pub use routes::auth_router;
