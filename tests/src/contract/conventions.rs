//! Cross-cutting conventions: request ids and security headers, 404/405, health, the
//! OpenAPI document, the docs page, CORS.

use reqwest::{Method, RequestBuilder, Url};
use serde_json::{Value, json};

use super::Target;
use super::client::*;

/// Every route `docs/API.md` lists, as OpenAPI paths.
pub const ROUTES: &[&str] = &[
    "/health",
    "/.well-known/jwks.json",
    "/.well-known/oauth-authorization-server",
    "/auth/register",
    "/auth/login",
    "/auth/token",
    "/auth/refresh",
    "/auth/logout",
    "/auth/logout-all",
    "/auth/password",
    "/auth/forgot-password",
    "/auth/reset-password",
    "/auth/verify-email/request",
    "/auth/verify-email",
    "/auth/me",
    "/auth/sessions",
    "/auth/sessions/{id}",
    "/auth/mfa/totp",
    "/auth/mfa/totp/confirm",
    "/auth/mfa/recovery-codes",
    "/auth/mfa/verify",
    "/auth/admin",
    "/tasks",
    "/tasks/{id}",
    "/admin/users",
    "/admin/users/{id}",
    "/admin/users/{id}/sessions",
    "/admin/users/{id}/mfa",
    "/admin/tasks",
];

/// Substrings that betray assets loaded from a CDN.
const CDN_MARKERS: &[&str] = &["unpkg", "cdn.jsdelivr", "cdnjs", "fonts.googleapis"];

/// One request per kind of answer: 200, 401, 404, 422, 405, with the status expected.
fn sample_requests(t: &Target) -> Vec<(RequestBuilder, u16)> {
    let invalid = json!({"username": "ab", "password": strong_password()});
    vec![
        (request(t, Method::GET, "/health"), 200),
        (request(t, Method::GET, "/auth/me"), 401),
        (request(t, Method::GET, "/no/such/route"), 404),
        (request(t, Method::POST, "/auth/register").json(&invalid), 422),
        (request(t, Method::PUT, "/auth/me"), 405),
    ]
}

fn assert_nosniff(r: &Reply) {
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "status {}", r.status);
}

/// Every answer (success or error) has an `x-request-id` and `X-Content-Type-Options: nosniff`.
pub async fn request_id_and_nosniff_on_every_response(t: &Target) {
    for (rb, status) in sample_requests(t) {
        let r = send(rb).await;
        r.expect_status(status);
        let id = r.header("x-request-id").unwrap_or_default();
        assert!(!id.is_empty(), "no x-request-id on a {status}");
        assert_nosniff(&r);
    }
}

/// A client's `x-request-id` is echoed unchanged, on every kind of answer.
pub async fn request_id_is_echoed(t: &Target) {
    for (rb, status) in sample_requests(t) {
        let r = send(rb.header("x-request-id", "my-id-123")).await;
        r.expect_status(status);
        assert_eq!(r.header("x-request-id"), Some("my-id-123"), "on a {status}");
        assert_nosniff(&r);
    }
}

/// An unknown route is a JSON `404 not_found`.
pub async fn unknown_route_is_404_json(t: &Target) {
    assert_error(&get(t, "/no/such/route", None).await, 404, "not_found");
    let r = post_json(t, "/auth/nothing-here", None, &json!({})).await;
    assert_error(&r, 404, "not_found");
}

/// A known route with the wrong method is a JSON `405 method_not_allowed`.
pub async fn wrong_method_is_405(t: &Target) {
    assert_error(&send(request(t, Method::PUT, "/auth/me")).await, 405, "method_not_allowed");
    let r = send(request(t, Method::PUT, "/health")).await;
    assert_error(&r, 405, "method_not_allowed");
}

/// `GET /health` is exactly `{"status":"ok","database":"ok"}`.
pub async fn health_reports_ok(t: &Target) {
    let health = get(t, "/health", None).await.expect_status(200).json();
    assert_eq!(health, json!({"status": "ok", "database": "ok"}));
}

async fn openapi(t: &Target) -> Value {
    get(t, "/openapi.json", None).await.expect_status(200).json()
}

