//! Throttling: `429` with `Retry-After` over the per-IP limits of login, token, register and
//! refresh, and the per-account backoff after failed logins. Every case reads the server's
//! limits from [`Target::rate_limits`] and reaches them with cheap requests (a refused input
//! still counts), so no password is hashed on the way.

use reqwest::Method;
use serde_json::json;

use super::Target;
use super::client::*;

/// Asserts `429 rate_limited` with a whole-second `Retry-After` of at least 1; returns it.
pub(crate) fn assert_rate_limited(r: &Reply) -> u64 {
    assert_error(r, 429, "rate_limited");
    let retry = r.header("retry-after").expect("Retry-After on a 429");
    let secs: u64 = retry.parse().unwrap_or_else(|_| panic!("Retry-After {retry:?}"));
    assert!(secs >= 1, "Retry-After {secs}");
    secs
}

/// A password over the 1024-byte limit: refused with a 422 before any hashing.
fn overlong() -> String {
    "x".repeat(1025)
}

/// A limit of 0 (off) would make these cases meaningless: the suite needs them on.
pub(crate) fn limit(n: u32, what: &str) -> u32 {
    assert!(n > 0, "the server under test must limit {what}");
    n
}

/// Over the logins per client IP per minute, `/auth/login` answers `429` with
/// `Retry-After` — even for the right password — and counted attempts include refused ones.
pub async fn login_over_the_ip_limit_is_429_with_retry_after(t: &Target) {
    let n = limit(t.rate_limits.login_per_ip_per_minute, "logins per IP");
    for _ in 0..n {
        assert_validation(&login_raw(t, &t.admin_username, &overlong()).await, "password");
    }
    let r = login_raw(t, &t.admin_username, &t.admin_password).await;
    let secs = assert_rate_limited(&r);
    assert!(secs <= 60 / u64::from(n) + 1, "one cell refills in {} s", 60 / n);
    // The form login of Swagger UI is the same route and the same bucket.
    let r = post_form(t, "/auth/login", &[("username", "someone"), ("password", "whatever1")]);
    assert_rate_limited(&r.await);
}

/// The password grant of `/auth/token` shares the login limit and answers `429` with
/// `Retry-After` (and an RFC 6749 style body).
pub async fn token_endpoint_password_grant_counts_as_login(t: &Target) {
    let n = limit(t.rate_limits.login_per_ip_per_minute, "logins per IP");
    for _ in 0..n {
        assert_validation(&login_raw(t, "nobody", &overlong()).await, "password");
    }
    let r = post_form(
        t,
        "/auth/token",
        &[
            ("grant_type", "password"),
            ("username", &t.admin_username),
            ("password", &t.admin_password),
        ],
    )
    .await;
    r.expect_status(429);
    assert!(r.header("retry-after").is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1)));
    assert_eq!(r.json()["error"], "slow_down", "body: {}", r.text());
}

/// After the configured number of consecutive failures for one account, the next attempt
/// from that client waits (`429`, `Retry-After: 1`), even with the right password; the
/// backoff is per account: another account logs in at once.
pub async fn account_backs_off_after_failures_but_others_do_not(t: &Target) {
    let n = limit(t.rate_limits.login_failures_per_account, "failures per account");
    let victim = new_user(t).await;
    let other = new_user(t).await;
    for _ in 0..n {
        let r = login_raw(t, &victim.username, "wrong password, try again").await;
        assert_error(&r, 401, "invalid_credentials");
    }
    let r = login_raw(t, &victim.username.to_uppercase(), &victim.password).await;
    assert_eq!(assert_rate_limited(&r), 1, "the first backoff is one second");
    login(t, &other.username, &other.password).await;
    // The backoff ends: after it, the right password logs in and resets the count.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    login(t, &victim.username, &victim.password).await;
    let r = login_raw(t, &victim.username, "wrong password, try again").await;
    assert_error(&r, 401, "invalid_credentials");
}

/// Over the registrations per client IP per minute, `/auth/register` answers `429` (invalid
/// attempts count too); an admin registering users is not throttled.
pub async fn registration_over_the_ip_limit_is_429_but_admins_are_exempt(t: &Target) {
    let admin = admin_login(t).await.0;
    let n = limit(t.rate_limits.register_per_ip_per_minute, "registrations per IP");
    let bad = json!({"username": "x", "password": strong_password()});
    for _ in 0..n {
        assert_validation(&post_json(t, "/auth/register", None, &bad).await, "username");
    }
    let body = json!({"username": unique_username(), "password": strong_password()});
    assert_rate_limited(&post_json(t, "/auth/register", None, &body).await);
    post_json(t, "/auth/register", Some(&admin), &body).await.expect_status(201);
}

/// Over the refreshes per client IP per minute, `/auth/refresh` answers `429`, before the
/// token is looked at: a good refresh token is refused too, and stays unspent.
pub async fn refresh_over_the_ip_limit_is_429(t: &Target) {
    let user = new_user(t).await;
    let n = limit(t.rate_limits.refresh_per_ip_per_minute, "refreshes per IP");
    for _ in 0..n {
        let r = post_json(t, "/auth/refresh", None, &json!({"refresh_token": "garbage"})).await;
        assert_error(&r, 401, "invalid_token");
    }
    let body = json!({"refresh_token": user.refresh});
    assert_rate_limited(&post_json(t, "/auth/refresh", None, &body).await);
    let r = send(with_bearer(request(t, Method::POST, "/auth/refresh"), Some(&user.refresh)));
    assert_rate_limited(&r.await);
    // One cell later, the same token still works: the refusals did not spend it.
    let cell = std::time::Duration::from_millis(60_000 / u64::from(n) + 100);
    tokio::time::sleep(cell).await;
    assert_token_pair(t, &post_json(t, "/auth/refresh", None, &body).await);
}
