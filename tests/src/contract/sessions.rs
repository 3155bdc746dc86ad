//! Sessions: refresh (with rotation and replay detection), logout, logout-all, and what
//! deactivation and role changes do to live tokens.

use reqwest::Method;
use serde_json::json;

use super::Target;
use super::client::*;

/// The three ways to present a refresh token.
#[derive(Debug, Clone, Copy)]
pub enum Carrier {
    /// A JSON body `{"refresh_token": ...}`.
    Json,
    /// A form body `refresh_token=...`.
    Form,
    /// `Authorization: Bearer <refresh token>`, no body.
    Bearer,
}

/// Every [`Carrier`].
pub const CARRIERS: [Carrier; 3] = [Carrier::Json, Carrier::Form, Carrier::Bearer];

/// `POST path` presenting `token` as a refresh token by `carrier`.
pub async fn present(t: &Target, path: &str, token: &str, carrier: Carrier) -> Reply {
    let rb = request(t, Method::POST, path);
    let rb = match carrier {
        Carrier::Json => rb.json(&json!({"refresh_token": token})),
        Carrier::Form => rb.form(&[("refresh_token", token)]),
        Carrier::Bearer => with_bearer(rb, Some(token)),
    };
    send(rb).await
}

/// `POST /auth/refresh` with a JSON body.
pub async fn refresh(t: &Target, token: &str) -> Reply {
    present(t, "/auth/refresh", token, Carrier::Json).await
}

/// `POST /auth/logout` with a JSON body.
pub async fn logout(t: &Target, token: &str) -> Reply {
    present(t, "/auth/logout", token, Carrier::Json).await
}

/// Refresh takes the token from JSON, a form or the bearer, and rotates it every time.
pub async fn refresh_accepts_json_form_and_bearer(t: &Target) {
    let mut token = new_user(t).await.refresh;
    for carrier in CARRIERS {
        let r = present(t, "/auth/refresh", &token, carrier).await;
        let (access, next) = assert_token_pair(t, &r);
        assert_ne!(next, token, "{carrier:?}: the refresh token was not rotated");
        get(t, "/auth/me", Some(&access)).await.expect_status(200);
        token = next;
    }
}

/// Refresh without any token is `401 not_authenticated`.
pub async fn refresh_requires_a_token(t: &Target) {
    let r = send(request(t, Method::POST, "/auth/refresh")).await;
    assert_error(&r, 401, "not_authenticated");
    let r = post_json(t, "/auth/refresh", None, &json!({})).await;
    assert!(matches!(r.status, 401 | 422), "empty JSON body: {} {}", r.status, r.text());
}

/// Replaying a spent refresh token is refused and kills the token that replaced it.
pub async fn refresh_replay_revokes_the_family(t: &Target) {
    let first = new_user(t).await.refresh;
    let (_, second) = assert_token_pair(t, &refresh(t, &first).await);
    assert_invalid_token(&refresh(t, &first).await);
    assert_invalid_token(&refresh(t, &second).await);
}

/// Ten concurrent refreshes of one token: exactly one wins.
pub async fn concurrent_refreshes_admit_one(t: &Target) {
    let token = new_user(t).await.refresh;
    let statuses = concurrently(10, |_| {
        let rb = request(t, Method::POST, "/auth/refresh").json(&json!({"refresh_token": token}));
        async move { send(rb).await.status }
    })
    .await;
    assert_eq!(count(&statuses, 200), 1, "statuses: {statuses:?}");
    assert_eq!(count(&statuses, 401), 9, "statuses: {statuses:?}");
}

/// An access token is not a refresh token.
pub async fn refresh_refuses_access_tokens(t: &Target) {
    let user = new_user(t).await;
    for carrier in CARRIERS {
        assert_invalid_token(&present(t, "/auth/refresh", &user.access, carrier).await);
    }
}

/// Logout by any carrier is an empty `204`, idempotent, and the token no longer refreshes.
pub async fn logout_revokes_the_session(t: &Target) {
    let user = new_user(t).await;
    for carrier in CARRIERS {
        let token = login(t, &user.username, &user.password).await.1;
        assert_no_content(&present(t, "/auth/logout", &token, carrier).await);
        assert_no_content(&present(t, "/auth/logout", &token, carrier).await);
        assert_invalid_token(&refresh(t, &token).await);
    }
    // Other sessions live on.
    assert_token_pair(t, &refresh(t, &user.refresh).await);
}

/// Logging out a well-formed but unknown refresh token is a `204` (nothing to tell).
pub async fn logout_accepts_unknown_tokens(t: &Target) {
    let unknown = b64url(rand::random::<[u8; 32]>());
    assert_eq!(unknown.len(), 43);
    for carrier in CARRIERS {
        assert_no_content(&present(t, "/auth/logout", &unknown, carrier).await);
    }
}

