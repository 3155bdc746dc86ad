//! Tasks: the model and its validation, the store (one query set for every database, written
//! once on `auth_sqlx::portable`), and the service that applies the ownership rules. Shared
//! by the axum and actix-web binaries.

mod model;
mod service;
mod store;

pub use model::{CreateTask, Task, UpdateTask};
pub use service::{READ_ALL, ReadAllTasks, TaskService, admin_role};
pub use store::TaskStore;
