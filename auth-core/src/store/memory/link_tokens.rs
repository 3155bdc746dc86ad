//! [`LinkTokenStore`] of the [`MemoryStore`]: the tokens of mailed links.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::MemoryStore;
use crate::{LinkPurpose, LinkTokenRecord, LinkTokenStore, StoreError, StoreResult, TokenDigest};

#[async_trait]
impl LinkTokenStore for MemoryStore {
    async fn issue_link_token(&self, token: LinkTokenRecord) -> StoreResult<()> {
        let mut inner = self.lock();
        if !inner.users.contains_key(&token.user_id) {
            return Err(StoreError::backend("link token for an unknown user"));
        }
        let now = token.created_at;
        for (t, used) in inner.links.values_mut() {
            if t.user_id == token.user_id && t.purpose == token.purpose && used.is_none() {
                *used = Some(now);
            }
        }
        inner.links.insert(token.digest, (token, None));
        Ok(())
    }

    async fn live_link_token(
        &self,
        presented: &TokenDigest,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<LinkTokenRecord>> {
        let inner = self.lock();
        Ok(match inner.links.get(presented) {
            Some((t, None)) if t.purpose == purpose && t.expires_at > now => Some(t.clone()),
            _ => None,
        })
    }

    async fn spend_link_token(
        &self,
        presented: &TokenDigest,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<LinkTokenRecord>> {
        let mut inner = self.lock();
        match inner.links.get_mut(presented) {
            Some((t, used @ None)) if t.purpose == purpose && t.expires_at > now => {
                *used = Some(now);
                Ok(Some(t.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn purge_link_tokens(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let mut inner = self.lock();
        let n = inner.links.len();
        inner.links.retain(|_, (t, _)| t.expires_at >= before);
        Ok((n - inner.links.len()) as u64)
    }
}
