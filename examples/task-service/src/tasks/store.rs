use std::{fmt, sync::Arc};

use auth_core::async_trait;
use auth_core::{Page, StoreError, UserId};
use auth_sqlx::{
    SqlStore, Store, StoreVisitor,
    portable::{Arg, Backend, On, Portable, ReadRow, Statement, from_micros, micros, store_error},
    sqlx::{Pool, migrate::Migrator},
};
use time::OffsetDateTime;

use super::Task;

/// Where tasks live: the auth store's database, on the auth store's pool, with one query
/// set for every database (written on `auth_sqlx::portable`). Cheap to clone.
#[derive(Clone)]
pub struct TaskStore {
    queries: Arc<dyn TaskQueries>,
}

impl fmt::Debug for TaskStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskStore").field("backend", &self.queries.backend()).finish()
    }
}

impl TaskStore {
    /// The tasks of the database `store` is on, sharing its pool.
    pub fn new(store: &SqlStore) -> Self {
        struct OnPool;
        impl StoreVisitor for OnPool {
            type Output = TaskStore;
            fn visit<DB: Portable>(self, store: &Store<DB>) -> TaskStore {
                TaskStore { queries: Arc::new(Tasks { pool: store.pool().clone() }) }
            }
        }
        store.visit(OnPool)
    }

    /// Creates the tasks table (after the auth tables, which it references).
    ///
    /// # Errors
    /// A [`StoreError`] when a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.queries.migrate().await
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
        let id = self.queries.insert(owner, title, description, micros(now)).await?;
        self.get(id).await?.ok_or_else(|| StoreError::backend("new task vanished"))
    }

    /// A task by id, whoever owns it.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        self.queries.get(id).await?.map(TaskRow::into_task).transpose()
    }

    /// One page of tasks, oldest first: of `owner`, or of everyone when `None`.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn list(&self, owner: Option<UserId>, page: Page) -> Result<Vec<Task>, StoreError> {
        let rows = self.queries.list(owner, page).await?;
        rows.into_iter().map(TaskRow::into_task).collect()
    }

    /// Writes a task's fields back.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn update(&self, task: &Task) -> Result<(), StoreError> {
        self.queries.update(task).await
    }

    /// Deletes a task; whether it existed.
    ///
    /// # Errors
    /// A [`StoreError`].
    pub async fn delete(&self, id: i64) -> Result<bool, StoreError> {
        self.queries.delete(id).await
    }
}

/// The task queries on one database.
#[async_trait]
trait TaskQueries: Send + Sync {
    fn backend(&self) -> &'static str;
    async fn migrate(&self) -> Result<(), StoreError>;
    async fn insert(
        &self,
        owner: UserId,
        title: &str,
        description: Option<&str>,
        at: i64,
    ) -> Result<i64, StoreError>;
    async fn get(&self, id: i64) -> Result<Option<TaskRow>, StoreError>;
    async fn list(&self, owner: Option<UserId>, page: Page) -> Result<Vec<TaskRow>, StoreError>;
    async fn update(&self, task: &Task) -> Result<(), StoreError>;
    async fn delete(&self, id: i64) -> Result<bool, StoreError>;
}

struct Tasks<DB: Portable> {
    pool: Pool<DB>,
}

static INSERT: Statement = Statement::new(
    "INSERT INTO tasks (owner_id, title, description, done, created_at, \
                      updated_at) VALUES (?, ?, ?, 0, ?, ?)",
);
static BY_ID: Statement = Statement::new(
    "SELECT id, owner_id, title, description, done, created_at, updated_at FROM tasks WHERE id = ?",
);
static OWN_PAGE: Statement = Statement::new(
    "SELECT id, owner_id, title, description, done, created_at, updated_at \
                        FROM tasks WHERE owner_id = ? ORDER BY id LIMIT ? OFFSET ?",
);
static ALL_PAGE: Statement = Statement::new(
    "SELECT id, owner_id, title, description, done, created_at, updated_at \
                        FROM tasks ORDER BY id LIMIT ? OFFSET ?",
);
static UPDATE: Statement = Statement::new(
    "UPDATE tasks SET title = ?, description = ?, done = ?, updated_at = ? WHERE id = ?",
);
static DELETE: Statement = Statement::new("DELETE FROM tasks WHERE id = ?");

