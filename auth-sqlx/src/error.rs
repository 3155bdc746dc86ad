//! Mapping of sqlx errors onto the core's [`StoreError`]: by error kind and SQLSTATE or
//! error number, never by parsing message text.

use auth_core::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};

/// Maps an error of a user operation: a unique violation is a `Conflict` (the username key).
pub(crate) fn user_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => {
            StoreError::conflict()
        }
        _ => other_error(e),
    }
}

/// Maps an error of any other operation: unreachable server → `Unavailable`, anything else
/// → `Backend`.
pub(crate) fn other_error(e: sqlx::Error) -> StoreError {
    if is_unavailable(&e) { StoreError::unavailable(e) } else { StoreError::backend(e) }
}

fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => db_unavailable(db.as_ref()) || is_busy(db.as_ref()),
        _ => false,
    }
}

/// Server-side errors that mean "the connection or server is going away".
fn db_unavailable(db: &dyn DatabaseError) -> bool {
    let code = db.code();
    let code = code.as_deref().unwrap_or_default();
    // SQLSTATE class 08: connection exception (PostgreSQL and MySQL); PostgreSQL 57P01-57P03:
    // admin shutdown (pg_terminate_backend), crash shutdown, cannot connect now; 53300: too
    // many connections.
    if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300") {
        return true;
    }
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        // Too many connections, server shutdown, connection killed.
        return matches!(my.number(), 1040 | 1053 | 1927);
    }
    false
}

/// SQLite's database-is-busy / locked (primary codes 5 and 6).
fn is_busy(db: &dyn DatabaseError) -> bool {
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        let code: i64 = db.code().and_then(|c| c.parse().ok()).unwrap_or_default();
        return matches!(code & 0xff, 5 | 6);
    }
    let _ = db;
    false
}

/// Whether a write may succeed if simply tried again: SQLite busy/locked, a deadlock or a
/// serialization failure (SQLSTATE 40001 / 40P01).
pub(crate) fn is_retryable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code();
            matches!(code.as_deref(), Some("40001" | "40P01")) || is_busy(db.as_ref())
        }
        _ => false,
    }
}

/// How many times a write is tried when it fails with a retryable error.
pub(crate) const MAX_ATTEMPTS: u32 = 5;

/// Runs a write expression up to [`MAX_ATTEMPTS`] times while it fails with a retryable
/// error, with a short growing pause between attempts.
macro_rules! retry {
    ($op:expr) => {{
        let mut attempt = 1u32;
        loop {
            match $op {
                Err(e) if attempt < $crate::error::MAX_ATTEMPTS && $crate::error::is_retryable(&e) => {
                    tracing::debug!(target: "auth::store", attempt, error = %e, "retrying write");
                    tokio::time::sleep(std::time::Duration::from_millis(5 * u64::from(attempt))).await;
                    attempt += 1;
                }
                other => break other,
            }
        }
    }};
}

pub(crate) use retry;
