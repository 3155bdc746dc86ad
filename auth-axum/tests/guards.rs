//! The guards with three declared roles (`viewer` ⊂ `editor` ⊂ `admin`): `Require<P>` for a
//! role, a permission, any-of and all-of, as extractors and as route-level middleware
//! (`AuthorizeLayer`, and `from_extractor_with_state`), and a stored role the configuration
//! no longer declares.

use std::{net::SocketAddr, sync::Arc};

use auth_axum::{Admin, AuthorizeLayer, CurrentUser, Require, api_errors};
use auth_core::{
    AllOf, AnyOf, Auth, AuthConfig, AuthConfigBuilder, KeySet, MemoryStore, Permission,
    Requirement, Role, RoleDefinition, SigningKey, http::AuthState,
};
use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode, header},
    middleware::{from_extractor_with_state, from_fn},
    routing::get,
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";

auth_core::role!(Viewer = "viewer");
auth_core::role!(Editor = "editor");
auth_core::permission!(ReadNotes = "notes:read");
auth_core::permission!(WriteNotes = "notes:write");
auth_core::permission!(AuditNotes = "notes:audit");

fn config(extra: impl FnOnce(AuthConfigBuilder) -> AuthConfigBuilder) -> AuthConfig {
    let keys = KeySet::new(SigningKey::hs256(b"guard tests secret, 32 bytes or more").unwrap());
    let builder = AuthConfig::builder(keys)
        .hashing(auth_core::testing::fast_hashing())
        .role(RoleDefinition::new("viewer").grants(["notes:read"]))
        .role(RoleDefinition::new("editor").includes(["viewer"]).grants(["notes:write"]))
        .role(RoleDefinition::new("admin").includes(["editor"]).grants(["notes:audit"]));
    extra(builder).build().unwrap()
}

fn app(auth: Auth) -> Router {
    let state = AuthState::new(auth);
    let any =
        Requirement::any_of([Role::Admin.into(), Permission::new("notes:write").unwrap().into()]);
    let layered = Router::new()
        .route("/layer/any", get(|| async { "ok" }))
        .route_layer(AuthorizeLayer::new(state.clone(), any));
    let typed = Router::new()
        .route(
            "/layer/typed",
            get(|CurrentUser(u): CurrentUser| async move { u.username.to_string() }),
        )
        .route_layer(from_extractor_with_state::<Require<Editor>, _>(state.clone()));
    let policy = Router::new()
        .route("/layer/policy", get(|| async { "ok" }))
        .route_layer(AuthorizeLayer::policy::<AllOf<(Viewer, AuditNotes)>>(state.clone()));
    Router::new()
        .route("/me", get(|CurrentUser(u): CurrentUser| async move { u.username.to_string() }))
        .route("/viewer", get(|Require(u): Require<Viewer>| async move { u.username.to_string() }))
        .route("/editor", get(|_: Require<Editor>| async { "ok" }))
        .route("/admin", get(|_: Admin| async { "ok" }))
        .route("/read", get(|_: Require<ReadNotes>| async { "ok" }))
        .route("/write", get(|_: Require<WriteNotes>| async { "ok" }))
        .route("/audit", get(|_: Require<AuditNotes>| async { "ok" }))
        .route("/any", get(|_: Require<AnyOf<(Editor, AuditNotes)>>| async { "ok" }))
        .route("/all", get(|_: Require<AllOf<(Editor, AuditNotes)>>| async { "ok" }))
        .merge(layered)
        .merge(typed)
        .merge(policy)
        .layer(from_fn(api_errors))
        .with_state(state)
}

