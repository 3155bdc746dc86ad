use std::sync::Arc;

use auth_core::{
    Auth, AuthError, Clock, Page, Permission, Policy, Requirement, Result, RoleDefinition,
    SystemClock, User,
};

use super::{CreateTask, Task, TaskStore, UpdateTask, model};

/// The permission to read every user's tasks, which the service's `admin` role grants
/// ([`admin_role`]).
pub const READ_ALL: Permission = Permission::from_static("tasks:read_all");

/// The guard for [`READ_ALL`]: `Require<ReadAllTasks>` in both binaries' handlers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadAllTasks;

impl Policy for ReadAllTasks {
    fn requirement() -> Requirement {
        Requirement::Permission(READ_ALL)
    }
}

/// What the task service adds to the built-in `admin` role: [`READ_ALL`]. Declared in the
/// service's [`AuthConfig`](auth_core::AuthConfig); the roles stay `user` and `admin`.
pub fn admin_role() -> RoleDefinition {
    RoleDefinition::new("admin").grants([READ_ALL])
}

/// The task use cases with their rules: the owner is always the caller; a task of someone
/// else is "not found" (whoever has [`READ_ALL`], the admins, may read every task, but
/// change only their own). Who has it is `auth`'s one rule, [`Auth::authorize`].
#[derive(Debug, Clone)]
pub struct TaskService {
    store: TaskStore,
    auth: Auth,
    clock: Arc<dyn Clock>,
}

impl TaskService {
    /// The service over `store`, on the system clock.
    pub fn new(store: TaskStore, auth: Auth) -> Self {
        Self { store, auth, clock: Arc::new(SystemClock) }
    }

    /// The store.
    pub fn store(&self) -> &TaskStore {
        &self.store
    }

    fn reads_all(&self, user: &User) -> bool {
        self.auth.authorize(user, &Requirement::Permission(READ_ALL)).is_ok()
    }

    /// The current time in whole microseconds (what the store keeps).
    fn now(&self) -> time::OffsetDateTime {
        let now = self.clock.now();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
    }

    /// The caller's tasks, oldest first.
    ///
    /// # Errors
    /// [`AuthError::Store`].
    pub async fn list_own(&self, user: &User, page: Page) -> Result<Vec<Task>> {
        Ok(self.store.list(Some(user.id), page).await?)
    }

    /// Everyone's tasks (for [`READ_ALL`]: admins).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`]; [`AuthError::Store`].
    pub async fn list_all(&self, admin: &User, page: Page) -> Result<Vec<Task>> {
        self.auth.authorize(admin, &Requirement::Permission(READ_ALL))?;
        Ok(self.store.list(None, page).await?)
    }

    /// Creates a task owned by the caller.
    ///
    /// # Errors
    /// [`AuthError::Validation`]; [`AuthError::Store`].
    pub async fn create(&self, user: &User, body: CreateTask) -> Result<Task> {
        let title = model::title(&body.title)?;
        let description = model::description(body.description)?;
        Ok(self.store.insert(user.id, &title, description.as_deref(), self.now()).await?)
    }

    /// A task the caller may read.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] (also for another user's task); [`AuthError::Store`].
    pub async fn get(&self, user: &User, id: i64) -> Result<Task> {
        let task = self.store.get(id).await?.ok_or(AuthError::NotFound)?;
        if task.owner_id == user.id || self.reads_all(user) {
            Ok(task)
        } else {
            Err(AuthError::NotFound)
        }
    }

    /// Changes the caller's own task.
    ///
    /// # Errors
    /// [`AuthError::NotFound`]; [`AuthError::Validation`]; [`AuthError::Store`].
    pub async fn update(&self, user: &User, id: i64, patch: UpdateTask) -> Result<Task> {
        let mut task = self.owned(user, id).await?;
        if let Some(title) = patch.title {
            task.title = model::title(&title)?;
        }
        if let Some(description) = patch.description {
            task.description = model::description(description)?;
        }
        if let Some(done) = patch.done {
            task.done = done;
        }
        task.updated_at = self.now();
        self.store.update(&task).await?;
        Ok(task)
    }

    /// Deletes the caller's own task.
    ///
    /// # Errors
    /// [`AuthError::NotFound`]; [`AuthError::Store`].
    pub async fn delete(&self, user: &User, id: i64) -> Result<()> {
        self.owned(user, id).await?;
        if self.store.delete(id).await? { Ok(()) } else { Err(AuthError::NotFound) }
    }

    async fn owned(&self, user: &User, id: i64) -> Result<Task> {
        match self.store.get(id).await? {
            Some(t) if t.owner_id == user.id => Ok(t),
            _ => Err(AuthError::NotFound),
        }
    }
}
