//! A memo of the access tokens that verified, so that a token presented again (a client
//! sends the same token with every request until it expires) costs a hash-map lookup
//! instead of the base64, JSON and signature work.
//!
//! Only a token that passed every check is remembered, under its exact text: any other
//! string, however close, misses and is verified in full. What depends on time (`exp`,
//! `nbf`) is checked again on every hit against the service's clock, and what depends on
//! the store (revocation, role, deactivation) is checked by the caller as before, so a hit
//! accepts exactly what a full verification would. The memo lives as long as the key set it
//! was filled under. It is bounded in entries and in token length, and its `Debug` shows the
//! number of entries only: a token is a bearer credential.

use std::{collections::HashMap, fmt, sync::Mutex};

use super::AccessClaims;

/// The most tokens remembered; past it, expired ones are dropped, then all of them.
const MAX_ENTRIES: usize = 4096;
/// Longer tokens are verified every time (the service's own are about 350 bytes), which
/// bounds the memo to a few MiB.
const MAX_TOKEN_LEN: usize = 1024;

/// Tokens that verified, with their claims.
#[derive(Default)]
pub(crate) struct VerifiedTokens {
    entries: Mutex<HashMap<Box<str>, AccessClaims>>,
}

impl VerifiedTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, AccessClaims>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The claims of `token` if it verified before.
    pub(crate) fn get(&self, token: &str) -> Option<AccessClaims> {
        self.lock().get(token).cloned()
    }

    /// Remembers that `token` verified with these claims. `still_valid_at` is the earliest
    /// `exp` that can still pass (now minus the leeway): when the memo is full, tokens
    /// expired before it go first.
    pub(crate) fn put(&self, token: &str, claims: &AccessClaims, still_valid_at: i64) {
        if token.len() > MAX_TOKEN_LEN {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, c| c.exp >= still_valid_at);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(token.into(), claims.clone());
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

impl fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedTokens").field("entries", &self.lock().len()).finish()
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
        }
    }

    #[test]
    fn remembers_exact_tokens_only() {
        let memo = VerifiedTokens::default();
        memo.put("a.b.c", &claims(100), 0);
        assert_eq!(memo.get("a.b.c"), Some(claims(100)));
        assert_eq!(memo.get("a.b.C"), None);
        assert_eq!(memo.get("a.b.c "), None);
        assert_eq!(memo.get("a.b"), None);
    }

    #[test]
    fn is_bounded_and_drops_expired_tokens_first() {
        let memo = VerifiedTokens::default();
        for i in 0..MAX_ENTRIES {
            // Half of them expired by time 50.
            memo.put(&format!("t{i}"), &claims(if i % 2 == 0 { 10 } else { 100 }), 50);
        }
        assert_eq!(memo.len(), MAX_ENTRIES);
        memo.put("new", &claims(100), 50);
        assert_eq!(memo.len(), MAX_ENTRIES / 2 + 1);
        assert!(memo.get("t1").is_some() && memo.get("t0").is_none());
        // Full of live tokens: it starts over rather than grow.
        for i in 0..MAX_ENTRIES {
            memo.put(&format!("u{i}"), &claims(100), 50);
        }
        assert!(memo.len() <= MAX_ENTRIES);
    }

    #[test]
    fn long_tokens_are_not_remembered_and_debug_shows_no_token() {
        let memo = VerifiedTokens::default();
        memo.put(&"x".repeat(MAX_TOKEN_LEN + 1), &claims(100), 0);
        assert_eq!(memo.len(), 0);
        memo.put("secret.token.value", &claims(100), 0);
        let shown = format!("{memo:?}");
        assert_eq!(shown, "VerifiedTokens { entries: 1 }");
    }
}
