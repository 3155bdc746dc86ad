//! [`Store`]: the store of users, refresh tokens and throttling state, written once on
//! [`Portable`](crate::portable::Portable) for every database. One file per trait it
//! implements: `users`, `refresh_tokens` (the rotation), `link_tokens`, `second_factors`,
//! `throttle`.

mod link_tokens;
mod refresh_tokens;
mod second_factors;
mod throttle;
mod users;

use std::str::FromStr;

use auth_core::StoreError;
use sqlx::{Connection, Pool};

use crate::{
    PoolSettings,
    error::other_error,
    portable::{Arg, Dialect, On, Portable, Statement},
};

/// Users, refresh tokens and throttling state in one database: PostgreSQL
/// ([`PostgresStore`](crate::PostgresStore)), SQLite ([`SqliteStore`](crate::SqliteStore))
/// or MySQL / MariaDB ([`MySqlStore`](crate::MySqlStore)). Cheap to clone (the pool is
/// shared).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth_core::StoreError> {
/// use auth_sqlx::{PoolSettings, SqliteStore};
/// let dir = tempfile::tempdir().unwrap();
/// let url = format!("sqlite://{}?mode=rwc", dir.path().join("auth.db").display());
/// let store = SqliteStore::connect(&url, &PoolSettings::default()).await?;
/// store.migrate().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Store<DB: Dialect> {
    pool: Pool<DB>,
}

impl<DB: Dialect> Clone for Store<DB> {
    fn clone(&self) -> Self {
        Self { pool: self.pool.clone() }
    }
}

impl<DB: Dialect> Store<DB> {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`,
    /// `sqlite://path` — `sqlite://path?mode=rwc` creates the file —, or
    /// `mysql://user[:password]@host[:port]/database`).
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for a malformed URL; `Unavailable` when the database
    /// cannot be reached.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let pool =
            settings.pool_options().connect_with(Self::options(url)?).await.map_err(other_error)?;
        Ok(Self { pool })
    }

    /// Like [`connect`](Self::connect), but connects on first use.
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for a malformed URL.
    pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        Ok(Self { pool: settings.pool_options().connect_lazy_with(Self::options(url)?) })
    }

    fn options(url: &str) -> Result<<DB::Connection as Connection>::Options, StoreError> {
        let options =
            <DB::Connection as Connection>::Options::from_str(url).map_err(StoreError::backend)?;
        Ok(DB::configure(options))
    }

    /// Wraps an existing pool. On SQLite, make sure it enables foreign keys (deleting a
    /// user deletes their tokens through them).
    pub fn from_pool(pool: Pool<DB>) -> Self {
        Self { pool }
    }

    /// The pool, to share with the application's own queries.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The embedded migrations, to run with an application's own: bookkept in
    /// `_auth_sqlx_migrations`, so they never clash with the application's sqlx migrations.
    pub fn migrator() -> sqlx::migrate::Migrator {
        DB::migrator()
    }

    /// Runs the embedded migrations (idempotent).
    ///
    /// # Errors
    /// A [`StoreError`] when a migration fails or the database cannot be reached.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        DB::migrator().run(&self.pool).await.map_err(|e| other_error(e.into()))
    }
}

/// Locks the user's row until the transaction ends (SQLite's write transaction already
/// serialises writers).
pub(super) async fn lock_user<DB: Portable>(
    tx: &mut sqlx::Transaction<'static, DB>,
    id: Arg<'_>,
) -> Result<(), sqlx::Error> {
    if DB::ROW_LOCKS {
        DB::execute(On::Tx(tx), &LOCK_USER, &[id]).await?;
    }
    Ok(())
}

/// Locks a user's row (on the databases with row locks), so that writes about them queue.
static LOCK_USER: Statement = Statement::new("SELECT id FROM auth_users WHERE id = ? FOR UPDATE");
