//! The SQLite store (feature `sqlite`): the embedded default.

use std::{str::FromStr, time::Duration};

use auth_core::StoreError;
use sqlx::{
    Row, Sqlite, SqlitePool, Transaction,
    migrate::Migrator,
    query::Query,
    sqlite::{SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

use crate::{PoolSettings, error::other_error};

/// Users and refresh tokens in SQLite. Cheap to clone (the pool is shared).
///
/// Connections use WAL (readers never block the writer), foreign keys on, `synchronous =
/// NORMAL` and a 5 s busy timeout; writes that still find the database busy are retried a few
/// times. `sqlite://path?mode=rwc` creates the file.
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
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    const INSERT_USER_SQL: &'static str = crate::sql::INSERT_USER_RETURNING_ID;
    const TAKE_SQL: &'static str = crate::sql::TAKE_ON_CONFLICT;
    const ADD_FAILURE_SQL: &'static str = crate::sql::ADD_FAILURE_ON_CONFLICT;

    /// Connects to `url` (`sqlite://path`, `sqlite://path?mode=rwc` to create the file).
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for a malformed URL; `Unavailable` when the file cannot
    /// be opened.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let pool =
            settings.pool_options().connect_with(Self::options(url)?).await.map_err(other_error)?;
        Ok(Self { pool })
    }

    /// Like [`connect`](Self::connect), but opens the file on first use.
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for a malformed URL.
    pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        Ok(Self { pool: settings.pool_options().connect_lazy_with(Self::options(url)?) })
    }

    fn options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
        Ok(SqliteConnectOptions::from_str(url)
            .map_err(StoreError::backend)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5)))
    }

    /// Wraps an existing pool. Make sure it enables foreign keys (deleting a user deletes
    /// their tokens through them).
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// The pool, to share with the application's own queries.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Runs the embedded migrations (idempotent).
    ///
    /// # Errors
    /// A [`StoreError`] when a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrator().run(&self.pool).await.map_err(|e| other_error(e.into()))
    }

    fn dialect(sql: &str) -> String {
        sql.to_owned()
    }

    async fn insert_user(&self, q: Query<'_, Sqlite, SqliteArguments>) -> Result<i64, sqlx::Error> {
        q.fetch_one(&self.pool).await?.try_get(0)
    }

    /// `BEGIN IMMEDIATE` takes the write lock up front, so a transaction never has to
    /// upgrade a read lock (which SQLite refuses under contention instead of waiting).
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

crate::store::impl_sql_store!(SqliteStore);

/// The embedded SQLite migrations, bookkept in `_auth_sqlx_migrations`.
pub fn migrator() -> Migrator {
    let mut m = sqlx::migrate!("migrations/sqlite");
    m.dangerous_set_table_name("_auth_sqlx_migrations");
    m
}
