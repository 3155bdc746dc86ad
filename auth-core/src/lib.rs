//! # auth-core
//!
//! The framework-free core of the auth library: users and roles, password policy and
//! Argon2id hashing on the blocking pool, JWT access tokens, opaque rotating refresh
//! tokens, the async storage traits with an in-memory store, and [`Auth`], the service that
//! ties them together. The web-framework crates (`auth-axum`, `auth-actix`) and the SQL
//! stores (`auth-sqlx`) build on it.
//!
//! ```
//! use std::sync::Arc;
//! use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, Password, Registration, RequestContext, SigningKey};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), auth_core::AuthError> {
//! let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
//! let auth = Auth::new(AuthConfig::builder(keys).build()?, Arc::new(MemoryStore::new()));
//! let ctx = RequestContext::internal();
//! auth.register(Registration::new("alice", "correct horse battery staple"), None, &ctx).await?;
//! let session = auth.login("alice", &Password::new("correct horse battery staple"), &ctx).await?;
//! let me = auth.authenticate(session.tokens.access_token.expose()).await?;
//! assert_eq!(me.username.as_str(), "alice");
//! # Ok(()) }
//! ```
//!
//! Where things are: [`user`] (ids, usernames, roles, records), [`password`] (policy,
//! hashing), [`token`] (access tokens, keys, refresh tokens), [`store`] (traits, memory
//! store), [`throttle`] (rate limits and login backoff), `service` (the use cases of [`Auth`], one file each: register, login,
//! refresh rotation, logout, access, password change, admin), [`error`], [`audit`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
mod clock;
mod config;
mod context;
pub mod error;
pub mod http;
pub mod password;
mod service;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod throttle;
pub mod token;
pub mod user;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AuthConfig, AuthConfigBuilder};
pub use context::RequestContext;
pub use error::{AuthError, FieldError, Result, StoreError, StoreErrorKind, TokenRejection};
pub use password::{
    Argon2Params, Argon2ParamsBuilder, Calibration, HasherStats, HashingConfig,
    HashingConfigBuilder, Password, PasswordHasher, PasswordPolicy, PasswordPolicyBuilder, Pepper,
    StoredHash, Verification, VerifyLimits, calibrate,
};
pub use service::{Auth, Registration, Session, UserPatch};
pub use store::{AuthStore, MemoryStore, RefreshTokenStore, UserStore};
pub use token::{
    AccessClaims, AccessToken, AccessTokens, Algorithm, FamilyId, KeySet, NewRefreshToken,
    RefreshToken, RefreshTokenRecord, Replacement, RotateOutcome, SigningKey, TokenDigest,
    TokenPair, VerifyingKey,
};
pub use user::{
    Email, NewUser, Page, Role, User, UserId, UserRecord, UserUpdate, Username, UsernameRules,
};

/// Re-exported so applications name the same versions.
pub use {async_trait::async_trait, time};