/// The migrations of the tasks table on `DB`.
fn migrator<DB: Portable>() -> Migrator {
    match DB::BACKEND {
        Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        Backend::MySql => sqlx::migrate!("migrations/mysql"),
        Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
    }
}

#[async_trait]
impl<DB: Portable> TaskQueries for Tasks<DB> {
    fn backend(&self) -> &'static str {
        DB::BACKEND.as_str()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        migrator::<DB>().run(&self.pool).await.map_err(|e| store_error(e.into()))
    }

    async fn insert(
        &self,
        owner: UserId,
        title: &str,
        description: Option<&str>,
        at: i64,
    ) -> Result<i64, StoreError> {
        let args = [
            Arg::I64(owner.get()),
            Arg::Str(title),
            Arg::OptStr(description),
            Arg::I64(at),
            Arg::I64(at),
        ];
        DB::insert(On::Pool(&self.pool), &INSERT, &args).await.map_err(store_error)
    }

    async fn get(&self, id: i64) -> Result<Option<TaskRow>, StoreError> {
        DB::fetch_optional(On::Pool(&self.pool), &BY_ID, &[Arg::I64(id)]).await.map_err(store_error)
    }

    async fn list(&self, owner: Option<UserId>, page: Page) -> Result<Vec<TaskRow>, StoreError> {
        let limit = Arg::I64(i64::from(page.limit()));
        let offset = Arg::I64(i64::try_from(page.offset()).unwrap_or(i64::MAX));
        let rows = match owner {
            Some(owner) => {
                let args = [Arg::I64(owner.get()), limit, offset];
                DB::fetch_all(On::Pool(&self.pool), &OWN_PAGE, &args).await
            }
            None => DB::fetch_all(On::Pool(&self.pool), &ALL_PAGE, &[limit, offset]).await,
        };
        rows.map_err(store_error)
    }

    async fn update(&self, t: &Task) -> Result<(), StoreError> {
        let args = [
            Arg::Str(&t.title),
            Arg::OptStr(t.description.as_deref()),
            Arg::I64(i64::from(t.done)),
            Arg::I64(micros(t.updated_at)),
            Arg::I64(t.id),
        ];
        DB::execute(On::Pool(&self.pool), &UPDATE, &args).await.map(|_| ()).map_err(store_error)
    }

    async fn delete(&self, id: i64) -> Result<bool, StoreError> {
        let deleted = DB::execute(On::Pool(&self.pool), &DELETE, &[Arg::I64(id)])
            .await
            .map_err(store_error)?;
        Ok(deleted > 0)
    }
}

/// A row of `tasks`.
struct TaskRow {
    id: i64,
    owner_id: i64,
    title: String,
    description: Option<String>,
    done: i64,
    created_at: i64,
    updated_at: i64,
}

impl ReadRow for TaskRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: DB::i64(row, "id")?,
            owner_id: DB::i64(row, "owner_id")?,
            title: DB::string(row, "title")?,
            description: DB::opt_string(row, "description")?,
            done: DB::i64(row, "done")?,
            created_at: DB::i64(row, "created_at")?,
            updated_at: DB::i64(row, "updated_at")?,
        })
    }
}

impl TaskRow {
    fn into_task(self) -> Result<Task, StoreError> {
        Ok(Task {
            id: self.id,
            owner_id: UserId::new(self.owner_id),
            title: self.title,
            description: self.description,
            done: self.done != 0,
            created_at: time_of(self.created_at)?,
            updated_at: time_of(self.updated_at)?,
        })
    }
}

fn time_of(us: i64) -> Result<OffsetDateTime, StoreError> {
    from_micros(us).ok_or_else(|| StoreError::backend("task time out of range"))
}
