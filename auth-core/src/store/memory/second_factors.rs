//! [`SecondFactorStore`] of the [`MemoryStore`]: TOTP factors, recovery codes, MFA tokens.

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::MemoryStore;
use crate::{
    MfaToken, MfaTokenRecord, SealedSecret, SecondFactorStore, StoreError, StoreResult,
    TokenDigest, TotpRecord, UserId,
};

/// The second factors of every user.
#[derive(Debug, Default)]
pub(super) struct Factors {
    totp: HashMap<UserId, TotpRecord>,
    /// Each user's recovery codes, with when each was spent.
    recovery: HashMap<UserId, Vec<(TokenDigest, Option<OffsetDateTime>)>>,
    /// MFA tokens, with when each was spent.
    tokens: HashMap<TokenDigest, (MfaTokenRecord, Option<OffsetDateTime>)>,
}

impl Factors {
    /// A deleted user's factors go with them.
    pub(super) fn forget(&mut self, id: UserId) {
        self.totp.remove(&id);
        self.recovery.remove(&id);
        self.tokens.retain(|_, (t, _)| t.user_id != id);
    }

    fn unspent_token(
        &mut self,
        presented: &TokenDigest,
        now: OffsetDateTime,
    ) -> Option<&mut (MfaTokenRecord, Option<OffsetDateTime>)> {
        self.tokens.get_mut(presented).filter(|(t, used)| used.is_none() && t.expires_at > now)
    }
}

fn codes(digests: &[TokenDigest]) -> Vec<(TokenDigest, Option<OffsetDateTime>)> {
    digests.iter().map(|d| (*d, None)).collect()
}

#[async_trait]
impl SecondFactorStore for MemoryStore {
    async fn begin_totp_enrolment(
        &self,
        user: UserId,
        secret: SealedSecret,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        if !inner.users.contains_key(&user) {
            return Err(StoreError::backend("TOTP enrolment of an unknown user"));
        }
        if inner.factors.totp.get(&user).is_some_and(|t| t.confirmed_at.is_some()) {
            return Ok(false);
        }
        let record = TotpRecord {
            user_id: user,
            secret,
            confirmed_at: None,
            last_step: None,
            created_at: now,
        };
        inner.factors.totp.insert(user, record);
        Ok(true)
    }

    async fn totp(&self, user: UserId) -> StoreResult<Option<TotpRecord>> {
        Ok(self.lock().factors.totp.get(&user).cloned())
    }

    async fn confirm_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: u64,
        codes_now: &[TokenDigest],
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        let Some(totp) = inner.factors.totp.get_mut(&user) else { return Ok(false) };
        if totp.confirmed_at.is_some() || totp.secret != *secret {
            return Ok(false);
        }
        totp.confirmed_at = Some(now);
        totp.last_step = Some(step);
        inner.factors.recovery.insert(user, codes(codes_now));
        if let Some(u) = inner.users.get_mut(&user) {
            u.mfa_enabled = true;
        }
        Ok(true)
    }

    async fn accept_totp_step(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: u64,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        match inner.factors.totp.get_mut(&user) {
            Some(t)
                if t.confirmed_at.is_some()
                    && t.secret == *secret
                    && t.last_step.is_none_or(|last| last < step) =>
            {
                t.last_step = Some(step);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn reseal_totp(
        &self,
        user: UserId,
        old: &SealedSecret,
        new: &SealedSecret,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        match inner.factors.totp.get_mut(&user) {
            Some(t) if t.secret == *old => {
                t.secret = new.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn totp_key_usage(&self) -> StoreResult<Vec<(String, u64)>> {
        let inner = self.lock();
        let mut usage = std::collections::BTreeMap::<String, u64>::new();
        for t in inner.factors.totp.values() {
            *usage.entry(t.secret.key_id.clone()).or_default() += 1;
        }
        Ok(usage.into_iter().collect())
    }

    async fn spend_recovery_code(
        &self,
        user: UserId,
        code: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<u32>> {
        let mut inner = self.lock();
        let Some(set) = inner.factors.recovery.get_mut(&user) else { return Ok(None) };
        let Some(entry) = set.iter_mut().find(|(d, used)| d == code && used.is_none()) else {
            return Ok(None);
        };
        entry.1 = Some(now);
        Ok(Some(set.iter().filter(|(_, used)| used.is_none()).count() as u32))
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes_now: &[TokenDigest],
        _now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        if inner.factors.totp.get(&user).is_none_or(|t| t.confirmed_at.is_none()) {
            return Ok(false);
        }
        inner.factors.recovery.insert(user, codes(codes_now));
        Ok(true)
    }

    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32> {
        let inner = self.lock();
        let set = inner.factors.recovery.get(&user);
        Ok(set.map_or(0, |s| s.iter().filter(|(_, used)| used.is_none()).count() as u32))
    }

    async fn remove_second_factors(&self, user: UserId) -> StoreResult<bool> {
        let mut inner = self.lock();
        let removed = inner.factors.totp.get(&user).is_some_and(|t| t.confirmed_at.is_some());
        inner.factors.forget(user);
        if let Some(u) = inner.users.get_mut(&user) {
            u.mfa_enabled = false;
        }
        Ok(removed)
    }

    async fn issue_mfa_token(&self, token: MfaTokenRecord) -> StoreResult<()> {
        let mut inner = self.lock();
        if !inner.users.contains_key(&token.user_id) {
            return Err(StoreError::backend("MFA token for an unknown user"));
        }
        inner.factors.tokens.insert(token.digest, (token, None));
        Ok(())
    }

    async fn attempt_mfa_token(
        &self,
        presented: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MfaTokenRecord>> {
        let mut inner = self.lock();
        let token = inner.factors.unspent_token(presented, now);
        Ok(token.filter(|(t, _)| t.attempts < MfaToken::MAX_ATTEMPTS).map(|(t, _)| {
            t.attempts += 1;
            t.clone()
        }))
    }

    async fn spend_mfa_token(
        &self,
        presented: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MfaTokenRecord>> {
        let mut inner = self.lock();
        let token = inner.factors.unspent_token(presented, now).filter(|(t, _)| t.attempts > 0);
        Ok(token.map(|(t, used)| {
            *used = Some(now);
            t.clone()
        }))
    }

    async fn purge_mfa_tokens(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let mut inner = self.lock();
        let n = inner.factors.tokens.len();
        inner.factors.tokens.retain(|_, (t, _)| t.expires_at >= before);
        Ok((n - inner.factors.tokens.len()) as u64)
    }
}
