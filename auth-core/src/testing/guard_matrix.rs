//! The guard matrix both framework crates check their guards against: three declared roles
//! (`viewer` ⊂ `editor` ⊂ `admin`), policies over them, the routes a test app serves (one
//! guard each) and which role passes which. Each crate builds the app its own way; the
//! checks are here, once.

use std::{future::Future, sync::Arc};

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
