//! The extractors, the error mapping and the `/auth` scope through `actix_web::test`.

use std::{net::SocketAddr, sync::Arc};

use actix_web::{
    App, HttpResponse,
    http::{StatusCode, header},
    middleware::from_fn,
    test::{self, TestRequest},
    web,
};
use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, Role, SigningKey, http::AuthState};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::*;

const PEER: &str = "203.0.113.9:4000";
const PASSWORD: &str = "a long enough passphrase for tests";

fn auth() -> Auth {
    let keys = KeySet::new(SigningKey::hs256(b"unit tests of auth-actix, 32+ bytes").unwrap());
    Auth::new(AuthConfig::builder(keys).build().unwrap(), Arc::new(MemoryStore::new()))
}

#[derive(Debug, Deserialize)]
struct IdPath {
    id: i64,
}

#[derive(Debug, Deserialize)]
struct Page {
    #[allow(dead_code)]
    limit: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct NewTask {
    #[allow(dead_code)]
    title: String,
}

async fn echo_claims(Claims(claims): Claims) -> HttpResponse {
    HttpResponse::Ok().json(json!({"sub": claims.sub.to_string()}))
}

async fn echo_user(CurrentUser(user): CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({"username": user.username.to_string()}))
}

async fn echo_client(Client(ctx): Client) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ip": ctx.ip().map(|ip| ip.to_string())}))
}

async fn admin_item(_: Admin, ApiPath(IdPath { id }): ApiPath<IdPath>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"id": id}))
}

async fn create(CurrentUser(_): CurrentUser, ApiJson(_): ApiJson<NewTask>) -> HttpResponse {
    HttpResponse::Created().finish()
}

async fn page(ApiQuery(_): ApiQuery<Page>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Sends `req` (from a peer) to an app with the `/auth` scope and a few routes using the
/// extractors, with `state` (if any) as its `AuthState`.
async fn call(
    state: Option<&AuthState>,
    req: TestRequest,
) -> (StatusCode, header::HeaderMap, Value) {
    let mut app = App::new();
    if let Some(state) = state {
        app = app.app_data(web::Data::new(state.clone()));
    }
    let app = test::init_service(
        app.app_data(BodyLimit(1024))
            .route("/claims", web::get().to(echo_claims))
            .route("/user", web::get().to(echo_user))
            .route("/client", web::get().to(echo_client))
            .route("/items/{id}", web::get().to(admin_item))
            .route("/tasks", web::post().to(create))
            .route("/page", web::get().to(page))
            .service(auth_scope())
            .wrap(from_fn(api_errors)),
    )
    .await;
    let peer: SocketAddr = PEER.parse().unwrap();
    let res = test::call_service(&app, req.peer_addr(peer).to_request()).await;
    let (status, headers) = (res.status(), res.headers().clone());
    let body = test::read_body(res).await;
    let json = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap() };
    (status, headers, json)
}

/// Registers `name` (an admin when `admin`) and returns an access token.
async fn token(auth: &Auth, name: &str, admin: bool) -> String {
    let role = if admin { Role::Admin } else { Role::User };
    auth_core::testing::access_token(auth, name, PASSWORD, role).await
}

fn bearer(token: &str) -> (header::HeaderName, String) {
    (header::AUTHORIZATION, format!("Bearer {token}"))
}

#[actix_web::test]
async fn missing_auth_state_is_a_500() {
    let (status, _, body) = call(None, TestRequest::get().uri("/user")).await;
    assert_eq!(status, 500);
    assert_eq!(body, json!({"detail": "Internal server error", "code": "internal_error"}));
}

#[actix_web::test]
async fn missing_or_bad_bearer_is_a_401_with_www_authenticate() {
    let app = AuthState::new(auth());
    let (status, headers, body) = call(Some(&app), TestRequest::get().uri("/claims")).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (401, Some("not_authenticated")));
    assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
    let req = TestRequest::get().uri("/user").insert_header(bearer("not.a.jwt"));
    let (status, headers, body) = call(Some(&app), req).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (401, Some("invalid_token")));
    assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer error=\"invalid_token\"");
}

#[actix_web::test]
async fn body_rejections_match_the_api() {
    let auth = auth();
    let app = AuthState::new(auth.clone());
    let access = token(&auth, "alice", false).await;
    let post = |ct: &str, body: &str| {
        TestRequest::post()
            .uri("/tasks")
            .insert_header(bearer(&access))
            .insert_header((header::CONTENT_TYPE, ct.to_owned()))
            .set_payload(body.to_owned())
    };
    let cases = [
        (post("text/plain", "{}"), 415, "Content-Type must be application/json"),
        (post("application/json", "{"), 400, "Malformed JSON body"),
        (
            post("application/json", "{\"title\": 5}"),
            422,
            "title: invalid type: integer `5`, expected a string",
        ),
        (post("application/json", "{}"), 422, "title: field required"),
        (
            post("application/json", &format!("{{\"title\": \"{}\"}}", "x".repeat(2000))),
            413,
            "Request body is too large",
        ),
    ];
    for (req, status, detail) in cases {
        let (got, _, body) = call(Some(&app), req).await;
        assert_eq!((got.as_u16(), body["detail"].as_str()), (status, Some(detail)));
    }
    let (status, _, _) = call(Some(&app), post("application/json", "{\"title\": \"ok\"}")).await;
    assert_eq!(status, 201);
}

