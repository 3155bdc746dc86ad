//! Discovery for other services: `GET /.well-known/jwks.json` and `GET
//! /.well-known/oauth-authorization-server` (RFC 8414).

use serde_json::json;

use super::client::*;
use super::{ServerKey, Target};

/// The JWK set holds the public key that verifies the server's access tokens (its `kid`,
/// `alg` and `use`, no private part), or nothing for HS256; other services may cache it.
pub async fn jwks_publishes_the_verifying_keys(t: &Target) {
    let r = get(t, "/.well-known/jwks.json", None).await;
    r.expect_status(200);
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let keys = r.json()["keys"].as_array().cloned().expect("a keys array");
    match &t.key {
        ServerKey::Hs256(_) => assert!(keys.is_empty(), "a shared secret is never published"),
        ServerKey::Es256 { .. } | ServerKey::EdDsa { .. } => {
            let user = new_user(t).await;
            let kid = jwt_part(&user.access, 0)["kid"].clone();
            let key = keys.iter().find(|k| k["kid"] == kid).expect("the signing key is listed");
            let kty =
                if t.key.algorithm() == jsonwebtoken::Algorithm::EdDSA { "OKP" } else { "EC" };
            let alg = format!("{:?}", t.key.algorithm());
            assert_eq!(
                (&key["alg"], &key["use"], &key["kty"]),
                (&json!(alg), &json!("sig"), &json!(kty))
            );
            assert!(key.get("d").is_none(), "no private part: {key}");
        }
    }
}

/// The metadata names the issuer of the tokens, the token endpoint and the JWK set.
pub async fn metadata_names_the_endpoints(t: &Target) {
    let r = get(t, "/.well-known/oauth-authorization-server", None).await;
    r.expect_status(200);
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let m = r.json();
    assert_eq!(m["issuer"], t.issuer.as_str());
    assert_eq!(m["token_endpoint"], url(t, "/auth/token"), "{m}");
    assert_eq!(m["jwks_uri"], url(t, "/.well-known/jwks.json"), "{m}");
    assert_eq!(m["grant_types_supported"], json!(["password", "refresh_token"]));
    assert_eq!(m["token_endpoint_auth_methods_supported"], json!(["none"]));
    assert_eq!(m["response_types_supported"], json!([]));
    // What it names works: the key set, and the token endpoint's password grant.
    let jwks = send(http().get(m["jwks_uri"].as_str().unwrap())).await;
    jwks.expect_status(200);
    let user = new_user(t).await;
    let fields = [
        ("grant_type", "password"),
        ("username", user.username.as_str()),
        ("password", user.password.as_str()),
    ];
    let pair = send(http().post(m["token_endpoint"].as_str().unwrap()).form(&fields)).await;
    assert_token_pair(t, &pair);
    // HEAD answers as GET (the same length and caching), on both documents.
    for path in ["/.well-known/jwks.json", "/.well-known/oauth-authorization-server"] {
        let head = send(request(t, reqwest::Method::HEAD, path)).await;
        let get = get(t, path, None).await;
        head.expect_status(200);
        for name in ["content-length", "cache-control", "content-type"] {
            assert_eq!(head.header(name), get.header(name), "{path} {name}");
        }
        assert!(get.header("content-length").is_some_and(|l| l != "0"), "{path}");
    }
}
