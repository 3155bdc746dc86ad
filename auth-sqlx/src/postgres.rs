//! PostgreSQL (feature `postgres`): `$n` placeholders, `INSERT … RETURNING id`,
//! `ON CONFLICT` upserts.

use sqlx::{Postgres, migrate::Migrator, postgres::PgQueryResult};

use crate::portable::{Backend, Dialect, Placeholders, Upsert};

impl Dialect for Postgres {
    const BACKEND: Backend = Backend::Postgres;
    const PLACEHOLDERS: Placeholders = Placeholders::Numbered;
    const INSERT_RETURNS_ID: bool = true;
    const UPSERT: Upsert = Upsert::OnConflict;
    const BEGIN_WRITE: Option<&'static str> = None;
    const ROW_LOCKS: bool = true;

    fn migrator() -> Migrator {
        let mut m = sqlx::migrate!("migrations/postgres");
        m.dangerous_set_table_name("_auth_sqlx_migrations");
        m
    }

    fn last_insert_id(_: &PgQueryResult) -> Option<i64> {
        None
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}
