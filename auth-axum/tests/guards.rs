//! The guards against the guard matrix of `auth_core::testing::guard_matrix` (`viewer` ⊂
//! `editor` ⊂ `admin`): `Require<P>` for a role, a permission, any-of and all-of, as
//! extractors and as route-level middleware (`AuthorizeLayer`, and
//! `from_extractor_with_state`), a stored role the configuration no longer declares, and
//! `SecondFactorUser`.

use std::net::SocketAddr;

use auth_axum::{Admin, AuthorizeLayer, CurrentUser, Require, SecondFactorUser, api_errors};
use auth_core::{
    AllOf, AnyOf, Auth,
    http::AuthState,
    testing::guard_matrix::{self, *},
};
use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Request, header},
    middleware::from_extractor_with_state,
    routing::get,
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The matrix's test app.
fn app(auth: Auth) -> Router {
    let state = AuthState::new(auth);
    let me = |CurrentUser(u): CurrentUser| async move { u.username.to_string() };
    let layered = Router::new()
        .route("/layer/any", get(|| async { "ok" }))
        .route_layer(AuthorizeLayer::new(state.clone(), guard_matrix::any_requirement()));
    let typed = Router::new()
        .route("/layer/typed", get(me))
        .route_layer(from_extractor_with_state::<Require<Editor>, _>(state.clone()));
    let policy = Router::new()
        .route("/layer/policy", get(|| async { "ok" }))
        .route_layer(AuthorizeLayer::policy::<AllOf<(Viewer, AuditNotes)>>(state.clone()));
    Router::new()
        .route("/me", get(me))
        .route("/viewer", get(|Require(u): Require<Viewer>| async move { u.username.to_string() }))
        .route("/editor", get(|_: Require<Editor>| async { "ok" }))
        .route("/admin", get(|_: Admin| async { "ok" }))
        .route("/read", get(|_: Require<ReadNotes>| async { "ok" }))
        .route("/write", get(|_: Require<WriteNotes>| async { "ok" }))
        .route("/audit", get(|_: Require<AuditNotes>| async { "ok" }))
        .route("/any", get(|_: Require<AnyOf<(Editor, AuditNotes)>>| async { "ok" }))
        .route("/all", get(|_: Require<AllOf<(Editor, AuditNotes)>>| async { "ok" }))
        .route(SECOND_FACTOR_ROUTE, get(|_: SecondFactorUser| async { "ok" }))
        .merge(layered)
        .merge(typed)
        .merge(policy)
        .layer(api_errors())
        .with_state(state)
}

async fn call(auth: Auth, route: &'static str, bearer: Option<String>) -> GuardReply {
    let mut req = Request::get(route);
    if let Some(t) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    let res = app(auth).oneshot(req).await.unwrap();
    let www = res.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    GuardReply { status, www_authenticate: www, code: body["code"].as_str().map(str::to_owned) }
}

#[tokio::test]
async fn each_role_passes_exactly_its_guards() {
    guard_matrix::each_role_passes_exactly_its_guards(call).await;
}

#[tokio::test]
async fn a_stored_role_no_longer_declared_passes_no_guard() {
    guard_matrix::a_stored_role_no_longer_declared_passes_no_guard(call).await;
}

#[tokio::test]
async fn a_route_marked_for_a_second_factor_takes_only_sessions_that_proved_one() {
    guard_matrix::a_route_marked_for_a_second_factor_takes_only_sessions_that_proved_one(call)
        .await;
}

#[tokio::test]
async fn what_a_role_grants_is_read_at_check_time() {
    guard_matrix::what_a_role_grants_is_read_at_check_time(call).await;
}

/// Guards of any policy are `Clone` and `Debug`, whatever the policy derives.
#[test]
fn guards_are_clone_and_debug() {
    fn assert_traits<T: Clone + std::fmt::Debug>() {}
    assert_traits::<Require<AnyOf<(Editor, AuditNotes)>>>();
    assert_traits::<Require<AllOf<(AnyOf<(Viewer, Editor)>, WriteNotes)>>>();
}
