//! The second factor: TOTP enrolment (`/auth/mfa/totp`, `/confirm`), the two-step login
//! (`403 mfa_required`, `/auth/mfa/verify`) on `/auth/login` and the password grant,
//! recovery codes, turning it off, the admin's reset, and the sessions it ends. Codes are
//! computed here from the secret the server gave, on the server's clock.

use std::time::Duration;

use auth_core::TotpSecret;
use reqwest::Method;
use serde_json::{Value, json};

use super::Target;
use super::client::*;
use super::sessions::refresh;

/// One TOTP time step.
const STEP: Duration = Duration::from_secs(30);

/// A user with TOTP on: their secret, recovery codes, the session they enrolled from, and
/// how far the suite moved the server's clock ahead of real time.
struct Enrolled {
    user: TestUser,
    secret: TotpSecret,
    recovery_codes: Vec<String>,
    skew: Duration,
}

impl Enrolled {
    /// The code of the server's current step, after moving its clock one step on (so that
    /// no step is used twice).
    fn next_code(&mut self, t: &Target) -> String {
        self.skip(t, STEP);
        self.code_at_offset(0)
    }

    fn skip(&mut self, t: &Target, by: Duration) {
        let advance = t.advance_clock.as_ref().expect("the second-factor cases move the clock");
        advance(by);
        self.skew += by;
    }

    /// The code of the step `offset` seconds from the server's now.
    fn code_at_offset(&self, offset: i64) -> String {
        let now = time::OffsetDateTime::now_utc() + self.skew + time::Duration::seconds(offset);
        self.secret.code_at(now).to_string()
    }
}

/// A fresh user who turns TOTP on through the API, on a fresh server.
async fn enrolled(t: &Target) -> Enrolled {
    enrolled_after(t, Duration::ZERO).await
}

