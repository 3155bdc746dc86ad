//! SQLite (feature `sqlite`, the embedded default): `?` placeholders, `INSERT … RETURNING
//! id`, `ON CONFLICT` upserts, and writes that take the lock up front.

use std::time::Duration;

use sqlx::{
    Sqlite,
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteQueryResult, SqliteSynchronous},
};

use crate::portable::{Backend, Dialect, Placeholders, Upsert};

impl Dialect for Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
    const PLACEHOLDERS: Placeholders = Placeholders::Question;
    const INSERT_RETURNS_ID: bool = true;
    const UPSERT: Upsert = Upsert::OnConflict;
    /// `BEGIN IMMEDIATE` takes the write lock up front, so a transaction never has to
    /// upgrade a read lock (which SQLite refuses under contention instead of waiting).
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");
    const ROW_LOCKS: bool = false;

    fn migrator() -> Migrator {
        let mut m = sqlx::migrate!("migrations/sqlite");
        m.dangerous_set_table_name("_auth_sqlx_migrations");
        m
    }

    /// WAL (readers never block the writer), foreign keys on (deleting a user deletes their
    /// tokens), `synchronous = NORMAL` and a 5 s busy timeout; writes that still find the
    /// database busy are retried a few times.
    fn configure(options: SqliteConnectOptions) -> SqliteConnectOptions {
        options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
    }

    fn last_insert_id(_: &SqliteQueryResult) -> Option<i64> {
        None
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}
