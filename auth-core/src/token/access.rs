//! JWT access tokens: what they claim, how they are issued and how they are checked.

use std::{fmt, sync::Arc, time::Duration};

use jsonwebtoken::Header;
use serde::{Deserialize, Serialize};

use super::{
    Amr, KeySet,
    verifier::{Kidless, Verifier},
};
use crate::{AuthError, Clock, FamilyId, Result, Role, UserId};

/// The first whole second at or after `stamp`: access tokens issued before a revocation stamp
/// have an `iat` below it, tokens issued after it have an `iat` at or above it.
pub(crate) fn stamp_second(stamp: time::OffsetDateTime) -> i64 {
    stamp.unix_timestamp() + i64::from(stamp.nanosecond() > 0)
}

/// The `typ` header of access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The claims of an access token (RFC 9068 plus `username` and `role`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user's id, written as a decimal string.
    #[serde(with = "sub_as_string")]
    pub sub: UserId,
    /// The username when the token was issued.
    pub username: String,
    /// The role when the token was issued.
    pub role: Role,
    /// Issued at (seconds since the epoch). Never earlier than the user's revocation stamp.
    pub iat: i64,
    /// Not before (seconds since the epoch).
    pub nbf: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// A unique id for this token.
    pub jti: String,
    /// The issuer.
    pub iss: String,
    /// The audience.
    pub aud: String,
    /// The session (refresh-token family) the token was issued in. Store-checked requests
    /// refuse it once that session has ended, and refuse a token without one (made with
    /// [`AccessTokens::issue`] and no [`AccessGrant::sid`], or issued before sessions had
    /// ids): such a token passes only [`AccessTokens::verify`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<FamilyId>,
    /// How the user authenticated (RFC 8176: `["pwd"]`, `["pwd", "otp"]`…), as at the
    /// session's login. Empty in tokens issued before this claim existed, or made without a
    /// login ([`AccessGrant::new`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<Amr>,
    /// When the user authenticated (seconds since the epoch): the session's login, not the
    /// refresh that issued this token. `None` in tokens issued before this claim existed, or
    /// made without a login ([`AccessGrant::new`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

/// Who and what an access token is issued for: see [`AccessTokens::issue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant<'a> {
    /// The user.
    pub sub: UserId,
    /// Their username.
    pub username: &'a str,
    /// Their role.
    pub role: Role,
    /// The session the token belongs to (its `sid`).
    pub sid: Option<FamilyId>,
    /// The user's revocation stamp: the token's `iat` is never earlier than the first whole
    /// second at or after it, so a token issued in the same second as a revocation (but
    /// after it) still passes the store check.
    pub not_before_stamp: Option<time::OffsetDateTime>,
    /// How the user authenticated (`amr`); the claim is left out when empty.
    pub amr: Vec<Amr>,
    /// When the user authenticated (`auth_time`); the claim is left out when `None`.
    pub auth_time: Option<time::OffsetDateTime>,
}

impl<'a> AccessGrant<'a> {
    /// A grant for a user, with no session, no revocation stamp, and nothing said about how
    /// or when they authenticated (no `amr`, no `auth_time`: a token made by a tool claims
    /// no login). Its token fails every store-checked request
    /// ([`Auth::current_user`](crate::Auth::current_user)) until a `sid` is set.
    pub fn new(sub: UserId, username: &'a str, role: Role) -> Self {
        Self {
            sub,
            username,
            role,
            sid: None,
            not_before_stamp: None,
            amr: Vec::new(),
            auth_time: None,
        }
    }
}

mod sub_as_string {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::UserId;

    pub fn serialize<S: Serializer>(id: &UserId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<UserId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|_| D::Error::custom("sub is not a user id"))
    }
}

/// A signed access token (a compact JWS). `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// The compact JWS, to send to the client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

