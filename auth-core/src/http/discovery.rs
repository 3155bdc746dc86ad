//! Discovery for other services: the JWK set that verifies access tokens
//! (`/.well-known/jwks.json`, RFC 7517) and the authorization server's metadata
//! (`/.well-known/oauth-authorization-server`, RFC 8414), as both framework crates serve
//! them.

use jsonwebtoken::jwk::JwkSet;
use serde::{Deserialize, Serialize};

use super::{AuthState, ErrorResponse};

/// Where the JWK set is served.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// Where the RFC 8414 metadata is served.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// The `Cache-Control` of both documents: other services may keep them five minutes (so a
/// new signing key should be listed, as a verify-only key, that long before it signs; a
/// verifier that meets an unknown `kid` fetches the set again).
pub const DISCOVERY_CACHE_CONTROL: &str = "public, max-age=300";
/// Where the `/auth` router is mounted, which the metadata's `token_endpoint` names.
pub const AUTH_MOUNT: &str = "/auth";

/// RFC 8414 authorization server metadata: who issues the tokens, where to get them and
/// where the keys that verify them are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The `iss` of every access token.
    pub issuer: String,
    /// The RFC 6749 token endpoint (`/auth/token`).
    pub token_endpoint: String,
    /// The JWK set (`/.well-known/jwks.json`).
    pub jwks_uri: String,
    /// `password` and `refresh_token`.
    pub grant_types_supported: Vec<String>,
    /// `none`: public clients, no client authentication.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// None: there is no authorization endpoint.
    pub response_types_supported: Vec<String>,
}

/// `GET /.well-known/jwks.json`: the public keys that verify access tokens, the signing key
/// and verify-only older ones, each with `kid`, `alg` and `use`; empty for HS256 (a shared
/// secret is never published).
pub fn jwks(state: &AuthState) -> JwkSet {
    state.auth.jwks()
}

/// `GET /.well-known/oauth-authorization-server`.
///
/// # Errors
/// 404 when the state has no public URL ([`AuthState::with_public_url`]): the endpoints
/// cannot be named without it.
pub fn metadata(state: &AuthState) -> Result<AuthorizationServerMetadata, ErrorResponse> {
    let url = state.public_url().ok_or_else(ErrorResponse::not_found)?;
    let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    Ok(AuthorizationServerMetadata {
        issuer: state.auth.config().issuer().to_owned(),
        token_endpoint: url.join(&format!("{AUTH_MOUNT}/token")),
        jwks_uri: url.join(JWKS_PATH),
        grant_types_supported: strings(&["password", "refresh_token"]),
        token_endpoint_auth_methods_supported: strings(&["none"]),
        response_types_supported: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{Auth, AuthConfig, KeySet, MemoryStore, PublicUrl, SigningKey};

    fn state(key: SigningKey) -> AuthState {
        let config = AuthConfig::builder(KeySet::new(key)).issuer("https://auth.example");
        AuthState::new(Auth::new(config.build().unwrap(), Arc::new(MemoryStore::new())))
    }

    #[test]
    fn metadata_names_the_endpoints_under_the_public_url() {
        let hs = SigningKey::hs256(b"a secret of at least thirty-two bytes").unwrap();
        let without = state(hs.clone());
        assert_eq!(metadata(&without).unwrap_err().status, 404);
        let url = PublicUrl::parse("https://auth.example/").unwrap();
        let m = metadata(&state(hs).with_public_url(url)).unwrap();
        assert_eq!(m.issuer, "https://auth.example");
        assert_eq!(m.token_endpoint, "https://auth.example/auth/token");
        assert_eq!(m.jwks_uri, "https://auth.example/.well-known/jwks.json");
        assert_eq!(m.token_endpoint_auth_methods_supported, ["none"]);
    }

    #[test]
    fn jwks_publish_public_keys_and_never_a_shared_secret() {
        let hs = SigningKey::hs256(b"a secret of at least thirty-two bytes").unwrap();
        assert!(jwks(&state(hs)).keys.is_empty());
        let pem = include_bytes!("../../tests/keys/es256.pem");
        let es = SigningKey::es256_pem(pem).unwrap();
        let kid = es.kid().to_owned();
        let set = serde_json::to_value(jwks(&state(es))).unwrap();
        let key = &set["keys"][0];
        assert_eq!(
            (&key["kid"], &key["alg"], &key["use"]),
            (&kid.into(), &"ES256".into(), &"sig".into())
        );
        assert!(key.get("d").is_none(), "{key}");
    }
}
