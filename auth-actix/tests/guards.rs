//! The guards with three declared roles (`viewer` ⊂ `editor` ⊂ `admin`): `Require<P>` for a
//! role, a permission, any-of and all-of, as extractors and as middleware (`Authorize` on a
//! resource and on a scope), and a stored role the configuration no longer declares.

use std::{net::SocketAddr, sync::Arc};

use actix_web::{
    App, HttpResponse,
    http::{StatusCode, header},
    middleware::from_fn,
    test::{self, TestRequest},
    web,
};
use auth_actix::{Admin, Authorize, CurrentUser, Require, api_errors};
use auth_core::{
    AllOf, AnyOf, Auth, AuthConfig, AuthConfigBuilder, KeySet, MemoryStore, Permission,
    Requirement, Role, RoleDefinition, SigningKey, http::AuthState,
};
use serde_json::Value;

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

async fn ok() -> HttpResponse {
    HttpResponse::Ok().json("ok")
}

async fn me(CurrentUser(u): CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(u.username.as_str())
}

async fn call(auth: &Auth, uri: &str, bearer: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let any =
        Requirement::any_of([Role::Admin.into(), Permission::new("notes:write").unwrap().into()]);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(AuthState::new(auth.clone())))
            .route("/me", web::get().to(me))
            .route("/viewer", web::get().to(|_: Require<Viewer>| ok()))
            .route("/editor", web::get().to(|_: Require<Editor>| ok()))
            .route("/admin", web::get().to(|_: Admin| ok()))
            .route("/read", web::get().to(|_: Require<ReadNotes>| ok()))
            .route("/write", web::get().to(|_: Require<WriteNotes>| ok()))
            .route("/audit", web::get().to(|_: Require<AuditNotes>| ok()))
            .route("/any", web::get().to(|_: Require<AnyOf<(Editor, AuditNotes)>>| ok()))
            .route("/all", web::get().to(|_: Require<AllOf<(Editor, AuditNotes)>>| ok()))
            .service(
                web::scope("/layer")
                    .service(
                        web::resource("/any").wrap(Authorize::new(any)).route(web::get().to(ok)),
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
    let mut req = TestRequest::get().uri(uri).peer_addr(peer);
    if let Some(t) = bearer {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    }
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status();
    let www = res.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let body = test::read_body(res).await;
    (status, www, serde_json::from_slice(&body).unwrap_or(Value::Null))
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

#[actix_web::test]
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

#[actix_web::test]
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
