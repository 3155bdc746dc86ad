use std::{
    collections::{BTreeMap, HashMap},
    sync::{Mutex, MutexGuard},
};

use async_trait::async_trait;
use time::OffsetDateTime;

mod link_tokens;
mod second_factors;

use super::{
    ConditionalUpdate, RefreshTokenStore, StoreResult, UserChange, UserDeletion, UserStore,
};
use crate::{
    Address, ClientHistory, Email, FamilyId, KnownClient, LinkTokenRecord, NewRefreshToken,
    NewUser, Page, RefreshTokenRecord, Replacement, Role, RotateOutcome, SessionRecord, StoreError,
    TokenDigest, UserId, UserRecord, UserSnapshot, UserUpdate, Username,
};

/// A complete, thread-safe in-memory store: for tests, demos and single-process tools.
/// Everything is lost when it is dropped.
///
/// Every operation takes one lock for its whole duration, which makes creation and
/// rotation atomic.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{AuthStore, MemoryStore};
/// let store: Arc<dyn AuthStore> = Arc::new(MemoryStore::new());
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: i64,
    users: BTreeMap<UserId, UserRecord>,
    by_key: HashMap<String, UserId>,
    tokens: HashMap<TokenDigest, RefreshTokenRecord>,
    /// Link tokens, with when each was spent.
    links: HashMap<TokenDigest, (LinkTokenRecord, Option<OffsetDateTime>)>,
    /// Second factors (`second_factors.rs`).
    factors: second_factors::Factors,
}

impl Inner {
    /// A deleted user's tokens go with them (as the SQL stores' cascades).
    fn forget_tokens_of(&mut self, id: UserId) {
        self.tokens.retain(|_, t| t.user_id != id);
        self.links.retain(|_, (t, _)| t.user_id != id);
        self.factors.forget(id);
    }

    fn active_admins(&self) -> usize {
        self.users.values().filter(|u| is_active_admin(u)).count()
    }

    /// Applies `update` to user `id` (which must exist) unless it would verify an address
    /// another user has verified: the unique index of the SQL stores.
    fn update(&mut self, id: UserId, update: UserUpdate) -> StoreResult<UserRecord> {
        if let Some(key) = update.address.as_ref().and_then(Address::verified_key) {
            let taken = self
                .users
                .values()
                .any(|u| u.id != id && Address::of(u).verified_key().is_some_and(|k| k == key));
            if taken {
                return Err(StoreError::conflict());
            }
        }
        let user = self.users.get_mut(&id).expect("the caller looked the user up");
        Ok(apply(user, update))
    }
}

fn is_active_admin(user: &UserRecord) -> bool {
    user.role == Role::Admin && user.is_active
}

