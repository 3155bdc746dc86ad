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
    // (A set of one key checks every token against it: a bad signature.)
    use auth_core::{AuthError::InvalidToken, TokenRejection::*};
    let refused = retired.auth.authenticate(&old_token).await.unwrap_err();
    assert!(matches!(refused, InvalidToken(UnknownKey | BadSignature)), "{refused:?}");
}
