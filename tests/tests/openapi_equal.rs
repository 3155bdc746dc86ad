//! Both servers serve one OpenAPI document: the shared `openapi::openapi_json()`, unchanged.

use auth_sqlx::testing::TestDatabase;
use serde_json::Value;

async fn openapi(base_url: &str) -> Value {
    let r = reqwest::get(format!("{base_url}/openapi.json")).await.expect("GET /openapi.json");
    assert_eq!(r.status().as_u16(), 200);
    let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok());
    assert_eq!(content_type, Some("application/json"));
    r.json().await.expect("a JSON document")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_and_actix_serve_the_same_document() {
    let axum = auth_tests::servers::axum(TestDatabase::sqlite()).await;
    let actix = auth_tests::servers::actix(TestDatabase::sqlite()).await;
    let (a, b) = (openapi(&axum.base_url).await, openapi(&actix.base_url).await);
    assert!(a["paths"].as_object().is_some_and(|p| !p.is_empty()), "no paths: {a}");
    assert_eq!(a, b, "the two servers serve different OpenAPI documents");
}