async fn call(auth: &Auth, uri: &str, bearer: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::get(uri);
    if let Some(t) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    let res = app(auth.clone()).oneshot(req).await.unwrap();
    let www = res.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, www, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

const ROUTES: [&str; 12] = [
    "/me",
    "/viewer",
    "/editor",
    "/admin",
    "/read",
    "/write",
    "/audit",
    "/any",
    "/all",
    "/layer/any",
    "/layer/typed",
    "/layer/policy",
];

/// Guards of any policy are `Clone` and `Debug`, whatever the policy derives.
#[test]
fn guards_are_clone_and_debug() {
    fn assert_traits<T: Clone + std::fmt::Debug>() {}
    assert_traits::<Require<AnyOf<(Editor, AuditNotes)>>>();
    assert_traits::<Require<AllOf<(AnyOf<(Viewer, Editor)>, WriteNotes)>>>();
}

/// Which of [`ROUTES`] let each role through; every other one answers 403.
fn allowed(role: &str) -> &'static [&'static str] {
    match role {
        "user" => &["/me"],
        "viewer" => &["/me", "/viewer", "/read"],
        "editor" => {
            &["/me", "/viewer", "/editor", "/read", "/write", "/any", "/layer/any", "/layer/typed"]
        }
        "admin" => &ROUTES,
        _ => &["/me"],
    }
}

#[tokio::test]
async fn each_role_passes_exactly_its_guards() {
    let auth = Auth::new(config(|c| c), Arc::new(MemoryStore::new()));
    for (name, role) in
        [("plain", "user"), ("vera", "viewer"), ("eddie", "editor"), ("root", "admin")]
    {
        let role = Role::new(role).unwrap();
        let token = auth_core::testing::access_token(&auth, name, PASSWORD, role.clone()).await;
        for route in ROUTES {
            let (status, www, body) = call(&auth, route, Some(&token)).await;
            if allowed(role.as_str()).contains(&route) {
                assert_eq!(status, StatusCode::OK, "{role} on {route}: {body}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} on {route}");
                assert_eq!(www.as_deref(), Some(r#"Bearer error="insufficient_scope""#));
                assert_eq!(body["code"], "forbidden", "{role} on {route}");
            }
        }
    }
    for route in ROUTES {
        let (status, _, body) = call(&auth, route, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("not_authenticated")),
            "{route}"
        );
    }
}

#[tokio::test]
async fn a_stored_role_the_configuration_no_longer_declares_passes_no_guard() {
    // The same store and keys, first with a `moderator` role that includes editor, then
    // without it: the moderator still signs in, and no guard lets them through.
    let store = Arc::new(MemoryStore::new());
    let before = config(|c| c.role(RoleDefinition::new("moderator").includes(["editor"])));
    let before = Auth::new(before, store.clone());
    let moderator = Role::new("moderator").unwrap();
    let token = auth_core::testing::access_token(&before, "mod1", PASSWORD, moderator).await;
    assert_eq!(call(&before, "/editor", Some(&token)).await.0, StatusCode::OK);
    assert_eq!(call(&before, "/write", Some(&token)).await.0, StatusCode::OK);
    let after = Auth::new(config(|c| c), store);
    for route in ROUTES {
        let expected = if route == "/me" { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(call(&after, route, Some(&token)).await.0, expected, "{route}");
    }
}

#[tokio::test]
async fn what_a_role_grants_is_read_at_check_time() {
    // A token issued while `viewer` granted nothing passes once the configuration grants it:
    // permissions are not in the token.
    let store = Arc::new(MemoryStore::new());
    let keys = KeySet::new(SigningKey::hs256(b"guard tests secret, 32 bytes or more").unwrap());
    let bare = AuthConfig::builder(keys)
        .hashing(auth_core::testing::fast_hashing())
        .role(RoleDefinition::new("viewer"))
        .build()
        .unwrap();
    let bare = Auth::new(bare, store.clone());
    let viewer = Role::new("viewer").unwrap();
    let token = auth_core::testing::access_token(&bare, "vera", PASSWORD, viewer).await;
    assert_eq!(call(&bare, "/read", Some(&token)).await.0, StatusCode::FORBIDDEN);
    let granting = Auth::new(config(|c| c), store);
    assert_eq!(call(&granting, "/read", Some(&token)).await.0, StatusCode::OK);
}
