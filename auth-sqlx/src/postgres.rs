//! The PostgreSQL store (feature `postgres`).

use std::str::FromStr;

use auth_core::StoreError;
use sqlx::{
    PgPool, Postgres, Row, Transaction,
    migrate::Migrator,
    postgres::{PgArguments, PgConnectOptions},
    query::Query,
};

use crate::{PoolSettings, error::other_error};

/// Users and refresh tokens in PostgreSQL. Cheap to clone (the pool is shared).
///
/// ```no_run
/// # async fn demo() -> Result<(), auth_core::StoreError> {
/// use auth_sqlx::{PoolSettings, PostgresStore};
/// let store = PostgresStore::connect("postgres://app@localhost/app", &PoolSettings::default()).await?;
/// store.migrate().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    const INSERT_USER_SQL: &'static str = crate::sql::INSERT_USER_RETURNING_ID;
    const TAKE_SQL: &'static str = crate::sql::TAKE_ON_CONFLICT;
    const ADD_FAILURE_SQL: &'static str = crate::sql::ADD_FAILURE_ON_CONFLICT;

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`).
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for a malformed URL; `Unavailable` when the server cannot
    /// be reached.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::backend)?;
        let pool = settings.pool_options().connect_with(options).await.map_err(other_error)?;
        Ok(Self { pool })
    }

    /// Like [`connect`](Self::connect), but connects on first use.
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for a malformed URL.
    pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::backend)?;
        Ok(Self { pool: settings.pool_options().connect_lazy_with(options) })
    }

    /// Wraps an existing pool.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool, to share with the application's own queries.
    pub fn pool(&self) -> &PgPool {
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
        crate::sql::numbered(sql)
    }

    async fn insert_user(&self, q: Query<'_, Postgres, PgArguments>) -> Result<i64, sqlx::Error> {
        q.fetch_one(&self.pool).await?.try_get(0)
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

crate::store::impl_sql_store!(PostgresStore);

/// The embedded PostgreSQL migrations, bookkept in `_auth_sqlx_migrations` so that they live
/// beside an application's own sqlx migrations.
pub fn migrator() -> Migrator {
    let mut m = sqlx::migrate!("migrations/postgres");
    m.dangerous_set_table_name("_auth_sqlx_migrations");
    m
}
