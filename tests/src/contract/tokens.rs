//! Crafted access tokens: one correct token as the positive control, then every way a token
//! must be refused, and how the bearer is (and is not) read.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::{Value, json};

use super::client::*;
use super::{ServerKey, Target};

/// `GET /auth/me` with `token` as the bearer.
async fn me(t: &Target, token: &str) -> Reply {
    get(t, "/auth/me", Some(token)).await
}

/// A correct token for a fresh user, after `tweak` edits its header and claims, must be
/// refused with `401 invalid_token`. The user's real token is presented first, so the
/// forgery arrives while the server remembers the real token as verified.
async fn refused_after(t: &Target, tweak: impl FnOnce(&mut Value, &mut Value)) {
    let user = new_user(t).await;
    me(t, &user.access).await.expect_status(200);
    let (mut header, mut claims) = (access_header(t), access_claims(t, &user));
    tweak(&mut header, &mut claims);
    assert_invalid_token(&me(t, &craft_token(t, header, claims)).await);
    // The user's real token still works: only the crafted one was refused.
    me(t, &user.access).await.expect_status(200);
}

/// Positive control: a token crafted exactly as the server issues them is accepted.
pub async fn crafted_token_is_accepted(t: &Target) {
    let user = new_user(t).await;
    let token = craft_token(t, access_header(t), access_claims(t, &user));
    let me = me(t, &token).await.expect_status(200).json();
    assert_eq!(id_of(&me), user.id);
}

/// A token signed with another key of the same algorithm (another environment's) is refused.
pub async fn foreign_secret_is_refused(t: &Target) {
    let user = new_user(t).await;
    let token = craft_token_with_key(
        &t.key.foreign_encoding_key(),
        t.key.algorithm(),
        &access_header(t),
        &access_claims(t, &user),
    );
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

/// `exp` as `null` is refused.
pub async fn null_exp_is_refused(t: &Target) {
    refused_after(t, |_, c| c["exp"] = Value::Null).await;
}

/// `exp` as a float, even a whole one in the future, is refused (NumericDate is an integer
/// here, as the server issues it).
pub async fn float_exp_is_refused(t: &Target) {
    let exp = (now() + 300) as f64 + 0.5;
    refused_after(t, |_, c| c["exp"] = json!(exp)).await;
    refused_after(t, |_, c| c["exp"] = json!(exp.floor())).await;
}

/// A negative `exp` (and one far below any real time) is refused, not wrapped around.
pub async fn negative_exp_is_refused(t: &Target) {
    refused_after(t, |_, c| c["exp"] = json!(-1)).await;
    refused_after(t, |_, c| c["exp"] = json!(i64::MIN)).await;
}

/// `exp` one second inside the leeway is accepted; one second beyond it is refused.
pub async fn exp_at_the_leeway_boundary(t: &Target) {
    let user = new_user(t).await;
    let leeway = t.leeway_secs;
    let at = |exp: u64| {
        let mut claims = access_claims(t, &user);
        claims["exp"] = json!(exp);
        claims["iat"] = json!(exp - 600);
        claims["nbf"] = json!(exp - 600);
        craft_token(t, access_header(t), claims)
    };
    // The server's clock reads at least `now()`, and at most a second more while the
    // request travels: `now - leeway + 1` is inside for that second, `now - leeway - 1`
    // is outside from the start.
    let inside = at(now() - leeway + 1);
    me(t, &inside).await.expect_status(200);
    let outside = at(now() - leeway - 1);
    assert_invalid_token(&me(t, &outside).await);
}

/// `nbf` beyond the leeway in the future is refused; within the leeway it is accepted.
pub async fn future_nbf_is_refused(t: &Target) {
    let leeway = t.leeway_secs;
    refused_after(t, |_, c| c["nbf"] = json!(now() + leeway + 60)).await;
    let user = new_user(t).await;
    let mut claims = access_claims(t, &user);
    claims["nbf"] = json!(now() + leeway / 2);
    me(t, &craft_token(t, access_header(t), claims)).await.expect_status(200);
}

/// A token without `iss`, or without `aud`, is refused.
pub async fn missing_issuer_or_audience_is_refused(t: &Target) {
    for claim in ["iss", "aud"] {
        refused_after(t, |_, c| {
            c.as_object_mut().expect("claims object").remove(claim);
        })
        .await;
    }
    // An audience list that does not hold ours is refused too.
    refused_after(t, |_, c| c["aud"] = json!(["someone-else", "another"])).await;
}

/// `kid` values that try a path, SQL or a header injection are refused (`401`), never a
/// `500`, and the server stays healthy.
pub async fn kid_tricks_are_refused(t: &Target) {
    let kids = [
        "../../../../../../dev/null",
        "/etc/passwd",
        "' OR '1'='1' --",
        "x\"; DROP TABLE auth_users; --",
        "\r\nX-Injected: 1",
        "",
    ];
    for kid in kids {
        refused_after(t, |h, _| h["kid"] = json!(kid)).await;
    }
    // A `kid` of the wrong JSON type is refused too.
    refused_after(t, |h, _| h["kid"] = json!({"$ne": null})).await;
    assert_healthy(t).await;
}

/// `jku`, `x5u` (and embedded `jwk`) headers pointing at a key the attacker controls are
/// refused, and the server never connects to the address they name.
pub async fn key_url_headers_are_never_fetched(t: &Target) {
    let trap = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let trap_url = format!("http://{}/jwks.json", trap.local_addr().expect("bound"));
    let user = new_user(t).await;
    let foreign = t.key.foreign_encoding_key();
    let alg = t.key.algorithm();
    let jwk =
        jsonwebtoken::jwk::Jwk::from_encoding_key(&foreign, alg).expect("the foreign key as a JWK");
    let headers = [
        json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "jku": trap_url}),
        json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "x5u": trap_url}),
        json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "jwk": jwk}),
    ];
    for header in &headers {
        let token = craft_token_with_key(&foreign, alg, header, &access_claims(t, &user));
        assert_invalid_token(&me(t, &token).await);
    }
    let waited = tokio::time::timeout(std::time::Duration::from_millis(300), trap.accept()).await;
    assert!(waited.is_err(), "the server connected to the URL of a token header");
}