/// What [`AccessTokens`] needs: the keys, `iss` and `aud`, the lifetime, the leeway and the
/// size of the verified-token cache. Made from a validated configuration by
/// [`AuthConfig::access_token_config`](crate::AuthConfig::access_token_config).
#[derive(Debug, Clone)]
pub struct AccessTokenConfig {
    pub(crate) keys: KeySet,
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) ttl: Duration,
    pub(crate) leeway: Duration,
    pub(crate) verified_token_cache: usize,
}

/// Issues and verifies access tokens with a [`KeySet`].
///
/// Verification pins the algorithm to the key the header names (no `none`, no HS/RS
/// confusion), requires `exp`, `nbf`, `iat`, `iss`, `aud`, `sub` and `jti` with the right JSON
/// types, checks `iss`, `aud` and the `at+jwt` type, refuses `crit` extensions, never fetches
/// anything a header points at (`jku`, `x5u`), and applies the leeway to `exp` and `nbf`
/// against the configured [`Clock`]. It does no I/O. A token that verified is kept in the
/// verified-token cache (bounded, by the SHA-256 of its exact text) so that presenting it
/// again skips the signature and parsing work; the time checks run on every call.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{AccessGrant, AccessTokens, AuthConfig, KeySet, Role, SigningKey, SystemClock, UserId};
///
/// let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
/// let config = AuthConfig::builder(keys).build()?;
/// let tokens = AccessTokens::new(config.access_token_config(), Arc::new(SystemClock));
/// let (token, _) = tokens.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User))?;
/// assert_eq!(tokens.verify(token.expose())?.username, "alice");
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AccessTokens {
    keys: KeySet,
    issuer: String,
    audience: String,
    ttl: Duration,
    clock: Arc<dyn Clock>,
    /// Shared by clones (with its verified-token cache): they verify with the same keys.
    verifier: Arc<Verifier>,
}

impl AccessTokens {
    /// Issues and verifies as `config` says, reading time from `clock`.
    pub fn new(config: AccessTokenConfig, clock: Arc<dyn Clock>) -> Self {
        let AccessTokenConfig { keys, issuer, audience, ttl, leeway, verified_token_cache } =
            config;
        let verifier = Verifier::new(
            keys.verifying_keys().cloned().collect(),
            Kidless::FirstKey,
            &issuer,
            &audience,
            leeway,
            verified_token_cache,
        );
        Self { keys, issuer, audience, ttl, clock, verifier: Arc::new(verifier) }
    }

    /// The key set.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// How long issued tokens live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs a token for a grant (see [`AccessGrant`] for its revocation stamp).
    ///
    /// # Errors
    /// [`AuthError::Internal`] if signing fails (a broken key).
    pub fn issue(&self, grant: &AccessGrant<'_>) -> Result<(AccessToken, AccessClaims)> {
        let now = self.clock.now().unix_timestamp();
        let iat = grant.not_before_stamp.map_or(now, |s| now.max(stamp_second(s)));
        let claims = AccessClaims {
            sub: grant.sub,
            username: grant.username.to_owned(),
            role: grant.role.clone(),
            iat,
            nbf: now,
            exp: now + self.ttl.as_secs() as i64,
            jti: uuid::Uuid::new_v4().to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sid: grant.sid,
            amr: grant.amr.clone(),
            auth_time: grant.auth_time.map(time::OffsetDateTime::unix_timestamp),
        };
        let signing = self.keys.signing();
        let mut header = Header::new(signing.algorithm());
        header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
        header.kid = Some(signing.kid().to_owned());
        let token = jsonwebtoken::encode(&header, &claims, signing.encoding())
            .map_err(|e| AuthError::Internal(e.into()))?;
        Ok((AccessToken(token), claims))
    }

    /// Verifies a token and returns its claims. No I/O.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] with the reason.
    pub fn verify(&self, token: &str) -> Result<AccessClaims> {
        let now = self.clock.now().unix_timestamp();
        self.verifier.verify(token, now).map_err(AuthError::InvalidToken)
    }

