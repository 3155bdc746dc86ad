//! A signed-in user's second factor once it is on: checking a code (a TOTP code, each time
//! step once; or a recovery code, each once), turning it off, replacing the recovery codes,
//! and an administrator's reset for a lost device.

use super::Auth;
use crate::{
    AuthError, FamilyId, Password, RecoveryCode, RequestContext, Result, SecondFactorCode, User,
    UserId, UserRecord,
    audit::audit,
    mail::{Mail, SecondFactorChange},
    throttle::Attempt,
};

/// How many stored TOTP secrets one key sealed: see [`Auth::mfa_key_usage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaKeyUsage {
    /// The key's id.
    pub key_id: String,
    /// How many secrets name it.
    pub secrets: u64,
    /// Whether it is the key that seals now.
    pub current: bool,
    /// Whether the configured key ring holds it (a secret whose key is gone cannot be
    /// opened: its user cannot finish a login).
    pub known: bool,
}

/// What a right code was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Proven {
    /// A TOTP code, whose time step is now spent.
    Totp,
    /// A recovery code, now spent; `left` are unused.
    RecoveryCode { left: u32 },
}

impl Auth {
    /// Turns the caller's TOTP factor off (`DELETE /auth/mfa/totp`) with their password and a
    /// code (TOTP or recovery), and ends their other sessions: the factor's recovery codes
    /// and pending logins go with it.
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`] / [`AuthError::WrongCode`] (both counted in the login
    /// backoff); [`AuthError::Validation`] (`code`); [`AuthError::Conflict`] when no second
    /// factor is on; [`AuthError::RateLimited`]; [`AuthError::MfaUnavailable`] for a TOTP code
    /// without [MFA settings](crate::AuthBuilder::mfa); [`AuthError::InvalidToken`] when
    /// the user is gone or inactive; [`AuthError::Store`].
    pub async fn disable_totp(
        &self,
        user: &User,
        session: Option<FamilyId>,
        current_password: &Password,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<()> {
        let record = self.recheck_for_change(user, current_password, code, ctx).await?;
        self.inner.store.remove_second_factors(record.id).await?;
        self.inner.users.forget(record.id);
        let ended = self.end_other_sessions(&record, session).await?;
        audit!(info, "totp_disabled", ctx, user_id = record.id.get(), sessions_ended = ended);
        let change = SecondFactorChange::Disabled;
        self.notify("second_factor_disabled", &record, &second_factor_mail(&record, change));
        Ok(())
    }

    /// Replaces the caller's recovery codes with a new set of ten (`POST
    /// /auth/mfa/recovery-codes`), with their password and a code (TOTP or recovery); the
    /// old set dies and their other sessions end.
    ///
    /// # Errors
    /// As [`Auth::disable_totp`].
    pub async fn regenerate_recovery_codes(
        &self,
        user: &User,
        session: Option<FamilyId>,
        current_password: &Password,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<Vec<RecoveryCode>> {
        let record = self.recheck_for_change(user, current_password, code, ctx).await?;
        let codes = RecoveryCode::generate_set();
        let digests: Vec<_> = codes.iter().map(RecoveryCode::digest).collect();
        if !self.inner.store.replace_recovery_codes(record.id, &digests, self.now()).await? {
            // The factor was turned off meanwhile.
            return Err(no_second_factor());
        }
        let ended = self.end_other_sessions(&record, session).await?;
        audit!(
            info,
            "recovery_codes_replaced",
            ctx,
            user_id = record.id.get(),
            sessions_ended = ended
        );
        let change = SecondFactorChange::RecoveryCodesReplaced;
        self.notify("recovery_codes_replaced", &record, &second_factor_mail(&record, change));
        Ok(codes)
    }

    /// An administrator removes a user's second factors, for a lost device (`DELETE
    /// /admin/users/{id}/mfa`): their TOTP factor, recovery codes and pending logins go, and
    /// every session and access token of the user ends. Audited; the user is told by mail.
    /// Idempotent: a user without a factor only loses their sessions.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] unless `actor` is an active admin; [`AuthError::NotFound`]
    /// when there is no such user; [`AuthError::Store`].
    pub async fn reset_second_factors(
        &self,
        actor: &User,
        target: UserId,
        ctx: &RequestContext,
    ) -> Result<()> {
        self.require_admin(actor)?;
        let record = self.inner.store.user_by_id(target).await?.ok_or(AuthError::NotFound)?;
        let removed = self.inner.store.remove_second_factors(target).await?;
        let revoked = self.revoke_everything(target).await?;
        // A new enrolment starts without the old factor's tally of wrong codes (logged if
        // it cannot be cleared: it lapses in a day).
        if let Err(e) = self.inner.throttle.clear_codes(record.username.key()).await {
            tracing::warn!(target: "auth::throttle", user_id = target.get(), error = %e, "could not clear the tally of wrong codes");
        }
        audit!(
            warn,
            "second_factor_reset",
            ctx,
            user_id = target.get(),
            actor = actor.id.get(),
            removed,
            revoked
        );
        if removed {
            let change = SecondFactorChange::RemovedByAdmin;
            self.notify("second_factor_reset", &record, &second_factor_mail(&record, change));
        }
        Ok(())
    }

    /// The MFA settings, or [`AuthError::MfaUnavailable`].
    pub(super) fn mfa_settings(&self) -> Result<&crate::MfaSettings> {
        self.inner.mfa.as_ref().ok_or(AuthError::MfaUnavailable)
    }

    /// The signed-in user's record as stored now, if they are still active.
    pub(super) async fn active_record(&self, user: &User) -> Result<UserRecord> {
        self.inner
            .store
            .user_by_id(user.id)
            .await?
            .filter(|u| u.is_active)
            .ok_or(AuthError::InvalidToken(crate::TokenRejection::UserInactive))
    }

    /// Opens a user's sealed secret; a key that is gone or a secret that does not open is
    /// logged (never the secret) and answered as [`AuthError::MfaUnavailable`].
    pub(super) fn open_secret(
        &self,
        settings: &crate::MfaSettings,
        user: &UserRecord,
        sealed: &crate::SealedSecret,
    ) -> Result<crate::TotpSecret> {
        settings.keys().open(user.id, sealed).map_err(|e| {
            tracing::error!(target: "auth::mfa", user_id = user.id.get(), key_id = %sealed.key_id, error = %e, "a stored TOTP secret cannot be opened");
            AuthError::MfaUnavailable
        })
    }

    /// The password, then a code of the user's second factor, before a change to it.
    async fn recheck_for_change(
        &self,
        user: &User,
        current_password: &Password,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<UserRecord> {
        let code = SecondFactorCode::parse(code)?;
        let record = self.active_record(user).await?;
        // (Wrong codes count in the account's code tally, which a right password does not
        // clear.)
        self.reauthenticate(&record, current_password, ctx).await?;
        if !record.mfa_enabled {
            return Err(no_second_factor());
        }
        match self.check_second_factor(&record, &code, ctx).await? {
            Some(Proven::RecoveryCode { left }) => self.tell_codes_left(&record, left, ctx),
            Some(Proven::Totp) => {}
            None => return Err(AuthError::WrongCode),
        }
        Ok(record)
    }

    /// One attempt in the tally of `user`'s wrong codes: per account, whatever the client's
    /// address (six digits must not be guessable from many addresses at once), counted as a
    /// failure until a right code clears it (a right password does not). Refused at once while
    /// the account backs off.
    pub(super) async fn begin_code_attempt(
        &self,
        user: &UserRecord,
        ctx: &RequestContext,
    ) -> Result<Attempt> {
        let throttle = &self.inner.throttle;
        let key = throttle.code_key(user.username.key());
        throttle.begin_code_attempt(key, self.now()).await.inspect_err(|_| {
            audit!(info, "second_factor_backoff", ctx, user_id = user.id.get());
        })
    }

    /// Checks `code` against `user`'s second factor and spends what it used: the TOTP time
    /// step (each accepted once, on every instance sharing the store) or the recovery code.
    /// `None` for a wrong or spent code. Counted in the account's tally of wrong codes
    /// ([`begin_code_attempt`](Self::begin_code_attempt)): a failure until the code proves
    /// right.
    ///
    /// # Errors
    /// [`AuthError::RateLimited`] while the account backs off; [`AuthError::MfaUnavailable`];
    /// [`AuthError::Store`].
    pub(super) async fn check_second_factor(
        &self,
        user: &UserRecord,
        code: &SecondFactorCode,
        ctx: &RequestContext,
    ) -> Result<Option<Proven>> {
        let throttle = &self.inner.throttle;
        let attempt = self.begin_code_attempt(user, ctx).await?;
        match self.spend_code(user, code).await {
            Ok(Some(proven)) => {
                throttle.succeeded(attempt).await?;
                Ok(Some(proven))
            }
            Ok(None) => {
                let failures = attempt.failures();
                audit!(info, "second_factor_failed", ctx, user_id = user.id.get(), failures);
                // Someone who has the password is guessing codes: the owner hears of it once
                // a streak reaches the backoff, and again when codes stop being taken.
                let max = crate::throttle::Throttle::MAX_CODE_FAILURES;
                let limits = self.inner.config.rate_limits();
                let threshold = limits.login_failures_per_account.min(max);
                if failures > 0 && (failures == threshold || failures == max) {
                    let mail = Mail::SecondFactorFailures {
                        username: user.username.as_str(),
                        failures,
                        locked: failures >= crate::throttle::Throttle::MAX_CODE_FAILURES,
                    };
                    self.notify("second_factor_failures", user, &mail);
                }
                Ok(None)
            }
            Err(e) => {
                throttle.withdrawn(attempt).await;
                Err(e)
            }
        }
    }

    async fn spend_code(
        &self,
        user: &UserRecord,
        code: &SecondFactorCode,
    ) -> Result<Option<Proven>> {
        let store = &self.inner.store;
        match code {
            SecondFactorCode::Totp(code) => {
                let settings = self.mfa_settings()?;
                let Some(totp) = store.totp(user.id).await?.filter(|t| t.confirmed_at.is_some())
                else {
                    return Ok(None);
                };
                let secret = self.open_secret(settings, user, &totp.secret)?;
                let Some(step) = secret.matching_step(code, self.now()) else { return Ok(None) };
                if !store.accept_totp_step(user.id, &totp.secret, step).await? {
                    return Ok(None);
                }
                self.reseal_if_rotated(settings, user, &totp.secret, &secret).await;
                Ok(Some(Proven::Totp))
            }
            SecondFactorCode::Recovery(code) => {
                let left = store.spend_recovery_code(user.id, &code.digest(), self.now()).await?;
                Ok(left.map(|left| Proven::RecoveryCode { left }))
            }
        }
    }

    /// Seals a secret that an old key sealed again under the current key, so that the old
    /// key can retire once no secret names it ([`Auth::mfa_key_usage`]). A failure is
    /// logged: the old key still opens it.
    async fn reseal_if_rotated(
        &self,
        settings: &crate::MfaSettings,
        user: &UserRecord,
        stored: &crate::SealedSecret,
        secret: &crate::TotpSecret,
    ) {
        if stored.key_id == settings.keys().current_key_id() {
            return;
        }
        let resealed = match settings.keys().seal(user.id, secret) {
            Ok(new) => {
                self.inner.store.reseal_totp(user.id, stored, &new).await.map_err(Into::into)
            }
            Err(e) => Err(e),
        };
        match resealed {
            Ok(_) => {
                tracing::info!(target: "auth::mfa", user_id = user.id.get(), from = %stored.key_id, to = settings.keys().current_key_id(), "TOTP secret sealed again under the current key")
            }
            Err(e) => {
                tracing::warn!(target: "auth::mfa", user_id = user.id.get(), error = %e, "could not seal a TOTP secret again")
            }
        }
    }

    /// How many stored TOTP secrets each key sealed, by key id, and whether the configured
    /// keys still hold it: for key rotation, an old key (`MfaKeyRing::with_old_key`) may
    /// retire when it seals none. Secrets are sealed again under the current key when next
    /// used.
    ///
    /// # Errors
    /// [`AuthError::MfaUnavailable`] without MFA settings; [`AuthError::Store`].
    pub async fn mfa_key_usage(&self) -> Result<Vec<MfaKeyUsage>> {
        let settings = self.mfa_settings()?;
        let usage = self.inner.store.totp_key_usage().await?;
        Ok(usage
            .into_iter()
            .map(|(key_id, secrets)| MfaKeyUsage {
                current: key_id == settings.keys().current_key_id(),
                known: settings.keys().has_key(&key_id),
                key_id,
                secrets,
            })
            .collect())
    }

    /// After a recovery code was spent: the audit line, and the "N codes left" notice.
    pub(super) fn tell_codes_left(&self, user: &UserRecord, left: u32, ctx: &RequestContext) {
        audit!(info, "recovery_code_used", ctx, user_id = user.id.get(), left);
        let mail = Mail::RecoveryCodeUsed { username: user.username.as_str(), left };
        self.notify("recovery_code_used", user, &mail);
    }
}

fn no_second_factor() -> AuthError {
    AuthError::Conflict("No second factor is on")
}

fn second_factor_mail(user: &UserRecord, change: SecondFactorChange) -> Mail<'_> {
    Mail::SecondFactorChanged { username: user.username.as_str(), change }
}