/// `GET /openapi.json` is an OpenAPI 3.1 document with every route.
pub async fn openapi_lists_every_route(t: &Target) {
    let doc = openapi(t).await;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "openapi version {version:?}");
    let paths = doc["paths"].as_object().expect("paths object");
    let missing: Vec<&&str> = ROUTES.iter().filter(|p| !paths.contains_key(**p)).collect();
    assert!(missing.is_empty(), "routes missing from the OpenAPI paths: {missing:?}");
    let unlisted: Vec<&String> = paths.keys().filter(|p| !ROUTES.contains(&p.as_str())).collect();
    assert!(unlisted.is_empty(), "OpenAPI paths this suite does not know: {unlisted:?}");
}

/// The document declares an OAuth2 password flow whose token URL is `/auth/login`.
pub async fn openapi_declares_oauth2_password_flow(t: &Target) {
    let doc = openapi(t).await;
    let schemes = doc["components"]["securitySchemes"].as_object().expect("securitySchemes");
    let found = schemes
        .values()
        .any(|s| s["type"] == "oauth2" && s["flows"]["password"]["tokenUrl"] == "/auth/login");
    assert!(found, "no OAuth2 password flow with tokenUrl /auth/login: {schemes:?}");
}

/// Follows up to five redirects by hand from `path`; returns the final URL and reply.
async fn follow(t: &Target, path: &str) -> (Url, Reply) {
    let mut at = Url::parse(&url(t, path)).expect("valid URL");
    for _ in 0..5 {
        let r = send(http().get(at.clone())).await;
        if !(300..400).contains(&r.status) {
            return (at, r);
        }
        let location = r.header("location").expect("redirect without Location");
        at = at.join(location).expect("valid Location");
    }
    panic!("too many redirects from {path}");
}

/// The `src="..."` and stylesheet `href="..."` values of a page.
fn asset_refs(html: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for attr in ["src=", "href="] {
        for piece in html.split(attr).skip(1) {
            let Some(quote) = piece.chars().next().filter(|c| matches!(c, '"' | '\'')) else {
                continue;
            };
            let value: String = piece[1..].chars().take_while(|&c| c != quote).collect();
            if attr == "src=" || value.ends_with(".css") {
                refs.push(value);
            }
        }
    }
    refs
}

/// `GET /docs` ends at a Swagger UI page whose assets come from the server, not a CDN.
pub async fn docs_serve_swagger_without_cdn(t: &Target) {
    let (page_url, r) = follow(t, "/docs").await;
    r.expect_status(200);
    let content_type = r.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "Content-Type {content_type:?}");
    let html = r.text();
    let lower = html.to_lowercase();
    assert!(lower.contains("swagger"), "not a Swagger UI page");
    for cdn in CDN_MARKERS {
        assert!(!lower.contains(cdn), "the docs page references a CDN ({cdn})");
    }
    for asset in asset_refs(&html) {
        let local =
            !asset.starts_with("http:") && !asset.starts_with("https:") && !asset.starts_with("//");
        assert!(local, "the docs page loads {asset} from elsewhere");
        if asset.starts_with("data:") || asset.is_empty() {
            continue;
        }
        let target = page_url.join(&asset).expect("valid asset URL");
        let a = send(http().get(target.clone())).await;
        assert_eq!(a.status, 200, "docs asset {target}");
    }
}

/// Without configured origins there are no CORS headers, not even for a preflight.
pub async fn cors_is_off_by_default(t: &Target) {
    let origin = "https://evil.example";
    let simple = send(request(t, Method::GET, "/health").header("origin", origin)).await;
    simple.expect_status(200);
    let preflight = request(t, Method::OPTIONS, "/auth/login")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type");
    let preflight = send(preflight).await;
    assert!(preflight.status < 500, "preflight: {} {}", preflight.status, preflight.text());
    for r in [&simple, &preflight] {
        assert_eq!(r.header("access-control-allow-origin"), None, "status {}", r.status);
        assert_eq!(r.header("access-control-allow-credentials"), None, "status {}", r.status);
    }
}
