//! [`SqlStore`]: the store for whichever database a URL names.

use std::sync::Arc;

use auth_core::{AuthStore, StoreError};

use crate::PoolSettings;

/// The store of the database a URL names: `postgres://` / `postgresql://`, `sqlite:`,
/// `mysql://` / `mariadb://` (each needs its cargo feature).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth_core::StoreError> {
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
/// let store = auth_sqlx::SqlStore::connect(&url, &auth_sqlx::PoolSettings::default()).await?;
/// store.migrate().await?;
/// assert_eq!(store.backend(), "sqlite");
/// let shared: std::sync::Arc<dyn auth_core::AuthStore> = store.into_auth_store();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SqlStore {
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(crate::PostgresStore),
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(crate::SqliteStore),
    /// MySQL / MariaDB.
    #[cfg(feature = "mysql")]
    MySql(crate::MySqlStore),
}

impl SqlStore {
    /// Connects to the database `url` names.
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for an unknown scheme or one whose feature is off;
    /// otherwise as the store's own `connect`.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let scheme = url.split(':').next().unwrap_or_default().to_ascii_lowercase();
        match scheme.as_str() {
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => {
                Ok(Self::Postgres(crate::PostgresStore::connect(url, settings).await?))
            }
            #[cfg(feature = "sqlite")]
            "sqlite" => Ok(Self::Sqlite(crate::SqliteStore::connect(url, settings).await?)),
            #[cfg(feature = "mysql")]
            "mysql" | "mariadb" => {
                let url = url.replacen("mariadb:", "mysql:", 1);
                Ok(Self::MySql(crate::MySqlStore::connect(&url, settings).await?))
            }
            _ => {
                let _ = settings;
                Err(StoreError::backend(format!(
                    "unsupported database URL scheme {scheme:?} (or its cargo feature is off)"
                )))
            }
        }
    }

    /// Runs the embedded migrations.
    ///
    /// # Errors
    /// As the store's own `migrate`.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(s) => s.migrate().await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(s) => s.migrate().await,
            #[cfg(feature = "mysql")]
            Self::MySql(s) => s.migrate().await,
        }
    }

    /// `"postgres"`, `"sqlite"` or `"mysql"`.
    pub fn backend(&self) -> &'static str {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => "postgres",
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => "sqlite",
            #[cfg(feature = "mysql")]
            Self::MySql(_) => "mysql",
        }
    }

    /// The store as the trait object [`auth_core::Auth`] takes.
    pub fn into_auth_store(self) -> Arc<dyn AuthStore> {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(s) => Arc::new(s),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(s) => Arc::new(s),
            #[cfg(feature = "mysql")]
            Self::MySql(s) => Arc::new(s),
        }
    }

    /// The store as a shared [`ThrottleStore`](auth_core::throttle::ThrottleStore), so
    /// that every instance on this database enforces one rate limit (see
    /// [`Auth::with_throttle_store`](auth_core::Auth::with_throttle_store)).
    pub fn throttle_store(&self) -> Arc<dyn auth_core::throttle::ThrottleStore> {
        match self.clone() {
            #[cfg(feature = "postgres")]
            Self::Postgres(s) => Arc::new(s),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(s) => Arc::new(s),
            #[cfg(feature = "mysql")]
            Self::MySql(s) => Arc::new(s),
        }
    }
}
