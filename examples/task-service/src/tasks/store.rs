use std::sync::LazyLock;

use auth_core::{Page, StoreError, UserId};
use sqlx::{
    AnyPool, Row,
    any::{AnyPoolOptions, AnyRow},
    migrate::Migrator,
};
use time::OffsetDateTime;

use super::Task;

/// Where tasks live: the application's database, reached through sqlx's `Any` driver so that
/// one set of queries serves SQLite, PostgreSQL and MySQL. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TaskStore {
    pool: AnyPool,
    backend: Backend,
    migrator: &'static Migrator,
}

/// The database behind the `Any` pool, for the few things that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Postgres,
    Sqlite,
    MySql,
}

static POSTGRES: LazyLock<Migrator> = LazyLock::new(|| sqlx::migrate!("migrations/postgres"));
static SQLITE: LazyLock<Migrator> = LazyLock::new(|| sqlx::migrate!("migrations/sqlite"));
static MYSQL: LazyLock<Migrator> = LazyLock::new(|| sqlx::migrate!("migrations/mysql"));

const COLUMNS: &str = "id, owner_id, title, description, done, created_at, updated_at";

impl TaskStore {
    /// Connects to the database of `url` (the same URL as the auth store's).
    ///
    /// # Errors
    /// A [`StoreError`]: `Backend` for an unsupported URL, `Unavailable` when unreachable.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let scheme = url.split(':').next().unwrap_or_default().to_ascii_lowercase();
        let (url, migrator, backend): (String, &'static Migrator, Backend) = match scheme.as_str() {
            "postgres" | "postgresql" => (url.to_owned(), &POSTGRES, Backend::Postgres),
            "sqlite" => (url.to_owned(), &SQLITE, Backend::Sqlite),
            "mysql" | "mariadb" => (url.replacen("mariadb:", "mysql:", 1), &MYSQL, Backend::MySql),
            _ => {
                return Err(StoreError::backend(format!(
                    "unsupported database URL scheme {scheme:?}"
                )));
            }
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&url)
            .await
            .map_err(unavailable)?;
        Ok(Self { pool, backend, migrator })
    }

    /// Creates the tasks table (after the auth tables, which it references).
    ///
    /// # Errors
    /// A [`StoreError`] when a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrator.run(&self.pool).await.map_err(|e| unavailable(e.into()))
    }

    /// The SQL with `$n` placeholders on PostgreSQL.
    fn sql(&self, sql: &str) -> sqlx::AssertSqlSafe<String> {
        if self.backend != Backend::Postgres {
            return sqlx::AssertSqlSafe(sql.to_owned());
        }
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        sqlx::AssertSqlSafe(out)
    }

    /// Inserts a task and returns it.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn insert(
        &self,
        owner: UserId,
        title: &str,
        description: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Task, StoreError> {
        let at = micros(now);
        let sql = format!(
            "INSERT INTO tasks (owner_id, title, description, done, created_at, updated_at) \
             VALUES (?, ?, ?, 0, ?, ?){}",
            // MySQL 8 has no INSERT … RETURNING; it reports the id instead.
            if self.backend == Backend::MySql { "" } else { " RETURNING id" }
        );
        let q = sqlx::query(self.sql(&sql))
            .bind(owner.get())
            .bind(title)
            .bind(description)
            .bind(at)
            .bind(at);
        let id = if self.backend != Backend::MySql {
            q.fetch_one(&self.pool)
                .await
                .and_then(|r| r.try_get::<i64, _>(0))
                .map_err(unavailable)?
        } else {
            q.execute(&self.pool)
                .await
                .map_err(unavailable)?
                .last_insert_id()
                .ok_or_else(|| StoreError::backend("no id for the new task"))?
        };
        self.get(id).await?.ok_or_else(|| StoreError::backend("new task vanished"))
    }

    /// A task by id, whoever owns it.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM tasks WHERE id = ?");
        let row = sqlx::query(self.sql(&sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|r| task(&r)).transpose()
    }

    /// One page of tasks, oldest first: of `owner`, or of everyone when `None`.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn list(&self, owner: Option<UserId>, page: Page) -> Result<Vec<Task>, StoreError> {
        let filter = if owner.is_some() { "WHERE owner_id = ? " } else { "" };
        let sql = format!("SELECT {COLUMNS} FROM tasks {filter}ORDER BY id LIMIT ? OFFSET ?");
        let mut q = sqlx::query(self.sql(&sql));
        if let Some(owner) = owner {
            q = q.bind(owner.get());
        }
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let rows = q
            .bind(i64::from(page.limit()))
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(task).collect()
    }

    /// Writes a task's fields back.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn update(&self, t: &Task) -> Result<(), StoreError> {
        let sql =
            "UPDATE tasks SET title = ?, description = ?, done = ?, updated_at = ? WHERE id = ?";
        sqlx::query(self.sql(sql))
            .bind(&t.title)
            .bind(t.description.as_deref())
            .bind(i64::from(t.done))
            .bind(micros(t.updated_at))
            .bind(t.id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Deletes a task; whether it existed.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn delete(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(self.sql("DELETE FROM tasks WHERE id = ?"))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(done.rows_affected() > 0)
    }
}

fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

fn time_of(us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|_| StoreError::backend("task time out of range"))
}

fn task(r: &AnyRow) -> Result<Task, StoreError> {
    let get = |e: sqlx::Error| StoreError::backend(e);
    Ok(Task {
        id: r.try_get("id").map_err(get)?,
        owner_id: UserId::new(r.try_get("owner_id").map_err(get)?),
        title: r.try_get("title").map_err(get)?,
        description: r.try_get("description").map_err(get)?,
        done: r.try_get::<i64, _>("done").map_err(get)? != 0,
        created_at: time_of(r.try_get("created_at").map_err(get)?)?,
        updated_at: time_of(r.try_get("updated_at").map_err(get)?)?,
    })
}

/// Every failure to reach the database is "unavailable" (503); the SQL stays in the source.
fn unavailable(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound | sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::backend(e)
        }
        e => StoreError::unavailable(e),
    }
}
