//! Registration, login, `/auth/me`, `/auth/admin` and the RFC 6749 token endpoint.

use reqwest::Method;
use serde_json::{Value, json};

use super::Target;
use super::client::*;

async fn register_body(t: &Target, bearer: Option<&str>, body: &Value) -> Reply {
    post_json(t, "/auth/register", bearer, body).await
}

fn credentials(username: &str) -> Value {
    json!({"username": username, "password": strong_password()})
}

/// Asserts an RFC 6749 §5.2 error: `400`, exactly `{"error", "error_description"}`, no-store.
fn assert_oauth_error(r: &Reply, error: &str) {
    let body = r.expect_status(400).json();
    assert_keys(&body, &["error", "error_description"]);
    assert_eq!(body["error"], error, "body: {body}");
    assert!(body["error_description"].is_string(), "body: {body}");
    assert_no_store(r);
}

/// `POST /auth/register` answers `201` with a `UserOut` and `Location: /admin/users/{id}`.
pub async fn register_returns_user_out(t: &Target) {
    let name = unique_username();
    let r = register_body(t, None, &credentials(&name)).await;
    let user = r.expect_status(201).json();
    assert_user_out(&user);
    assert_eq!(user["username"], name.as_str());
    assert_eq!(user["email"], Value::Null);
    assert_eq!(user["role"], "user");
    assert_eq!(user["is_active"], true);
    let location = format!("/admin/users/{}", id_of(&user));
    assert_eq!(r.header("location"), Some(location.as_str()));
}

/// An optional valid e-mail is stored; an invalid one is a `422` naming `email`.
pub async fn register_stores_valid_email_and_rejects_invalid(t: &Target) {
    let name = unique_username();
    let email = format!("{name}@example.com");
    let mut body = credentials(&name);
    body["email"] = json!(email);
    let user = register_body(t, None, &body).await.expect_status(201).json();
    assert_eq!(user["email"], email.as_str());

    let mut body = credentials(&unique_username());
    body["email"] = json!("not-an-email");
    assert_validation(&register_body(t, None, &body).await, "email");
}

/// A taken username is `409 username_taken`, whatever its case.
pub async fn register_rejects_duplicates_case_insensitively(t: &Target) {
    let name = unique_username();
    let mixed = format!("U{}", &name[1..]);
    register(t, &mixed, &strong_password()).await;
    for again in [mixed.clone(), name.clone(), name.to_uppercase()] {
        assert_error(&register_body(t, None, &credentials(&again)).await, 409, "username_taken");
    }
}

/// Too short, too long or with forbidden characters: `422` naming `username`.
pub async fn register_validates_username(t: &Target) {
    let too_long = format!("u{}", random_alnum(20));
    for bad in ["abc", too_long.as_str(), "bad name", "bad!name", "bad/name", ""] {
        let r = register_body(t, None, &credentials(bad)).await;
        assert_validation(&r, "username");
    }
}

/// Short and common passwords are `422` naming `password`.
pub async fn register_rejects_weak_passwords(t: &Target) {
    for weak in ["password123", "short1", "12345678"] {
        let body = json!({"username": unique_username(), "password": weak});
        assert_validation(&register_body(t, None, &body).await, "password");
    }
}

/// `role: "admin"` needs an admin bearer: none or a user's is `403`, the admin's is `201`.
pub async fn register_admin_role_needs_admin_bearer(t: &Target) {
    let user = new_user(t).await;
    let mut body = credentials(&unique_username());
    body["role"] = json!("admin");
    assert_forbidden(&register_body(t, None, &body).await);
    assert_forbidden(&register_body(t, Some(&user.access), &body).await);

    let admin = admin_login(t).await.0;
    let created = register_body(t, Some(&admin), &body).await.expect_status(201).json();
    assert_user_out(&created);
    assert_eq!(created["role"], "admin");
}