#[actix_web::test]
async fn params_name_the_field() {
    let auth = auth();
    let app = AuthState::new(auth.clone());
    let admin = token(&auth, "boss", true).await;
    let req = TestRequest::get().uri("/items/abc").insert_header(bearer(&admin));
    let (status, _, body) = call(Some(&app), req).await;
    assert_eq!(
        (status.as_u16(), body["detail"].as_str()),
        (422, Some("id: must be a valid integer"))
    );
    let req = TestRequest::get().uri("/items/7").insert_header(bearer(&admin));
    assert_eq!(call(Some(&app), req).await.2, json!({"id": 7}));
    let (status, _, body) = call(Some(&app), TestRequest::get().uri("/page?limit=x")).await;
    assert_eq!(
        (status.as_u16(), body["detail"].as_str()),
        (422, Some("limit: invalid digit found in string"))
    );
}

#[actix_web::test]
async fn extractors_run_in_argument_order() {
    let auth = auth();
    let app = AuthState::new(auth.clone());
    let user = token(&auth, "bob_", false).await;
    // The role guard comes first: a plain user probing with a bad id is refused, not told.
    let req = TestRequest::get().uri("/items/abc").insert_header(bearer(&user));
    let (status, headers, body) = call(Some(&app), req).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(
        headers.get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer error=\"insufficient_scope\""
    );
    // No token and a broken body: the missing token decides.
    let req = TestRequest::post()
        .uri("/tasks")
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload("{");
    assert_eq!(call(Some(&app), req).await.0, 401);
}

#[actix_web::test]
async fn client_ip_believes_only_trusted_proxies() {
    let trusting = AuthState::new(auth()).with_trusted_proxies("203.0.113.0/24".parse().unwrap());
    let app = trusting;
    let req = TestRequest::get().uri("/client").insert_header(("x-forwarded-for", "198.51.100.7"));
    assert_eq!(call(Some(&app), req).await.2, json!({"ip": "198.51.100.7"}));
    let app = AuthState::new(auth());
    let req = TestRequest::get().uri("/client").insert_header(("x-forwarded-for", "198.51.100.7"));
    assert_eq!(call(Some(&app), req).await.2, json!({"ip": "203.0.113.9"}));
}

#[actix_web::test]
async fn framework_errors_get_the_api_body() {
    let app = AuthState::new(auth());
    let (status, _, body) = call(Some(&app), TestRequest::get().uri("/no/such/route")).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (404, Some("not_found")));
    let (status, headers, body) = call(Some(&app), TestRequest::put().uri("/auth/me")).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (405, Some("method_not_allowed")));
    let allow = headers.get(header::ALLOW).unwrap().to_str().unwrap();
    assert_eq!(allow.split(',').collect::<Vec<_>>(), ["GET", "HEAD", "PATCH", "DELETE"], "{allow}");
}

#[actix_web::test]
async fn auth_scope_registers_logs_in_and_answers_me() {
    // Without a users path, a registration has no `Location`.
    let bare = AuthState::new(auth());
    let req = TestRequest::post()
        .uri("/auth/register")
        .set_json(json!({"username": "dave", "password": PASSWORD}));
    let (status, headers, _) = call(Some(&bare), req).await;
    assert_eq!(status, 201);
    assert!(headers.get(header::LOCATION).is_none());
    let app = AuthState::new(auth()).with_users_path("/admin/users/");
    let req = TestRequest::post()
        .uri("/auth/register")
        .set_json(json!({"username": "carol", "password": PASSWORD}));
    let (status, headers, user) = call(Some(&app), req).await;
    assert_eq!(status, 201);
    assert_eq!(headers.get(header::LOCATION).unwrap(), &format!("/admin/users/{}", user["id"]));
    let form = format!("username=carol&password={}", PASSWORD.replace(' ', "+"));
    let req = TestRequest::post()
        .uri("/auth/login")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(form);
    let (status, headers, pair) = call(Some(&app), req).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let access = pair["access_token"].as_str().unwrap();
    let req = TestRequest::get().uri("/auth/me").insert_header(bearer(access));
    let (status, headers, me) = call(Some(&app), req).await;
    assert_eq!((status.as_u16(), me["username"].as_str()), (200, Some("carol")));
    assert_eq!(headers.get(header::PRAGMA).unwrap(), "no-cache");
    // Over the 16 KiB of the scope (not the app's 1 KiB): refused with 413 only past 16 KiB.
    let big = json!({"username": "dave", "password": "p".repeat(2000)});
    let req = TestRequest::post().uri("/auth/register").set_json(big);
    assert_eq!(call(Some(&app), req).await.0, 422);
    let req = TestRequest::post().uri("/auth/token").set_json(json!({}));
    let (status, headers, body) = call(Some(&app), req).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_request")));
    assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
}

#[actix_web::test]
async fn every_route_of_the_shared_table_is_served() {
    let app = AuthState::new(auth());
    for route in auth_core::http::AUTH_ROUTES {
        let method: actix_web::http::Method = route.method.parse().unwrap();
        let req = TestRequest::default().method(method).uri(&format!("/auth{}", route.path));
        let (status, _, _) = call(Some(&app), req).await;
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&status),
            "{} {} answered {status}",
            route.method,
            route.path
        );
    }
}
