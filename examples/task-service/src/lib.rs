//! # task-service
//!
//! The ready-made auth API of the project: the register/login/me/admin/task service of the
//! Python original, rebuilt on `auth-core`, `auth-sqlx`, `auth-axum` and `auth-actix`. Everything
//! but the server loop is shared by the axum binary (`task-service`, [`http_axum`]) and the
//! actix-web one (`task-service-actix`, [`http_actix`]): the
//! configuration and CLI ([`config`], [`cli`]), the database and tasks ([`app`], [`tasks`]),
//! the OpenAPI document ([`openapi`]) and Swagger UI ([`docs`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod config;
pub mod docs;
pub mod http_actix;
pub mod http_axum;
pub mod logging;
pub mod openapi;
pub mod secret;
pub mod shutdown;
pub mod signing;
pub mod tasks;
