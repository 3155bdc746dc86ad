//! [`LinkTokenStore`] on every database: the tokens of mailed links, spent in one
//! conditional `UPDATE` (the row lock decides between concurrent spends), issued with the
//! user's other tokens of the purpose spent in the same transaction.

use async_trait::async_trait;
use auth_core::{LinkPurpose, LinkTokenRecord, LinkTokenStore, StoreResult, TokenDigest};
use time::OffsetDateTime;

use super::{Store, lock_user};
use crate::{
    error::{other_error, retry},
    portable::{Arg, On, Portable, Statement},
    rows::{LinkRow, micros},
};

#[async_trait]
impl<DB: Portable> LinkTokenStore for Store<DB> {
    async fn issue_link_token(&self, token: LinkTokenRecord) -> StoreResult<()> {
        let (user, purpose) = (Arg::I64(token.user_id.get()), Arg::Str(token.purpose.as_str()));
        let created = micros(token.created_at);
        let spend_others = [Arg::I64(created), user, purpose];
        let insert = [
            Arg::Bytes(token.digest.as_bytes()),
            user,
            purpose,
            Arg::OptStr(token.email.as_ref().map(|e| e.as_str())),
            Arg::I64(created),
            Arg::I64(micros(token.expires_at)),
        ];
        retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                // Two issues for one user queue here, so the later one spends the earlier's
                // token.
                lock_user::<DB>(&mut tx, user).await?;
                DB::execute(On::Tx(&mut tx), &SPEND_OTHERS, &spend_others).await?;
                DB::execute(On::Tx(&mut tx), &INSERT_LINK, &insert).await?;
                tx.commit().await
            }
            .await
        )
        .map_err(other_error)
    }

    async fn live_link_token(
        &self,
        presented: &TokenDigest,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<LinkTokenRecord>> {
        let args =
            [Arg::Bytes(presented.as_bytes()), Arg::Str(purpose.as_str()), Arg::I64(micros(now))];
        let row: Option<LinkRow> = DB::fetch_optional(On::Pool(&self.pool), &LIVE_LINK, &args)
            .await
            .map_err(other_error)?;
        row.map(LinkRow::into_record).transpose()
    }

    async fn spend_link_token(
        &self,
        presented: &TokenDigest,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<LinkTokenRecord>> {
        let at = micros(now);
        let digest = Arg::Bytes(presented.as_bytes());
        let spend = [Arg::I64(at), digest, Arg::Str(purpose.as_str()), Arg::I64(at)];
        let row: Option<LinkRow> = retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                if DB::execute(On::Tx(&mut tx), &SPEND_LINK, &spend).await? != 1 {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(None);
                }
                let row = DB::fetch_optional(On::Tx(&mut tx), &LINK_BY_DIGEST, &[digest]).await?;
                tx.commit().await?;
                Ok(row)
            }
            .await
        )
        .map_err(other_error)?;
        row.map(LinkRow::into_record).transpose()
    }

    async fn purge_link_tokens(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let args = [Arg::I64(micros(before))];
        retry!(DB::execute(On::Pool(&self.pool), &PURGE_LINKS, &args).await).map_err(other_error)
    }
}

static SPEND_OTHERS: Statement = Statement::new(
    "UPDATE auth_link_tokens SET used_at = ? \
     WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
);

static INSERT_LINK: Statement = Statement::new(
    "INSERT INTO auth_link_tokens (digest, user_id, purpose, email, created_at, expires_at) \
     VALUES (?, ?, ?, ?, ?, ?)",
);

static SPEND_LINK: Statement = Statement::new(
    "UPDATE auth_link_tokens SET used_at = ? \
     WHERE digest = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?",
);

static LINK_BY_DIGEST: Statement = Statement::new(
    "SELECT digest, user_id, purpose, email, created_at, expires_at \
     FROM auth_link_tokens WHERE digest = ?",
);

static LIVE_LINK: Statement = Statement::new(
    "SELECT digest, user_id, purpose, email, created_at, expires_at FROM auth_link_tokens \
     WHERE digest = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?",
);

static PURGE_LINKS: Statement = Statement::new("DELETE FROM auth_link_tokens WHERE expires_at < ?");
