//! The session list: `GET /auth/sessions`, `DELETE /auth/sessions/{id}`, the admin's
//! `GET`/`DELETE /admin/users/{id}/sessions`, and the `sid` claim that lets ending a session
//! end its access tokens.

use reqwest::Method;
use serde_json::{Value, json};

use super::Target;
use super::client::*;
use super::sessions::{logout, refresh};

/// The keys of a `Session`, exactly.
pub const SESSION_KEYS: &[&str] =
    &["id", "created_at", "last_used_at", "expires_at", "ip", "user_agent", "current"];

/// A JSON login sending this `User-Agent`; asserts a pair and returns `(access, refresh)`.
async fn login_as_agent(t: &Target, user: &TestUser, agent: &str) -> (String, String) {
    let body = json!({"username": user.username, "password": user.password});
    let rb = request(t, Method::POST, "/auth/login").header("user-agent", agent).json(&body);
    assert_token_pair(t, &send(rb).await)
}

/// `GET path` with a bearer; asserts 200 and a list of sessions in the API's shape.
async fn session_list(t: &Target, path: &str, access: &str) -> Vec<Value> {
    let r = get(t, path, Some(access)).await;
    r.expect_status(200);
    assert_no_store(&r);
    let list = r.json().as_array().cloned().unwrap_or_else(|| panic!("not a list: {}", r.text()));
    for s in &list {
        assert_keys(s, SESSION_KEYS);
        assert!(s["id"].as_str().is_some_and(|id| !id.is_empty()), "id of {s}");
        for time in ["created_at", "last_used_at", "expires_at"] {
            assert!(s[time].as_str().is_some_and(is_rfc3339), "{time} of {s}");
        }
        assert!(s["current"].is_boolean(), "current of {s}");
    }
    list
}

/// The `sid` claim of an access token.
fn sid(access: &str) -> String {
    jwt_claims(access)["sid"].as_str().expect("an access token names its session").to_owned()
}

/// The caller's open sessions, newest first, with where they were opened and which one is
/// asking; other users' sessions are not there, ended ones neither.
pub async fn sessions_lists_the_callers_open_sessions(t: &Target) {
    let user = new_user(t).await;
    let other = new_user(t).await;
    let (_, ended) = login_as_agent(t, &user, "ended/1.0").await;
    assert_no_content(&logout(t, &ended).await);
    let (access, _) = login_as_agent(t, &user, "contract-agent/2.0").await;
    let list = session_list(t, "/auth/sessions", &access).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let (newest, oldest) = (&list[0], &list[1]);
    assert_eq!(newest["id"], sid(&access));
    assert_eq!(oldest["id"], sid(&user.access));
    assert_eq!((&newest["current"], &oldest["current"]), (&json!(true), &json!(false)));
    assert_eq!(newest["user_agent"], "contract-agent/2.0");
    assert_eq!(newest["ip"], "127.0.0.1");
    assert_ne!(sid(&other.access), sid(&user.access));
    assert!(list.iter().all(|s| s["id"] != sid(&other.access)));
    // The caller's own token names the current session, whichever it is.
    let from_old = session_list(t, "/auth/sessions", &user.access).await;
    assert_eq!(from_old.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(from_old[1]["current"], true);
    assert_not_authenticated(&get(t, "/auth/sessions", None).await);
}

/// A refresh keeps the session (same id, start and expiry) and moves its last use.
pub async fn refresh_keeps_the_session(t: &Target) {
    let user = new_user(t).await;
    let before = session_list(t, "/auth/sessions", &user.access).await;
    let (access, _) = assert_token_pair(t, &refresh(t, &user.refresh).await);
    assert_eq!(sid(&access), sid(&user.access));
    let after = session_list(t, "/auth/sessions", &access).await;
    assert_eq!(after.len(), 1);
    for key in ["id", "created_at", "expires_at"] {
        assert_eq!(after[0][key], before[0][key], "{key}");
    }
    let at = |s: &Value| {
        let text = s["last_used_at"].as_str().unwrap_or_default();
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("last_used_at {text:?}: {e}"))
    };
    assert!(at(&after[0]) >= at(&before[0]), "{after:?} / {before:?}");
}

/// Ending a session kills its refresh token and its access tokens, and nothing else; an
/// ended, foreign or made-up id is 404 and changes nothing.
pub async fn ending_a_session_ends_its_tokens(t: &Target) {
    let user = new_user(t).await;
    let (access, refresh_token) = login(t, &user.username, &user.password).await;
    let other = new_user(t).await;
    get(t, "/auth/me", Some(&user.access)).await.expect_status(200);
    let path = format!("/auth/sessions/{}", sid(&user.access));
    assert_not_authenticated(&delete(t, &path, None).await);
    assert_no_content(&delete(t, &path, Some(&access)).await);
    assert_invalid_token(&get(t, "/auth/me", Some(&user.access)).await);
    assert_invalid_token(&refresh(t, &user.refresh).await);
    get(t, "/auth/me", Some(&access)).await.expect_status(200);
    assert_eq!(session_list(t, "/auth/sessions", &access).await.len(), 1);
    let foreign = format!("/auth/sessions/{}", sid(&other.access));
    let missing = "/auth/sessions/00000000-0000-4000-8000-000000000000".to_owned();
    for bad in [path, foreign, missing, "/auth/sessions/not-a-session".to_owned()] {
        assert_error(&delete(t, &bad, Some(&access)).await, 404, "not_found");
    }
    get(t, "/auth/me", Some(&other.access)).await.expect_status(200);
    assert_token_pair(t, &refresh(t, &refresh_token).await);
}

/// Logout ends the session's access tokens too, not only its refresh token.
pub async fn logout_ends_the_sessions_access_tokens(t: &Target) {
    let user = new_user(t).await;
    let (other_access, _) = login(t, &user.username, &user.password).await;
    get(t, "/auth/me", Some(&user.access)).await.expect_status(200);
    assert_no_content(&logout(t, &user.refresh).await);
    assert_invalid_token(&get(t, "/auth/me", Some(&user.access)).await);
    get(t, "/auth/me", Some(&other_access)).await.expect_status(200);
}

/// An admin lists a user's sessions (none current) and ends them all, with their access
/// tokens; a user may not; an unknown user is 404.
pub async fn admin_lists_and_ends_a_users_sessions(t: &Target) {
    let admin = admin_user(t).await;
    let user = new_user(t).await;
    let (second, _) = login(t, &user.username, &user.password).await;
    let path = format!("/admin/users/{}/sessions", user.id);
    let list = session_list(t, &path, &admin.access).await;
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|s| s["current"] == false));
    assert_forbidden(&get(t, &path, Some(&user.access)).await);
    assert_forbidden(&delete(t, &path, Some(&user.access)).await);
    assert_not_authenticated(&get(t, &path, None).await);
    let unknown = "/admin/users/999999999/sessions";
    assert_error(&get(t, unknown, Some(&admin.access)).await, 404, "not_found");
    assert_error(&delete(t, unknown, Some(&admin.access)).await, 404, "not_found");

    assert_no_content(&delete(t, &path, Some(&admin.access)).await);
    assert!(session_list(t, &path, &admin.access).await.is_empty());
    for access in [&user.access, &second] {
        assert_invalid_token(&get(t, "/auth/me", Some(access)).await);
    }
    assert_invalid_token(&refresh(t, &user.refresh).await);
    get(t, "/auth/me", Some(&admin.access)).await.expect_status(200);
    let (fresh, _) = login(t, &user.username, &user.password).await;
    get(t, "/auth/me", Some(&fresh)).await.expect_status(200);
}
