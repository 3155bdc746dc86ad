//! The rules an access token must pass, for a fixed list of keys: the issuer's own key set
//! ([`AccessTokens`](super::AccessTokens)) and the keys a resource server fetched from the
//! issuer's JWKS ([`RemoteKeySet`](crate::RemoteKeySet)) verify with the same code.

use std::{sync::Arc, time::Duration};

use jsonwebtoken::{Header, Validation, errors::ErrorKind};

use super::{AccessClaims, Algorithm, VerifyingKey, access::ACCESS_TOKEN_TYPE, verified_cache};
use crate::TokenRejection;

/// The longest access token accepted before any parsing.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Which key checks a token whose header names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kidless {
    /// The first key of the list (the issuer's current signing key).
    FirstKey,
    /// The only key, when there is exactly one; otherwise the token is refused.
    #[cfg_attr(not(feature = "remote-keys"), allow(dead_code))]
    OnlyKey,
}

/// Verifies tokens against a list of keys, `iss`, `aud` and a leeway; caches what verified.
#[derive(Debug)]
pub(crate) struct Verifier {
    keys: Vec<VerifyingKey>,
    kidless: Kidless,
    leeway: i64,
    validations: Vec<(Algorithm, Validation)>,
    pub(crate) verified: Arc<verified_cache::VerifiedTokenCache>,
}

impl Verifier {
    /// A verifier for `keys` (`kid`s unique), with a verified-token cache of `cache` tokens.
    pub(crate) fn new(
        keys: Vec<VerifyingKey>,
        kidless: Kidless,
        issuer: &str,
        audience: &str,
        leeway: Duration,
        cache: usize,
    ) -> Self {
        let mut validations: Vec<(Algorithm, Validation)> = Vec::new();
        for key in &keys {
            if !validations.iter().any(|(alg, _)| *alg == key.algorithm()) {
                validations
                    .push((key.algorithm(), validation_for(key.algorithm(), issuer, audience)));
            }
        }
        Self {
            keys,
            kidless,
            leeway: leeway.as_secs() as i64,
            validations,
            verified: Arc::new(verified_cache::VerifiedTokenCache::new(cache)),
        }
    }

    /// Whether a key with this id is in the list.
    #[cfg_attr(not(feature = "remote-keys"), allow(dead_code))]
    pub(crate) fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == kid)
    }

    /// The key ids, in order.
    #[cfg_attr(not(feature = "remote-keys"), allow(dead_code))]
    pub(crate) fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(VerifyingKey::kid)
    }

    /// Verifies `token` at `now` (seconds since the epoch).
    pub(crate) fn verify(&self, token: &str, now: i64) -> Result<AccessClaims, TokenRejection> {
        self.verify_shared(token, now).map(Arc::unwrap_or_clone)
    }

    /// [`verify`](Self::verify), sharing the claims with the verified-token cache instead
    /// of copying them out of it.
    pub(crate) fn verify_shared(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Arc<AccessClaims>, TokenRejection> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenRejection::Malformed);
        }
        let key = self.verified.key(token);
        if let Some(claims) = key.as_ref().and_then(|k| self.verified.get(k)) {
            check_time(&claims, now, self.leeway)?;
            return Ok(claims);
        }
        let claims = Arc::new(self.decode(token)?);
        check_time(&claims, now, self.leeway)?;
        if let Some(key) = key {
            self.verified.put(key, claims.clone(), now.saturating_sub(self.leeway));
        }
        Ok(claims)
    }

    /// The key a header's `kid` points at.
    fn find(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        match (kid, self.kidless) {
            (Some(kid), _) => self.keys.iter().find(|k| k.kid() == kid),
            (None, Kidless::FirstKey) => self.keys.first(),
            (None, Kidless::OnlyKey) => self.only_key(),
        }
    }

    fn only_key(&self) -> Option<&VerifyingKey> {
        match self.keys.as_slice() {
            [key] => Some(key),
            _ => None,
        }
    }

    /// Everything but the time checks: the shape, the key, the signature and the claims.
    fn decode(&self, token: &str) -> Result<AccessClaims, TokenRejection> {
        use TokenRejection as R;
        if token.bytes().filter(|b| *b == b'.').count() != 2 {
            return Err(R::Malformed);
        }
        // With one key, the header is read once, by `decode`, and checked after it; with
        // several, it is read first to pick the key its `kid` names.
        let key = match self.only_key() {
            Some(key) => key,
            None => {
                let header =
                    jsonwebtoken::decode_header(token).map_err(|_| header_failure(token))?;
                check_header(&header)?;
                self.find(header.kid.as_deref()).ok_or(R::UnknownKey)?
            }
        };
        let data =
            jsonwebtoken::decode::<AccessClaims>(token, key.decoding(), self.validation(key))
                .map_err(|e| match e.kind() {
                    // A token naming another key than the only one: say so, whatever failed
                    // (a resource server fetches the issuer's keys again for it).
                    _ if header_kid(token).is_some_and(|kid| kid != key.kid()) => R::UnknownKey,
                    ErrorKind::InvalidSignature => R::BadSignature,
                    ErrorKind::InvalidAlgorithm
                    | ErrorKind::MissingAlgorithm
                    | ErrorKind::InvalidAlgorithmName => R::WrongAlgorithm,
                    ErrorKind::InvalidIssuer => R::WrongIssuer,
                    ErrorKind::InvalidAudience => R::WrongAudience,
                    // The header or the claims do not parse: which one?
                    ErrorKind::Json(_) | ErrorKind::Base64(_) | ErrorKind::Utf8(_)
                        if jsonwebtoken::decode_header(token).is_err() =>
                    {
                        header_failure(token)
                    }
                    ErrorKind::MissingRequiredClaim(_)
                    | ErrorKind::InvalidClaimFormat(_)
                    | ErrorKind::Json(_)
                    | ErrorKind::InvalidSubject => R::BadClaims,
                    _ => R::Malformed,
                })?;
        check_header(&data.header)?;
        if data.header.kid.as_deref().is_some_and(|kid| kid != key.kid()) {
            return Err(R::UnknownKey);
        }
        Ok(data.claims)
    }

    /// The validation rules for tokens of `key`'s algorithm, built once.
    fn validation(&self, key: &VerifyingKey) -> &Validation {
        self.validations
            .iter()
            .find(|(alg, _)| *alg == key.algorithm())
            .map(|(_, v)| v)
            .expect("a validation per algorithm of the key list")
    }
}

