//! [`ThrottleStore`] on every database: each bucket take and each failure count is one
//! atomic upsert, read back in the same transaction, so every instance on the database
//! shares one limit.

use async_trait::async_trait;
use auth_core::{
    StoreResult,
    throttle::{Admission, Failures, Rate, ThrottleKey, ThrottleStore, admission},
};
use time::OffsetDateTime;

use super::Store;
use crate::{
    error::{other_error, retry},
    portable::{Arg, On, Portable, ReadRow, Statement, Upsert},
    rows::{BucketRow, FailureRow, micros},
};

impl<DB: Portable> Store<DB> {
    /// Runs `upsert`, then reads back with `read` the row of `key` it left, in one write
    /// transaction (tried again while the database is busy): the answer of the atomic
    /// update, before another one can change it.
    async fn upsert_and_read<'a, T: ReadRow + Send + 'a>(
        &'a self,
        upsert: &'static Statement,
        args: &'a [Arg<'a>],
        read: &'static Statement,
        key: &'a ThrottleKey,
    ) -> StoreResult<T> {
        retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                DB::execute(On::Tx(&mut tx), upsert, args).await?;
                let row = DB::fetch_optional(On::Tx(&mut tx), read, &[Arg::Str(key.as_str())])
                    .await?
                    .ok_or(sqlx::Error::RowNotFound)?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(row)
            }
            .await
        )
        .map_err(other_error)
    }
}

#[async_trait]
impl<DB: Portable> ThrottleStore for Store<DB> {
    async fn take(
        &self,
        key: &ThrottleKey,
        rate: Rate,
        now: OffsetDateTime,
    ) -> StoreResult<Admission> {
        let now = micros(now);
        let (interval, tolerance) = (rate.interval_micros(), rate.tolerance_micros());
        let take = match DB::UPSERT {
            Upsert::OnConflict => &TAKE_ON_CONFLICT,
            Upsert::OnDuplicateKey => &TAKE_ON_DUPLICATE_KEY,
        };
        // The GCRA rule's binds: key, now + interval, then (now, tolerance) twice, now, now,
        // interval.
        let args = [
            Arg::Str(key.as_str()),
            Arg::I64(now + interval),
            Arg::I64(now),
            Arg::I64(tolerance),
            Arg::I64(now),
            Arg::I64(tolerance),
            Arg::I64(now),
            Arg::I64(now),
            Arg::I64(interval),
        ];
        let bucket: BucketRow = self.upsert_and_read(take, &args, &BUCKET, key).await?;
        Ok(admission(bucket.admitted, bucket.tat, now, rate))
    }

    async fn failures(&self, key: &ThrottleKey) -> StoreResult<Option<Failures>> {
        let args = [Arg::Str(key.as_str())];
        let row: Option<FailureRow> =
            retry!(DB::fetch_optional(On::Pool(&self.pool), &FAILURES, &args).await)
                .map_err(other_error)?;
        row.map(FailureRow::into_failures).transpose()
    }

    async fn add_failure(&self, key: &ThrottleKey, now: OffsetDateTime) -> StoreResult<Failures> {
        let at = micros(now);
        let add = match DB::UPSERT {
            Upsert::OnConflict => &ADD_FAILURE_ON_CONFLICT,
            Upsert::OnDuplicateKey => &ADD_FAILURE_ON_DUPLICATE_KEY,
        };
        let args = [Arg::Str(key.as_str()), Arg::I64(at), Arg::I64(at)];
        let row: FailureRow = self.upsert_and_read(add, &args, &FAILURES, key).await?;
        row.into_failures()
    }

    async fn withdraw_failure(&self, key: &ThrottleKey) -> StoreResult<()> {
        let args = [Arg::Str(key.as_str())];
        retry!(DB::execute(On::Pool(&self.pool), &WITHDRAW_FAILURE, &args).await)
            .map(|_| ())
            .map_err(other_error)
    }

