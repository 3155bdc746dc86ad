#![doc = include_str!("../README.md")]
//! ## How it is built
//!
//! The store is plain code written once ([`Store`], one file per trait it implements,
//! each statement beside the code that runs it), on [`portable`]: a small
//! [`Dialect`](portable::Dialect) trait says what differs between the databases
//! (placeholders, how a new id comes back, the upsert syntax, how a write transaction
//! begins), and applications can write their own queries on the store's pool the same way.
//! Queries are checked at run time by the tests, not at compile time, so the crate builds
//! without a database.
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
pub use store::Store;

/// The store on PostgreSQL.
#[cfg(feature = "postgres")]
pub type PostgresStore = Store<sqlx::Postgres>;
/// The store on SQLite.
#[cfg(feature = "sqlite")]
pub type SqliteStore = Store<sqlx::Sqlite>;
/// The store on MySQL / MariaDB.
#[cfg(feature = "mysql")]
pub type MySqlStore = Store<sqlx::MySql>;

/// Re-exported so that applications name the same version (the pools, `query`, …).
pub use sqlx;