/// An unknown role (one the service does not declare, or not a role name) is `422` naming
/// `role`, with or without an admin bearer.
pub async fn register_rejects_unknown_role(t: &Target) {
    let admin = admin_login(t).await.0;
    for bearer in [None, Some(admin.as_str())] {
        for role in ["root", "editor", "Admin", "a b"] {
            let mut body = credentials(&unique_username());
            body["role"] = json!(role);
            assert_validation(&register_body(t, bearer, &body).await, "role");
        }
    }
}

/// 20 concurrent registrations of one new name: exactly one `201`, the others `409`.
pub async fn concurrent_registrations_admit_one(t: &Target) {
    let body = credentials(&unique_username());
    let statuses = concurrently(20, |_| {
        let rb = request(t, Method::POST, "/auth/register").json(&body);
        async move { send(rb).await.status }
    })
    .await;
    assert_eq!(count(&statuses, 201), 1, "statuses: {statuses:?}");
    assert_eq!(count(&statuses, 409), 19, "statuses: {statuses:?}");
}

/// Usernames are compared after Unicode normalization: `café` composed, then decomposed,
/// collide.
pub async fn unicode_usernames_collide_after_normalization(t: &Target) {
    let suffix = random_alnum(8).to_ascii_lowercase();
    register(t, &format!("caf\u{e9}{suffix}"), &strong_password()).await;
    let decomposed = credentials(&format!("cafe\u{301}{suffix}"));
    assert_error(&register_body(t, None, &decomposed).await, 409, "username_taken");
}

/// A JSON login answers a token pair whose access token carries the expected claims.
pub async fn login_returns_token_pair_for_json(t: &Target) {
    let user = new_user(t).await;
    let (access, refresh) = login(t, &user.username, &user.password).await;
    assert_ne!(access, refresh);
    assert_eq!(jwt_part(&access, 0)["typ"], "at+jwt");
    let claims = jwt_claims(&access);
    assert_eq!(claims["sub"], user.id.to_string());
    assert_eq!(claims["username"], user.username.as_str());
    assert_eq!(claims["role"], "user");
    assert_eq!(claims["iss"], t.issuer.as_str());
    let aud = &claims["aud"];
    assert!(aud == t.audience.as_str() || aud == &json!([t.audience]), "aud: {aud}");
}

/// The OAuth2 password form (with `grant_type` and an empty `scope`) logs in too.
pub async fn login_accepts_oauth2_form(t: &Target) {
    let user = new_user(t).await;
    let fields = [
        ("grant_type", "password"),
        ("username", user.username.as_str()),
        ("password", user.password.as_str()),
        ("scope", ""),
    ];
    assert_token_pair(t, &post_form(t, "/auth/login", &fields).await);
}

/// A login body that is neither JSON nor a form is `415 unsupported_media_type`.
pub async fn login_rejects_other_content_types(t: &Target) {
    let user = new_user(t).await;
    let body = format!("username={}&password={}", user.username, user.password);
    let r = post_raw(t, "/auth/login", "text/plain", body).await;
    assert_error(&r, 415, "unsupported_media_type");
}

/// `Authorization: Basic Og==` (empty client credentials, as Swagger UI sends) is ignored.
pub async fn login_ignores_empty_basic_credentials(t: &Target) {
    let user = new_user(t).await;
    let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
    let rb = request(t, Method::POST, "/auth/login").header("authorization", "Basic Og==");
    assert_token_pair(t, &send(rb.form(&fields)).await);
}

/// Unknown user, wrong password and inactive user get one byte-identical `401`.
pub async fn login_failures_are_indistinguishable(t: &Target) {
    let user = new_user(t).await;
    let inactive = new_user(t).await;
    admin_patch_user(t, inactive.id, &json!({"is_active": false})).await;

    let replies = [
        login_raw(t, &unique_username(), &strong_password()).await,
        login_raw(t, &user.username, &strong_password()).await,
        login_raw(t, &inactive.username, &inactive.password).await,
    ];
    for r in &replies {
        assert_invalid_credentials(r);
    }
    assert_eq!(replies[0].body, replies[1].body, "unknown user vs wrong password");
    assert_eq!(replies[1].body, replies[2].body, "wrong password vs inactive user");
}