/// Applies `update` to `user` and returns the result.
fn apply(user: &mut UserRecord, update: UserUpdate) -> UserRecord {
    if let Some(role) = update.role {
        user.role = role;
    }
    if let Some(active) = update.is_active {
        user.is_active = active;
    }
    if let Some(hash) = update.password_hash {
        user.password_hash = hash;
    }
    if let Some(address) = update.address {
        user.email_verified = address.verified && address.email.is_some();
        user.email = address.email;
        user.pending_email = address.pending;
    }
    if let Some(stamp) = update.tokens_valid_after {
        // The stamp only moves forward: a late or skewed writer cannot revive tokens.
        user.tokens_valid_after = user.tokens_valid_after.max(Some(stamp));
    }
    if let Some(at) = update.updated_at {
        user.updated_at = at;
    }
    user.clone()
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        let mut inner = self.lock();
        if inner.by_key.contains_key(user.username.key()) {
            return Err(StoreError::conflict());
        }
        inner.next_id += 1;
        let id = UserId::new(inner.next_id);
        let record = user.into_record(id);
        inner.by_key.insert(record.username.key().to_owned(), id);
        inner.users.insert(id, record.clone());
        Ok(record)
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        Ok(self.lock().users.get(&id).cloned())
    }

    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<UserRecord>> {
        let inner = self.lock();
        Ok(inner.by_key.get(username.key()).and_then(|id| inner.users.get(id)).cloned())
    }

    async fn users_by_email(&self, email: &Email) -> StoreResult<Vec<UserRecord>> {
        let inner = self.lock();
        Ok(inner
            .users
            .values()
            .filter(|u| u.email.as_ref().is_some_and(|e| e.same_address(email)))
            .take(super::USERS_BY_EMAIL_LIMIT as usize)
            .cloned()
            .collect())
    }

    async fn update_user(&self, id: UserId, update: UserUpdate) -> StoreResult<Option<UserRecord>> {
        let mut inner = self.lock();
        if !inner.users.contains_key(&id) {
            return Ok(None);
        }
        inner.update(id, update).map(Some)
    }

    async fn update_user_if(
        &self,
        id: UserId,
        expected: &UserSnapshot,
        update: UserUpdate,
    ) -> StoreResult<ConditionalUpdate> {
        let mut inner = self.lock();
        let Some(user) = inner.users.get(&id) else { return Ok(ConditionalUpdate::NotFound) };
        if UserSnapshot::of(user) != *expected {
            return Ok(ConditionalUpdate::Stale(user.clone()));
        }
        inner.update(id, update).map(ConditionalUpdate::Applied)
    }

    async fn update_user_unless_last_admin(
        &self,
        id: UserId,
        update: UserUpdate,
    ) -> StoreResult<UserChange> {
        let mut inner = self.lock();
        let Some(user) = inner.users.get(&id) else {
            return Ok(UserChange::NotFound);
        };
        if update.takes_admin_away() && is_active_admin(user) && inner.active_admins() == 1 {
            return Ok(UserChange::LastAdmin);
        }
        Ok(UserChange::Updated(inner.update(id, update)?))
    }

    async fn list_users(&self, page: Page) -> StoreResult<Vec<UserRecord>> {
        let inner = self.lock();
        Ok(inner
            .users
            .values()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(page.limit() as usize)
            .cloned()
            .collect())
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<bool> {
        let mut inner = self.lock();
        let Some(user) = inner.users.remove(&id) else {
            return Ok(false);
        };
        inner.by_key.remove(user.username.key());
        inner.forget_tokens_of(id);
        Ok(true)
    }

    async fn delete_user_unless_last_admin(&self, id: UserId) -> StoreResult<UserDeletion> {
        let mut inner = self.lock();
        let Some(user) = inner.users.get(&id) else {
            return Ok(UserDeletion::NotFound);
        };
        if is_active_admin(user) && inner.active_admins() == 1 {
            return Ok(UserDeletion::LastAdmin);
        }
        let key = user.username.key().to_owned();
        inner.users.remove(&id);
        inner.by_key.remove(&key);
        inner.forget_tokens_of(id);
        Ok(UserDeletion::Deleted)
    }
}

