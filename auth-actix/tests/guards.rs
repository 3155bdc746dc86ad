//! The guards against the guard matrix of `auth_core::testing::guard_matrix` (`viewer` ⊂
//! `editor` ⊂ `admin`): `Require<P>` for a role, a permission, any-of and all-of, as
//! extractors and as middleware (`Authorize` on a resource and on a scope), and a stored role
//! the configuration no longer declares; and `SecondFactorUser`.

use std::net::SocketAddr;

use actix_web::{
    App, HttpResponse,
    http::header,
    middleware::from_fn,
    test::{self, TestRequest},
    web,
};
use auth_actix::{Admin, Authorize, CurrentUser, Require, SecondFactorUser, api_errors};
use auth_core::{
    AllOf, AnyOf, Auth,
    http::AuthState,
    testing::guard_matrix::{self, *},
};
use serde_json::Value;

async fn ok() -> HttpResponse {
    HttpResponse::Ok().json("ok")
}

async fn me(CurrentUser(u): CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(u.username.as_str())
}

/// Sends a GET to the matrix's test app.
async fn call(auth: Auth, route: &'static str, bearer: Option<String>) -> GuardReply {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(AuthState::new(auth)))
            .route("/me", web::get().to(me))
            .route("/viewer", web::get().to(|_: Require<Viewer>| ok()))
            .route("/editor", web::get().to(|_: Require<Editor>| ok()))
            .route("/admin", web::get().to(|_: Admin| ok()))
            .route("/read", web::get().to(|_: Require<ReadNotes>| ok()))
            .route("/write", web::get().to(|_: Require<WriteNotes>| ok()))
            .route("/audit", web::get().to(|_: Require<AuditNotes>| ok()))
            .route("/any", web::get().to(|_: Require<AnyOf<(Editor, AuditNotes)>>| ok()))
            .route("/all", web::get().to(|_: Require<AllOf<(Editor, AuditNotes)>>| ok()))
            .route(SECOND_FACTOR_ROUTE, web::get().to(|_: SecondFactorUser| ok()))
            .service(
                web::scope("/layer")
                    .service(
                        web::resource("/any")
                            .wrap(Authorize::new(guard_matrix::any_requirement()))
                            .route(web::get().to(ok)),
                    )
                    .service(
                        web::resource("/typed")
                            .wrap(Authorize::policy::<Editor>())
                            .route(web::get().to(me)),
                    )
                    .service(
                        web::scope("/policy")
                            .wrap(Authorize::policy::<AllOf<(Viewer, AuditNotes)>>())
                            .route("", web::get().to(ok)),
                    ),
            )
            .wrap(from_fn(api_errors)),
    )
    .await;
    let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    let mut req = TestRequest::get().uri(route).peer_addr(peer);
    if let Some(t) = bearer {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    }
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let www = res.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap_or(Value::Null);
    GuardReply { status, www_authenticate: www, code: body["code"].as_str().map(str::to_owned) }
}

#[actix_web::test]
async fn a_route_marked_for_a_second_factor_takes_only_sessions_that_proved_one() {
    guard_matrix::a_route_marked_for_a_second_factor_takes_only_sessions_that_proved_one(call)
        .await;
}

#[actix_web::test]
async fn each_role_passes_exactly_its_guards() {
    guard_matrix::each_role_passes_exactly_its_guards(call).await;
}

#[actix_web::test]
async fn a_stored_role_no_longer_declared_passes_no_guard() {
    guard_matrix::a_stored_role_no_longer_declared_passes_no_guard(call).await;
}

#[actix_web::test]
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