/// The `kid` a token's header names, if the header parses.
pub(crate) fn header_kid(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid)
}

/// What can be told of a token without any key: the size and shape, a header that parses
/// with the access-token type, and an algorithm a published key can have (EdDSA, ES256,
/// RS256: never HMAC).
#[cfg_attr(not(feature = "remote-keys"), allow(dead_code))]
pub(crate) fn check_published_shape(token: &str) -> Result<(), TokenRejection> {
    if token.len() > MAX_TOKEN_LEN || token.bytes().filter(|b| *b == b'.').count() != 2 {
        return Err(TokenRejection::Malformed);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| header_failure(token))?;
    check_header(&header)?;
    match header.alg {
        Algorithm::EdDSA | Algorithm::ES256 | Algorithm::RS256 => Ok(()),
        _ => Err(TokenRejection::WrongAlgorithm),
    }
}

/// The rules `jsonwebtoken` checks for us: the algorithm pinned to the key's, the required
/// claims, `iss` and `aud`. Time is checked by [`Verifier::verify`] on the caller's clock
/// (the crate would read the system clock).
fn validation_for(algorithm: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation
}

/// `exp` and `nbf` at `now`, with the leeway.
fn check_time(claims: &AccessClaims, now: i64, leeway: i64) -> Result<(), TokenRejection> {
    if now > claims.exp.saturating_add(leeway) {
        return Err(TokenRejection::Expired);
    }
    if claims.nbf > now.saturating_add(leeway) {
        return Err(TokenRejection::NotYetValid);
    }
    Ok(())
}

/// The header rules: `typ` must say access token (RFC 9068), and no `crit` extension we
/// would have to understand.
fn check_header(header: &Header) -> Result<(), TokenRejection> {
    let typ_ok = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok || header.crit.is_some() {
        return Err(TokenRejection::WrongType);
    }
    Ok(())
}

/// Why a header did not parse: an algorithm we do not know (`none`, `HS1024`, …) or
/// anything else.
fn header_failure(token: &str) -> TokenRejection {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let alg = token
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
        .and_then(|h| h.get("alg").cloned());
    match alg {
        Some(serde_json::Value::String(_)) => TokenRejection::WrongAlgorithm,
        _ => TokenRejection::Malformed,
    }
}
