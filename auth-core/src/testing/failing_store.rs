//! [`FailingStore`]: a store that is always down, for error paths.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    ClientHistory, ConditionalUpdate, Email, FamilyId, KnownClient, LinkPurpose, LinkTokenRecord,
    LinkTokenStore, MfaTokenRecord, NewRefreshToken, NewUser, Page, RefreshTokenRecord,
    RefreshTokenStore, Replacement, RotateOutcome, SealedSecret, SecondFactorStore, SessionRecord,
    StoreError, StoreResult, TokenDigest, TotpRecord, UserChange, UserDeletion, UserId, UserRecord,
    UserSnapshot, UserStore, UserUpdate, Username,
};

/// A store that is always down: every call fails with an `Unavailable` [`StoreError`]. For
/// testing error paths (503s, fail-closed extractors) without a real outage.
///
/// [`StoreError`]: crate::StoreError
#[derive(Debug, Clone, Copy, Default)]
pub struct FailingStore;

fn down<T>() -> StoreResult<T> {
    Err(StoreError::unavailable("the test store is down"))
}

#[async_trait]
impl UserStore for FailingStore {
    async fn create_user(&self, _: NewUser) -> StoreResult<UserRecord> {
        down()
    }
    async fn user_by_id(&self, _: UserId) -> StoreResult<Option<UserRecord>> {
        down()
    }
    async fn user_by_username(&self, _: &Username) -> StoreResult<Option<UserRecord>> {
        down()
    }
    async fn update_user(&self, _: UserId, _: UserUpdate) -> StoreResult<Option<UserRecord>> {
        down()
    }
    async fn update_user_if(
        &self,
        _: UserId,
        _: &UserSnapshot,
        _: UserUpdate,
    ) -> StoreResult<ConditionalUpdate> {
        down()
    }
    async fn update_user_unless_last_admin(
        &self,
        _: UserId,
        _: UserUpdate,
    ) -> StoreResult<UserChange> {
        down()
    }
    async fn users_by_email(&self, _: &Email) -> StoreResult<Vec<UserRecord>> {
        down()
    }
    async fn list_users(&self, _: Page) -> StoreResult<Vec<UserRecord>> {
        down()
    }
    async fn delete_user(&self, _: UserId) -> StoreResult<bool> {
        down()
    }
    async fn delete_user_unless_last_admin(&self, _: UserId) -> StoreResult<UserDeletion> {
        down()
    }
}

#[async_trait]
impl RefreshTokenStore for FailingStore {
    async fn insert_refresh_token(&self, _: NewRefreshToken) -> StoreResult<()> {
        down()
    }
    async fn rotate_refresh_token(
        &self,
        _: &TokenDigest,
        _: Replacement,
        _: OffsetDateTime,
    ) -> StoreResult<RotateOutcome> {
        down()
    }
    async fn refresh_token(&self, _: &TokenDigest) -> StoreResult<Option<RefreshTokenRecord>> {
        down()
    }
    async fn revoke_family(&self, _: FamilyId, _: OffsetDateTime) -> StoreResult<u64> {
        down()
    }
    async fn set_session_amr(&self, _: UserId, _: FamilyId, _: &[crate::Amr]) -> StoreResult<u64> {
        down()
    }
    async fn revoke_user_tokens(&self, _: UserId, _: OffsetDateTime) -> StoreResult<u64> {
        down()
    }
    async fn live_refresh_tokens(
        &self,
        _: UserId,
        _: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshTokenRecord>> {
        down()
    }
    async fn sessions(&self, _: UserId, _: OffsetDateTime) -> StoreResult<Vec<SessionRecord>> {
        down()
    }
    async fn session_is_live(
        &self,
        _: UserId,
        _: FamilyId,
        _: OffsetDateTime,
    ) -> StoreResult<bool> {
        down()
    }
    async fn client_history(
        &self,
        _: UserId,
        _: FamilyId,
        _: &KnownClient,
    ) -> StoreResult<ClientHistory> {
        down()
    }
    async fn purge_expired(&self, _: OffsetDateTime) -> StoreResult<u64> {
        down()
    }
}

#[async_trait]
impl LinkTokenStore for FailingStore {
    async fn issue_link_token(&self, _: LinkTokenRecord) -> StoreResult<()> {
        down()
    }
    async fn live_link_token(
        &self,
        _: &TokenDigest,
        _: LinkPurpose,
        _: OffsetDateTime,
    ) -> StoreResult<Option<LinkTokenRecord>> {
        down()
    }
    async fn spend_link_token(
        &self,
        _: &TokenDigest,
        _: LinkPurpose,
        _: OffsetDateTime,
    ) -> StoreResult<Option<LinkTokenRecord>> {
        down()
    }
    async fn purge_link_tokens(&self, _: OffsetDateTime) -> StoreResult<u64> {
        down()
    }
}

#[async_trait]
impl SecondFactorStore for FailingStore {
    async fn begin_totp_enrolment(
        &self,
        _: UserId,
        _: SealedSecret,
        _: OffsetDateTime,
    ) -> StoreResult<bool> {
        down()
    }
    async fn totp(&self, _: UserId) -> StoreResult<Option<TotpRecord>> {
        down()
    }
    async fn confirm_totp(
        &self,
        _: UserId,
        _: &SealedSecret,
        _: u64,
        _: &[TokenDigest],
        _: OffsetDateTime,
    ) -> StoreResult<bool> {
        down()
    }
    async fn accept_totp_step(&self, _: UserId, _: &SealedSecret, _: u64) -> StoreResult<bool> {
        down()
    }
    async fn reseal_totp(
        &self,
        _: UserId,
        _: &SealedSecret,
        _: &SealedSecret,
    ) -> StoreResult<bool> {
        down()
    }
    async fn totp_key_usage(&self) -> StoreResult<Vec<(String, u64)>> {
        down()
    }
    async fn spend_recovery_code(
        &self,
        _: UserId,
        _: &TokenDigest,
        _: OffsetDateTime,
    ) -> StoreResult<Option<u32>> {
        down()
    }
    async fn replace_recovery_codes(
        &self,
        _: UserId,
        _: &[TokenDigest],
        _: OffsetDateTime,
    ) -> StoreResult<bool> {
        down()
    }
    async fn recovery_codes_left(&self, _: UserId) -> StoreResult<u32> {
        down()
    }
    async fn remove_second_factors(&self, _: UserId) -> StoreResult<bool> {
        down()
    }
    async fn issue_mfa_token(&self, _: MfaTokenRecord) -> StoreResult<()> {
        down()
    }
    async fn attempt_mfa_token(
        &self,
        _: &TokenDigest,
        _: OffsetDateTime,
    ) -> StoreResult<Option<MfaTokenRecord>> {
        down()
    }
    async fn spend_mfa_token(
        &self,
        _: &TokenDigest,
        _: OffsetDateTime,
    ) -> StoreResult<Option<MfaTokenRecord>> {
        down()
    }
    async fn purge_mfa_tokens(&self, _: OffsetDateTime) -> StoreResult<u64> {
        down()
    }
}
