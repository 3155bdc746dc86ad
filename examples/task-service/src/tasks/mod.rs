//! Tasks: the model and its validation, the store (one query set for every database, through
//! sqlx's `Any` driver), and the service that applies the ownership rules. Shared by the
//! axum and actix-web binaries.

mod model;
mod service;
mod store;

pub use model::{CreateTask, Task, UpdateTask};
pub use service::TaskService;
pub use store::TaskStore;
