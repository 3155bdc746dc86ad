//! A short-lived cache of user records for store-checked requests (`current_user`), so a
//! busy API does not read the same user from the database on every request.
//!
//! Every write through [`Auth`](super::Auth) replaces or drops the cached record at once, so
//! a deactivation, a role change or a logout-all on this instance takes effect on its next
//! request. A change made elsewhere (another instance, or the store directly) is seen within
//! the time-to-live. Entries expire on the service's [`Clock`](crate::Clock).

use std::{collections::HashMap, sync::Mutex, time::Duration};

use time::OffsetDateTime;

use crate::{UserId, UserRecord};

/// The most entries kept; past it, expired entries are dropped, then everything.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub(crate) struct UserCache {
    ttl: Duration,
    entries: Mutex<HashMap<UserId, (OffsetDateTime, UserRecord)>>,
}

impl UserCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, (OffsetDateTime, UserRecord)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached record, if it is younger than the time-to-live at `now`.
    pub(crate) fn get(&self, id: UserId, now: OffsetDateTime) -> Option<UserRecord> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.lock();
        let (at, user) = entries.get(&id)?;
        (now - *at < self.ttl && now >= *at).then(|| user.clone())
    }

    /// Caches `user` as read at `now`.
    pub(crate) fn put(&self, user: &UserRecord, now: OffsetDateTime) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| now - *at < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(user.id, (now, user.clone()));
    }

    /// Drops the record of `id`.
    pub(crate) fn forget(&self, id: UserId) {
        self.lock().remove(&id);
    }
}
