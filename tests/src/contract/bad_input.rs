//! Hostile and broken input: every case expects a clean 4xx, never a 500, and a server that
//! still answers `/health` afterwards.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::Target;
use super::client::*;
use super::raw::{drip_post, raw_post};

const JSON: &str = "application/json";

/// `levels` nested JSON arrays: `[[[...]]]`.
fn nested_arrays(levels: usize) -> String {
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

/// A JSON body that is not valid JSON is `400 bad_request`.
pub async fn malformed_json_is_400(t: &Target) {
    let r = post_raw(t, "/auth/register", JSON, r#"{"username": "abcd","#).await;
    assert_error(&r, 400, "bad_request");
    assert_healthy(t).await;
}

/// A register body sent as `text/plain` is `415 unsupported_media_type`.
pub async fn text_plain_register_is_415(t: &Target) {
    let body = json!({"username": unique_username(), "password": strong_password()});
    let r = post_raw(t, "/auth/register", "text/plain", body.to_string()).await;
    assert_error(&r, 415, "unsupported_media_type");
    assert_healthy(t).await;
}

/// Fields of the wrong JSON type are `422 validation_error`.
pub async fn wrong_field_types_are_422(t: &Target) {
    let r = post_json(t, "/auth/register", None, &json!({"username": 5, "password": true})).await;
    assert_error(&r, 422, "validation_error");
    let r = post_json(t, "/auth/login", None, &json!({"username": [], "password": {}})).await;
    assert_error(&r, 422, "validation_error");
    assert_healthy(t).await;
}

/// A 1 MB body is `413 payload_too_large`.
pub async fn oversized_body_is_413(t: &Target) {
    let body = json!({"username": unique_username(), "password": "a".repeat(1 << 20)}).to_string();
    let r = raw_post(t, "/auth/register", &[("Content-Type", JSON)], body.as_bytes()).await;
    assert_error(&r, 413, "payload_too_large");
    assert_healthy(t).await;
}

/// A 10 MB body is `413` on every route that reads one, answered without the server
/// buffering it, and the server stays healthy.
pub async fn ten_megabyte_body_is_413(t: &Target) {
    let user = new_user(t).await;
    let bearer = format!("Bearer {}", user.access);
    let body = vec![b' '; 10 * 1024 * 1024];
    let routes: [(&str, &[(&str, &str)]); 4] = [
        ("/auth/register", &[("Content-Type", JSON)]),
        ("/auth/login", &[("Content-Type", "application/x-www-form-urlencoded")]),
        ("/auth/refresh", &[("Content-Type", JSON)]),
        ("/tasks", &[("Content-Type", JSON), ("Authorization", &bearer)]),
    ];
    for (path, headers) in routes {
        let r = raw_post(t, path, headers, &body).await;
        assert_error(&r, 413, "payload_too_large");
    }
    assert_healthy(t).await;
}

/// A password over 1024 bytes is `422` naming `password`, on register and on login.
pub async fn overlong_password_is_422(t: &Target) {
    let user = new_user(t).await;
    let long = random_alnum(2000);
    let body = json!({"username": unique_username(), "password": long});
    assert_validation(&post_json(t, "/auth/register", None, &body).await, "password");
    assert_validation(&login_raw(t, &user.username, &long).await, "password");
    assert_healthy(t).await;
}

/// Deeply nested JSON is refused cleanly: `413` (or `400`/`422`) over 64 KiB, `400`/`422` under.
pub async fn deeply_nested_json_is_refused(t: &Target) {
    let user = new_user(t).await;
    let auth = format!("Bearer {}", user.access);
    let headers = [("Content-Type", JSON), ("Authorization", auth.as_str())];
    let huge = raw_post(t, "/tasks", &headers, nested_arrays(100_000).as_bytes()).await;
    assert!(matches!(huge.status, 400 | 413 | 422), "{} {}", huge.status, huge.text());

    let small = with_bearer(request(t, Method::POST, "/tasks"), Some(&user.access))
        .header("content-type", JSON)
        .body(nested_arrays(20_000));
    let small = send(small).await;
    assert!(matches!(small.status, 400 | 422), "{} {}", small.status, small.text());
    assert_healthy(t).await;
}

/// NUL and CR/LF in a username are `422` naming `username`.
pub async fn control_characters_in_username_are_422(t: &Target) {
    for name in ["ab\0cdef", "abc\r\ndef", "abc\ndef", "abc\tdef"] {
        let body = json!({"username": name, "password": strong_password()});
        assert_validation(&post_json(t, "/auth/register", None, &body).await, "username");
    }
    assert_healthy(t).await;
}

/// A body that trickles in (one byte a second) is cut off with `408`, which carries the
/// request id it was sent with and `nosniff`, as every answer does.
pub async fn slow_body_times_out_with_408(t: &Target) {
    let patience = Duration::from_secs(2 * t.request_timeout_secs + 10);
    let headers = [("Content-Type", JSON), ("X-Request-Id", "drip-408")];
    let r = drip_post(t, "/auth/login", &headers, 100, Duration::from_secs(1), patience).await;
    r.expect_status(408);
    assert_eq!(r.header("x-request-id"), Some("drip-408"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_healthy(t).await;
}
