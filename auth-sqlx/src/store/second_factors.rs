//! [`SecondFactorStore`] on every database: TOTP factors, recovery codes and MFA tokens.
//! Every change that turns a factor on or off runs in one transaction with the user's row
//! locked (SQLite's write transaction serialises them), and sets `auth_users.mfa_enabled`
//! there too; single-use things are spent in one conditional `UPDATE`.

use async_trait::async_trait;
use auth_core::{
    LoginOrigin, MfaToken, MfaTokenRecord, SealedSecret, SecondFactorStore, StoreError,
    StoreResult, TokenDigest, TotpRecord, UserId,
};
use time::OffsetDateTime;

use super::{Store, lock_user};
use crate::{
    error::{other_error, retry},
    portable::{Arg, On, Portable, ReadRow, Statement},
    rows::{corrupt, micros, time_of},
};

#[async_trait]
impl<DB: Portable> SecondFactorStore for Store<DB> {
    async fn begin_totp_enrolment(
        &self,
        user: UserId,
        secret: SealedSecret,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let id = Arg::I64(user.get());
        let insert =
            [id, Arg::Str(&secret.key_id), Arg::Bytes(&secret.sealed), Arg::I64(micros(now))];
        retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                lock_user::<DB>(&mut tx, id).await?;
                let current: Option<TotpRow> =
                    DB::fetch_optional(On::Tx(&mut tx), &TOTP_BY_USER, &[id]).await?;
                match current {
                    Some(t) if t.confirmed_at.is_some() => {
                        tx.rollback().await?;
                        return Ok::<_, sqlx::Error>(false);
                    }
                    // Only a row that exists is deleted: on MySQL, deleting a missing row
                    // locks the gap where it would be, and first enrolments of different
                    // users would deadlock on it.
                    Some(_) => {
                        DB::execute(On::Tx(&mut tx), &DELETE_TOTP, &[id]).await?;
                    }
                    None => {}
                }
                DB::execute(On::Tx(&mut tx), &INSERT_TOTP, &insert).await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        )
        .map_err(other_error)
    }

    async fn totp(&self, user: UserId) -> StoreResult<Option<TotpRecord>> {
        let row: Option<TotpRow> =
            DB::fetch_optional(On::Pool(&self.pool), &TOTP_BY_USER, &[Arg::I64(user.get())])
                .await
                .map_err(other_error)?;
        row.map(TotpRow::into_record).transpose()
    }

    async fn confirm_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: u64,
        codes: &[TokenDigest],
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (id, at) = (Arg::I64(user.get()), Arg::I64(micros(now)));
        let step = Arg::I64(step_arg(step)?);
        let confirm = [at, step, id, Arg::Str(&secret.key_id), Arg::Bytes(&secret.sealed)];
        retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                lock_user::<DB>(&mut tx, id).await?;
                if DB::execute(On::Tx(&mut tx), &CONFIRM_TOTP, &confirm).await? != 1 {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(false);
                }
                write_codes::<DB>(&mut tx, id, codes, at).await?;
                DB::execute(On::Tx(&mut tx), &SET_MFA_ENABLED, &[Arg::Bool(true), id]).await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        )
        .map_err(other_error)
    }

    async fn accept_totp_step(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: u64,
    ) -> StoreResult<bool> {
        let step = Arg::I64(step_arg(step)?);
        let (key_id, sealed) = (Arg::Str(&secret.key_id), Arg::Bytes(&secret.sealed));
        let args = [step, Arg::I64(user.get()), key_id, sealed, step];
        let n = retry!(DB::execute(On::Pool(&self.pool), &ACCEPT_STEP, &args).await)
            .map_err(other_error)?;
        Ok(n == 1)
    }

    async fn reseal_totp(
        &self,
        user: UserId,
        old: &SealedSecret,
        new: &SealedSecret,
    ) -> StoreResult<bool> {
        let args = [
            Arg::Str(&new.key_id),
            Arg::Bytes(&new.sealed),
            Arg::I64(user.get()),
            Arg::Str(&old.key_id),
            Arg::Bytes(&old.sealed),
        ];
        let n = retry!(DB::execute(On::Pool(&self.pool), &RESEAL_TOTP, &args).await)
            .map_err(other_error)?;
        Ok(n == 1)
    }

    async fn totp_key_usage(&self) -> StoreResult<Vec<(String, u64)>> {
        let rows: Vec<KeyUsage> =
            retry!(DB::fetch_all(On::Pool(&self.pool), &TOTP_KEY_USAGE, &[]).await)
                .map_err(other_error)?;
        Ok(rows.into_iter().map(|r| (r.key_id, r.n)).collect())
    }

    async fn spend_recovery_code(
        &self,
        user: UserId,
        code: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<u32>> {
        let id = Arg::I64(user.get());
        let spend = [Arg::I64(micros(now)), id, Arg::Bytes(code.as_bytes())];
        retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                if DB::execute(On::Tx(&mut tx), &SPEND_CODE, &spend).await? != 1 {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(None);
                }
                let left: Option<Count> =
                    DB::fetch_optional(On::Tx(&mut tx), &CODES_LEFT, &[id]).await?;
                tx.commit().await?;
                Ok(Some(left.map_or(0, |c| c.0)))
            }
            .await
        )
        .map_err(other_error)
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[TokenDigest],
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (id, at) = (Arg::I64(user.get()), Arg::I64(micros(now)));
        retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                lock_user::<DB>(&mut tx, id).await?;
                let current: Option<TotpRow> =
                    DB::fetch_optional(On::Tx(&mut tx), &TOTP_BY_USER, &[id]).await?;
                if current.is_none_or(|t| t.confirmed_at.is_none()) {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(false);
                }
                write_codes::<DB>(&mut tx, id, codes, at).await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        )
        .map_err(other_error)
    }

    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32> {
        let left: Option<Count> =
            DB::fetch_optional(On::Pool(&self.pool), &CODES_LEFT, &[Arg::I64(user.get())])
                .await
                .map_err(other_error)?;
        Ok(left.map_or(0, |c| c.0))
    }

    async fn remove_second_factors(&self, user: UserId) -> StoreResult<bool> {
        let id = Arg::I64(user.get());
        retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                lock_user::<DB>(&mut tx, id).await?;
                let current: Option<TotpRow> =
                    DB::fetch_optional(On::Tx(&mut tx), &TOTP_BY_USER, &[id]).await?;
                for statement in [&DELETE_ANY_TOTP, &DELETE_CODES, &DELETE_MFA_TOKENS] {
                    DB::execute(On::Tx(&mut tx), statement, &[id]).await?;
                }
                DB::execute(On::Tx(&mut tx), &SET_MFA_ENABLED, &[Arg::Bool(false), id]).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(current.is_some_and(|t| t.confirmed_at.is_some()))
            }
            .await
        )
        .map_err(other_error)
    }

    async fn issue_mfa_token(&self, token: MfaTokenRecord) -> StoreResult<()> {
        let args = [
            Arg::Bytes(token.digest.as_bytes()),
            Arg::I64(token.user_id.get()),
            Arg::Str(token.origin.as_str()),
            Arg::I64(micros(token.created_at)),
            Arg::I64(micros(token.expires_at)),
            Arg::I64(i64::from(token.attempts)),
        ];
        retry!(DB::execute(On::Pool(&self.pool), &INSERT_MFA_TOKEN, &args).await)
            .map(|_| ())
            .map_err(other_error)
    }

    async fn attempt_mfa_token(
        &self,
        presented: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MfaTokenRecord>> {
        let digest = Arg::Bytes(presented.as_bytes());
        let attempt = [digest, Arg::I64(micros(now)), max_attempts()];
        self.change_then_read(&ATTEMPT_MFA_TOKEN, &attempt, digest).await
    }

    async fn spend_mfa_token(
        &self,
        presented: &TokenDigest,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MfaTokenRecord>> {
        let (at, digest) = (Arg::I64(micros(now)), Arg::Bytes(presented.as_bytes()));
        self.change_then_read(&SPEND_MFA_TOKEN, &[at, digest, at], digest).await
    }

    async fn purge_mfa_tokens(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let args = [Arg::I64(micros(before))];
        retry!(DB::execute(On::Pool(&self.pool), &PURGE_MFA_TOKENS, &args).await)
            .map_err(other_error)
    }
}

impl<DB: Portable> Store<DB> {
    /// Runs `change` (a conditional `UPDATE` of one MFA token) and, if it changed the row,
    /// reads the token back in the same transaction.
    async fn change_then_read(
        &self,
        change: &'static Statement,
        args: &[Arg<'_>],
        digest: Arg<'_>,
    ) -> StoreResult<Option<MfaTokenRecord>> {
        let row: Option<MfaTokenRow> = retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                if DB::execute(On::Tx(&mut tx), change, args).await? != 1 {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(None);
                }
                let row =
                    DB::fetch_optional(On::Tx(&mut tx), &MFA_TOKEN_BY_DIGEST, &[digest]).await?;
                tx.commit().await?;
                Ok(row)
            }
            .await
        )
        .map_err(other_error)?;
        row.map(MfaTokenRow::into_record).transpose()
    }
}