/// Algorithm confusion: a token whose header names any algorithm but the configured one is
/// refused, whether it carries an all-zero signature, a real signature by the server's own
/// key (right key, wrong label), or — for the HMAC algorithms — an HMAC keyed with the
/// server's secret or, on an asymmetric server, with its public key's PEM (the classic
/// HS/RS confusion: a verifier that picks the algorithm from the header would take the
/// public key as an HMAC secret).
pub async fn algorithm_confusion_is_refused(t: &Target) {
    use jsonwebtoken::{Algorithm, EncodingKey, crypto::sign};
    let user = new_user(t).await;
    me(t, &user.access).await.expect_status(200);
    let claims = access_claims(t, &user);
    let configured = t.key.algorithm();
    let others = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];
    for alg in others.into_iter().filter(|a| *a != configured) {
        let input =
            jwt_signing_input(&json!({"alg": format!("{alg:?}"), "typ": "at+jwt"}), &claims);
        let zeros = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => 256,
            Algorithm::ES384 => 96,
            _ => 64,
        };
        let mut signatures = vec![b64url(vec![0u8; zeros])];
        signatures.push(sign(input.as_bytes(), &t.key.encoding_key(), configured).expect("sign"));
        if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            let hmac_key = EncodingKey::from_secret(t.key.public_or_secret_bytes());
            signatures.push(sign(input.as_bytes(), &hmac_key, alg).expect("HMAC"));
        }
        for signature in signatures {
            let token = format!("{input}.{signature}");
            assert_invalid_token(&me(t, &token).await);
        }
    }
    me(t, &user.access).await.expect_status(200);
}

/// Signatures that are zero, empty or out of range under the configured algorithm are
/// refused. With ES256 configured, `r = s = 0` is the "psychic signature" (CVE-2022-21449)
/// and `r = s = n` (the curve order) its modular twin; with HS256, an all-zero MAC.
pub async fn zero_signature_is_refused(t: &Target) {
    /// The order n of the P-256 group, big-endian.
    const P256_ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let user = new_user(t).await;
    me(t, &user.access).await.expect_status(200);
    // The server's own token is the template: its real header, claims and signature length.
    let header_alg = jwt_part(&user.access, 0)["alg"].clone();
    assert_eq!(
        header_alg,
        json!(format!("{:?}", t.key.algorithm())),
        "the server signs with the configured key"
    );
    let (input, real) = user.access.rsplit_once('.').expect("a JWS");
    let len = t.key.signature_len();
    let real = URL_SAFE_NO_PAD.decode(real).expect("a base64url signature");
    assert_eq!(real.len(), len, "signature length");
    let mut signatures = vec![vec![0u8; len], Vec::new(), vec![0u8; 1], vec![0u8; 2 * len]];
    if let ServerKey::Es256 { .. } = t.key {
        signatures.push([P256_ORDER, P256_ORDER].concat());
        signatures.push([[0u8; 32], P256_ORDER].concat());
    }
    for signature in signatures {
        let token = format!("{input}.{}", b64url(&signature));
        assert_invalid_token(&me(t, &token).await);
    }
    me(t, &user.access).await.expect_status(200);
}

/// Access tokens say how and when the user signed in (RFC 8176 `amr`, `auth_time`): a
/// password login is `["pwd"]` at the login's second, and a refresh a second later keeps
/// both, since it proves nothing new.
pub async fn access_tokens_carry_amr_and_auth_time(t: &Target) {
    let user = new_user(t).await;
    let first = jwt_claims(&user.access);
    assert_eq!(first["amr"], serde_json::json!(["pwd"]), "{first}");
    let auth_time = first["auth_time"].as_i64().expect("auth_time");
    assert!(auth_time <= first["iat"].as_i64().unwrap(), "{first}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let pair = super::sessions::refresh(t, &user.refresh).await.expect_status(200).json();
    let refreshed = jwt_claims(pair["access_token"].as_str().unwrap());
    assert_eq!(refreshed["amr"], serde_json::json!(["pwd"]), "{refreshed}");
    assert_eq!(refreshed["auth_time"].as_i64(), Some(auth_time), "the login's, not the refresh's");
    assert!(refreshed["iat"].as_i64().unwrap() > auth_time, "{refreshed}");
}
