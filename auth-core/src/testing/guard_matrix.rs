//! The guard matrix both framework crates check their guards against: three declared roles
//! (`viewer` ⊂ `editor` ⊂ `admin`), policies over them, the routes a test app serves (one
//! guard each) and which role passes which. Each crate builds the app its own way; the
//! checks are here, once.

use std::{future::Future, sync::Arc};

use crate::Clock as _;

use crate::{
    Auth, AuthConfig, AuthConfigBuilder, KeySet, MemoryStore, Permission, Requirement, Role,
    RoleDefinition, SigningKey,
};

crate::role! {
    /// Requires `viewer`.
    pub Viewer = "viewer"
}
crate::role! {
    /// Requires `editor`.
    pub Editor = "editor"
}
crate::permission! {
    /// Requires `notes:read` (viewers and up).
    pub ReadNotes = "notes:read"
}
crate::permission! {
    /// Requires `notes:write` (editors and up).
    pub WriteNotes = "notes:write"
}
crate::permission! {
    /// Requires `notes:audit` (admins).
    pub AuditNotes = "notes:audit"
}

/// The password of every user the matrix makes.
pub const PASSWORD: &str = "correct horse battery staple";

/// The routes of the test app, each behind one guard:
///
/// | route | guard |
/// |---|---|
/// | `/me` | `CurrentUser` |
/// | `/viewer`, `/editor`, `/admin` | `Require<Viewer>`, `Require<Editor>`, `Admin` |
/// | `/read`, `/write`, `/audit` | `Require<ReadNotes>`, `Require<WriteNotes>`, `Require<AuditNotes>` |
/// | `/any`, `/all` | `Require<AnyOf<(Editor, AuditNotes)>>`, `Require<AllOf<(Editor, AuditNotes)>>` |
/// | `/layer/any` | route-level middleware with [`any_requirement`] |
/// | `/layer/typed` | route-level middleware for `Editor`, the handler extracting `CurrentUser` |
/// | `/layer/policy` | route-level middleware for `AllOf<(Viewer, AuditNotes)>` |
pub const ROUTES: [&str; 12] = [
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

/// The requirement of `/layer/any`, built at run time: admin, or `notes:write`.
pub fn any_requirement() -> Requirement {
    Requirement::any_of([Role::Admin.into(), Permission::from_static("notes:write").into()])
}

/// Which of [`ROUTES`] let a user of `role` through; every other one answers 403.
pub fn allowed(role: &str) -> &'static [&'static str] {
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

/// The configuration: `viewer` grants `notes:read`, `editor` includes it and grants
/// `notes:write`, `admin` includes `editor` and grants `notes:audit`; `extra` adds to it.
pub fn config(extra: impl FnOnce(AuthConfigBuilder) -> AuthConfigBuilder) -> AuthConfig {
    let keys = KeySet::new(SigningKey::hs256(b"guard matrix secret, 32 bytes or more").unwrap());
    let builder = AuthConfig::builder(keys)
        .hashing(super::fast_hashing())
        .role(RoleDefinition::new("viewer").grants(["notes:read"]))
        .role(RoleDefinition::new("editor").includes(["viewer"]).grants(["notes:write"]))
        .role(RoleDefinition::new("admin").includes(["editor"]).grants(["notes:audit"]));
    extra(builder).build().expect("a valid configuration")
}

/// What the test app answered: the status, the `WWW-Authenticate` header and the body's
/// `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardReply {
    /// The HTTP status.
    pub status: u16,
    /// The `WWW-Authenticate` header, if any.
    pub www_authenticate: Option<String>,
    /// The body's `code`, if it is the API's error body.
    pub code: Option<String>,
}