/// Replaces the user's recovery codes with `codes` (deleting only when there are some: see
/// `begin_totp_enrolment` on MySQL's gap locks).
async fn write_codes<DB: Portable>(
    tx: &mut sqlx::Transaction<'static, DB>,
    id: Arg<'_>,
    codes: &[TokenDigest],
    at: Arg<'_>,
) -> Result<(), sqlx::Error> {
    let any: Option<Count> = DB::fetch_optional(On::Tx(tx), &ANY_CODES, &[id]).await?;
    if any.is_some_and(|c| c.0 > 0) {
        DB::execute(On::Tx(tx), &DELETE_CODES, &[id]).await?;
    }
    for code in codes {
        DB::execute(On::Tx(tx), &INSERT_CODE, &[id, Arg::Bytes(code.as_bytes()), at]).await?;
    }
    Ok(())
}

/// A time step as stored (a step of the year 2262 still fits).
fn step_arg(step: u64) -> StoreResult<i64> {
    i64::try_from(step).map_err(|_| StoreError::backend("TOTP step out of range"))
}

fn max_attempts() -> Arg<'static> {
    Arg::I64(i64::from(MfaToken::MAX_ATTEMPTS))
}

/// A row of `auth_totp`.
struct TotpRow {
    user_id: i64,
    key_id: String,
    sealed: Vec<u8>,
    confirmed_at: Option<i64>,
    last_step: Option<i64>,
    created_at: i64,
}