/// Logging out with another user's refresh token ends that one session and nothing else:
/// the refresh token is the credential of its own session (RFC 7009), so whoever holds it
/// can end it (they could as well spend it), but it reaches no further — not the caller's
/// sessions, whatever bearer they send, nor the owner's other sessions.
pub async fn logout_with_another_users_token_ends_only_that_session(t: &Target) {
    let alice = new_user(t).await;
    let (_, alice_other) = login(t, &alice.username, &alice.password).await;
    let mallory = new_user(t).await;
    let rb = with_bearer(request(t, Method::POST, "/auth/logout"), Some(&mallory.access))
        .json(&json!({"refresh_token": alice.refresh}));
    assert_no_content(&send(rb).await);
    assert_invalid_token(&refresh(t, &alice.refresh).await);
    assert_token_pair(t, &refresh(t, &alice_other).await);
    assert_token_pair(t, &refresh(t, &mallory.refresh).await);
    get(t, "/auth/me", Some(&mallory.access)).await.expect_status(200);
}

/// A session ends at its absolute lifetime, counted from login, however recently it was
/// refreshed. Needs a server clock the suite can move.
pub async fn refresh_after_the_absolute_lifetime_is_refused(t: &Target) {
    let advance = t.advance_clock.as_ref().expect("this case needs a server clock it can move");
    let user = new_user(t).await;
    let ttl = std::time::Duration::from_secs(t.refresh_ttl_secs);
    // Shortly before the end, rotation still works and hands out a fresh token...
    advance(ttl - std::time::Duration::from_secs(120));
    let (access, late) = assert_token_pair(t, &refresh(t, &user.refresh).await);
    get(t, "/auth/me", Some(&access)).await.expect_status(200);
    // ...which dies with its session all the same.
    advance(std::time::Duration::from_secs(121));
    assert_invalid_token(&refresh(t, &late).await);
    // A new login starts a new session.
    let (_, fresh) = login(t, &user.username, &user.password).await;
    assert_token_pair(t, &refresh(t, &fresh).await);
}

/// A malformed refresh token (or an access token) is `401 invalid_token`; none at all
/// is `401 not_authenticated`.
pub async fn logout_refuses_malformed_tokens(t: &Target) {
    let user = new_user(t).await;
    assert_invalid_token(&logout(t, "abc").await);
    assert_invalid_token(&logout(t, &user.access).await);
    let r = send(request(t, Method::POST, "/auth/logout")).await;
    assert_error(&r, 401, "not_authenticated");
    // The session survived.
    assert_token_pair(t, &refresh(t, &user.refresh).await);
}

/// Logout-all ends every session and the access token it was called with; a new login works
/// at once.
pub async fn logout_all_revokes_every_session(t: &Target) {
    let user = new_user(t).await;
    let (_, other_refresh) = login(t, &user.username, &user.password).await;

    assert_not_authenticated(&send(request(t, Method::POST, "/auth/logout-all")).await);
    let r = send(with_bearer(request(t, Method::POST, "/auth/logout-all"), Some(&user.access)));
    assert_no_content(&r.await);

    assert_invalid_token(&get(t, "/auth/me", Some(&user.access)).await);
    for token in [&user.refresh, &other_refresh] {
        assert_invalid_token(&refresh(t, token).await);
    }
    let (access, fresh) = login(t, &user.username, &user.password).await;
    get(t, "/auth/me", Some(&access)).await.expect_status(200);
    assert_token_pair(t, &refresh(t, &fresh).await);
}

/// Deactivation stops the user's access and refresh tokens at once, and login fails like a
/// wrong password.
pub async fn deactivation_cuts_access_at_once(t: &Target) {
    let user = new_user(t).await;
    let other = new_user(t).await;
    let patched = admin_patch_user(t, user.id, &json!({"is_active": false})).await;
    assert_eq!(patched["is_active"], false);
    assert_eq!(id_of(&patched), user.id);

    assert_invalid_token(&get(t, "/auth/me", Some(&user.access)).await);
    assert_invalid_token(&refresh(t, &user.refresh).await);
    let inactive = login_raw(t, &user.username, &user.password).await;
    assert_invalid_credentials(&inactive);
    let wrong = login_raw(t, &other.username, &strong_password()).await;
    assert_eq!(inactive.body, wrong.body, "inactive user vs wrong password");
}

/// A role change revokes the user's access tokens; a refresh then carries the new role.
pub async fn role_change_revokes_access_and_refresh_carries_it(t: &Target) {
    let user = new_user(t).await;
    let patched = admin_patch_user(t, user.id, &json!({"role": "admin"})).await;
    assert_eq!(patched["role"], "admin");

    assert_invalid_token(&get(t, "/auth/me", Some(&user.access)).await);
    let (access, _) = assert_token_pair(t, &refresh(t, &user.refresh).await);
    assert_eq!(jwt_claims(&access)["role"], "admin");
    get(t, "/auth/admin", Some(&access)).await.expect_status(200);
}
