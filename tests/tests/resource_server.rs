//! Resource servers that trust the task service's tokens through its JWKS alone: the `notes`
//! example (axum, `auth_axum::RemoteClaims`) and a small actix-web app
//! (`auth_actix::RemoteClaims`), against both binaries signing with ES256 and with EdDSA.
//! HS256 tokens are refused, and the cached keys keep serving when the issuer goes down.

use std::net::SocketAddr;

use auth_core::RemoteKeySet;
use auth_sqlx::testing::TestDatabase;
use auth_tests::{
    contract::{Target, client::*},
    servers,
};
use serde_json::{Value, json};

/// A resource server: where it listens, and the task that serves it.
struct Resource {
    base_url: String,
    _task: tokio::task::JoinHandle<()>,
}

/// The key set a resource server of `issuer` builds, from its JWKS URL.
fn key_set(issuer: &Target) -> RemoteKeySet {
    let url = format!("{}/.well-known/jwks.json", issuer.base_url);
    RemoteKeySet::builder(url, &issuer.issuer, &issuer.audience).build().unwrap()
}

/// The `notes` example in this process, trusting `issuer`.
async fn notes_for(issuer: &Target) -> Resource {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let router = notes::router(notes::Notes::new(key_set(issuer)));
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Resource { base_url, _task: task }
}

/// An actix-web resource server in this process, trusting `issuer`.
async fn actix_for(issuer: &Target) -> Resource {
    use actix_web::{App, HttpServer, middleware::from_fn, web};
    use auth_actix::{RemoteClaims, api_errors};

    async fn whoami(RemoteClaims(claims): RemoteClaims) -> web::Json<Value> {
        web::Json(json!({"id": claims.sub, "username": claims.username, "role": claims.role}))
    }
    let keys = web::Data::new(key_set(issuer));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(keys.clone())
            .wrap(from_fn(api_errors))
            .route("/whoami", web::get().to(whoami))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let task = tokio::spawn(async move {
        server.await.unwrap();
    });
    Resource { base_url: format!("http://{address}"), _task: task }
}

async fn call(
    resource: &Resource,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http().request(method, format!("{}{path}", resource.base_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the resource server answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_as(resource: &Resource, path: &str, token: Option<&str>) -> (u16, Value) {
    call(resource, reqwest::Method::GET, path, token, None).await
}

/// Notes of two users through the `notes` example, and the refusals.
async fn notes_trust_the_issuer(issuer: &Target) {
    let notes = notes_for(issuer).await;
    let (alice, bob) = (new_user(issuer).await, new_user(issuer).await);

    let (status, me) = get_as(&notes, "/whoami", Some(&alice.access)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!((&me["username"], &me["role"]), (&json!(alice.username), &json!("user")));
    assert_eq!(me["amr"], json!(["pwd"]));

    let post = reqwest::Method::POST;
    let body = json!({"text": "buy milk"});
    let (status, note) =
        call(&notes, post.clone(), "/notes", Some(&alice.access), Some(body)).await;
    assert_eq!(status, 201, "{note}");
    let (_, mine) = get_as(&notes, "/notes", Some(&alice.access)).await;
    assert_eq!(mine, json!([note]));
    let (_, theirs) = get_as(&notes, "/notes", Some(&bob.access)).await;
    assert_eq!(theirs, json!([]), "notes are per user (the token's sub)");
    let empty = Some(json!({"text": "  "}));
    let (status, refused) = call(&notes, post, "/notes", Some(&alice.access), empty).await;
    assert_eq!((status, &refused["code"]), (422, &json!("validation_error")), "{refused}");

    // No token, a malformed one, a tampered one, a refresh token.
    let (status, refused) = get_as(&notes, "/notes", None).await;
    assert_eq!((status, &refused["code"]), (401, &json!("not_authenticated")));
    // One character of the signature changed, always to another one (a shift of the last
    // characters left the token unchanged when the signature happened to end in "AAA").
    let mut tampered = alice.access.clone().into_bytes();
    let at = alice.access.rfind('.').expect("a JWS") + 10;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    assert_ne!(tampered, alice.access);
    for bad in ["not-a-token", tampered.as_str(), alice.refresh.as_str()] {
        let (status, refused) = get_as(&notes, "/whoami", Some(bad)).await;
        assert_eq!((status, &refused["code"]), (401, &json!("invalid_token")), "{bad}");
    }
}

/// The actix-web extractor verifies the same tokens.
async fn actix_trusts_the_issuer(issuer: &Target) {
    let resource = actix_for(issuer).await;
    let user = new_user(issuer).await;
    let (status, me) = get_as(&resource, "/whoami", Some(&user.access)).await;
    assert_eq!((status, &me["username"]), (200, &json!(user.username)), "{me}");
    let (status, refused) = get_as(&resource, "/whoami", Some("a.b.c")).await;
    assert_eq!((status, &refused["code"]), (401, &json!("invalid_token")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn es256_tokens_of_the_axum_binary() {
    let issuer = servers::axum_with(TestDatabase::sqlite(), servers::es256).await;
    notes_trust_the_issuer(&issuer).await;
    actix_trusts_the_issuer(&issuer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eddsa_tokens_of_the_axum_binary() {
    let issuer = servers::axum_with(TestDatabase::sqlite(), servers::eddsa).await;
    notes_trust_the_issuer(&issuer).await;
    actix_trusts_the_issuer(&issuer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn es256_tokens_of_the_actix_binary() {
    let issuer = servers::actix_with(TestDatabase::sqlite(), servers::es256).await;
    notes_trust_the_issuer(&issuer).await;
    actix_trusts_the_issuer(&issuer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eddsa_tokens_of_the_actix_binary() {
    let issuer = servers::actix_with(TestDatabase::sqlite(), servers::eddsa).await;
    notes_trust_the_issuer(&issuer).await;
    actix_trusts_the_issuer(&issuer).await;
}

/// An HS256 issuer publishes no key, so its tokens, however valid there, are refused: the
/// shared secret never leaves the issuer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_tokens_are_refused() {
    for issuer in
        [servers::axum(TestDatabase::sqlite()).await, servers::actix(TestDatabase::sqlite()).await]
    {
        let user = new_user(&issuer).await;
        get(&issuer, "/auth/me", Some(&user.access)).await.expect_status(200);
        let notes = notes_for(&issuer).await;
        let (status, refused) = get_as(&notes, "/whoami", Some(&user.access)).await;
        assert_eq!((status, &refused["code"]), (401, &json!("invalid_token")), "{refused}");
        let resource = actix_for(&issuer).await;
        let (status, _) = get_as(&resource, "/whoami", Some(&user.access)).await;
        assert_eq!(status, 401);
    }
}

/// The issuer goes down: tokens go on verifying with the keys fetched before; a resource
/// server that never reached the issuer answers 503 `keys_unavailable` with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issuer_going_down_stops_nothing_already_fetched() {
    let issuer = servers::axum_with(TestDatabase::sqlite(), servers::es256).await;
    let user = new_user(&issuer).await;
    let notes = notes_for(&issuer).await;
    assert_eq!(get_as(&notes, "/whoami", Some(&user.access)).await.0, 200);
    let late = notes_for(&issuer).await; // built, but has fetched nothing yet
    drop(issuer);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(get_as(&notes, "/whoami", Some(&user.access)).await.0, 200);

    let response = http()
        .get(format!("{}/whoami", late.base_url))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "keys_unavailable", "{body}");
}
