//! Both servers serve one OpenAPI document: the shared `openapi::openapi_json(roles)`, unchanged.

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

/// The route table of `docs/API.md` lists exactly the routes of the OpenAPI document (and
/// the two routes that serve the document itself), so the reference cannot drift from the
/// implementation.
#[test]
fn the_api_reference_lists_exactly_the_routes_of_the_document() {
    use std::collections::BTreeSet;
    let doc: Value =
        serde_json::from_str(&task_service::openapi::openapi_json(&auth_core::Roles::default()))
            .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            documented.insert(format!("{} {path}", method.to_ascii_uppercase()));
        }
    }
    let reference_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/API.md");
    let reference = std::fs::read_to_string(reference_path).expect("docs/API.md");
    let mut listed = BTreeSet::new();
    for row in reference.lines().filter(|l| l.starts_with("| `")) {
        let route = row.split('`').nth(1).expect("a route in backticks");
        if route.contains(' ') && route.split(' ').next().is_some_and(|m| m == m.to_uppercase()) {
            listed.insert(route.to_owned());
        }
    }
    for served_outside_the_document in ["GET /openapi.json", "GET /docs"] {
        assert!(
            listed.remove(served_outside_the_document),
            "docs/API.md lacks {served_outside_the_document}"
        );
    }
    assert_eq!(listed, documented, "docs/API.md (left) and the OpenAPI document (right) differ");
}
