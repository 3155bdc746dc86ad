//! Passwords, hashes and tokens never reach a log line (audit or otherwise), a `Debug`
//! output or an error message; user-supplied text cannot forge a log line.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use auth_core::*;
use tracing_subscriber::{fmt::MakeWriter, layer::SubscriberExt};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

const SECRET: &[u8] = b"log-test signing secret, 32+ bytes";
const PASSWORD: &str = "Tr0ub4dor&3 horse staple";
const NEW_PASSWORD: &str = "an entirely new passphrase";

fn auth(store: Arc<MemoryStore>) -> Auth {
    let keys = KeySet::new(SigningKey::hs256(SECRET).unwrap());
    let config = AuthConfig::builder(keys).hashing(testing::fast_hashing()).build().unwrap();
    Auth::new(config, store)
}

#[tokio::test]
async fn audit_events_carry_no_secrets_and_stay_one_line() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(capture.clone()).with_ansi(false))
        .with(tracing_subscriber::fmt::layer().json().with_writer(capture.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);

    let store = Arc::new(MemoryStore::new());
    let auth = auth(store.clone());
    let ctx = RequestContext::new(
        Some("198.51.100.4".parse().unwrap()),
        Some("agent\r\nevent=\"forged\""),
    );
    let admin = auth.bootstrap_admin("root", &Password::new(PASSWORD)).await.unwrap().user;
    let alice = auth.register(Registration::new("alice", PASSWORD), None, &ctx).await.unwrap();
    let _ = auth.login("alice", &Password::new("wrong password here"), &ctx).await;
    let _ = auth.login("nobody", &Password::new(PASSWORD), &ctx).await;
    let s = auth.login("alice", &Password::new(PASSWORD), &ctx).await.unwrap();
    let r = auth.refresh(s.tokens.refresh_token.expose(), &ctx).await.unwrap();
    let _ = auth.refresh(s.tokens.refresh_token.expose(), &ctx).await; // replay
    let s2 = auth.login("alice", &Password::new(PASSWORD), &ctx).await.unwrap();
    auth.logout(s2.tokens.refresh_token.expose(), &ctx).await.unwrap();
    let s3 = auth
        .change_password(
            alice.id,
            &[auth_core::Amr::Pwd],
            &Password::new(PASSWORD),
            &Password::new(NEW_PASSWORD),
            &ctx,
        )
        .await
        .unwrap();
    auth.set_role(&admin, alice.id, Role::Admin, &ctx).await.unwrap();
    auth.set_active(&admin, alice.id, false, &ctx).await.unwrap();
    auth.logout_all(admin.id, &ctx).await.unwrap();
    // The operator's configuration names the deactivated admin: reactivated, and audited.
    let again = auth.bootstrap_admin("alice", &Password::new(NEW_PASSWORD)).await.unwrap();
    assert_eq!(again.outcome, BootstrapOutcome::Reactivated);

    let logs = capture.text();
    for event in [
        "admin_bootstrapped",
        "user_registered",
        "login_failed",
        "login_succeeded",
        "token_refreshed",
        "refresh_reuse_detected",
        "logout",
        "password_changed",
        "role_changed",
        "user_deactivated",
        "logout_all",
        "user_activated",
    ] {
        assert!(logs.contains(event), "missing audit event {event}:\n{logs}");
    }
    assert!(logs.contains("outcome=Reactivated"), "{logs}");
    let reactivation = logs.lines().find(|l| l.contains("user_activated")).unwrap();
    assert!(
        reactivation.contains("actor=\"bootstrap\"") || reactivation.contains("actor=bootstrap")
    );
    assert!(logs.contains("auth::audit") && logs.contains("198.51.100.4"));

    let hash = store.user_by_id(alice.id).await.unwrap().unwrap().password_hash;
    let secrets = [
        PASSWORD.to_owned(),
        NEW_PASSWORD.to_owned(),
        "wrong password here".to_owned(),
        hash.as_str().to_owned(),
        String::from_utf8(SECRET.to_vec()).unwrap(),
        s.tokens.access_token.expose().to_owned(),
        s.tokens.refresh_token.expose().to_owned(),
        r.refresh_token.expose().to_owned(),
        s3.tokens.access_token.expose().to_owned(),
        s3.tokens.refresh_token.expose().to_owned(),
    ];
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
    }
    // The CR/LF in the user agent was dropped: no line starts with the forged text.
    assert!(!logs.lines().any(|l| l.trim_start().starts_with("event=\"forged\"")));
    assert!(!logs.contains('\r'));

    // Nor do they reach Debug output of anything that holds them.
    let debug =
        format!("{auth:?} {s:?} {r:?} {hash:?} {:?}", store.user_by_id(alice.id).await.unwrap());
    for secret in &secrets {
        assert!(!debug.contains(secret.as_str()), "a secret reached a Debug output");
    }
}

