//! The ceiling of the HTTP load benchmark: a minimal axum server with no auth, answering
//! `GET /ceiling` with a user-sized JSON body, behind the same runtime defaults as the task
//! service. `GET /auth/me` throughput is reported as a fraction of this one.
//!
//! Usage: `ceiling 127.0.0.1:PORT`.

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

async fn ceiling() -> Json<Value> {
    Json(json!({
        "id": 1, "username": "loadtest", "email": null, "role": "user",
        "is_active": true, "created_at": "2026-11-22T22:19:35.965Z"
    }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("ceiling listening on http://{}", listener.local_addr()?);
    axum::serve(listener, Router::new().route("/ceiling", get(ceiling))).await
}