impl ReadRow for TotpRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self {
            user_id: DB::i64(row, "user_id")?,
            key_id: DB::string(row, "key_id")?,
            sealed: DB::bytes(row, "sealed")?,
            confirmed_at: DB::opt_i64(row, "confirmed_at")?,
            last_step: DB::opt_i64(row, "last_step")?,
            created_at: DB::i64(row, "created_at")?,
        })
    }
}

impl TotpRow {
    fn into_record(self) -> Result<TotpRecord, StoreError> {
        Ok(TotpRecord {
            user_id: UserId::new(self.user_id),
            secret: SealedSecret { key_id: self.key_id, sealed: self.sealed },
            confirmed_at: self.confirmed_at.map(time_of).transpose()?,
            last_step: self
                .last_step
                .map(|s| u64::try_from(s).map_err(|_| corrupt("last_step")))
                .transpose()?,
            created_at: time_of(self.created_at)?,
        })
    }
}

/// A row of `auth_mfa_tokens`.
struct MfaTokenRow {
    digest: Vec<u8>,
    user_id: i64,
    origin: String,
    created_at: i64,
    expires_at: i64,
    attempts: i64,
}

impl ReadRow for MfaTokenRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self {
            digest: DB::bytes(row, "digest")?,
            user_id: DB::i64(row, "user_id")?,
            origin: DB::string(row, "origin")?,
            created_at: DB::i64(row, "created_at")?,
            expires_at: DB::i64(row, "expires_at")?,
            attempts: DB::i64(row, "attempts")?,
        })
    }
}

impl MfaTokenRow {
    fn into_record(self) -> Result<MfaTokenRecord, StoreError> {
        Ok(MfaTokenRecord {
            digest: TokenDigest::from_slice(&self.digest).ok_or_else(|| corrupt("digest"))?,
            user_id: UserId::new(self.user_id),
            origin: LoginOrigin::from_stored(&self.origin).ok_or_else(|| corrupt("origin"))?,
            created_at: time_of(self.created_at)?,
            expires_at: time_of(self.expires_at)?,
            attempts: u32::try_from(self.attempts).map_err(|_| corrupt("attempts"))?,
        })
    }
}

/// A `COUNT(*) AS n`.
struct Count(u32);