#[tokio::test]
async fn error_messages_carry_no_secrets() {
    let auth = auth(Arc::new(MemoryStore::new()));
    let ctx = RequestContext::internal();
    let errors = [
        auth.register(Registration::new("alice", "password1"), None, &ctx).await.unwrap_err(),
        auth.login("alice", &Password::new("my secret guess"), &ctx).await.unwrap_err(),
        auth.refresh("my-secret-guess-my-secret-guess-my-secret-g", &ctx).await.unwrap_err(),
    ];
    for e in &errors {
        let text = format!("{e} {e:?}");
        assert!(
            !text.contains("password1")
                && !text.contains("my secret guess")
                && !text.contains("my-secret-guess"),
            "{text}"
        );
    }
}

/// The second factor's secrets (the TOTP secret, codes, recovery codes, MFA tokens) reach no
/// log line, error message or `Debug` output, while its audit events are there.
#[tokio::test]
async fn second_factor_secrets_stay_out_of_logs_errors_and_debug() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(capture.clone()).with_ansi(false))
        .with(tracing_subscriber::fmt::layer().json().with_writer(capture.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);

    let keys = KeySet::new(SigningKey::hs256(SECRET).unwrap());
    let config = AuthConfig::builder(keys).hashing(testing::fast_hashing()).build().unwrap();
    let ring = MfaKeyRing::new(MfaKey::derive(SECRET).unwrap());
    let clock = ManualClock::starting_now();
    let auth = Auth::builder(config, Arc::new(MemoryStore::new()))
        .clock(Arc::new(clock.clone()))
        .mfa(MfaSettings::new("Log test", ring).unwrap())
        .build()
        .unwrap();
    let ctx = RequestContext::new(Some("198.51.100.9".parse().unwrap()), None);
    let pw = Password::new(PASSWORD);
    let alice = auth.register(Registration::new("alice", PASSWORD), None, &ctx).await.unwrap();
    let started = auth.begin_totp_enrolment(&alice, &pw, &ctx).await.unwrap();
    let secret = TotpSecret::from_base32(started.secret()).unwrap();
    let confirm_code = secret.code_at(clock.now()).to_string();
    let codes = auth.confirm_totp_enrolment(&alice, None, &confirm_code, &ctx).await.unwrap();
    async fn login(auth: &Auth, ctx: &RequestContext) -> Box<MfaChallenge> {
        match auth.login("alice", &Password::new(PASSWORD), ctx).await {
            Err(AuthError::MfaRequired(c)) => c,
            other => panic!("{other:?}"),
        }
    }
    let challenge = login(&auth, &ctx).await;
    let second = login(&auth, &ctx).await;
    let second_token = second.token.expose().to_owned();
    let challenge_text = format!("{challenge:?} {}", AuthError::MfaRequired(second));
    let wrong = if confirm_code == "000000" { "111111" } else { "000000" };
    let failed = auth
        .verify_second_factor(
            challenge.token.expose(),
            &SecondFactorCode::parse(wrong).unwrap(),
            &ctx,
        )
        .await
        .unwrap_err();
    let recovery = SecondFactorCode::Recovery(codes[0].clone());
    let done = auth.verify_second_factor(challenge.token.expose(), &recovery, &ctx).await.unwrap();
    clock.advance(std::time::Duration::from_secs(30));
    let code = secret.code_at(clock.now()).to_string();
    auth.disable_totp(&alice, None, &pw, &code, &ctx).await.unwrap();

    let logs = capture.text();
    for event in [
        "totp_enrolment_started",
        "totp_enabled",
        "mfa_required",
        "second_factor_failed",
        "recovery_code_used",
        "totp_disabled",
    ] {
        assert!(logs.contains(event), "missing audit event {event}:\n{logs}");
    }
    let mut secrets = vec![
        started.secret().to_owned(),
        challenge.token.expose().to_owned(),
        second_token,
        done.signed_in.tokens.access_token.expose().to_owned(),
    ];
    secrets.extend(codes.iter().map(|c| c.expose().to_owned()));
    let shown = format!(
        "{failed} {failed:?} {started:?} {codes:?} {recovery:?} {done:?} {challenge_text} {secret:?}"
    );
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "a second-factor secret reached the logs");
        assert!(!shown.contains(s.as_str()), "a second-factor secret was shown");
    }
    // Six-digit codes: nowhere shown, and in the logs never as a value of their own (a
    // timestamp's digits may hold the same six by chance).
    let standalone = |text: &str, code: &str| {
        text.match_indices(code).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + code.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ':')
                && !after.is_some_and(|c| c.is_ascii_digit())
        })
    };
    for code in [confirm_code.as_str(), code.as_str(), wrong] {
        assert!(!shown.contains(code), "a code was shown");
        assert!(!standalone(&logs, code), "a code reached the logs");
    }
}
