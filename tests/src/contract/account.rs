//! The account routes of a signed-in user: `POST /auth/password` and `DELETE /auth/me`.

use serde_json::json;

use super::Target;
use super::client::*;
use super::sessions::refresh;
use super::throttling::{assert_rate_limited, limit};

/// `POST /auth/password` with this bearer and body.
async fn change_password(t: &Target, access: &str, current: &str, new: &str) -> Reply {
    let body = json!({"current_password": current, "new_password": new});
    post_json(t, "/auth/password", Some(access), &body).await
}

/// A password change ends every session and access token issued before (the caller's
/// included) and answers with a pair in a new session; only the new password logs in.
pub async fn password_change_ends_every_session_and_returns_a_new_pair(t: &Target) {
    let user = new_user(t).await;
    let (other_access, other_refresh) = login(t, &user.username, &user.password).await;
    let new = strong_password();
    let r = change_password(t, &user.access, &user.password, &new).await;
    let (access, refresh_token) = assert_token_pair(t, &r);
    assert_no_store(&r);
    for old in [&user.access, &other_access] {
        assert_invalid_token(&get(t, "/auth/me", Some(old)).await);
    }
    for old in [&user.refresh, &other_refresh] {
        assert_invalid_token(&refresh(t, old).await);
    }
    get(t, "/auth/me", Some(&access)).await.expect_status(200);
    let sessions = get(t, "/auth/sessions", Some(&access)).await.expect_status(200).json();
    assert_eq!(sessions.as_array().map(Vec::len), Some(1), "{sessions}");
    assert_invalid_credentials(&login_raw(t, &user.username, &user.password).await);
    login(t, &user.username, &new).await;
    assert_token_pair(t, &refresh(t, &refresh_token).await);
}

/// A wrong current password is `403 invalid_credentials` and changes nothing; it counts as
/// a failed login, so the account backs off after the configured number of them.
pub async fn password_change_refuses_a_wrong_current_password(t: &Target) {
    let user = new_user(t).await;
    let n = limit(t.rate_limits.login_failures_per_account, "failures per account");
    for _ in 0..n {
        let new = strong_password();
        let r = change_password(t, &user.access, "not the password, sorry", &new).await;
        assert_error(&r, 403, "invalid_credentials");
        assert!(r.header("www-authenticate").is_none(), "a 403 of a signed-in caller");
    }
    get(t, "/auth/me", Some(&user.access)).await.expect_status(200);
    let r = change_password(t, &user.access, &user.password, &strong_password()).await;
    assert_rate_limited(&r);
    assert_rate_limited(&login_raw(t, &user.username, &user.password).await);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    login(t, &user.username, &user.password).await;
}

/// The new password meets the policy and differs from the current one (`422` naming
/// `new_password`); the body needs both fields; a bearer is required.
pub async fn password_change_validates_the_new_password(t: &Target) {
    let user = new_user(t).await;
    let weak = change_password(t, &user.access, &user.password, "password").await;
    assert_validation(&weak, "new_password");
    let same = change_password(t, &user.access, &user.password, &user.password).await;
    let body = assert_validation(&same, "new_password");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("differ")), "{body}");
    let long = change_password(t, &user.access, &user.password, &"x".repeat(1025)).await;
    assert_validation(&long, "new_password");
    let partial = json!({"new_password": strong_password()});
    assert_validation(
        &post_json(t, "/auth/password", Some(&user.access), &partial).await,
        "current_password",
    );
    let body = json!({"current_password": user.password, "new_password": strong_password()});
    assert_not_authenticated(&post_json(t, "/auth/password", None, &body).await);
    // Nothing changed.
    get(t, "/auth/me", Some(&user.access)).await.expect_status(200);
    login(t, &user.username, &user.password).await;
}

/// `DELETE /auth/me` with this bearer and password.
async fn delete_account(t: &Target, access: &str, current: &str) -> Reply {
    let body = json!({"current_password": current});
    let rb = with_bearer(request(t, reqwest::Method::DELETE, "/auth/me"), Some(access));
    send(rb.json(&body)).await
}

/// Deleting one's account needs the password (a wrong one is `403`), and takes the user's
/// sessions, access tokens and tasks with it; the name is free again afterwards.
pub async fn account_deletion_needs_the_password_and_takes_everything(t: &Target) {
    let user = new_user(t).await;
    let admin = admin_user(t).await;
    let task = post_json(t, "/tasks", Some(&user.access), &json!({"title": "gone soon"})).await;
    let task_id = id_of(&task.expect_status(201).json());
    assert_error(
        &delete_account(t, &user.access, "not the password, sorry").await,
        403,
        "invalid_credentials",
    );
    get(t, "/auth/me", Some(&user.access)).await.expect_status(200);
    let missing = with_bearer(request(t, reqwest::Method::DELETE, "/auth/me"), Some(&user.access));
    assert_validation(&send(missing.json(&json!({}))).await, "current_password");
    assert_not_authenticated(&send(request(t, reqwest::Method::DELETE, "/auth/me")).await);

    assert_no_content(&delete_account(t, &user.access, &user.password).await);
    assert_invalid_token(&get(t, "/auth/me", Some(&user.access)).await);
    assert_invalid_token(&refresh(t, &user.refresh).await);
    assert_invalid_credentials(&login_raw(t, &user.username, &user.password).await);
    let by_admin = get(t, &format!("/admin/users/{}", user.id), Some(&admin.access)).await;
    assert_error(&by_admin, 404, "not_found");
    assert_error(
        &get(t, &format!("/tasks/{task_id}"), Some(&admin.access)).await,
        404,
        "not_found",
    );
    register(t, &user.username, &user.password).await;
}

/// The last active admin cannot delete their account (`409 last_admin`); once another
/// admin exists, they can.
pub async fn the_last_admin_cannot_delete_their_account(t: &Target) {
    let admin = admin_user(t).await;
    let r = delete_account(t, &admin.access, &admin.password).await;
    assert_error(&r, 409, "last_admin");
    get(t, "/auth/me", Some(&admin.access)).await.expect_status(200);
    let other = new_user(t).await;
    admin_patch_user(t, other.id, &json!({"role": "admin"})).await;
    assert_no_content(&delete_account(t, &admin.access, &admin.password).await);
    let (access, _) = login(t, &other.username, &other.password).await;
    assert_error(&delete_account(t, &access, &other.password).await, 409, "last_admin");
}
