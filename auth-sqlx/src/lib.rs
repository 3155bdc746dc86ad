//! # auth-sqlx
//!
//! PostgreSQL, SQLite and MySQL stores for `auth-core`, one cargo feature each
//! (`postgres`, `sqlite` — the default —, `mysql`). Each store implements both core storage
//! traits, so it plugs straight into [`auth_core::Auth`]:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use auth_core::{Auth, AuthConfig, KeySet, SigningKey};
//! use auth_sqlx::{PoolSettings, SqliteStore};
//!
//! # let dir = tempfile::tempdir()?;
//! # let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
//! let store = SqliteStore::connect(&url, &PoolSettings::default()).await?;
//! store.migrate().await?;
//! let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
//! let auth = Auth::new(AuthConfig::builder(keys).build()?, Arc::new(store));
//! auth.health().await?;
//! # Ok(()) }
//! ```
//!
//! What every store guarantees (tested by the core's store contract suite on each database):
//! usernames unique case-insensitively through a unique index on the normalized key, so
//! concurrent registrations of `Alice` and `alice` cannot both succeed; refresh-token
//! rotation as one transaction in which a conditional `UPDATE` decides which of several
//! concurrent spends wins; errors mapped by kind and code — an unreachable server, a pool
//! timeout or a killed connection is `Unavailable`, a duplicate username `Conflict` — with
//! the SQL kept out of every message. Queries are checked at run time by the tests, not at
//! compile time, so the crate builds without a database.
//!
//! The store is plain code written once ([`SqlxStore`], one file per trait it implements),
//! on [`portable`]: a small [`Dialect`](portable::Dialect) trait says what differs between
//! the databases (placeholders, how a new id comes back, the upsert syntax, how a write
//! transaction begins), and applications can write their own queries on the store's pool
//! the same way.
//!
//! Tables are prefixed `auth_` and the migrations are bookkept in `_auth_sqlx_migrations`,
//! so both live beside an application's own tables and sqlx migrations. Times are stored as
//! `BIGINT` microseconds since the Unix epoch (UTC) on every database.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
mod by_url;
mod error;
#[cfg(feature = "mysql")]
mod mysql;
pub mod portable;
#[cfg(feature = "postgres")]
mod postgres;
mod rows;
mod settings;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub use by_url::{SqlStore, StoreVisitor};
pub use settings::PoolSettings;
pub use store::SqlxStore;

/// The store on PostgreSQL.
#[cfg(feature = "postgres")]
pub type PostgresStore = SqlxStore<sqlx::Postgres>;
/// The store on SQLite.
#[cfg(feature = "sqlite")]
pub type SqliteStore = SqlxStore<sqlx::Sqlite>;
/// The store on MySQL / MariaDB.
#[cfg(feature = "mysql")]
pub type MySqlStore = SqlxStore<sqlx::MySql>;

/// Re-exported so that applications name the same version (the pools, `query`, …).
pub use sqlx;
