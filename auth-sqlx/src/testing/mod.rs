//! Isolated test databases (feature `testing`), for this crate's tests and for every other
//! test that needs a real database.
//!
//! Each [`TestDatabase`] is a database of its own — a new database on the PostgreSQL or
//! MySQL server named by `TEST_POSTGRES_URL` / `TEST_MYSQL_URL`, or a new SQLite file in a
//! temporary directory — so tests run in parallel without seeing each other. It is dropped
//! when the value is dropped; databases left behind by a crashed run are dropped by the next
//! run after two hours.
//!
//! A test that needs PostgreSQL or MySQL is `#[ignore]`d when its server is not configured
//! (`#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]`), so a test run
//! reports it as ignored, with the reason; one that runs without its server fails, never
//! passes. [`TestDatabase::postgres`] and [`TestDatabase::mysql`] panic when their variable
//! is unset.
//!
//! The `db_postgres` / `db_mysql` cfgs are set by a build script, per package: this crate's
//! sets them for its own tests only. A crate of yours that marks its tests this way needs a
//! `build.rs` of its own that does the same:
//!
//! ```no_run
//! // The body of `fn main` in build.rs:
//! for (var, cfg) in [("TEST_POSTGRES_URL", "db_postgres"), ("TEST_MYSQL_URL", "db_mysql")] {
//!     println!("cargo::rerun-if-env-changed={var}");
//!     println!("cargo::rustc-check-cfg=cfg({cfg})");
//!     if std::env::var_os(var).is_some_and(|v| !v.is_empty()) {
//!         println!("cargo::rustc-cfg={cfg}");
//!     }
//! }
//! ```
//!
//! [`FaultProxy`] sits between a service and its database server to fail the database on
//! purpose: cut, frozen, or frozen at a chosen step of a conversation.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use sqlx::{Connection, Executor};

mod proxy;

pub use proxy::{FaultProxy, Mode};

/// Prefix of every test database name.
const PREFIX: &str = "auth_t_";
/// Test databases older than this (seconds) are considered left behind.
const STALE_AFTER: u64 = 2 * 3600;

/// The kind of server a [`TestDatabase`] lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// PostgreSQL (`TEST_POSTGRES_URL`).
    Postgres,
    /// MySQL / MariaDB (`TEST_MYSQL_URL`).
    MySql,
    /// A SQLite file.
    Sqlite,
}

/// A fresh, empty database for one test. See the [module docs](self).
#[derive(Debug)]
pub struct TestDatabase {
    server: Server,
    url: String,
    /// The server URL and database name to drop, for PostgreSQL and MySQL.
    drop_on: Option<(String, String)>,
    /// The temporary directory of a SQLite file.
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new database on the PostgreSQL server of `TEST_POSTGRES_URL`.
    ///
    /// # Panics
    /// When `TEST_POSTGRES_URL` is not set or the server cannot be reached.
    pub async fn postgres() -> Self {
        Self::create(Server::Postgres, server_url("TEST_POSTGRES_URL")).await
    }

    /// A new database on the MySQL server of `TEST_MYSQL_URL`.
    ///
    /// # Panics
    /// When `TEST_MYSQL_URL` is not set or the server cannot be reached.
    pub async fn mysql() -> Self {
        Self::create(Server::MySql, server_url("TEST_MYSQL_URL")).await
    }

    /// A new SQLite file in a temporary directory (always available).
    ///
    /// # Panics
    /// When no temporary directory can be made.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self { server: Server::Sqlite, url, drop_on: None, _dir: Some(dir) }
    }

    /// The database's URL, for a store or a server under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which server it is on.
    pub fn server(&self) -> Server {
        self.server
    }

    async fn create(server: Server, admin: String) -> Self {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let name =
            format!("{PREFIX}{now}_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        drop_stale(server, &admin, now).await;
        let create = match server {
            Server::Postgres => format!("CREATE DATABASE \"{name}\""),
            _ => format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
        };
        admin_exec(server, &admin, &create)
            .await
            .unwrap_or_else(|e| panic!("cannot create a test database on {server:?}: {e}"));
        let url = with_database(&admin, &name);
        Self { server, url, drop_on: Some((admin, name)), _dir: None }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop_on.take() else { return };
        let server = self.server;
        // Drop may run inside a runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(rt) = rt {
                let _ = rt.block_on(admin_exec(server, &admin, &drop_sql(server, &name)));
            }
        })
        .join();
    }
}

fn drop_sql(server: Server, name: &str) -> String {
    match server {
        Server::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS `{name}`"),
    }
}

/// The server URL in `var`.
fn server_url(var: &str) -> String {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{var} is not set: this test needs its server (without {var} when the tests are \
             built, it is ignored)"
        ),
    }
}

/// `url` with its database (path) replaced by `name`, query string kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

async fn admin_exec(server: Server, admin: &str, sql: &str) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match server {
        #[cfg(feature = "postgres")]
        Server::Postgres => {
            let mut conn = sqlx::PgConnection::connect(admin).await?;
            conn.execute(sql).await?;
            conn.close().await
        }
        #[cfg(feature = "mysql")]
        Server::MySql => {
            let mut conn = sqlx::MySqlConnection::connect(admin).await?;
            conn.execute(sql).await?;
            conn.close().await
        }
        _ => {
            let _ = (admin, sql);
            Err(sqlx::Error::Configuration(
                format!("auth-sqlx was built without the feature for {server:?}").into(),
            ))
        }
    }
}

/// Drops test databases of earlier runs that are older than [`STALE_AFTER`].
async fn drop_stale(server: Server, admin: &str, now: u64) {
    let list = match server {
        Server::Postgres => "SELECT datname FROM pg_database WHERE datname LIKE 'auth\\_t\\_%'",
        _ => {
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'auth\\_t\\_%'"
        }
    };
    let names: Vec<String> = match server {
        #[cfg(feature = "postgres")]
        Server::Postgres => match sqlx::PgConnection::connect(admin).await {
            Ok(mut c) => sqlx::query_scalar(list).fetch_all(&mut c).await.unwrap_or_default(),
            Err(_) => return,
        },
        #[cfg(feature = "mysql")]
        Server::MySql => match sqlx::MySqlConnection::connect(admin).await {
            Ok(mut c) => sqlx::query_scalar(list).fetch_all(&mut c).await.unwrap_or_default(),
            Err(_) => return,
        },
        _ => return,
    };
    for name in names {
        let created: Option<u64> = name
            .strip_prefix(PREFIX)
            .and_then(|r| r.split('_').next())
            .and_then(|t| t.parse().ok());
        if created.is_some_and(|t| now.saturating_sub(t) > STALE_AFTER) {
            let _ = admin_exec(server, admin, &drop_sql(server, &name)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_in_urls() {
        assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            with_database("mysql://root@h/test?ssl-mode=disabled", "x"),
            "mysql://root@h/x?ssl-mode=disabled"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
