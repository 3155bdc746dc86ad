//! The signing-key rotation runbook of the README, walked with instances of the task service
//! on one database: publish the new key (verify-only) → sign with it (the old one
//! verify-only) → retire the old one. No valid token fails at any step, and the JWK set
//! lists what verifies.

use auth_core::{Password, Registration, RequestContext};
use auth_sqlx::testing::TestDatabase;
use task_service::{
    app::App,
    config::{Config, JwtAlgorithm},
    keygen,
};

const PASSWORD: &str = "rotation passphrase, long enough";

/// An instance on `db` signing with `signing`, also verifying with `verify_only`.
async fn instance(
    db: &TestDatabase,
    signing: &std::path::Path,
    verify_only: &[&std::path::Path],
) -> App {
    let mut config = Config::with_database(db.url());
    config.jwt_algorithm = JwtAlgorithm::EdDsa;
    config.jwt_private_key_file = Some(signing.to_owned());
    config.jwt_verify_only_key_files =
        verify_only.iter().map(|p| p.display().to_string()).collect();
    App::build(config).await.expect("the instance starts")
}

/// The key ids the instance publishes.
fn published(app: &App) -> Vec<String> {
    app.auth.jwks().keys.iter().filter_map(|k| k.common.key_id.clone()).collect()
}

async fn access_token(app: &App) -> String {
    let ctx = RequestContext::internal();
    let signed_in = app.auth.login("rotor", &Password::new(PASSWORD), &ctx).await.unwrap();
    signed_in.tokens.access_token.expose().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_signing_key_never_fails_a_valid_token() {
    let dir = tempfile::tempdir().unwrap();
    let old = keygen::generate(JwtAlgorithm::EdDsa, &dir.path().join("old.pem")).unwrap();
    let new = keygen::generate(JwtAlgorithm::EdDsa, &dir.path().join("new.pem")).unwrap();
    let db = TestDatabase::sqlite();

    // Before: the old key signs.
    let before = instance(&db, &old.private, &[]).await;
    let ctx = RequestContext::internal();
    before.auth.register(Registration::new("rotor", PASSWORD), None, &ctx).await.unwrap();
    let old_token = access_token(&before).await;
    assert_eq!(published(&before), std::slice::from_ref(&old.kid));

    // 1. Publish: every instance verifies with the new key before any signs with it.
    let publishing = instance(&db, &old.private, &[&new.public]).await;
    assert_eq!(published(&publishing), [old.kid.clone(), new.kid.clone()]);
    publishing.auth.authenticate(&old_token).await.unwrap();

    // 2. Sign with the new key, the old one verify-only: tokens of both verify on both.
    let signing_new = instance(&db, &new.private, &[&old.public]).await;
    let new_token = access_token(&signing_new).await;
    for app in [&publishing, &signing_new] {
        app.auth.authenticate(&old_token).await.expect("an old token still verifies");
        app.auth.authenticate(&new_token).await.expect("a new token verifies everywhere");
    }
    assert_eq!(published(&signing_new), [new.kid.clone(), old.kid.clone()]);

    // 3. Retire the old key once its tokens have expired: new tokens go on verifying, and
    // a token of the old key no longer does.
    let retired = instance(&db, &new.private, &[]).await;
    assert_eq!(published(&retired), std::slice::from_ref(&new.kid));
    retired.auth.authenticate(&new_token).await.unwrap();
    use auth_core::{AuthError::InvalidToken, TokenRejection::UnknownKey};
    let refused = retired.auth.authenticate(&old_token).await.unwrap_err();
    assert!(matches!(refused, InvalidToken(UnknownKey)), "{refused:?}");
}

/// Serves `app` on `address` until the returned sender is dropped; the handle ends when the
/// port is free again.
async fn serve_at(
    app: App,
    address: std::net::SocketAddr,
) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(address).await.expect("the port is free");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let until = async {
            let _ = stopped.await;
        };
        task_service::http_axum::serve_until(app, listener, until).await.unwrap();
    });
    (stop, task)
}

/// The same walk seen by a resource server that knows the issuer only by its JWKS URL (one
/// address, as behind a load balancer): between the steps it waits as long as the JWKS may
/// be cached (`max-age=300`), as the runbook says, and no valid token fails there either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_server_follows_the_rotation() {
    use auth_core::{AuthError::InvalidToken, ManualClock, RemoteKeySet, TokenRejection::*};
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let old = keygen::generate(JwtAlgorithm::EdDsa, &dir.path().join("old.pem")).unwrap();
    let new = keygen::generate(JwtAlgorithm::EdDsa, &dir.path().join("new.pem")).unwrap();
    let db = TestDatabase::sqlite();
    let address = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = Config::with_database(db.url());
    let clock = ManualClock::starting_now();
    let resource = RemoteKeySet::builder(
        format!("http://{address}/.well-known/jwks.json"),
        &config.jwt_issuer,
        &config.jwt_audience,
    )
    .clock(std::sync::Arc::new(clock.clone()))
    .build()
    .unwrap();
    let ctx = RequestContext::internal();
    // Waits out the JWKS's max-age; the next verification fetches the set in the background.
    let wait_for = |kids: Vec<String>, token: String| {
        let (clock, resource) = (clock.clone(), resource.clone());
        async move {
            clock.advance(Duration::from_secs(301));
            for _ in 0..500 {
                if resource.key_ids() == kids {
                    return;
                }
                let _ = resource.verify(&token).await;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the resource server has {:?}, not {kids:?}", resource.key_ids());
        }
    };

    // Before: the old key signs; the resource server fetches it with the first token.
    let before = instance(&db, &old.private, &[]).await;
    before.auth.register(Registration::new("rotor", PASSWORD), None, &ctx).await.unwrap();
    let old_token = access_token(&before).await;
    let served = serve_at(before, address).await;
    resource.verify(&old_token).await.expect("an old token verifies");
    assert_eq!(resource.key_ids(), std::slice::from_ref(&old.kid));
    drop(served.0);
    served.1.await.unwrap();

    // 1. Publish, then wait until every cache holds the new key.
    let publishing = instance(&db, &old.private, &[&new.public]).await;
    let served = serve_at(publishing, address).await;
    wait_for(vec![old.kid.clone(), new.kid.clone()], old_token.clone()).await;
    resource.verify(&old_token).await.unwrap();
    drop(served.0);
    served.1.await.unwrap();

    // 2. Sign with the new key: its tokens verify with the keys already cached.
    let signing_new = instance(&db, &new.private, &[&old.public]).await;
    let new_token = access_token(&signing_new).await;
    let served = serve_at(signing_new, address).await;
    resource.verify(&new_token).await.expect("a new token verifies");
    resource.verify(&old_token).await.expect("an old token still verifies");
    wait_for(vec![new.kid.clone(), old.kid.clone()], new_token.clone()).await;
    drop(served.0);
    served.1.await.unwrap();

    // 3. Retire the old key: once the cache has caught up, its tokens are refused and the
    // new ones go on verifying. (The old token would have expired by then in real life.)
    let retired = instance(&db, &new.private, &[]).await;
    let served = serve_at(retired, address).await;
    wait_for(vec![new.kid.clone()], new_token.clone()).await;
    resource.verify(&new_token).await.unwrap();
    let refused = resource.verify(&old_token).await.unwrap_err();
    assert!(matches!(refused, InvalidToken(UnknownKey)), "{refused:?}");
    drop(served.0);
    served.1.await.unwrap();
}
