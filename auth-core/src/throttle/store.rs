//! [`ThrottleStore`]: where throttling state lives — in process ([`MemoryThrottle`](super::MemoryThrottle))
//! or in the database every instance shares (the SQL stores of `auth-sqlx`).

use std::fmt::{self, Write as _};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::gcra::{Admission, Rate};
use crate::store::StoreResult;

/// The key of a bucket or a failure tally: a kind and the SHA-256 of what it counts (an IP,
/// an account and an IP), so stores keep neither usernames nor addresses and every key has
/// the same short length (at most 80 bytes).
///
/// ```
/// use auth_core::throttle::ThrottleKey;
/// let a = ThrottleKey::new("login-ip", &["203.0.113.9"]);
/// assert!(a.as_str().starts_with("login-ip:"));
/// assert!(!a.as_str().contains("203.0.113.9"));
/// assert_ne!(a, ThrottleKey::new("register-ip", &["203.0.113.9"]));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey(String);

impl ThrottleKey {
    /// The key of `kind` (a short ASCII label) for `parts`.
    pub fn new(kind: &'static str, parts: &[&str]) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        let mut key = String::with_capacity(kind.len() + 1 + 2 * digest.len());
        key.push_str(kind);
        key.push(':');
        for byte in digest {
            let _ = write!(key, "{byte:02x}"); // writing to a String cannot fail
        }
        Self(key)
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The consecutive failed logins recorded under one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// How many in a row.
    pub count: u32,
    /// When the last one happened.
    pub last: OffsetDateTime,
}

/// Where throttling state lives. Every method is one atomic step, so concurrent requests on
/// any number of instances sharing the store see one count.
///
/// The conformance checks every implementation must pass are
/// [`testing::throttle_contract_tests!`](crate::throttle_contract_tests) (feature `testing`).
#[async_trait]
pub trait ThrottleStore: Send + Sync + 'static {
    /// Takes one cell from the bucket `key`, refilled at `rate`, by the rule of
    /// [`admit`](super::admit), at `now`.
    async fn take(
        &self,
        key: &ThrottleKey,
        rate: Rate,
        now: OffsetDateTime,
    ) -> StoreResult<Admission>;

    /// The failures recorded under `key`, if any.
    async fn failures(&self, key: &ThrottleKey) -> StoreResult<Option<Failures>>;

    /// Records one more failure under `key` at `now` and returns the tally.
    async fn add_failure(&self, key: &ThrottleKey, now: OffsetDateTime) -> StoreResult<Failures>;

    /// Forgets the failures under `key` (after a successful login).
    async fn clear_failures(&self, key: &ThrottleKey) -> StoreResult<()>;

    /// Takes one failure back from `key` (never below zero): an attempt counted before the
    /// password was checked that reached no verdict (hashing overloaded, a store failure).
    /// The default does nothing, which leaves the attempt counted (fails closed).
    async fn withdraw_failure(&self, key: &ThrottleKey) -> StoreResult<()> {
        let _ = key;
        Ok(())
    }

    /// Deletes buckets that are full again at `now` and failures last seen before
    /// `failures_before`. Returns how many entries were deleted.
    async fn purge_throttle(
        &self,
        now: OffsetDateTime,
        failures_before: OffsetDateTime,
    ) -> StoreResult<u64>;
}
