//! The extractors through `oneshot`: what they accept, what they refuse, and that they fail
//! closed when the store is down or the server is wired wrong.

use std::{net::SocketAddr, sync::Arc};

use auth_axum::{Admin, Claims, CurrentUser, api_errors, auth_router};
use auth_core::{
    Auth, AuthConfig, AuthStore, KeySet, MemoryStore, Role, SigningKey, http::AuthState,
    testing::FailingStore,
};
use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode, header},
    routing::get,
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";

fn auth(store: Arc<dyn AuthStore>) -> Auth {
    let keys = KeySet::new(SigningKey::hs256(b"extractor tests secret, 32+ bytes").unwrap());
    let config =
        AuthConfig::builder(keys).hashing(auth_core::testing::fast_hashing()).build().unwrap();
    Auth::new(config, store)
}

fn app(auth: Auth) -> Router {
    Router::new()
        .route("/claims", get(|Claims(c): Claims| async move { c.username }))
        .route("/me", get(|CurrentUser(u): CurrentUser| async move { u.username.to_string() }))
        .route("/admin", get(|admin: Admin| async move { admin.username.to_string() }))
        .merge(auth_router())
        .layer(api_errors())
        .with_state(AuthState::new(auth))
}

fn get_with(uri: &str, bearer: Option<&str>) -> Request<Body> {
    let mut req = Request::get(uri);
    if let Some(t) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    req
}

async fn call(app: Router, req: Request<Body>) -> (StatusCode, Option<String>, Value) {
    let res = app.oneshot(req).await.unwrap();
    let www = res.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, www, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn session(auth: &Auth, name: &str, admin: bool) -> String {
    let role = if admin { Role::Admin } else { Role::User };
    auth_core::testing::access_token(auth, name, PASSWORD, role).await
}

#[tokio::test]
async fn missing_and_bad_tokens_are_401_with_the_right_challenge() {
    let auth = auth(Arc::new(MemoryStore::new()));
    let (status, www, body) = call(app(auth.clone()), get_with("/me", None)).await;
    assert_eq!(
        (status, www.as_deref(), body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"), Some("not_authenticated"))
    );
    let (status, www, body) = call(app(auth), get_with("/claims", Some("not.a.jwt"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(www.as_deref(), Some(r#"Bearer error="invalid_token""#));
    assert_eq!(body["code"], "invalid_token");
}

#[tokio::test]
async fn claims_current_user_and_admin() {
    let auth = auth(Arc::new(MemoryStore::new()));
    let user = session(&auth, "alice", false).await;
    let admin = session(&auth, "root", true).await;
    assert_eq!(call(app(auth.clone()), get_with("/claims", Some(&user))).await.0, StatusCode::OK);
    assert_eq!(call(app(auth.clone()), get_with("/me", Some(&user))).await.0, StatusCode::OK);
    let (status, www, body) = call(app(auth.clone()), get_with("/admin", Some(&user))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(www.as_deref(), Some(r#"Bearer error="insufficient_scope""#));
    assert_eq!(body["code"], "forbidden");
    assert_eq!(call(app(auth), get_with("/admin", Some(&admin))).await.0, StatusCode::OK);
}

#[tokio::test]
async fn store_checked_extractors_fail_closed_when_the_store_is_down() {
    // A token from a working service, checked by one whose store is down.
    let healthy = auth(Arc::new(MemoryStore::new()));
    let token = session(&healthy, "alice", false).await;
    let down = auth(Arc::new(FailingStore));
    // Stateless claims still verify: no I/O.
    assert_eq!(call(app(down.clone()), get_with("/claims", Some(&token))).await.0, StatusCode::OK);
    for uri in ["/me", "/admin"] {
        let res = app(down.clone()).oneshot(get_with(uri, Some(&token))).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
        let body: Value =
            serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"detail": "Service temporarily unavailable", "code": "unavailable"})
        );
    }
}

#[tokio::test]
async fn a_server_without_connect_info_answers_500_not_a_guess() {
    let auth = auth(Arc::new(MemoryStore::new()));
    let req = Request::post("/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(r#"{{"username":"alice","password":"{PASSWORD}"}}"#)))
        .unwrap();
    let (status, _, body) = call(app(auth), req).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["code"], "internal_error");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_api_body() {
    let auth = auth(Arc::new(MemoryStore::new()));
    let (status, _, body) = call(app(auth.clone()), get_with("/nope", None)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let mut req = get_with("/auth/me", None);
    *req.method_mut() = axum::http::Method::PUT;
    let (status, _, body) = call(app(auth), req).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
}

#[tokio::test]
async fn every_route_of_the_shared_table_is_served() {
    let auth = auth(Arc::new(MemoryStore::new()));
    for route in auth_core::http::AUTH_ROUTES {
        let mut req = get_with(&format!("/auth{}", route.path), None);
        *req.method_mut() = route.method.parse().unwrap();
        let (status, _, _) = call(app(auth.clone()), req).await;
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&status),
            "{} {} answered {status}",
            route.method,
            route.path
        );
    }
}

/// A registration carries `Location` only when the application says where users are served.
#[tokio::test]
async fn register_sets_location_only_with_a_users_path() {
    let register = |name: &str| {
        let body = serde_json::json!({"username": name, "password": PASSWORD}).to_string();
        let mut req = Request::post("/auth/register")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
        req
    };
    let auth = auth(Arc::new(MemoryStore::new()));
    let res = app(auth.clone()).oneshot(register("dave")).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get(header::LOCATION).is_none());

    let with_path = Router::new()
        .merge(auth_router())
        .layer(api_errors())
        .with_state(AuthState::new(auth).with_users_path("/admin/users/"));
    let res = with_path.oneshot(register("carol")).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers().get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let user: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(location, format!("/admin/users/{}", user["id"]));
}
