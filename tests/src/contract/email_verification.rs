//! Addresses: `POST /auth/verify-email/request`, `POST /auth/verify-email`,
//! `PATCH /auth/me`, and the notices a user gets (password changed, address changing, new
//! sign-in), following what the server mails (read from its outbox directory).

use reqwest::Method;
use serde_json::{Value, json};

use super::Target;
use super::client::*;
use super::outbox::{
    Kind, RESET, VERIFY, mailed, mailed_tokens, user_with_mail, user_with_verified_mail,
};
use super::throttling::assert_rate_limited;

/// The body every verification request gets.
const REQUESTED: &str =
    r#"{"detail":"If the account has an address to verify, a link is on its way."}"#;

const ADDRESS_NOTICE: Kind = Kind::Subject("Your e-mail address is changing");
const PASSWORD_NOTICE: Kind = Kind::Subject("Your password was changed");
const SIGN_IN_NOTICE: Kind = Kind::Subject("New sign-in to your account");

async fn verify(t: &Target, token: &str) -> Reply {
    post_json(t, "/auth/verify-email", None, &json!({"token": token})).await
}

async fn request_link(t: &Target, access: &str) -> Reply {
    send(with_bearer(request(t, Method::POST, "/auth/verify-email/request"), Some(access))).await
}

async fn change_email(t: &Target, user: &TestUser, email: Value) -> Reply {
    let body = json!({"email": email, "current_password": user.password});
    patch_json(t, "/auth/me", Some(&user.access), &body).await
}

/// `GET /auth/me` of `user`.
async fn me(t: &Target, user: &TestUser) -> Value {
    get(t, "/auth/me", Some(&user.access)).await.expect_status(200).json()
}

/// Registration with an address mails a link; following it verifies the address, once.
pub async fn registration_mails_a_link_that_verifies_the_address_once(t: &Target) {
    let (user, email) = user_with_mail(t).await;
    assert_eq!(
        (&user.out["email_verified"], &user.out["pending_email"]),
        (&json!(false), &Value::Null)
    );
    let mail = mailed(t, &email, VERIFY, 1).await.remove(0);
    assert!(mail.contains(&url(t, "/verify-email#token=")), "{mail}");
    assert!(mail.contains(&user.username), "the message names the account");
    let token = super::outbox::token_in(&mail);
    let r = verify(t, &token).await;
    r.expect_status(200);
    assert_no_store(&r);
    let out = r.json();
    assert_user_out(&out);
    assert_eq!((&out["email"], &out["email_verified"]), (&json!(email), &json!(true)));
    assert_eq!(me(t, &user).await["email_verified"], true);
    assert_error(&verify(t, &token).await, 400, "invalid_token");
    // Nothing left to verify: accepted, and nothing is sent.
    let r = request_link(t, &user.access).await;
    assert_eq!(r.expect_status(202).text(), REQUESTED);
    mailed(t, &email, VERIFY, 1).await;
}

/// A request mails a new link; only the newest works; no address is `422`; no bearer `401`;
/// the requests are limited (per client IP and per account).
pub async fn verification_requests_mail_the_newest_link(t: &Target) {
    let (user, email) = user_with_mail(t).await;
    let first = mailed_tokens(t, &email, VERIFY, 1).await.remove(0);
    let r = request_link(t, &user.access).await;
    assert_eq!(r.expect_status(202).text(), REQUESTED);
    let both = mailed_tokens(t, &email, VERIFY, 2).await;
    let second = both.into_iter().find(|t| *t != first).expect("a second token");
    assert_error(&verify(t, &first).await, 400, "invalid_token");
    verify(t, &second).await.expect_status(200);
    let plain = new_user(t).await;
    assert_validation(&request_link(t, &plain.access).await, "email");
    let r = send(request(t, Method::POST, "/auth/verify-email/request")).await;
    assert_not_authenticated(&r);
    // Per account (the registration's own link aside): five requests an hour, then `429`.
    // (Only four more links go out: one address gets five verification links an hour.)
    let (user, _) = user_with_mail(t).await;
    for _ in 0..t.rate_limits.mail_per_account_per_hour {
        request_link(t, &user.access).await.expect_status(202);
    }
    let last = request_link(t, &user.access).await;
    assert_rate_limited(&last);
}