#[async_trait]
impl RefreshTokenStore for MemoryStore {
    async fn insert_refresh_token(&self, token: NewRefreshToken) -> StoreResult<()> {
        let mut inner = self.lock();
        if !inner.users.contains_key(&token.user_id) {
            return Err(StoreError::backend("refresh token for an unknown user"));
        }
        if inner.tokens.contains_key(&token.digest) {
            return Err(StoreError::backend("duplicate refresh token digest"));
        }
        inner.tokens.insert(token.digest, token.into_record());
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        presented: &TokenDigest,
        replacement: Replacement,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome> {
        let mut inner = self.lock();
        let Some(old) = inner.tokens.get_mut(presented) else {
            return Ok(RotateOutcome::Unknown);
        };
        if old.used_at.is_some() {
            return Ok(RotateOutcome::Replayed(old.clone()));
        }
        if !old.is_live(now) {
            return Ok(RotateOutcome::Inactive(old.clone()));
        }
        old.used_at = Some(now);
        let old = old.clone();
        let new = replacement.into_record(&old);
        if inner.tokens.contains_key(&new.digest) {
            return Err(StoreError::backend("duplicate refresh token digest"));
        }
        inner.tokens.insert(new.digest, new.clone());
        Ok(RotateOutcome::Rotated { old: Box::new(old), new: Box::new(new) })
    }

    async fn refresh_token(&self, digest: &TokenDigest) -> StoreResult<Option<RefreshTokenRecord>> {
        Ok(self.lock().tokens.get(digest).cloned())
    }

    async fn revoke_family(&self, family: FamilyId, now: OffsetDateTime) -> StoreResult<u64> {
        Ok(revoke_where(&mut self.lock(), now, |t| t.family_id == family))
    }

    async fn set_session_amr(
        &self,
        user: UserId,
        family: FamilyId,
        amr: &[crate::Amr],
    ) -> StoreResult<u64> {
        let mut inner = self.lock();
        let mut changed = 0;
        for t in inner.tokens.values_mut() {
            if t.user_id == user && t.family_id == family && t.revoked_at.is_none() && t.amr != amr
            {
                t.amr = amr.to_vec();
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn revoke_user_tokens(&self, user: UserId, now: OffsetDateTime) -> StoreResult<u64> {
        Ok(revoke_where(&mut self.lock(), now, |t| t.user_id == user))
    }

    async fn live_refresh_tokens(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshTokenRecord>> {
        let inner = self.lock();
        let mut live: Vec<_> = inner
            .tokens
            .values()
            .filter(|t| t.user_id == user && t.is_live(now))
            .cloned()
            .collect();
        live.sort_by_key(|t| std::cmp::Reverse(t.created_at));
        Ok(live)
    }

    async fn sessions(&self, user: UserId, now: OffsetDateTime) -> StoreResult<Vec<SessionRecord>> {
        let inner = self.lock();
        let mut began: HashMap<FamilyId, OffsetDateTime> = HashMap::new();
        for t in inner.tokens.values().filter(|t| t.user_id == user) {
            let at = began.entry(t.family_id).or_insert(t.created_at);
            *at = (*at).min(t.created_at);
        }
        let mut sessions: Vec<_> = inner
            .tokens
            .values()
            .filter(|t| t.user_id == user && t.is_live(now))
            .map(|t| SessionRecord {
                id: t.family_id,
                user_id: t.user_id,
                created_at: began[&t.family_id],
                last_used_at: t.created_at,
                expires_at: t.expires_at,
                ip: t.ip.clone(),
                user_agent: t.user_agent.clone(),
            })
            .collect();
        // Newest first; between equals, by id (as the SQL stores order them).
        sessions.sort_by(|a, b| {
            b.created_at.cmp(&a.created_at).then(a.id.as_uuid().cmp(&b.id.as_uuid()))
        });
        Ok(sessions)
    }

    async fn session_is_live(
        &self,
        user: UserId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let inner = self.lock();
        Ok(inner
            .tokens
            .values()
            .any(|t| t.user_id == user && t.family_id == family && t.is_live(now)))
    }

    async fn client_history(
        &self,
        user: UserId,
        except: FamilyId,
        client: &KnownClient,
    ) -> StoreResult<ClientHistory> {
        let inner = self.lock();
        let blank = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut history = ClientHistory::default();
        for t in inner.tokens.values().filter(|t| t.user_id == user && t.family_id != except) {
            history.signed_in_before = true;
            history.from_this_client |= blank(&t.ip) == blank(&client.ip)
                && blank(&t.user_agent) == blank(&client.user_agent);
        }
        Ok(history)
    }

    async fn purge_expired(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let mut inner = self.lock();
        let n = inner.tokens.len();
        inner.tokens.retain(|_, t| t.expires_at >= before);
        Ok((n - inner.tokens.len()) as u64)
    }
}

fn revoke_where(
    inner: &mut Inner,
    now: OffsetDateTime,
    matches: impl Fn(&RefreshTokenRecord) -> bool,
) -> u64 {
    let mut n = 0;
    for t in inner.tokens.values_mut().filter(|t| t.revoked_at.is_none() && matches(t)) {
        t.revoked_at = Some(now);
        n += 1;
    }
    n
}

#[cfg(test)]
mod contract {
    use std::sync::Arc;

    crate::store_contract_tests!(|| async { Arc::new(super::MemoryStore::new()) });
}
