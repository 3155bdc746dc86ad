//! MySQL 8 and MariaDB 10.5+ (feature `mysql`): `?` placeholders, the new id from the
//! result (no `INSERT … RETURNING`), `ON DUPLICATE KEY` upserts.

use sqlx::{MySql, migrate::Migrator, mysql::MySqlQueryResult};

use crate::portable::{Backend, Dialect, Placeholders, Upsert};

impl Dialect for MySql {
    const BACKEND: Backend = Backend::MySql;
    const PLACEHOLDERS: Placeholders = Placeholders::Question;
    const INSERT_RETURNS_ID: bool = false;
    const UPSERT: Upsert = Upsert::OnDuplicateKey;
    const BEGIN_WRITE: Option<&'static str> = None;
    const ROW_LOCKS: bool = true;

    fn migrator() -> Migrator {
        let mut m = sqlx::migrate!("migrations/mysql");
        m.dangerous_set_table_name("_auth_sqlx_migrations");
        m
    }

    fn last_insert_id(result: &MySqlQueryResult) -> Option<i64> {
        // 0: no AUTO_INCREMENT column took a value.
        i64::try_from(result.last_insert_id()).ok().filter(|id| *id > 0)
    }

    fn rows_affected(result: &MySqlQueryResult) -> u64 {
        result.rows_affected()
    }
}