/// Bad, truncated, spent, other-kind tokens are `400 invalid_token`; a missing field `422`.
pub async fn verification_refuses_bad_tokens(t: &Target) {
    let (user, email) = user_with_mail(t).await;
    let token = mailed_tokens(t, &email, VERIFY, 1).await.remove(0);
    post_json(t, "/auth/forgot-password", None, &json!({"email": email})).await.expect_status(202);
    let reset = mailed_tokens(t, &email, RESET, 1).await.remove(0);
    for bad in [
        &token[..42],
        &random_alnum(43),
        reset.as_str(),
        user.refresh.as_str(),
        user.access.as_str(),
        "",
    ] {
        assert_error(&verify(t, bad).await, 400, "invalid_token");
    }
    // A verification token is no reset token either.
    let body = json!({"token": token, "new_password": strong_password()});
    assert_error(&post_json(t, "/auth/reset-password", None, &body).await, 400, "invalid_token");
    post_json(t, "/auth/verify-email", None, &json!({})).await.expect_status(422);
    let r = post_json(t, "/auth/verify-email", None, &json!({"token": token, "x": 1})).await;
    r.expect_status(422);
    verify(t, &token).await.expect_status(200);
}

/// A verified address belongs to one account: another account's link for it is `409`.
pub async fn a_verified_address_belongs_to_one_account(t: &Target) {
    let (_, email) = user_with_verified_mail(t).await;
    let (username, password) = (unique_username(), strong_password());
    let body = json!({"username": username, "password": password, "email": email.to_uppercase()});
    post_json(t, "/auth/register", None, &body).await.expect_status(201);
    // The outbox holds both accounts' links to the address (in any case): the first
    // account's is spent; the second's meets the first's verified address.
    let tokens = mailed_tokens(t, &email, VERIFY, 2).await;
    let mut statuses: Vec<u16> = Vec::new();
    for token in &tokens {
        let r = verify(t, token).await;
        if r.status == 409 {
            assert_error(&r, 409, "email_taken");
        }
        statuses.push(r.status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [400, 409]);
    for token in &tokens {
        assert_error(&verify(t, token).await, 400, "invalid_token");
    }
}

/// A reset through the mailed link verifies the address.
pub async fn a_reset_verifies_the_address(t: &Target) {
    let (user, email) = user_with_mail(t).await;
    post_json(t, "/auth/forgot-password", None, &json!({"email": email})).await.expect_status(202);
    let reset = mailed_tokens(t, &email, RESET, 1).await.remove(0);
    let new = strong_password();
    let body = json!({"token": reset, "new_password": new});
    post_json(t, "/auth/reset-password", None, &body).await.expect_status(204);
    let (access, _) = login(t, &user.username, &new).await;
    let out = get(t, "/auth/me", Some(&access)).await.expect_status(200).json();
    assert_eq!(out["email_verified"], true, "{out}");
    mailed(t, &email, PASSWORD_NOTICE, 1).await;
}

/// A new address waits as `pending_email` for its link; the old address is told; then it
/// is the address, verified. `null` removes it.
pub async fn an_address_change_waits_for_its_link(t: &Target) {
    let (user, email) = user_with_verified_mail(t).await;
    let new = format!("new.{email}");
    let r = change_email(t, &user, json!(new)).await;
    r.expect_status(200);
    assert_no_store(&r);
    let out = r.json();
    assert_user_out(&out);
    assert_eq!((&out["email"], &out["email_verified"]), (&json!(email), &json!(true)));
    assert_eq!(out["pending_email"], json!(new));
    let notice = mailed(t, &email, ADDRESS_NOTICE, 1).await.remove(0);
    assert!(notice.contains(&new), "the notice names the new address: {notice}");
    let token = mailed_tokens(t, &new, VERIFY, 1).await.remove(0);
    let out = verify(t, &token).await.expect_status(200).json();
    assert_eq!((&out["email"], &out["pending_email"]), (&json!(new), &Value::Null));
    assert_eq!(out["email_verified"], true);
    let out = change_email(t, &user, Value::Null).await.expect_status(200).json();
    assert_eq!((&out["email"], &out["email_verified"]), (&Value::Null, &json!(false)));
    mailed(t, &new, ADDRESS_NOTICE, 1).await;
}

/// A wrong password is `403 invalid_credentials`; a missing, malformed, CR/LF-injected or
/// 10 KB address is `422`; nothing changes.
pub async fn an_address_change_refuses_bad_requests(t: &Target) {
    let (user, email) = user_with_verified_mail(t).await;
    let body = json!({"email": "x@example.com", "current_password": "not my password"});
    assert_error(
        &patch_json(t, "/auth/me", Some(&user.access), &body).await,
        403,
        "invalid_credentials",
    );
    for bad in [
        json!("not an address"),
        json!("a@example.com\r\nBcc: victim@example.com"),
        json!(format!("{}@example.com", "a".repeat(10_000))),
        json!(42),
    ] {
        let r = change_email(t, &user, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text());
    }
    let missing = json!({"current_password": user.password});
    assert_validation(&patch_json(t, "/auth/me", Some(&user.access), &missing).await, "email");
    let r = patch_json(t, "/auth/me", None, &json!({"email": null, "current_password": "x"})).await;
    assert_not_authenticated(&r);
    let out = me(t, &user).await;
    assert_eq!((&out["email"], &out["pending_email"]), (&json!(email), &Value::Null));
}

/// A password change is told to the verified address; a login from a new client is told,
/// one from a known client is not.
pub async fn notices_go_to_the_verified_address(t: &Target) {
    let (mut user, email) = user_with_verified_mail(t).await;
    let new = strong_password();
    let body = json!({"current_password": user.password, "new_password": new});
    post_json(t, "/auth/password", Some(&user.access), &body).await.expect_status(200);
    mailed(t, &email, PASSWORD_NOTICE, 1).await;
    user.password = new;
    // The suite's logins so far came from one client: another login from it is no news.
    login(t, &user.username, &user.password).await;
    mailed(t, &email, SIGN_IN_NOTICE, 0).await;
    let body = json!({"username": user.username, "password": user.password});
    let rb =
        request(t, Method::POST, "/auth/login").header("user-agent", "NewDevice/1.0").json(&body);
    assert_token_pair(t, &send(rb).await);
    let notice = mailed(t, &email, SIGN_IN_NOTICE, 1).await.remove(0);
    assert!(notice.contains("NewDevice/1.0"), "{notice}");
}

/// On a server started with `REQUIRE_VERIFIED_EMAIL=true` (the `required_verification`
/// group, not in the default suite): self-registration needs an address, a right password
/// of an unverified account is `403 email_not_verified` (and `invalid_grant` at the token
/// endpoint), the link opens the door; the bootstrapped admin has no address and signs in.
pub async fn unverified_accounts_sign_in_once_verified(t: &Target) {
    let (username, password) = (unique_username(), strong_password());
    let body = json!({"username": username, "password": password});
    assert_validation(&post_json(t, "/auth/register", None, &body).await, "email");
    let email = format!("{username}@example.com");
    let body = json!({"username": username, "password": password, "email": email});
    post_json(t, "/auth/register", None, &body).await.expect_status(201);
    assert_error(&login_raw(t, &username, &password).await, 403, "email_not_verified");
    let wrong = login_raw(t, &username, "not the password at all").await;
    assert_invalid_credentials(&wrong);
    let fields = [("grant_type", "password"), ("username", &username), ("password", &password)];
    let r = post_form(t, "/auth/token", &fields).await;
    r.expect_status(400);
    assert_eq!(r.json()["error"], "invalid_grant");
    let token = mailed_tokens(t, &email, VERIFY, 1).await.remove(0);
    verify(t, &token).await.expect_status(200);
    let (access, _) = login(t, &username, &password).await;
    let user =
        TestUser { id: 0, username, password, out: Value::Null, access, refresh: String::new() };
    assert_validation(&change_email(t, &user, Value::Null).await, "email");
    admin_login(t).await;
}
