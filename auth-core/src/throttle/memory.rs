//! [`MemoryThrottle`]: throttling state in process memory, the default.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{
    Admission, Failures, Rate, RateLimits, ThrottleKey, ThrottleStore,
    gcra::{self, micros},
};
use crate::store::StoreResult;

/// Throttling state in process memory: one process, one limit. Behind a load balancer,
/// use a shared store (the SQL stores of `auth-sqlx` implement [`ThrottleStore`]).
///
/// Bounded: past [`MemoryThrottle::MAX_ENTRIES`] keys, full buckets and forgotten failures
/// are dropped first; if every entry is still live, the oldest half is dropped (and a
/// warning logged), so a flood of distinct keys costs memory up to the bound and no more.
///
/// ```
/// use auth_core::throttle::{Admission, MemoryThrottle, Rate, ThrottleKey, ThrottleStore};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let throttle = MemoryThrottle::new();
/// let key = ThrottleKey::new("login-ip", &["198.51.100.7"]);
/// let rate = Rate::per_minute(1).unwrap();
/// let now = time::OffsetDateTime::now_utc();
/// assert_eq!(throttle.take(&key, rate, now).await.unwrap(), Admission::Admitted);
/// assert!(matches!(throttle.take(&key, rate, now).await.unwrap(), Admission::Refused { .. }));
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryThrottle {
    buckets: Mutex<HashMap<ThrottleKey, i64>>,
    failures: Mutex<HashMap<ThrottleKey, Failures>>,
}

impl MemoryThrottle {
    /// The most keys kept in each map.
    pub const MAX_ENTRIES: usize = 100_000;

    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes room in a full map: drops entries `stale` says are stale, then, if still full,
/// the half with the smallest `age` key.
fn make_room<V, K: Ord>(
    map: &mut HashMap<ThrottleKey, V>,
    stale: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> K,
) {
    if map.len() < MemoryThrottle::MAX_ENTRIES {
        return;
    }
    map.retain(|_, v| !stale(v));
    if map.len() >= MemoryThrottle::MAX_ENTRIES {
        tracing::warn!(target: "auth::throttle", entries = map.len(), "throttle table full of live entries: dropping the oldest half");
        let mut ages: Vec<K> = map.values().map(&age).collect();
        let mid = ages.len() / 2;
        ages.select_nth_unstable(mid);
        let cut = ages.swap_remove(mid);
        map.retain(|_, v| age(v) > cut);
    }
}

#[async_trait]
impl ThrottleStore for MemoryThrottle {
    async fn take(
        &self,
        key: &ThrottleKey,
        rate: Rate,
        now: OffsetDateTime,
    ) -> StoreResult<Admission> {
        let now = micros(now);
        let mut buckets = lock(&self.buckets);
        let (admission, tat) = gcra::admit(buckets.get(key).copied(), now, rate);
        if admission == Admission::Admitted {
            if !buckets.contains_key(key) {
                make_room(&mut buckets, |tat| *tat <= now, |tat| *tat);
            }
            buckets.insert(key.clone(), tat);
        }
        Ok(admission)
    }

    async fn failures(&self, key: &ThrottleKey) -> StoreResult<Option<Failures>> {
        Ok(lock(&self.failures).get(key).copied())
    }

    async fn add_failure(&self, key: &ThrottleKey, now: OffsetDateTime) -> StoreResult<Failures> {
        let mut failures = lock(&self.failures);
        if !failures.contains_key(key) {
            let forgotten = now - RateLimits::FAILURE_MEMORY;
            make_room(&mut failures, |f| f.last < forgotten, |f| f.last);
        }
        let entry = failures.entry(key.clone()).or_insert(Failures { count: 0, last: now });
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        Ok(*entry)
    }

    async fn withdraw_failure(&self, key: &ThrottleKey) -> StoreResult<()> {
        if let Some(f) = lock(&self.failures).get_mut(key) {
            f.count = f.count.saturating_sub(1);
        }
        Ok(())
    }

    async fn clear_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        lock(&self.failures).remove(key);
        Ok(())
    }

    async fn purge_throttle(
        &self,
        now: OffsetDateTime,
        failures_before: OffsetDateTime,
    ) -> StoreResult<u64> {
        let now = micros(now);
        let mut deleted = 0;
        {
            let mut buckets = lock(&self.buckets);
            let before = buckets.len();
            buckets.retain(|_, tat| *tat > now);
            deleted += before - buckets.len();
        }
        let mut failures = lock(&self.failures);
        let before = failures.len();
        failures.retain(|_, f| f.last >= failures_before);
        deleted += before - failures.len();
        Ok(deleted as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::throttle_contract_tests!(|| async { std::sync::Arc::new(MemoryThrottle::new()) });

    #[tokio::test]
    async fn a_flood_of_distinct_keys_stays_bounded() {
        let t = MemoryThrottle::new();
        let rate = Rate::per_minute(5).unwrap();
        let now = OffsetDateTime::now_utc();
        for i in 0..(MemoryThrottle::MAX_ENTRIES + 10) {
            let key = ThrottleKey::new("t", &[&i.to_string()]);
            t.take(&key, rate, now).await.unwrap();
            t.add_failure(&key, now).await.unwrap();
        }
        assert!(lock(&t.buckets).len() <= MemoryThrottle::MAX_ENTRIES);
        assert!(lock(&t.failures).len() <= MemoryThrottle::MAX_ENTRIES);
    }
}