    async fn clear_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        let args = [Arg::Str(key.as_str())];
        retry!(DB::execute(On::Pool(&self.pool), &CLEAR_FAILURES, &args).await)
            .map(|_| ())
            .map_err(other_error)
    }

    async fn purge_throttle(
        &self,
        now: OffsetDateTime,
        failures_before: OffsetDateTime,
    ) -> StoreResult<u64> {
        let buckets = [Arg::I64(micros(now))];
        let buckets = retry!(DB::execute(On::Pool(&self.pool), &PURGE_BUCKETS, &buckets).await)
            .map_err(other_error)?;
        let failures = [Arg::I64(micros(failures_before))];
        let failures = retry!(DB::execute(On::Pool(&self.pool), &PURGE_FAILURES, &failures).await)
            .map_err(other_error)?;
        Ok(buckets + failures)
    }
}

// Throttling (auth_core::throttle). A bucket takes one attempt by the GCRA rule in one
// atomic upsert; the answer is kept in `admitted` and read back in the same transaction.
// Binds: key, now + interval, then (now, tolerance) twice, now, now, interval.

/// GCRA in SQL, the update half. In every dialect the right-hand sides read the row as it
/// was before this statement (MySQL assigns left to right, so `admitted` comes first and
/// the `tat` expression does not read it).
macro_rules! gcra_update {
    ($t:literal) => {
        concat!(
            "admitted = CASE WHEN ",
            $t,
            " - ? <= ? THEN 1 ELSE 0 END, \
             tat = CASE WHEN ",
            $t,
            " - ? <= ? \
                 THEN (CASE WHEN ",
            $t,
            " > ? THEN ",
            $t,
            " ELSE ? END) + ? \
                 ELSE ",
            $t,
            " END"
        )
    };
}

/// For PostgreSQL and SQLite.
static TAKE_ON_CONFLICT: Statement = Statement::new(concat!(
    "INSERT INTO auth_throttle_buckets (bucket_key, tat, admitted) VALUES (?, ?, 1) \
     ON CONFLICT (bucket_key) DO UPDATE SET ",
    gcra_update!("auth_throttle_buckets.tat")
));

/// For MySQL.
static TAKE_ON_DUPLICATE_KEY: Statement = Statement::new(concat!(
    "INSERT INTO auth_throttle_buckets (bucket_key, tat, admitted) VALUES (?, ?, 1) \
     ON DUPLICATE KEY UPDATE ",
    gcra_update!("tat")
));

static BUCKET: Statement =
    Statement::new("SELECT admitted, tat FROM auth_throttle_buckets WHERE bucket_key = ?");

/// For PostgreSQL and SQLite. Binds: key, now, now.
static ADD_FAILURE_ON_CONFLICT: Statement = Statement::new(
    "INSERT INTO auth_login_failures (account_key, failures, last_failure_at) VALUES (?, 1, ?) \
     ON CONFLICT (account_key) DO UPDATE SET \
     failures = auth_login_failures.failures + 1, last_failure_at = ?",
);

/// For MySQL. Binds: key, now, now.
static ADD_FAILURE_ON_DUPLICATE_KEY: Statement = Statement::new(
    "INSERT INTO auth_login_failures (account_key, failures, last_failure_at) VALUES (?, 1, ?) \
     ON DUPLICATE KEY UPDATE failures = failures + 1, last_failure_at = ?",
);

static FAILURES: Statement = Statement::new(
    "SELECT failures, last_failure_at FROM auth_login_failures WHERE account_key = ?",
);

static WITHDRAW_FAILURE: Statement = Statement::new(
    "UPDATE auth_login_failures SET failures = failures - 1 \
     WHERE account_key = ? AND failures > 0",
);

static CLEAR_FAILURES: Statement =
    Statement::new("DELETE FROM auth_login_failures WHERE account_key = ?");

static PURGE_BUCKETS: Statement =
    Statement::new("DELETE FROM auth_throttle_buckets WHERE tat <= ?");

static PURGE_FAILURES: Statement =
    Statement::new("DELETE FROM auth_login_failures WHERE last_failure_at < ?");
