//! [`SecondFactorStore`]: each user's TOTP secret (sealed) with its last accepted step, the
//! digests of their recovery codes, and the MFA tokens of logins half-way through.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreResult;
use crate::{MfaTokenRecord, SealedSecret, TokenDigest, UserId};

/// A user's TOTP factor as stores keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// Whose it is.
    pub user_id: UserId,
    /// The secret, encrypted ([`MfaKeyRing`](crate::MfaKeyRing)).
    pub secret: SealedSecret,
    /// When a code confirmed it; `None` while the enrolment is pending.
    pub confirmed_at: Option<OffsetDateTime>,
    /// The last time step a code was accepted for: no code of this step or an earlier one
    /// is accepted again.
    pub last_step: Option<u64>,
    /// When the enrolment began.
    pub created_at: OffsetDateTime,
}

/// Where second factors live. Every change that turns a factor on or off also sets the
/// user's [`mfa_enabled`](crate::UserRecord::mfa_enabled) in the same atomic step. A user's
/// factors and MFA tokens go when the user does.
#[async_trait]
pub trait SecondFactorStore: Send + Sync + 'static {
    /// Stores a pending TOTP enrolment of `secret`, replacing a pending one. Returns `false`
    /// (and changes nothing) when the user's TOTP is confirmed already.
    async fn begin_totp_enrolment(
        &self,
        user: UserId,
        secret: SealedSecret,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// The user's TOTP factor, pending or confirmed.
    async fn totp(&self, user: UserId) -> StoreResult<Option<TotpRecord>>;

    /// In one atomic step, if the user's pending enrolment is still the one sealed as
    /// `secret`: confirms it with `step` as its last accepted step, replaces the recovery
    /// codes with `codes` and turns `mfa_enabled` on. Of concurrent confirmations one
    /// succeeds; `false` when there is no such pending enrolment.
    async fn confirm_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: u64,
        codes: &[TokenDigest],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// In one atomic step: accepts `step` for the user's confirmed TOTP, if it is still the
    /// one sealed as `secret` (the secret the code was checked against) and `step` is later
    /// than the last accepted step. Of concurrent calls for one step exactly one gets
    /// `true`, on every instance sharing the store.
    async fn accept_totp_step(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: u64,
    ) -> StoreResult<bool>;

    /// Replaces the user's sealed secret `old` with `new` (the same secret sealed under the
    /// current key, after a key rotation), if it is still `old`. `false` otherwise.
    async fn reseal_totp(
        &self,
        user: UserId,
        old: &SealedSecret,
        new: &SealedSecret,
    ) -> StoreResult<bool>;

    /// How many stored TOTP secrets (pending or confirmed) each key id sealed, by key id: an
    /// old key that seals none can retire.
    async fn totp_key_usage(&self) -> StoreResult<Vec<(String, u64)>>;

    /// In one atomic step: spends the user's unused recovery code with this digest and
    /// returns how many are left, or `None` when there is no such unused code. Of concurrent
    /// spends of one code exactly one gets it.
    async fn spend_recovery_code(
        &self,
        user: UserId,
        code: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<u32>>;

    /// Replaces the user's recovery codes with `codes` (the old set dies), if their TOTP is
    /// confirmed; `false` otherwise.
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[TokenDigest],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// How many unused recovery codes the user has.
    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32>;

    /// Removes the user's TOTP factor (pending or confirmed), recovery codes and MFA tokens,
    /// and turns `mfa_enabled` off. Returns whether a confirmed factor was removed.
    async fn remove_second_factors(&self, user: UserId) -> StoreResult<bool>;

    /// Stores a new MFA token.
    async fn issue_mfa_token(&self, token: MfaTokenRecord) -> StoreResult<()>;

    /// In one atomic step: if the token with digest `presented` is unspent, unexpired at
    /// `now` and has had fewer than [`MfaToken::MAX_ATTEMPTS`](crate::MfaToken::MAX_ATTEMPTS)
    /// attempts, counts one more and returns it (with the attempt counted); `None`
    /// otherwise. Called before a code is checked, so that of any number of concurrent
    /// attempts at most `MAX_ATTEMPTS` are admitted.
    async fn attempt_mfa_token(
        &self,
        presented: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MfaTokenRecord>>;

    /// In one atomic step: if the token with digest `presented` is unspent, unexpired at
    /// `now` and had an attempt admitted ([`attempt_mfa_token`](Self::attempt_mfa_token),
    /// whose code was right), marks it spent and returns it. A token no attempt was counted
    /// for does not spend, so no caller can check codes outside the limit. Of concurrent
    /// spends exactly one gets it.
    async fn spend_mfa_token(
        &self,
        presented: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MfaTokenRecord>>;

    /// Deletes MFA tokens that expired before `before`. Returns how many.
    async fn purge_mfa_tokens(&self, before: OffsetDateTime) -> StoreResult<u64>;
}
