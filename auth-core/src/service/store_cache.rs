//! Short-lived caches of what store-checked requests ([`Auth::current_user`]) read: the
//! user record, and whether the token's session is still open. A busy API then does not
//! read the same rows from the database on every request.
//!
//! Every write through [`Auth`] replaces or drops the cached entry at once, so a
//! deactivation, a role change, a logout or an ended session on this instance takes effect
//! on its next request. A change made elsewhere (another instance, or the store directly)
//! is seen within the time-to-live. Entries expire on the service's
//! [`Clock`](crate::Clock).
//!
//! [`Auth`]: super::Auth
//! [`Auth::current_user`]: super::Auth::current_user

use std::{collections::HashMap, hash::Hash, sync::Mutex, time::Duration};

use time::OffsetDateTime;

/// The most entries kept; past it, expired entries are dropped, then everything.
const MAX_ENTRIES: usize = 10_000;

/// Values read from the store at a time, kept for a time-to-live. A zero TTL caches nothing.
///
/// A read that raced with a write is not cached: a reader takes the
/// [`generation`](Self::generation) before it reads the store and hands it to
/// [`put`](Self::put), and every [`forget`](Self::forget) (called after the write) moves the
/// generation on, so a value read before the write cannot be cached after it.
#[derive(Debug)]
pub(crate) struct StoreCache<K, V> {
    ttl: Duration,
    inner: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    generation: u64,
    map: HashMap<K, (OffsetDateTime, V)>,
}

impl<K: Hash + Eq + Copy, V: Clone> StoreCache<K, V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, inner: Mutex::new(Entries { generation: 0, map: HashMap::new() }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The generation to hand to [`put`](Self::put), taken before reading the store.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// The cached value, if it is younger than the time-to-live at `now`.
    pub(crate) fn get(&self, key: K, now: OffsetDateTime) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.lock();
        let (at, value) = entries.map.get(&key)?;
        (now - *at < self.ttl && now >= *at).then(|| value.clone())
    }

    /// Caches `value` as read at `now`, unless something was forgotten since `generation`
    /// was taken (the value may predate that write).
    pub(crate) fn put(&self, key: K, value: V, now: OffsetDateTime, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.generation != generation {
            return;
        }
        if entries.map.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.map.retain(|_, (at, _)| now - *at < ttl);
            if entries.map.len() >= MAX_ENTRIES {
                entries.map.clear();
            }
        }
        entries.map.insert(key, (now, value));
    }

    /// Drops the entry of `key`, after a write to what it caches.
    pub(crate) fn forget(&self, key: K) {
        let mut entries = self.lock();
        entries.map.remove(&key);
        entries.generation = entries.generation.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_for_the_ttl_and_can_be_forgotten() {
        let now = OffsetDateTime::now_utc();
        let cache = StoreCache::new(Duration::from_secs(1));
        cache.put(1, "a", now, cache.generation());
        assert_eq!(cache.get(1, now + Duration::from_millis(999)), Some("a"));
        assert_eq!(cache.get(1, now + Duration::from_secs(1)), None);
        assert_eq!(cache.get(1, now - Duration::from_secs(1)), None, "a clock that went back");
        cache.forget(1);
        assert_eq!(cache.get(1, now), None);
    }

    #[test]
    fn a_zero_ttl_keeps_nothing_and_the_size_is_bounded() {
        let now = OffsetDateTime::now_utc();
        let off = StoreCache::new(Duration::ZERO);
        off.put(1, (), now, off.generation());
        assert_eq!(off.get(1, now), None);
        let cache = StoreCache::new(Duration::from_secs(1));
        for k in 0..MAX_ENTRIES + 5 {
            cache.put(k, (), now, cache.generation());
        }
        assert!(cache.lock().map.len() <= MAX_ENTRIES);
    }

    #[test]
    fn a_read_that_raced_with_a_write_is_not_cached() {
        let now = OffsetDateTime::now_utc();
        let cache = StoreCache::new(Duration::from_secs(1));
        let before_the_read = cache.generation();
        // The write lands (and forgets) while the reader is still reading the old value.
        cache.forget(1);
        cache.put(1, "stale", now, before_the_read);
        assert_eq!(cache.get(1, now), None);
        cache.put(1, "fresh", now, cache.generation());
        assert_eq!(cache.get(1, now), Some("fresh"));
    }
}
