//! The forgotten-password routes: `POST /auth/forgot-password` and
//! `POST /auth/reset-password`, following the link the server mails (read from its outbox
//! directory, as `.eml` files).

use serde_json::{Value, json};

use super::Target;
use super::client::*;
use super::outbox::{RESET, mailed_tokens, mails_to, user_with_mail};
use super::sessions::refresh;
use super::throttling::assert_rate_limited;

/// The body every forgot-password request gets, whoever it names.
const ACCEPTED: &str =
    r#"{"detail":"If the account exists and has an address, a message is on its way."}"#;

async fn forgot(t: &Target, body: &Value) -> Reply {
    post_json(t, "/auth/forgot-password", None, body).await
}

async fn reset(t: &Target, token: &str, new: &str) -> Reply {
    let body = json!({"token": token, "new_password": new});
    post_json(t, "/auth/reset-password", None, &body).await
}

/// The whole flow: a link by mail, a refused password that leaves it working, the reset
/// that ends every session, and a link that works once.
pub async fn forgot_password_mails_a_link_that_resets_once(t: &Target) {
    let (user, email) = user_with_mail(t).await;
    let r = forgot(t, &json!({"email": email.to_uppercase()})).await;
    assert_eq!(r.expect_status(202).text(), ACCEPTED);
    let token = mailed_tokens(t, &email, RESET, 1).await.remove(0);
    let mail = mails_to(t, &email, RESET).remove(0);
    // Links start with the server's PUBLIC_URL (the suite's servers: where it reaches them).
    assert!(mail.contains(&url(t, "/reset-password#token=")), "{mail}");
    assert!(mail.contains(&user.username), "the message names the account");
    assert_validation(&reset(t, &token, "password").await, "new_password");
    let new = strong_password();
    reset(t, &token, &new).await.expect_status(204);
    assert_invalid_token(&get(t, "/auth/me", Some(&user.access)).await);
    assert_invalid_token(&refresh(t, &user.refresh).await);
    assert_invalid_credentials(&login_raw(t, &user.username, &user.password).await);
    login(t, &user.username, &new).await;
    assert_error(&reset(t, &token, &strong_password()).await, 400, "invalid_token");
}

/// The same status and bytes whether the account exists, has an address, or not; only
/// the real account with an address gets a message.
pub async fn forgot_password_answers_alike_for_every_account(t: &Target) {
    let (user, email) = user_with_mail(t).await;
    let plain = new_user(t).await;
    let bodies = [
        json!({"username": user.username}),
        json!({"username": plain.username}),
        json!({"username": unique_username()}),
        json!({"email": format!("{}@example.com", unique_username())}),
    ];
    for body in &bodies {
        let r = forgot(t, body).await;
        assert_eq!(r.expect_status(202).text(), ACCEPTED, "{body}");
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    mailed_tokens(t, &email, RESET, 1).await;
}

/// A body that names no account, or names it badly, is `422`; a CRLF or a 10 KB address
/// included.
pub async fn forgot_password_refuses_bad_bodies(t: &Target) {
    for (body, field) in [
        (json!({}), "email"),
        (json!({"email": "a@example.com", "username": "alice"}), "email"),
        (json!({"email": "a@example.com\r\nBcc: victim@example.com"}), "email"),
        (json!({"email": format!("{}@example.com", "a".repeat(10_000))}), "email"),
        (json!({"email": "not an address"}), "email"),
        (json!({"username": "line\r\nbreak"}), "username"),
    ] {
        assert_validation(&forgot(t, &body).await, field);
    }
    let r = forgot(t, &json!({"email": "a@example.com", "extra": 1})).await;
    r.expect_status(422);
}

/// Truncated, unknown, spent, superseded tokens and a refresh token are all
/// `400 invalid_token`; a missing field is `422`.
pub async fn reset_password_refuses_bad_tokens(t: &Target) {
    let (user, email) = user_with_mail(t).await;
    forgot(t, &json!({"username": user.username})).await.expect_status(202);
    let first = mailed_tokens(t, &email, RESET, 1).await.remove(0);
    forgot(t, &json!({"username": user.username})).await.expect_status(202);
    let both = mailed_tokens(t, &email, RESET, 2).await;
    let second = both.into_iter().find(|t| *t != first).expect("a second token");
    let new = strong_password();
    for bad in [
        first.as_str(),
        &second[..42],
        &random_alnum(43),
        user.refresh.as_str(),
        user.access.as_str(),
        "",
    ] {
        assert_error(&reset(t, bad, &new).await, 400, "invalid_token");
    }
    reset(t, &second, &new).await.expect_status(204);
    assert_error(&reset(t, &second, &strong_password()).await, 400, "invalid_token");
    let r = post_json(t, "/auth/reset-password", None, &json!({"token": second})).await;
    r.expect_status(422);
}

/// At most five requests an hour for one submitted value, from any client, whether or not
/// an account has it: then `429` with `Retry-After`.
pub async fn forgot_password_is_throttled_per_account(t: &Target) {
    let name = unique_username();
    for _ in 0..t.rate_limits.mail_per_account_per_hour {
        forgot(t, &json!({"username": name})).await.expect_status(202);
    }
    assert_rate_limited(&forgot(t, &json!({"username": name.to_uppercase()})).await);
    forgot(t, &json!({"username": unique_username()})).await.expect_status(202);
}

/// On a server with the mail limits off (the `mail_timing` group, not in the default
/// suite): forgot-password for an account with an address, an unknown one, one without an
/// address and an inactive one answers alike, and the medians of 50 requests each (taken in
/// turns, so that drift hits all four alike) differ by less than 5 ms: the request path
/// does no lookup, hashing or mail I/O for any of them.
pub async fn forgot_password_takes_as_long_for_every_account(t: &Target) {
    let (with_mail, _) = user_with_mail(t).await;
    let without = new_user(t).await;
    let (inactive, _) = user_with_mail(t).await;
    admin_patch_user(t, inactive.id, &json!({"is_active": false})).await;
    let names = [with_mail.username, unique_username(), without.username, inactive.username];
    let mut times: [Vec<std::time::Duration>; 4] = Default::default();
    for _ in 0..50 {
        for (i, name) in names.iter().enumerate() {
            let started = std::time::Instant::now();
            let r = forgot(t, &json!({"username": name})).await;
            times[i].push(started.elapsed());
            assert_eq!(r.expect_status(202).text(), ACCEPTED, "{name}");
        }
    }
    let medians: Vec<_> = times
        .iter_mut()
        .map(|t| {
            t.sort_unstable();
            t[t.len() / 2]
        })
        .collect();
    let (min, max) = (medians.iter().min().unwrap(), medians.iter().max().unwrap());
    assert!(
        *max - *min < std::time::Duration::from_millis(5),
        "medians (with address, unknown, no address, inactive): {medians:?}"
    );
}
