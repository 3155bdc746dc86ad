//! # task-service
//!
//! The ready-made auth API of the project: the register/login/me/admin/task service of the
//! Python original, rebuilt on `auth-core`, `auth-sqlx`, `auth-axum` and `auth-actix`.
//! Everything but the server loop is shared by the axum binary (`task-service`, `http_axum`,
//! feature `axum`, the default) and the actix-web one (`task-service-actix`, `http_actix`,
//! feature `actix`): the configuration and CLI ([`config`], [`cli`]), the database and tasks
//! ([`app`], [`tasks`]), the OpenAPI document ([`openapi`]) and Swagger UI ([`docs`]). Each
//! server is a feature so that building one does not build the other's framework.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
#[cfg(feature = "axum")]
mod axum_connections;
pub mod cli;
pub mod config;
pub mod docs;
pub mod front_door;
#[cfg(feature = "actix")]
pub mod http_actix;
#[cfg(feature = "axum")]
pub mod http_axum;
pub mod keygen;
pub mod logging;
pub mod mail;
pub mod openapi;
pub mod second_factor;
pub mod secret;
pub mod shutdown;
pub mod signing;
pub mod tasks;
