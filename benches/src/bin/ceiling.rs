//! The ceilings of the HTTP load benchmark: axum servers with no auth, answering with a
//! user-sized JSON body, both served by `axum::serve`:
//!
//! - `GET /bare` on the first address: a bare axum handler, no middleware;
//! - `GET /ceiling` on the second: the same handler behind the task service's own middleware
//!   stack ([`task_service::http_axum::with_middleware`]: request id, request span, timeout,
//!   error rewriting, body limit, `nosniff`), so `GET /auth/me` ÷ this is what auth (and the
//!   service's own connection loop, with its front-door bounds) costs, and this ÷ the bare
//!   handler what the stack costs.
//!
//! Usage: `ceiling 127.0.0.1:PORT 127.0.0.1:OTHER_PORT`.

use axum::{Json, Router, ServiceExt, routing::get};
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
    let mut args = std::env::args().skip(1);
    let bare_addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".into());
    let stacked_addr = args.next().unwrap_or_else(|| "127.0.0.1:8091".into());
    // The service's defaults (the database is never opened).
    let config = Config::with_database("sqlite::memory:");
    let stacked = with_middleware(Router::new().route("/ceiling", get(ceiling)), &config)
        .map_err(std::io::Error::other)?;
    let bare = Router::new().route("/bare", get(ceiling));
    let bare_listener = tokio::net::TcpListener::bind(&bare_addr).await?;
    let stacked_listener = tokio::net::TcpListener::bind(&stacked_addr).await?;
    println!(
        "ceiling listening on http://{}/bare and http://{}/ceiling",
        bare_listener.local_addr()?,
        stacked_listener.local_addr()?
    );
    let stacked =
        tokio::spawn(
            async move { axum::serve(stacked_listener, stacked.into_make_service()).await },
        );
    axum::serve(bare_listener, bare).await?;
    stacked.await.map_err(std::io::Error::other)?
}