/// `GET /auth/me` answers the caller's `UserOut`, not to be cached.
pub async fn me_returns_the_caller(t: &Target) {
    let user = new_user(t).await;
    let r = get(t, "/auth/me", Some(&user.access)).await;
    let me = r.expect_status(200).json();
    assert_user_out(&me);
    assert_eq!(me, user.out);
    assert_no_store(&r);
}

/// `GET /auth/me` without a bearer (none, or Basic credentials) is `401 not_authenticated`.
pub async fn me_requires_a_token(t: &Target) {
    assert_not_authenticated(&get(t, "/auth/me", None).await);
    let basic = request(t, Method::GET, "/auth/me").header("authorization", "Basic Og==");
    assert_not_authenticated(&send(basic).await);
}

/// `GET /auth/admin` welcomes admins by name; users get `403`, anonymous callers `401`.
pub async fn admin_route_welcomes_admins_only(t: &Target) {
    let admin = admin_login(t).await.0;
    let r = get(t, "/auth/admin", Some(&admin)).await;
    let expected = json!({"msg": format!("Welcome, admin {}", t.admin_username)});
    assert_eq!(r.expect_status(200).json(), expected);

    let user = new_user(t).await;
    assert_forbidden(&get(t, "/auth/admin", Some(&user.access)).await);
    assert_not_authenticated(&get(t, "/auth/admin", None).await);
}

/// `POST /auth/token` grants `password` and `refresh_token` (which rotates).
pub async fn token_endpoint_grants_password_and_refresh(t: &Target) {
    let user = new_user(t).await;
    let fields = [
        ("grant_type", "password"),
        ("username", user.username.as_str()),
        ("password", user.password.as_str()),
    ];
    let (access, refresh) = assert_token_pair(t, &post_form(t, "/auth/token", &fields).await);
    get(t, "/auth/me", Some(&access)).await.expect_status(200);

    let fields = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
    let (_, rotated) = assert_token_pair(t, &post_form(t, "/auth/token", &fields).await);
    assert_ne!(rotated, refresh);
}

/// Bad credentials and bad or spent refresh tokens are `400 invalid_grant`.
pub async fn token_endpoint_refuses_bad_grants(t: &Target) {
    let user = new_user(t).await;
    let wrong = strong_password();
    let unknown = unique_username();
    for (name, password) in [(&user.username, &wrong), (&unknown, &user.password)] {
        let fields = [("grant_type", "password"), ("username", name), ("password", password)];
        assert_oauth_error(&post_form(t, "/auth/token", &fields).await, "invalid_grant");
    }

    let refresh_grant = |token: &str| {
        let fields = [("grant_type", "refresh_token"), ("refresh_token", token)];
        send(request(t, Method::POST, "/auth/token").form(&fields))
    };
    assert_oauth_error(&refresh_grant("nonsense").await, "invalid_grant");
    assert_token_pair(t, &refresh_grant(&user.refresh).await);
    assert_oauth_error(&refresh_grant(&user.refresh).await, "invalid_grant");
}

/// Missing parameters are `400 invalid_request`; other grant types `unsupported_grant_type`.
pub async fn token_endpoint_refuses_malformed_requests(t: &Target) {
    let user = new_user(t).await;
    let (name, password) = (user.username.as_str(), user.password.as_str());
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("username", name), ("password", password)], "invalid_request"),
        (&[("grant_type", "password"), ("username", name)], "invalid_request"),
        (&[("grant_type", "password"), ("password", password)], "invalid_request"),
        (&[("grant_type", "refresh_token")], "invalid_request"),
        (&[("grant_type", "client_credentials")], "unsupported_grant_type"),
    ];
    for (fields, error) in cases {
        assert_oauth_error(&post_form(t, "/auth/token", fields).await, error);
    }
}
