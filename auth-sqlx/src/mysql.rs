//! The MySQL / MariaDB store (feature `mysql`).

use std::str::FromStr;

use auth_core::StoreError;
use sqlx::{
    MySql, MySqlPool, Transaction,
    migrate::Migrator,
    mysql::{MySqlArguments, MySqlConnectOptions},
    query::Query,
};

use crate::{PoolSettings, error::other_error};

/// Users and refresh tokens in MySQL 8 or MariaDB 10.5+. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> Result<(), auth_core::StoreError> {
/// use auth_sqlx::{MySqlStore, PoolSettings};
/// let store = MySqlStore::connect("mysql://app@localhost/app", &PoolSettings::default()).await?;
/// store.migrate().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MySqlStore {
    pool: MySqlPool,
}

impl MySqlStore {
    const INSERT_USER_SQL: &'static str = crate::sql::INSERT_USER;
    const TAKE_SQL: &'static str = crate::sql::TAKE_ON_DUPLICATE_KEY;
    const ADD_FAILURE_SQL: &'static str = crate::sql::ADD_FAILURE_ON_DUPLICATE_KEY;

    /// Connects to `url` (`mysql://user[:password]@host[:port]/database`).
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for a malformed URL; `Unavailable` when the server cannot
    /// be reached.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let options = MySqlConnectOptions::from_str(url).map_err(StoreError::backend)?;
        let pool = settings.pool_options().connect_with(options).await.map_err(other_error)?;
        Ok(Self { pool })
    }

    /// Like [`connect`](Self::connect), but connects on first use.
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for a malformed URL.
    pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let options = MySqlConnectOptions::from_str(url).map_err(StoreError::backend)?;
        Ok(Self { pool: settings.pool_options().connect_lazy_with(options) })
    }

    /// Wraps an existing pool.
    pub fn from_pool(pool: MySqlPool) -> Self {
        Self { pool }
    }

    /// The pool, to share with the application's own queries.
    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }

    /// Runs the embedded migrations (idempotent).
    ///
    /// # Errors
    /// A [`StoreError`] when a migration fails or the server cannot be reached.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrator().run(&self.pool).await.map_err(|e| other_error(e.into()))
    }

    fn dialect(sql: &str) -> String {
        sql.to_owned()
    }

    async fn insert_user(&self, q: Query<'_, MySql, MySqlArguments>) -> Result<i64, sqlx::Error> {
        let id = q.execute(&self.pool).await?.last_insert_id();
        i64::try_from(id).map_err(|e| sqlx::Error::Decode(e.into()))
    }

    async fn begin_write(&self) -> Result<Transaction<'static, MySql>, sqlx::Error> {
        self.pool.begin().await
    }
}

crate::store::impl_sql_store!(MySqlStore);

/// The embedded MySQL migrations, bookkept in `_auth_sqlx_migrations`.
pub fn migrator() -> Migrator {
    let mut m = sqlx::migrate!("migrations/mysql");
    m.dangerous_set_table_name("_auth_sqlx_migrations");
    m
}
