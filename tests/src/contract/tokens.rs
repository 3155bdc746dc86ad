//! Crafted access tokens: one correct token as the positive control, then every way a token
//! must be refused, and how the bearer is (and is not) read.

use reqwest::Method;
use serde_json::{Value, json};

use super::Target;
use super::client::*;

/// A secret of 32+ bytes that is not the server's.
const FOREIGN_SECRET: &[u8] = b"not-the-server-secret-but-long-enough-0123456789";

/// `GET /auth/me` with `token` as the bearer.
async fn me(t: &Target, token: &str) -> Reply {
    get(t, "/auth/me", Some(token)).await
}

/// A correct token for a fresh user, after `tweak` edits its header and claims, must be
/// refused with `401 invalid_token`.
async fn refused_after(t: &Target, tweak: impl FnOnce(&mut Value, &mut Value)) {
    let user = new_user(t).await;
    let (mut header, mut claims) = (access_header(), access_claims(t, &user));
    tweak(&mut header, &mut claims);
    assert_invalid_token(&me(t, &craft_token(t, header, claims)).await);
    // The user's real token still works: only the crafted one was refused.
    me(t, &user.access).await.expect_status(200);
}

/// Positive control: a token crafted exactly as the server issues them is accepted.
pub async fn crafted_token_is_accepted(t: &Target) {
    let user = new_user(t).await;
    let token = craft_token(t, access_header(), access_claims(t, &user));
    let me = me(t, &token).await.expect_status(200).json();
    assert_eq!(id_of(&me), user.id);
}

/// A token signed with another secret is refused.
pub async fn foreign_secret_is_refused(t: &Target) {
    let user = new_user(t).await;
    let token = craft_token_with_secret(FOREIGN_SECRET, &access_header(), &access_claims(t, &user));
    assert_invalid_token(&me(t, &token).await);
}

/// `alg: none` with an empty signature is refused.
pub async fn alg_none_is_refused(t: &Target) {
    let user = new_user(t).await;
    let header = json!({"alg": "none", "typ": "at+jwt"});
    let token = format!("{}.", jwt_signing_input(&header, &access_claims(t, &user)));
    assert_invalid_token(&me(t, &token).await);
}

/// `typ: "JWT"` (not an RFC 9068 access token) is refused.
pub async fn typ_jwt_is_refused(t: &Target) {
    refused_after(t, |h, _| h["typ"] = json!("JWT")).await;
}

/// A token expired beyond the leeway is refused.
pub async fn expired_token_is_refused(t: &Target) {
    let now = now();
    refused_after(t, |_, c| {
        c["exp"] = json!(now - 120);
        c["iat"] = json!(now - 1000);
        c["nbf"] = json!(now - 1000);
    })
    .await;
}

/// Another issuer is refused.
pub async fn wrong_issuer_is_refused(t: &Target) {
    let issuer = format!("{}-other", t.issuer);
    refused_after(t, |_, c| c["iss"] = json!(issuer)).await;
}

/// Another audience is refused.
pub async fn wrong_audience_is_refused(t: &Target) {
    let audience = format!("{}-other", t.audience);
    refused_after(t, |_, c| c["aud"] = json!(audience)).await;
}

/// A token without `exp` is refused.
pub async fn missing_exp_is_refused(t: &Target) {
    refused_after(t, |_, c| {
        c.as_object_mut().expect("claims object").remove("exp");
    })
    .await;
}

/// `exp` as a string is refused.
pub async fn string_exp_is_refused(t: &Target) {
    let exp = (now() + 300).to_string();
    refused_after(t, |_, c| c["exp"] = json!(exp)).await;
}

/// A refresh token is never accepted as an access token.
pub async fn refresh_token_as_bearer_is_refused(t: &Target) {
    let user = new_user(t).await;
    assert_invalid_token(&me(t, &user.refresh).await);
}

/// A real token whose payload was edited (role → admin), keeping the signature, is refused.
pub async fn tampered_payload_is_refused(t: &Target) {
    let user = new_user(t).await;
    let parts: Vec<&str> = user.access.split('.').collect();
    assert_eq!(parts.len(), 3, "access token is not a JWS: {}", user.access);
    let mut claims = jwt_claims(&user.access);
    claims["role"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], b64url(claims.to_string()), parts[2]);
    assert_invalid_token(&me(t, &tampered).await);
    assert_invalid_token(&get(t, "/auth/admin", Some(&tampered)).await);
}

/// The `Bearer` scheme is matched case-insensitively.
pub async fn lowercase_scheme_is_accepted(t: &Target) {
    let user = new_user(t).await;
    let rb = request(t, Method::GET, "/auth/me")
        .header("authorization", format!("bearer {}", user.access));
    send(rb).await.expect_status(200);
}

/// A token in the query string is never read.
pub async fn query_string_token_is_ignored(t: &Target) {
    let user = new_user(t).await;
    let r = get(t, &format!("/auth/me?access_token={}", user.access), None).await;
    assert_not_authenticated(&r);
}

/// A 64 KiB `Authorization` header is refused (`400`, `401` or `431`), never a crash.
pub async fn huge_authorization_header_is_harmless(t: &Target) {
    let huge = format!("Bearer {}", "a".repeat(64 * 1024));
    let r = send(request(t, Method::GET, "/auth/me").header("authorization", huge)).await;
    assert!(matches!(r.status, 400 | 401 | 431), "status {}: {}", r.status, r.text());
    assert_healthy(t).await;
}
