//! The verified-token cache: access tokens that verified, so that a token presented again (a
//! client sends the same token with every request until it expires) costs a SHA-256 and a
//! hash-map lookup instead of the base64, JSON and signature work.
//!
//! Only a token that passed every check is cached, under the SHA-256 of its exact text:
//! any other string, however close, misses and is verified in full, and the cache holds no
//! usable credential (a memory dump shows digests, not bearer tokens). What depends on time
//! (`exp`, `nbf`) is checked again on every hit against the service's clock, and what
//! depends on the store (revocation, role, deactivation) is checked by the caller as before,
//! so a hit accepts exactly what a full verification would. The cache lives as long as the
//! key set it was filled under, is bounded by
//! [`AuthConfigBuilder::verified_token_cache`](crate::AuthConfigBuilder::verified_token_cache)
//! (0 turns it off), and its `Debug` shows the number of entries only.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, RwLock},
};

use sha2::{Digest, Sha256};

use super::AccessClaims;

/// The SHA-256 of a token's text: what the cache is keyed by.
pub(crate) struct CacheKey([u8; 32]);

/// Tokens that verified, with their claims.
pub(crate) struct VerifiedTokenCache {
    capacity: usize,
    entries: RwLock<HashMap<[u8; 32], Arc<AccessClaims>>>,
}

impl VerifiedTokenCache {
    /// A cache of at most `capacity` tokens; none when it is 0.
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity, entries: RwLock::default() }
    }

    /// The key of `token`, or `None` when the cache is off (nothing to hash then).
    pub(crate) fn key(&self, token: &str) -> Option<CacheKey> {
        (self.capacity > 0).then(|| CacheKey(Sha256::digest(token.as_bytes()).into()))
    }

    /// The claims of the token with this key, if it verified before.
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Arc<AccessClaims>> {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).get(&key.0).cloned()
    }

    /// Keeps that the token with this key verified with these claims.
    /// `still_valid_at` is the earliest `exp` that can still pass (now minus the leeway):
    /// when the cache is full, tokens expired before it go first, then an arbitrary eighth.
    pub(crate) fn put(&self, key: CacheKey, claims: Arc<AccessClaims>, still_valid_at: i64) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, c| c.exp >= still_valid_at);
        }
        if entries.len() >= self.capacity {
            let evict: Vec<[u8; 32]> =
                entries.keys().take((self.capacity / 8).max(1)).copied().collect();
            for key in &evict {
                entries.remove(key);
            }
        }
        entries.insert(key.0, claims);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl fmt::Debug for VerifiedTokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner()).len();
        f.debug_struct("VerifiedTokenCache")
            .field("capacity", &self.capacity)
            .field("entries", &entries)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, UserId};

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            sub: UserId::new(1),
            username: "alice".into(),
            role: Role::User,
            iat: 0,
            nbf: 0,
            exp,
            jti: "j".into(),
            iss: "i".into(),
            aud: "a".into(),
            sid: None,
            amr: vec![crate::Amr::Pwd],
            auth_time: Some(0),
        }
    }

    fn put(cache: &VerifiedTokenCache, token: &str, exp: i64, now: i64) {
        cache.put(cache.key(token).unwrap(), Arc::new(claims(exp)), now);
    }

    fn get(cache: &VerifiedTokenCache, token: &str) -> Option<AccessClaims> {
        cache.get(&cache.key(token).unwrap()).map(Arc::unwrap_or_clone)
    }

    #[test]
    fn caches_exact_tokens_only() {
        let cache = VerifiedTokenCache::new(16);
        put(&cache, "a.b.c", 100, 0);
        assert_eq!(get(&cache, "a.b.c"), Some(claims(100)));
        for other in ["a.b.C", "a.b.c ", "a.b", "", "A.b.c"] {
            assert_eq!(get(&cache, other), None, "{other:?}");
        }
    }

    #[test]
    fn is_bounded_and_drops_expired_tokens_first() {
        let cache = VerifiedTokenCache::new(64);
        for i in 0..64 {
            // Every other one expired by time 50.
            put(&cache, &format!("t{i}"), if i % 2 == 0 { 10 } else { 100 }, 50);
        }
        assert_eq!(cache.len(), 64);
        put(&cache, "new", 100, 50);
        assert_eq!(cache.len(), 33, "the 32 expired ones went, the new one came");
        assert!(get(&cache, "t1").is_some() && get(&cache, "t0").is_none());
        // Full of live tokens: an eighth goes, not everything.
        for i in 0..31 {
            put(&cache, &format!("u{i}"), 100, 50);
        }
        assert_eq!(cache.len(), 64);
        put(&cache, "last", 100, 50);
        assert_eq!(cache.len(), 64 - 8 + 1);
        assert!(get(&cache, "last").is_some());
    }

    #[test]
    fn zero_capacity_is_off() {
        let cache = VerifiedTokenCache::new(0);
        assert!(cache.key("a.b.c").is_none());
    }

    #[test]
    fn debug_shows_no_token() {
        let cache = VerifiedTokenCache::new(16);
        put(&cache, "secret.token.value", 100, 0);
        assert_eq!(format!("{cache:?}"), "VerifiedTokenCache { capacity: 16, entries: 1 }");
    }
}