/// A fresh user who turns TOTP on through the API, the server's clock `skew` ahead.
async fn enrolled_after(t: &Target, skew: Duration) -> Enrolled {
    let user = new_user(t).await;
    let started = post_json(
        t,
        "/auth/mfa/totp",
        Some(&user.access),
        &json!({"current_password": user.password}),
    )
    .await;
    started.expect_status(200);
    assert_no_store(&started);
    let body = started.json();
    assert_keys(&body, &["secret", "otpauth_uri", "qr_svg"]);
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={}", body["secret"].as_str().unwrap())), "{uri}");
    assert!(
        uri.contains("algorithm=SHA1") && uri.contains("digits=6") && uri.contains("period=30")
    );
    assert!(body["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = TotpSecret::from_base32(body["secret"].as_str().unwrap()).unwrap();
    let mut e = Enrolled { user, secret, recovery_codes: Vec::new(), skew };
    let code = e.next_code(t);
    let confirmed =
        post_json(t, "/auth/mfa/totp/confirm", Some(&e.user.access), &json!({"code": code})).await;
    confirmed.expect_status(200);
    assert_no_store(&confirmed);
    let codes = confirmed.json()["recovery_codes"].as_array().cloned().unwrap();
    assert_eq!(codes.len(), 10);
    e.recovery_codes = codes.iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    e
}

/// A login with the right password; asserts `403 mfa_required` and returns the MFA token.
async fn mfa_token(t: &Target, user: &TestUser) -> String {
    let r = login_raw(t, &user.username, &user.password).await;
    let body = r.expect_status(403).json();
    assert_keys(&body, &["detail", "code", "mfa_token", "methods"]);
    assert_eq!(body["code"], "mfa_required");
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn verify(t: &Target, body: &Value) -> Reply {
    post_json(t, "/auth/mfa/verify", None, body).await
}

/// The whole enrolment, then logins: the password alone issues nothing on `/auth/login` or
/// the password grant; a code finishes it with `amr` `["pwd", "otp"]`; the code and the MFA
/// token are single use.
pub async fn totp_enrolment_then_two_step_login(t: &Target) {
    let mut e = enrolled(t).await;
    let me = get(t, "/auth/me", Some(&e.user.access)).await.expect_status(200).json();
    assert_user_out(&me);
    assert_eq!(me["mfa_enabled"], true);
    let token = mfa_token(t, &e.user).await;
    // The password grant answers in its own shape.
    let fields = [
        ("grant_type", "password"),
        ("username", e.user.username.as_str()),
        ("password", e.user.password.as_str()),
    ];
    let grant = post_form(t, "/auth/token", &fields).await;
    let body = grant.expect_status(403).json();
    assert_eq!(body["error"], "mfa_required", "{body}");
    assert!(body["mfa_token"].as_str().is_some_and(|s| s.len() == 43), "{body}");
    let code = e.next_code(t);
    let pair = verify(t, &json!({"mfa_token": token, "code": code})).await;
    let (access, _) = assert_token_pair(t, &pair);
    assert_eq!(jwt_claims(&access)["amr"], json!(["pwd", "otp"]));
    // The MFA token of the grant finishes the same way.
    let grant_token = body["mfa_token"].as_str().unwrap();
    // The same code again: refused, on another token too (its step is spent).
    assert_error(
        &verify(t, &json!({"mfa_token": grant_token, "code": code})).await,
        401,
        "invalid_credentials",
    );
    let again = verify(t, &json!({"mfa_token": token, "code": e.next_code(t)})).await;
    assert_invalid_token(&again);
    let code = e.next_code(t);
    assert_token_pair(t, &verify(t, &json!({"mfa_token": grant_token, "code": code})).await);
}

/// A code one step early or late is accepted; two steps off is not; a code of another
/// secret is not.
pub async fn codes_one_step_off_pass_and_two_steps_off_fail(t: &Target) {
    let mut e = enrolled(t).await;
    // (Refusals and successes alternate: two refusals in a row would start the backoff.)
    for (offset, ok) in [(-30, true), (60, false), (30, true), (-60, false)] {
        e.skip(t, STEP * 3);
        let token = mfa_token(t, &e.user).await;
        let r = verify(t, &json!({"mfa_token": token, "code": e.code_at_offset(offset)})).await;
        if ok {
            assert_token_pair(t, &r);
        } else {
            assert_error(&r, 401, "invalid_credentials");
        }
    }
    let other = TotpSecret::generate();
    let token = mfa_token(t, &e.user).await;
    let now = time::OffsetDateTime::now_utc() + e.skew;
    let r = verify(t, &json!({"mfa_token": token, "code": other.code_at(now).to_string()})).await;
    assert_error(&r, 401, "invalid_credentials");
}

/// A recovery code signs in once; the set shrinks.
pub async fn recovery_codes_sign_in_once(t: &Target) {
    let e = enrolled(t).await;
    let code = e.recovery_codes[0].to_uppercase();
    let token = mfa_token(t, &e.user).await;
    let pair = verify(t, &json!({"mfa_token": token, "recovery_code": code})).await;
    let (access, _) = assert_token_pair(t, &pair);
    assert_eq!(jwt_claims(&access)["amr"], json!(["pwd", "otp"]));
    let token = mfa_token(t, &e.user).await;
    let again = verify(t, &json!({"mfa_token": token, "recovery_code": code})).await;
    assert_error(&again, 401, "invalid_credentials");
}

/// Five wrong codes end an MFA token (a sixth, even right, is refused); an MFA token with
/// another user's code fails.
pub async fn wrong_codes_end_the_mfa_token(t: &Target) {
    let mut e = enrolled(t).await;
    let token = mfa_token(t, &e.user).await;
    let right = e.next_code(t);
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = verify(t, &json!({"mfa_token": token, "code": wrong})).await;
        // A wrong code is a failed login: the account's backoff may answer first.
        match r.status {
            401 => assert_error(&r, 401, "invalid_credentials"),
            _ => assert_error(&r, 429, "rate_limited"),
        };
    }
    assert_invalid_token(&verify(t, &json!({"mfa_token": token, "code": right})).await);
    // Bob's right code does not finish a login of another account (here, a fresh one).
    let mut bob = enrolled_after(t, e.skew).await;
    let other = enrolled_after(t, bob.skew).await;
    bob.skew = other.skew;
    let token = mfa_token(t, &other.user).await;
    let r = verify(t, &json!({"mfa_token": token, "code": bob.next_code(t)})).await;
    assert_error(&r, 401, "invalid_credentials");
}

/// Sessions from before the enrolment end with it (their refresh is refused); the one that
/// enrolled goes on, now with both factors.
pub async fn enrolment_ends_the_other_sessions(t: &Target) {
    let user = new_user(t).await;
    let (_, other_refresh) = login(t, &user.username, &user.password).await;
    let body = json!({"current_password": user.password});
    let started = post_json(t, "/auth/mfa/totp", Some(&user.access), &body).await;
    let started = started.expect_status(200).json();
    let secret = TotpSecret::from_base32(started["secret"].as_str().unwrap()).unwrap();
    let code = secret.code_at(time::OffsetDateTime::now_utc()).to_string();
    post_json(t, "/auth/mfa/totp/confirm", Some(&user.access), &json!({"code": code}))
        .await
        .expect_status(200);
    assert_invalid_token(&refresh(t, &other_refresh).await);
    // The enrolling session's token still says `pwd`, and its session now `pwd` + `otp`: a
    // password change from it keeps both.
    let new_password = strong_password();
    let body = json!({"current_password": user.password, "new_password": new_password});
    let changed = post_json(t, "/auth/password", Some(&user.access), &body).await;
    let (access, _) = assert_token_pair(t, &changed);
    assert_eq!(jwt_claims(&access)["amr"], json!(["pwd", "otp"]));
}

/// Turning TOTP off needs the password and a code; then the password alone signs in again.
/// New recovery codes replace the old set.
pub async fn disabling_and_new_recovery_codes_need_password_and_code(t: &Target) {
    let mut e = enrolled(t).await;
    let (access, pw) = (e.user.access.clone(), e.user.password.clone());
    let code = e.next_code(t);
    let body = |password: &str, code: &str| json!({"current_password": password, "code": code});
    let new_codes =
        post_json(t, "/auth/mfa/recovery-codes", Some(&access), &body(&pw, &e.recovery_codes[0]))
            .await;
    let fresh = new_codes.expect_status(200).json()["recovery_codes"].as_array().cloned().unwrap();
    assert_eq!(fresh.len(), 10);
    let wrong_pw = strong_password();
    let send_delete = |b: Value| {
        let rb = with_bearer(request(t, Method::DELETE, "/auth/mfa/totp"), Some(&access)).json(&b);
        send(rb)
    };
    assert_error(&send_delete(body(&wrong_pw, &code)).await, 403, "invalid_credentials");
    // The old set died with the new one.
    assert_error(&send_delete(body(&pw, &e.recovery_codes[1])).await, 403, "invalid_credentials");
    assert_validation(&send_delete(body(&pw, "12a456")).await, "code");
    assert_no_content(&send_delete(body(&pw, fresh[0].as_str().unwrap())).await);
    let me = get(t, "/auth/me", Some(&access)).await.expect_status(200).json();
    assert_eq!(me["mfa_enabled"], false);
    login(t, &e.user.username, &pw).await;
    // Nothing to turn off any more.
    assert_error(&send_delete(body(&pw, &code)).await, 409, "conflict");
}

/// An admin removes a lost device: the user's sessions end, the password alone signs in
/// again; users cannot do it.
pub async fn admin_resets_a_lost_device(t: &Target) {
    let e = enrolled(t).await;
    let path = format!("/admin/users/{}/mfa", e.user.id);
    assert_forbidden(&delete(t, &path, Some(&e.user.access)).await);
    let admin = admin_login(t).await.0;
    assert_no_content(&delete(t, &path, Some(&admin)).await);
    assert_invalid_token(&refresh(t, &e.user.refresh).await);
    login(t, &e.user.username, &e.user.password).await;
    assert_error(&delete(t, "/admin/users/999999/mfa", Some(&admin)).await, 404, "not_found");
}

/// Bad input is a clear 4xx, never a 500.
pub async fn second_factor_routes_refuse_bad_input(t: &Target) {
    let user = new_user(t).await;
    let token = "A".repeat(43);
    assert_validation(&verify(t, &json!({"mfa_token": token})).await, "code");
    let both =
        json!({"mfa_token": token, "code": "123456", "recovery_code": "aaaa-bbbb-cccc-dddd"});
    assert_validation(&verify(t, &both).await, "code");
    assert_validation(&verify(t, &json!({"mfa_token": token, "code": "12a456"})).await, "code");
    assert_validation(&verify(t, &json!({"mfa_token": token, "code": "1234567"})).await, "code");
    assert_invalid_token(&verify(t, &json!({"mfa_token": "short", "code": "123456"})).await);
    assert_invalid_token(&verify(t, &json!({"mfa_token": token, "code": "123456"})).await);
    let extra = json!({"mfa_token": token, "code": "123456", "x": 1});
    assert_eq!(verify(t, &extra).await.status, 422);
    // Confirming without a started enrolment, starting with a wrong password, no bearer.
    let code = json!({"code": "123456"});
    let confirm = post_json(t, "/auth/mfa/totp/confirm", Some(&user.access), &code).await;
    assert_error(&confirm, 409, "conflict");
    let wrong = json!({"current_password": strong_password()});
    assert_error(
        &post_json(t, "/auth/mfa/totp", Some(&user.access), &wrong).await,
        403,
        "invalid_credentials",
    );
    assert_not_authenticated(&post_json(t, "/auth/mfa/totp", None, &wrong).await);
    // A password-only session is refused nothing else: the login still works without a factor.
    login(t, &user.username, &user.password).await;
}