/// A user of each role (and none) on every route: exactly [`allowed`] pass; the others are
/// 403 `forbidden` with `insufficient_scope`, or 401 without a token. `call(auth, route,
/// bearer)` sends a GET to the crate's test app over `auth`.
///
/// # Panics
/// On the first answer that differs.
pub async fn each_role_passes_exactly_its_guards<F, Fut>(call: F)
where
    F: Fn(Auth, &'static str, Option<String>) -> Fut,
    Fut: Future<Output = GuardReply>,
{
    let auth = Auth::new(config(|c| c), Arc::new(MemoryStore::new()));
    for (name, role) in
        [("plain", "user"), ("vera", "viewer"), ("eddie", "editor"), ("root", "admin")]
    {
        let role = Role::new(role).unwrap();
        let token = super::access_token(&auth, name, PASSWORD, role.clone()).await;
        for route in ROUTES {
            let reply = call(auth.clone(), route, Some(token.clone())).await;
            if allowed(role.as_str()).contains(&route) {
                assert_eq!(reply.status, 200, "{role} on {route}: {reply:?}");
            } else {
                let expected = GuardReply {
                    status: 403,
                    www_authenticate: Some(r#"Bearer error="insufficient_scope""#.into()),
                    code: Some("forbidden".into()),
                };
                assert_eq!(reply, expected, "{role} on {route}");
            }
        }
    }
    for route in ROUTES {
        let reply = call(auth.clone(), route, None).await;
        assert_eq!(
            (reply.status, reply.code.as_deref()),
            (401, Some("not_authenticated")),
            "{route}"
        );
    }
}

/// A `moderator` (including `editor`) passes the editor's guards; once the configuration no
/// longer declares the role, the same user and token pass none but `/me`.
///
/// # Panics
/// On the first answer that differs.
pub async fn a_stored_role_no_longer_declared_passes_no_guard<F, Fut>(call: F)
where
    F: Fn(Auth, &'static str, Option<String>) -> Fut,
    Fut: Future<Output = GuardReply>,
{
    let store = Arc::new(MemoryStore::new());
    let before = config(|c| c.role(RoleDefinition::new("moderator").includes(["editor"])));
    let before = Auth::new(before, store.clone());
    let moderator = Role::new("moderator").unwrap();
    let token = super::access_token(&before, "mod1", PASSWORD, moderator).await;
    for route in ["/editor", "/write"] {
        assert_eq!(call(before.clone(), route, Some(token.clone())).await.status, 200, "{route}");
    }
    let after = Auth::new(config(|c| c), store);
    for route in ROUTES {
        let expected = if route == "/me" { 200 } else { 403 };
        let reply = call(after.clone(), route, Some(token.clone())).await;
        assert_eq!(reply.status, expected, "{route}");
    }
}

/// A token issued while `viewer` granted nothing passes `/read` once the configuration
/// grants it `notes:read`: what a role grants is read when a request is checked, not carried
/// in the token.
///
/// # Panics
/// On the first answer that differs.
pub async fn what_a_role_grants_is_read_at_check_time<F, Fut>(call: F)
where
    F: Fn(Auth, &'static str, Option<String>) -> Fut,
    Fut: Future<Output = GuardReply>,
{
    let store = Arc::new(MemoryStore::new());
    let keys = KeySet::new(SigningKey::hs256(b"guard matrix secret, 32 bytes or more").unwrap());
    let bare = AuthConfig::builder(keys)
        .hashing(super::fast_hashing())
        .role(RoleDefinition::new("viewer"))
        .build()
        .expect("a valid configuration");
    let bare = Auth::new(bare, store.clone());
    let viewer = Role::new("viewer").unwrap();
    let token = super::access_token(&bare, "vera", PASSWORD, viewer).await;
    assert_eq!(call(bare, "/read", Some(token.clone())).await.status, 403);
    let granting = Auth::new(config(|c| c), store);
    assert_eq!(call(granting, "/read", Some(token)).await.status, 200);
}

/// Where the test app serves a route that needs a second factor (the crate's
/// `SecondFactorUser` extractor).
pub const SECOND_FACTOR_ROUTE: &str = "/strong";

/// [`SECOND_FACTOR_ROUTE`] takes a session that proved a second factor (`amr` with `otp`),
/// refuses one signed in with the password alone with 403 `second_factor_required` and
/// RFC 9470's `insufficient_user_authentication`, and a request without a token with 401.
///
/// # Panics
/// On the first answer that differs.
pub async fn a_route_marked_for_a_second_factor_takes_only_sessions_that_proved_one<F, Fut>(call: F)
where
    F: Fn(Auth, &'static str, Option<String>) -> Fut,
    Fut: Future<Output = GuardReply>,
{
    let clock = crate::ManualClock::starting_now();
    let ring = crate::MfaKeyRing::new(crate::MfaKey::from_bytes([5; 32]));
    let auth = Auth::builder(config(|c| c), Arc::new(MemoryStore::new()))
        .clock(Arc::new(clock.clone()))
        .mfa(crate::MfaSettings::new("Guard matrix", ring).expect("valid settings"))
        .build()
        .expect("a service");
    let ctx = crate::RequestContext::internal();
    let password = crate::Password::new(PASSWORD);
    // Without a second factor: a password session.
    let plain = super::access_token(&auth, "plain", PASSWORD, Role::User).await;
    let reply = call(auth.clone(), SECOND_FACTOR_ROUTE, Some(plain)).await;
    let expected = GuardReply {
        status: 403,
        www_authenticate: Some(r#"Bearer error="insufficient_user_authentication""#.into()),
        code: Some("second_factor_required".into()),
    };
    assert_eq!(reply, expected);
    // With one: enrolled, then signed in with the password and a code.
    let first = super::access_token(&auth, "alice", PASSWORD, Role::User).await;
    let alice = auth.authenticate(&first).await.expect("alice");
    let started = auth.begin_totp_enrolment(&alice, &password, &ctx).await.expect("a start");
    let secret = crate::TotpSecret::from_base32(started.secret()).expect("a secret");
    let code = secret.code_at(clock.now());
    auth.confirm_totp_enrolment(&alice, None, &code, &ctx).await.expect("on");
    clock.advance(std::time::Duration::from_secs(30));
    let challenge = match auth.login("alice", &password, &ctx).await {
        Err(crate::AuthError::MfaRequired(c)) => c,
        other => panic!("expected mfa_required: {other:?}"),
    };
    let code = crate::SecondFactorCode::parse(&secret.code_at(clock.now())).expect("a code");
    let step = auth.verify_second_factor(challenge.token.expose(), &code, &ctx).await;
    let token = step.expect("signed in").signed_in.tokens.access_token.expose().to_owned();
    assert_eq!(call(auth.clone(), SECOND_FACTOR_ROUTE, Some(token)).await.status, 200);
    let reply = call(auth, SECOND_FACTOR_ROUTE, None).await;
    assert_eq!((reply.status, reply.code.as_deref()), (401, Some("not_authenticated")));
}