    /// [`verify`](Self::verify), without copying the claims out of the verified-token
    /// cache: for the store-checked path, which only reads them.
    pub(crate) fn verify_shared(&self, token: &str) -> Result<std::sync::Arc<AccessClaims>> {
        let now = self.clock.now().unix_timestamp();
        self.verifier.verify_shared(token, now).map_err(AuthError::InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use jsonwebtoken::{Algorithm, EncodingKey};
    use serde_json::{Value, json};

    use super::*;
    use crate::{ManualClock, SigningKey, TokenRejection, VerifyingKey};

    const SECRET: &[u8] = b"unit-test secret, 32 bytes or more";
    const ED: &[u8] = include_bytes!("../../tests/keys/ed25519.pem");
    const ES: &[u8] = include_bytes!("../../tests/keys/es256.pem");
    const ES_OTHER: &[u8] = include_bytes!("../../tests/keys/es256-other.pem");
    const RS: &[u8] = include_bytes!("../../tests/keys/rs256.pem");
    const RS_PUB: &[u8] = include_bytes!("../../tests/keys/rs256.pub.pem");

    fn config(keys: KeySet, verified_token_cache: usize) -> AccessTokenConfig {
        AccessTokenConfig {
            keys,
            issuer: "issuer-a".into(),
            audience: "aud-a".into(),
            ttl: Duration::from_secs(900),
            leeway: Duration::from_secs(30),
            verified_token_cache,
        }
    }

    fn tokens_with(keys: KeySet, clock: &ManualClock) -> AccessTokens {
        AccessTokens::new(config(keys, 16), Arc::new(clock.clone()))
    }

    fn hs() -> (AccessTokens, ManualClock) {
        let clock = ManualClock::starting_now();
        (tokens_with(KeySet::new(SigningKey::hs256(SECRET).unwrap()), &clock), clock)
    }

    fn good_claims(now: i64) -> Value {
        json!({
            "sub": "1", "username": "alice", "role": "user", "iat": now, "nbf": now,
            "exp": now + 900, "jti": "j", "iss": "issuer-a", "aud": "aud-a"
        })
    }

    /// Signs arbitrary header/claims with the HS256 test secret.
    fn forge(header: Value, claims: &Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let c = URL_SAFE_NO_PAD.encode(claims.to_string());
        let msg = format!("{h}.{c}");
        let sig = jsonwebtoken::crypto::sign(
            msg.as_bytes(),
            &EncodingKey::from_secret(SECRET),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{msg}.{sig}")
    }

    fn hs_header() -> Value {
        let kid = SigningKey::hs256(SECRET).unwrap().kid().to_owned();
        json!({"alg": "HS256", "typ": "at+jwt", "kid": kid})
    }

    fn rejection(t: &AccessTokens, token: &str) -> TokenRejection {
        match t.verify(token) {
            Err(AuthError::InvalidToken(r)) => r,
            other => panic!("expected rejection, got {other:?}"),
        }
    }

    #[test]
    fn every_algorithm_signs_and_verifies() {
        // Guards against a jsonwebtoken crypto-backend mix-up, which only fails at run time.
        let clock = ManualClock::starting_now();
        for key in [
            SigningKey::hs256(SECRET).unwrap(),
            SigningKey::eddsa_pem(ED).unwrap(),
            SigningKey::es256_pem(ES).unwrap(),
            SigningKey::rs256_pem(RS).unwrap(),
        ] {
            let alg = key.algorithm();
            let t = tokens_with(KeySet::new(key), &clock);
            let (token, claims) =
                t.issue(&AccessGrant::new(UserId::new(42), "alice", Role::Admin)).unwrap();
            assert_eq!(t.verify(token.expose()).unwrap(), claims, "{alg:?}");
            let header = jsonwebtoken::decode_header(token.expose()).unwrap();
            assert_eq!(header.typ.as_deref(), Some("at+jwt"));
            assert_eq!(header.alg, alg);
        }
    }

    #[test]
    fn claims_are_as_the_api_says() {
        let (t, clock) = hs();
        let (token, _) = t.issue(&AccessGrant::new(UserId::new(7), "alice", Role::User)).unwrap();
        let payload = token.expose().split('.').nth(1).unwrap();
        let v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let now = clock.now().unix_timestamp();
        assert_eq!(v["sub"], "7");
        assert_eq!(v["username"], "alice");
        assert_eq!(v["role"], "user");
        assert_eq!(
            (v["iat"].as_i64(), v["nbf"].as_i64(), v["exp"].as_i64()),
            (Some(now), Some(now), Some(now + 900))
        );
        assert_eq!((v["iss"].as_str(), v["aud"].as_str()), (Some("issuer-a"), Some("aud-a")));
        assert!(uuid::Uuid::parse_str(v["jti"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn expiry_honours_the_leeway_to_the_second() {
        let (t, clock) = hs();
        let (token, claims) =
            t.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User)).unwrap();
        clock.set(time::OffsetDateTime::from_unix_timestamp(claims.exp + 30).unwrap());
        assert!(t.verify(token.expose()).is_ok());
        clock.advance(Duration::from_secs(1));
        assert_eq!(rejection(&t, token.expose()), TokenRejection::Expired);
    }

    #[test]
    fn a_cached_token_is_rechecked_on_the_clock_and_never_shown() {
        let (t, clock) = hs();
        let (token, claims) =
            t.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User)).unwrap();
        assert_eq!(t.verify(token.expose()).unwrap(), claims);
        assert_eq!(t.verifier.verified.len(), 1, "cached after it verified");
        // Every handle of one `Auth` shares the cache.
        let clone = t.clone();
        assert!(Arc::ptr_eq(&t.verifier, &clone.verifier));
        assert_eq!(clone.verify(token.expose()).unwrap(), claims);
        // A refused token is not cached; near misses of a cached one are refused.
        let mut edited = token.expose().to_owned();
        edited.pop();
        assert!(t.verify(&edited).is_err());
        let resigned = forge(hs_header(), &serde_json::to_value(&claims).unwrap());
        assert!(t.verify(&format!("{resigned}x")).is_err());
        assert_eq!(t.verifier.verified.len(), 1);
        // No token text in `Debug`.
        let shown = format!("{t:?}");
        assert!(!shown.contains(token.expose()) && shown.contains("entries: 1"), "{shown}");
        // Time still counts for a cached token, both ways.
        let at = |secs| time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
        clock.set(at(claims.nbf - 31));
        assert_eq!(rejection(&clone, token.expose()), TokenRejection::NotYetValid);
        clock.set(at(claims.exp + 31));
        assert_eq!(rejection(&clone, token.expose()), TokenRejection::Expired);
    }

    #[test]
    fn with_the_cache_off_every_call_verifies_in_full() {
        let clock = ManualClock::starting_now();
        let keys = KeySet::new(SigningKey::hs256(SECRET).unwrap());
        let t = AccessTokens::new(config(keys, 0), Arc::new(clock));
        let (token, claims) =
            t.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User)).unwrap();
        assert_eq!(t.verify(token.expose()).unwrap(), claims);
        assert_eq!(t.verifier.verified.len(), 0);
    }

    #[test]
    fn not_before_honours_the_leeway() {
        let (t, clock) = hs();
        let now = clock.now().unix_timestamp();
        let mut c = good_claims(now);
        c["nbf"] = json!(now + 30);
        assert!(t.verify(&forge(hs_header(), &c)).is_ok());
        c["nbf"] = json!(now + 31);
        assert_eq!(rejection(&t, &forge(hs_header(), &c)), TokenRejection::NotYetValid);
    }

    #[test]
    fn each_claim_check_fails_on_its_own() {
        let (t, clock) = hs();
        let now = clock.now().unix_timestamp();
        assert!(t.verify(&forge(hs_header(), &good_claims(now))).is_ok());
        let cases: Vec<(&str, Value, TokenRejection)> = vec![
            ("iss", json!("issuer-b"), TokenRejection::WrongIssuer),
            ("aud", json!("aud-b"), TokenRejection::WrongAudience),
            ("exp", json!("9999999999"), TokenRejection::BadClaims),
            ("exp", Value::Null, TokenRejection::BadClaims),
            ("exp", json!(now as f64 + 900.5), TokenRejection::BadClaims),
            ("exp", json!(-1), TokenRejection::BadClaims),
            ("sub", json!(1), TokenRejection::BadClaims),
            ("sub", json!("-1"), TokenRejection::BadClaims),
            ("role", json!("Root!"), TokenRejection::BadClaims),
        ];
        for (claim, value, want) in cases {
            let mut c = good_claims(now);
            c[claim] = value.clone();
            assert_eq!(rejection(&t, &forge(hs_header(), &c)), want, "{claim} = {value}");
        }
        for claim in ["exp", "nbf", "iss", "aud", "sub", "jti", "iat"] {
            let mut c = good_claims(now);
            c.as_object_mut().unwrap().remove(claim);
            assert_eq!(
                rejection(&t, &forge(hs_header(), &c)),
                TokenRejection::BadClaims,
                "missing {claim}"
            );
        }
    }

    #[test]
    fn header_checks() {
        let (t, clock) = hs();
        let c = good_claims(clock.now().unix_timestamp());
        let mut h = hs_header();
        h["typ"] = json!("JWT");
        assert_eq!(rejection(&t, &forge(h, &c)), TokenRejection::WrongType);
        let mut h = hs_header();
        h.as_object_mut().unwrap().remove("typ");
        assert_eq!(rejection(&t, &forge(h, &c)), TokenRejection::WrongType);
        let mut h = hs_header();
        h["crit"] = json!(["exp"]);
        assert_eq!(rejection(&t, &forge(h, &c)), TokenRejection::WrongType);
        let mut h = hs_header();
        h["kid"] = json!("../../etc/passwd");
        assert_eq!(rejection(&t, &forge(h, &c)), TokenRejection::UnknownKey);
        let mut h = hs_header();
        h["kid"] = json!("' OR 1=1 --");
        assert_eq!(rejection(&t, &forge(h, &c)), TokenRejection::UnknownKey);
        // jku/x5u are ignored (never fetched): the token verifies with our own key.
        let mut h = hs_header();
        h["jku"] = json!("http://127.0.0.1:1/jwks.json");
        h["x5u"] = json!("http://127.0.0.1:1/cert.pem");
        assert!(t.verify(&forge(h, &c)).is_ok());
        // No kid: the current key is used.
        let mut h = hs_header();
        h.as_object_mut().unwrap().remove("kid");
        assert!(t.verify(&forge(h, &c)).is_ok());
    }

    #[test]
    fn alg_none_and_algorithm_confusion_are_refused() {
        let (t, clock) = hs();
        let c = good_claims(clock.now().unix_timestamp());
        let h = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt"}).to_string());
        let p = URL_SAFE_NO_PAD.encode(c.to_string());
        assert_eq!(rejection(&t, &format!("{h}.{p}.")), TokenRejection::WrongAlgorithm);
        let mut h = hs_header();
        h["alg"] = json!("HS512");
        assert_eq!(rejection(&t, &forge(h, &c)), TokenRejection::WrongAlgorithm);

        // HS/RS confusion: an RS256 service; an attacker signs HS256 with the public key.
        let rs = tokens_with(KeySet::new(SigningKey::rs256_pem(RS).unwrap()), &clock);
        let kid = rs.keys().signing().kid().to_owned();
        let h = URL_SAFE_NO_PAD
            .encode(json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}).to_string());
        let msg = format!("{h}.{p}");
        let sig = jsonwebtoken::crypto::sign(
            msg.as_bytes(),
            &EncodingKey::from_secret(RS_PUB),
            Algorithm::HS256,
        )
        .unwrap();
        assert_eq!(rejection(&rs, &format!("{msg}.{sig}")), TokenRejection::WrongAlgorithm);
    }

    #[test]
    fn tampering_and_foreign_keys_are_refused() {
        let (t, clock) = hs();
        let (token, _) = t.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User)).unwrap();
        let mut parts: Vec<String> = token.expose().split('.').map(str::to_owned).collect();
        let mut c = good_claims(clock.now().unix_timestamp());
        c["role"] = json!("admin");
        parts[1] = URL_SAFE_NO_PAD.encode(c.to_string());
        assert_eq!(rejection(&t, &parts.join(".")), TokenRejection::BadSignature);

        // Another environment's key under our kid.
        let other = tokens_with(
            KeySet::new(
                SigningKey::hs256(b"another environment's 32-byte key")
                    .unwrap()
                    .with_kid(t.keys().signing().kid())
                    .unwrap(),
            ),
            &clock,
        );
        let (foreign, _) =
            other.issue(&AccessGrant::new(UserId::new(1), "alice", Role::Admin)).unwrap();
        assert_eq!(rejection(&t, foreign.expose()), TokenRejection::BadSignature);

        // ES256 with an all-zero signature.
        let es = tokens_with(KeySet::new(SigningKey::es256_pem(ES).unwrap()), &clock);
        let (good, _) = es.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User)).unwrap();
        let (msg, _) = good.expose().rsplit_once('.').unwrap();
        let zero = URL_SAFE_NO_PAD.encode([0u8; 64]);
        assert_eq!(rejection(&es, &format!("{msg}.{zero}")), TokenRejection::BadSignature);
        // ES256 from another P-256 key.
        let es_other = tokens_with(
            KeySet::new(
                SigningKey::es256_pem(ES_OTHER)
                    .unwrap()
                    .with_kid(es.keys().signing().kid())
                    .unwrap(),
            ),
            &clock,
        );
        let (forged, _) =
            es_other.issue(&AccessGrant::new(UserId::new(1), "alice", Role::Admin)).unwrap();
        assert_eq!(rejection(&es, forged.expose()), TokenRejection::BadSignature);
    }

    #[test]
    fn malformed_inputs() {
        let (t, _) = hs();
        for bad in ["", "abc", "a.b", "a.b.c", "....", &"a".repeat(9000), "Zm9v.YmFy.YmF6"] {
            assert!(matches!(t.verify(bad), Err(AuthError::InvalidToken(_))), "{bad:.20}");
        }
        // A refresh token is never an access token.
        let refresh = super::super::RefreshToken::generate();
        assert_eq!(rejection(&t, refresh.expose()), TokenRejection::Malformed);
    }

    #[test]
    fn rotation_old_keys_verify_but_never_sign() {
        let clock = ManualClock::starting_now();
        let old = tokens_with(
            KeySet::new(SigningKey::hs256(b"old secret old secret old secret!").unwrap()),
            &clock,
        );
        let (old_token, _) =
            old.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User)).unwrap();
        let rotated = tokens_with(
            KeySet::new(SigningKey::eddsa_pem(ED).unwrap())
                .with_previous(VerifyingKey::hs256(b"old secret old secret old secret!").unwrap())
                .unwrap(),
            &clock,
        );
        assert!(rotated.verify(old_token.expose()).is_ok());
        let (new_token, _) =
            rotated.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User)).unwrap();
        assert_eq!(jsonwebtoken::decode_header(new_token.expose()).unwrap().alg, Algorithm::EdDSA);
        // The old-key-only service cannot verify the new token.
        assert!(old.verify(new_token.expose()).is_err());
    }

    #[test]
    fn iat_is_never_before_the_revocation_stamp() {
        let (t, clock) = hs();
        let stamp = clock.now() + time::Duration::milliseconds(1500);
        let (_, claims) = t
            .issue(&AccessGrant {
                not_before_stamp: Some(stamp),
                ..AccessGrant::new(UserId::new(1), "alice", Role::User)
            })
            .unwrap();
        assert_eq!(claims.iat, stamp_second(stamp));
        assert!(claims.iat > stamp.unix_timestamp() || stamp.nanosecond() == 0);
        assert_eq!(claims.nbf, clock.now().unix_timestamp());
    }
}
