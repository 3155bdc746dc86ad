//! Fetching an issuer's JWK set: one GET, no redirects, a size cap, and what
//! `Cache-Control` says about how long the answer stays fresh.

use std::time::Duration;

use jsonwebtoken::jwk::Jwk;
use reqwest::header::{ACCEPT, AGE, CACHE_CONTROL, HeaderValue};

use crate::{BoxError, VerifyingKey};

/// The largest JWK set read, in bytes: a few dozen keys fit in a tenth of it.
pub(super) const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// What one fetch brought.
pub(super) struct Document {
    /// The keys this crate can verify with, in the document's order, `kid`s unique.
    pub keys: Vec<VerifyingKey>,
    /// How many keys were left out (another algorithm, another use, a duplicate `kid`…).
    pub skipped: usize,
    /// What `Cache-Control` said: `max-age`, zero for `no-cache`/`no-store`, `None` without
    /// either.
    pub max_age: Option<Duration>,
}

/// GETs `url` and reads the JWK set it answers with.
pub(super) async fn fetch(
    client: &reqwest::Client,
    url: &reqwest::Url,
) -> Result<Document, BoxError> {
    let mut response = client
        .get(url.clone())
        .header(ACCEPT, "application/jwk-set+json, application/json")
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("the issuer answered {}", response.status()).into());
    }
    // What a cache on the way (a CDN) has already spent of it counts.
    let age = response.headers().get(AGE).and_then(|v| v.to_str().ok()?.trim().parse().ok());
    let max_age = max_age(response.headers().get(CACHE_CONTROL))
        .map(|max_age| max_age.saturating_sub(Duration::from_secs(age.unwrap_or(0))));
    if response.content_length().is_some_and(|len| len > MAX_DOCUMENT_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let (keys, skipped) = parse(&body)?;
    Ok(Document { keys, skipped, max_age })
}

fn too_large() -> BoxError {
    format!("the key set is larger than {MAX_DOCUMENT_BYTES} bytes").into()
}

/// The usable keys of a JWK set document, and how many others it held. A key this crate
/// cannot use is left out (logged with the reason) rather than failing the set, so an
/// issuer may publish keys for other consumers beside ours.
fn parse(body: &[u8]) -> Result<(Vec<VerifyingKey>, usize), BoxError> {
    #[derive(serde::Deserialize)]
    struct JwkSet {
        keys: Vec<serde_json::Value>,
    }
    let set: JwkSet = serde_json::from_slice(body).map_err(|e| format!("not a JWK set ({e})"))?;
    let mut keys: Vec<VerifyingKey> = Vec::new();
    let mut skipped = 0;
    for value in set.keys {
        match usable(&value, &keys) {
            Ok(key) => keys.push(key),
            Err(reason) => {
                skipped += 1;
                let kid = value.get("kid").and_then(|k| k.as_str()).unwrap_or("");
                tracing::warn!(kid = %kid.escape_debug(), reason, "a published key is left out");
            }
        }
    }
    Ok((keys, skipped))
}

/// The parts of a private (or symmetric) key, which a key set must never carry.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// A published key this crate verifies with, or why not.
fn usable(value: &serde_json::Value, kept: &[VerifyingKey]) -> Result<VerifyingKey, &'static str> {
    if PRIVATE_MEMBERS.iter().any(|m| value.get(m).is_some()) {
        tracing::error!(
            "the issuer publishes a private or secret key: whoever reads it signs tokens"
        );
        return Err("a private or secret key");
    }
    if let Some(ops) = value.get("key_ops") {
        if !ops.as_array().is_some_and(|ops| ops.iter().any(|op| op == "verify")) {
            return Err("key_ops without verify");
        }
    }
    let jwk =
        serde_json::from_value::<Jwk>(value.clone()).map_err(|_| "not a JWK this crate reads")?;
    let key = VerifyingKey::from_jwk(&jwk)
        .map_err(|_| "no kid, another use, or an algorithm this crate does not verify (RSA keys need \"alg\": \"RS256\")")?;
    if kept.iter().any(|k| k.kid() == key.kid()) {
        return Err("a kid already in the set");
    }
    Ok(key)
}

