//! The ceiling of the HTTP load benchmark: an axum server with no auth, answering with a
//! user-sized JSON body on two routes:
//!
//! - `GET /ceiling`, behind the task service's own middleware stack
//!   ([`task_service::http_axum::with_middleware`]: request id, request span, timeout,
//!   error rewriting, `nosniff`), so `GET /auth/me` ÷ this is what auth itself costs;
//! - `GET /bare`, a bare axum handler, so the cost of that stack shows too.
//!
//! Usage: `ceiling 127.0.0.1:PORT`.

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};
use task_service::{config::Config, http_axum::with_middleware};

async fn ceiling() -> Json<Value> {
    Json(json!({
        "id": 1, "username": "loadtest", "email": null, "role": "user",
        "is_active": true, "created_at": "2026-11-22T22:19:35.965Z"
    }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".into());
    // The service's defaults (the database is never opened).
    let config = Config::with_database("sqlite::memory:");
    let stacked = with_middleware(Router::new().route("/ceiling", get(ceiling)), &config)
        .map_err(std::io::Error::other)?;
    let router = Router::new().route("/bare", get(ceiling)).merge(stacked);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("ceiling listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await
}