impl ReadRow for Count {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        let n = DB::i64(row, "n")?;
        Ok(Self(u32::try_from(n).unwrap_or(u32::MAX)))
    }
}

/// A `key_id, COUNT(*) AS n` row.
struct KeyUsage {
    key_id: String,
    n: u64,
}

impl ReadRow for KeyUsage {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        let n = DB::i64(row, "n")?;
        Ok(Self { key_id: DB::string(row, "key_id")?, n: u64::try_from(n).unwrap_or(0) })
    }
}

static RESEAL_TOTP: Statement = Statement::new(
    "UPDATE auth_totp SET key_id = ?, sealed = ? WHERE user_id = ? AND key_id = ? AND sealed = ?",
);

static TOTP_KEY_USAGE: Statement =
    Statement::new("SELECT key_id, COUNT(*) AS n FROM auth_totp GROUP BY key_id ORDER BY key_id");

static TOTP_BY_USER: Statement = Statement::new(
    "SELECT user_id, key_id, sealed, confirmed_at, last_step, created_at \
     FROM auth_totp WHERE user_id = ?",
);

static DELETE_TOTP: Statement =
    Statement::new("DELETE FROM auth_totp WHERE user_id = ? AND confirmed_at IS NULL");

static DELETE_ANY_TOTP: Statement = Statement::new("DELETE FROM auth_totp WHERE user_id = ?");

static INSERT_TOTP: Statement = Statement::new(
    "INSERT INTO auth_totp (user_id, key_id, sealed, created_at) VALUES (?, ?, ?, ?)",
);

static CONFIRM_TOTP: Statement = Statement::new(
    "UPDATE auth_totp SET confirmed_at = ?, last_step = ? \
     WHERE user_id = ? AND confirmed_at IS NULL AND key_id = ? AND sealed = ?",
);

static ACCEPT_STEP: Statement = Statement::new(
    "UPDATE auth_totp SET last_step = ? \
     WHERE user_id = ? AND confirmed_at IS NOT NULL AND key_id = ? AND sealed = ? \
     AND (last_step IS NULL OR last_step < ?)",
);

static SET_MFA_ENABLED: Statement =
    Statement::new("UPDATE auth_users SET mfa_enabled = ? WHERE id = ?");

static DELETE_CODES: Statement =
    Statement::new("DELETE FROM auth_recovery_codes WHERE user_id = ?");

static INSERT_CODE: Statement = Statement::new(
    "INSERT INTO auth_recovery_codes (user_id, digest, created_at) VALUES (?, ?, ?)",
);

static SPEND_CODE: Statement = Statement::new(
    "UPDATE auth_recovery_codes SET used_at = ? \
     WHERE user_id = ? AND digest = ? AND used_at IS NULL",
);

static ANY_CODES: Statement =
    Statement::new("SELECT COUNT(*) AS n FROM auth_recovery_codes WHERE user_id = ?");

static CODES_LEFT: Statement = Statement::new(
    "SELECT COUNT(*) AS n FROM auth_recovery_codes WHERE user_id = ? AND used_at IS NULL",
);

static DELETE_MFA_TOKENS: Statement =
    Statement::new("DELETE FROM auth_mfa_tokens WHERE user_id = ?");

static INSERT_MFA_TOKEN: Statement = Statement::new(
    "INSERT INTO auth_mfa_tokens (digest, user_id, origin, created_at, expires_at, attempts) \
     VALUES (?, ?, ?, ?, ?, ?)",
);

static ATTEMPT_MFA_TOKEN: Statement = Statement::new(
    "UPDATE auth_mfa_tokens SET attempts = attempts + 1 \
     WHERE digest = ? AND used_at IS NULL AND expires_at > ? AND attempts < ?",
);

static SPEND_MFA_TOKEN: Statement = Statement::new(
    "UPDATE auth_mfa_tokens SET used_at = ? \
     WHERE digest = ? AND used_at IS NULL AND expires_at > ? AND attempts > 0",
);

static MFA_TOKEN_BY_DIGEST: Statement = Statement::new(
    "SELECT digest, user_id, origin, created_at, expires_at, attempts \
     FROM auth_mfa_tokens WHERE digest = ?",
);

static PURGE_MFA_TOKENS: Statement =
    Statement::new("DELETE FROM auth_mfa_tokens WHERE expires_at < ?");