/// `max-age` of a `Cache-Control` value; zero for `no-cache` or `no-store`.
fn max_age(value: Option<&HeaderValue>) -> Option<Duration> {
    let value = value?.to_str().ok()?;
    let mut found = None;
    for directive in value.split(',').map(str::trim) {
        let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "no-cache" | "no-store" => return Some(Duration::ZERO),
            "max-age" => {
                found = arg.trim().trim_matches('"').parse().ok().map(Duration::from_secs);
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeySet, SigningKey};

    const ED: &[u8] = include_bytes!("../../tests/keys/ed25519.pem");
    const ES: &[u8] = include_bytes!("../../tests/keys/es256.pem");
    const RS: &[u8] = include_bytes!("../../tests/keys/rs256.pem");

    fn header(v: &str) -> Option<Duration> {
        max_age(Some(&HeaderValue::from_str(v).unwrap()))
    }

    #[test]
    fn cache_control_is_read_as_caches_read_it() {
        assert_eq!(header("public, max-age=300"), Some(Duration::from_secs(300)));
        assert_eq!(header("Max-Age=\"60\""), Some(Duration::from_secs(60)));
        assert_eq!(header("max-age=300, no-cache"), Some(Duration::ZERO));
        assert_eq!(header("no-store"), Some(Duration::ZERO));
        assert_eq!(header("public"), None);
        assert_eq!(header("max-age=-1"), None);
        assert_eq!(header("max-age=lots"), None);
        assert_eq!(max_age(None), None);
    }

    #[test]
    fn usable_keys_are_kept_and_the_others_counted() {
        let ours = KeySet::new(SigningKey::eddsa_pem(ED).unwrap())
            .with_previous(SigningKey::es256_pem(ES).unwrap().verifying_key().clone())
            .unwrap()
            .with_previous(SigningKey::rs256_pem(RS).unwrap().verifying_key().clone())
            .unwrap()
            .jwks();
        let mut doc = serde_json::to_value(&ours).unwrap();
        let keys = doc["keys"].as_array_mut().unwrap();
        // What an issuer may publish for others, or get wrong.
        let mut dup = keys[0].clone();
        dup["x"] = "AAAA".into();
        keys.push(dup);
        keys.push(
            serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"}),
        );
        let mut enc = keys[1].clone();
        enc["kid"] = "enc".into();
        enc["use"] = "enc".into();
        keys.push(enc);
        let mut no_kid = keys[1].clone();
        no_kid.as_object_mut().unwrap().remove("kid");
        keys.push(no_kid);
        let mut mismatched = keys[1].clone();
        mismatched["kid"] = "es-says-rs".into();
        mismatched["alg"] = "RS256".into();
        keys.push(mismatched);
        keys.push(serde_json::json!({"kty": "future", "kid": "x"}));
        let mut private = keys[1].clone();
        private["kid"] = "leaked".into();
        private["d"] = "c2VjcmV0".into();
        keys.push(private);
        let mut encrypting = keys[1].clone();
        encrypting["kid"] = "ops".into();
        encrypting["key_ops"] = serde_json::json!(["encrypt"]);
        keys.push(encrypting);
        let (parsed, skipped) = parse(&serde_json::to_vec(&doc).unwrap()).unwrap();
        let kids: Vec<&str> = parsed.iter().map(VerifyingKey::kid).collect();
        let expected: Vec<&str> =
            ours.keys.iter().filter_map(|k| k.common.key_id.as_deref()).collect();
        assert_eq!(kids, expected);
        assert_eq!(skipped, 8);
        assert!(parse(b"{\"keys\": {}}").is_err());
        assert!(parse(b"<html>").is_err());
        assert_eq!(parse(b"{\"keys\": []}").unwrap().0.len(), 0);
    }
}
