//! [`SqlStore`]: the store for whichever database a URL names, and [`StoreVisitor`], code
//! generic over the database run on it.

use std::{future::Future, pin::Pin, sync::Arc};

use auth_core::{AuthStore, StoreError, throttle::ThrottleStore};

use crate::{PoolSettings, Store, portable::Portable};

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
/// let shared: std::sync::Arc<dyn auth_core::AuthStore> = store.auth_store();
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

/// Code generic over the database, run by [`SqlStore::visit`] on the store it holds: an
/// application's own queries written once on [`Portable`] (see [`portable`](crate::portable)),
/// given the store's pool.
///
/// ```
/// use auth_sqlx::{SqlStore, Store, StoreVisitor, portable::Portable};
///
/// struct Backend;
///
/// impl StoreVisitor for Backend {
///     type Output = &'static str;
///     fn visit<DB: Portable>(self, _: &Store<DB>) -> &'static str {
///         DB::BACKEND.as_str()
///     }
/// }
///
/// fn backend(store: &SqlStore) -> &'static str {
///     store.visit(Backend)
/// }
/// ```
pub trait StoreVisitor {
    /// What the visit returns.
    type Output;

    /// Runs on the store of whichever database it is.
    fn visit<DB: Portable>(self, store: &Store<DB>) -> Self::Output;
}

impl SqlStore {
    /// Connects to the database `url` names.
    ///
    /// # Errors
    /// A `Backend` [`StoreError`] for an unknown scheme or one whose feature is off;
    /// otherwise as [`Store::connect`].
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

    /// Runs `visitor` on the store of whichever database this is.
    pub fn visit<V: StoreVisitor>(&self, visitor: V) -> V::Output {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(s) => visitor.visit(s),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(s) => visitor.visit(s),
            #[cfg(feature = "mysql")]
            Self::MySql(s) => visitor.visit(s),
        }
    }

    /// Runs the embedded migrations.
    ///
    /// # Errors
    /// As [`Store::migrate`].
    pub async fn migrate(&self) -> Result<(), StoreError> {
        struct Migrate;
        impl StoreVisitor for Migrate {
            type Output = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>;
            fn visit<DB: Portable>(self, store: &Store<DB>) -> Self::Output {
                let store = store.clone();
                Box::pin(async move { store.migrate().await })
            }
        }
        self.visit(Migrate).await
    }

    /// `"postgres"`, `"sqlite"` or `"mysql"`.
    pub fn backend(&self) -> &'static str {
        struct Backend;
        impl StoreVisitor for Backend {
            type Output = &'static str;
            fn visit<DB: Portable>(self, _: &Store<DB>) -> &'static str {
                DB::BACKEND.as_str()
            }
        }
        self.visit(Backend)
    }

    /// The store as the trait object [`auth_core::Auth`] takes.
    pub fn auth_store(&self) -> Arc<dyn AuthStore> {
        struct AsAuthStore;
        impl StoreVisitor for AsAuthStore {
            type Output = Arc<dyn AuthStore>;
            fn visit<DB: Portable>(self, store: &Store<DB>) -> Self::Output {
                Arc::new(store.clone())
            }
        }
        self.visit(AsAuthStore)
    }

    /// The store as a shared [`ThrottleStore`], so that every instance on this database
    /// enforces one rate limit (see
    /// [`AuthBuilder::throttle_store`](auth_core::AuthBuilder::throttle_store)).
    pub fn throttle_store(&self) -> Arc<dyn ThrottleStore> {
        struct AsThrottleStore;
        impl StoreVisitor for AsThrottleStore {
            type Output = Arc<dyn ThrottleStore>;
            fn visit<DB: Portable>(self, store: &Store<DB>) -> Self::Output {
                Arc::new(store.clone())
            }
        }
        self.visit(AsThrottleStore)
    }
}
