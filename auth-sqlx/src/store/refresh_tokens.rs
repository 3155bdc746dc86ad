//! [`RefreshTokenStore`] on every database, with the rotation: "spend this token if it is
//! live, and insert its successor", in one transaction.

use async_trait::async_trait;
use auth_core::{
    Amr, ClientHistory, FamilyId, KnownClient, NewRefreshToken, RefreshTokenRecord,
    RefreshTokenStore, Replacement, RotateOutcome, SessionRecord, StoreResult, TokenDigest, UserId,
};
use time::OffsetDateTime;

use super::Store;
use crate::{
    error::{other_error, retry},
    portable::{Arg, On, Portable, Statement},
    rows::{ClientRow, SessionRow, TokenRow, micros, token_args},
};

#[async_trait]
impl<DB: Portable> RefreshTokenStore for Store<DB> {
    async fn insert_refresh_token(&self, token: NewRefreshToken) -> StoreResult<()> {
        let record = token.into_record();
        let amr = Amr::join(&record.amr);
        let args = token_args(&record, &amr);
        retry!(DB::execute(On::Pool(&self.pool), &INSERT_TOKEN, &args).await)
            .map(|_| ())
            .map_err(other_error)
    }

    async fn rotate_refresh_token(
        &self,
        presented: &TokenDigest,
        replacement: Replacement,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome> {
        // Spends a token if it is live. Of several transactions spending the same token, the
        // row lock this UPDATE takes lets one through; the others find it spent and change
        // nothing.
        static SPEND_TOKEN: Statement = Statement::new(
            "UPDATE auth_refresh_tokens SET used_at = ? \
             WHERE digest = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        );
        let at = micros(now);
        let digest = presented.as_bytes().as_slice();
        let rotated = retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                let spend = [Arg::I64(at), Arg::Bytes(digest), Arg::I64(at)];
                if DB::execute(On::Tx(&mut tx), &SPEND_TOKEN, &spend).await? != 1 {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(None);
                }
                // Read it back (now spent) for its user, family and expiry...
                let old: TokenRow =
                    DB::fetch_optional(On::Tx(&mut tx), &TOKEN_BY_DIGEST, &[Arg::Bytes(digest)])
                        .await?
                        .ok_or(sqlx::Error::RowNotFound)?;
                let old = old.into_record().map_err(|e| sqlx::Error::Decode(e.into()))?;
                // ...and insert its successor in the same family, with the family's expiry,
                // so that a crash leaves either the old token live or both written.
                let new = replacement.clone().into_record(&old);
                let amr = Amr::join(&new.amr);
                DB::execute(On::Tx(&mut tx), &INSERT_TOKEN, &token_args(&new, &amr)).await?;
                tx.commit().await?;
                Ok(Some((old, new)))
            }
            .await
        )
        .map_err(other_error)?;
        if let Some((old, new)) = rotated {
            return Ok(RotateOutcome::Rotated { old: Box::new(old), new: Box::new(new) });
        }
        // Not spendable now, so it cannot become spendable: a plain read classifies it.
        Ok(match self.refresh_token(presented).await? {
            None => RotateOutcome::Unknown,
            Some(t) if t.used_at.is_some() => RotateOutcome::Replayed(t),
            Some(t) => RotateOutcome::Inactive(t),
        })
    }

    async fn refresh_token(&self, digest: &TokenDigest) -> StoreResult<Option<RefreshTokenRecord>> {
        let args = [Arg::Bytes(digest.as_bytes())];
        let row: Option<TokenRow> =
            DB::fetch_optional(On::Pool(&self.pool), &TOKEN_BY_DIGEST, &args)
                .await
                .map_err(other_error)?;
        row.map(TokenRow::into_record).transpose()
    }

    async fn revoke_family(&self, family: FamilyId, now: OffsetDateTime) -> StoreResult<u64> {
        let args = [Arg::I64(micros(now)), Arg::Bytes(family.as_bytes())];
        // A rotation of the family may commit while the UPDATE waits for its row lock; under
        // PostgreSQL's READ COMMITTED the UPDATE then skips the successor the rotation
        // inserted (not in its snapshot). Repeating it until it changes nothing catches every
        // successor: each repeat starts after the rotation it waited for has committed, and
        // a revoked token cannot be rotated again.
        let mut revoked = 0;
        loop {
            let n = retry!(DB::execute(On::Pool(&self.pool), &REVOKE_FAMILY, &args).await)
                .map_err(other_error)?;
            if n == 0 {
                return Ok(revoked);
            }
            revoked += n;
        }
    }

    async fn set_session_amr(
        &self,
        user: UserId,
        family: FamilyId,
        amr: &[Amr],
    ) -> StoreResult<u64> {
        let amr = Amr::join(amr);
        let args =
            [Arg::Str(&amr), Arg::Bytes(family.as_bytes()), Arg::I64(user.get()), Arg::Str(&amr)];
        // Repeated until it changes nothing, as `revoke_family`: a rotation that committed
        // while the UPDATE waited copied the old methods to a successor it did not see.
        let mut changed = 0;
        loop {
            let n = retry!(DB::execute(On::Pool(&self.pool), &SET_SESSION_AMR, &args).await)
                .map_err(other_error)?;
            if n == 0 {
                return Ok(changed);
            }
            changed += n;
        }
    }

    async fn revoke_user_tokens(&self, user: UserId, now: OffsetDateTime) -> StoreResult<u64> {
        let args = [Arg::I64(micros(now)), Arg::I64(user.get())];
        retry!(DB::execute(On::Pool(&self.pool), &REVOKE_USER, &args).await).map_err(other_error)
    }

    async fn live_refresh_tokens(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshTokenRecord>> {
        let args = [Arg::I64(user.get()), Arg::I64(micros(now))];
        let rows: Vec<TokenRow> =
            DB::fetch_all(On::Pool(&self.pool), &LIVE_TOKENS, &args).await.map_err(other_error)?;
        rows.into_iter().map(TokenRow::into_record).collect()
    }

    async fn sessions(&self, user: UserId, now: OffsetDateTime) -> StoreResult<Vec<SessionRecord>> {
        let args = [Arg::I64(user.get()), Arg::I64(micros(now))];
        let rows: Vec<SessionRow> =
            retry!(DB::fetch_all(On::Pool(&self.pool), &SESSIONS, &args).await)
                .map_err(other_error)?;
        rows.into_iter().map(SessionRow::into_record).collect()
    }

    async fn session_is_live(
        &self,
        user: UserId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let args = [Arg::Bytes(family.as_bytes()), Arg::I64(user.get()), Arg::I64(micros(now))];
        let row: Option<TokenRow> =
            retry!(DB::fetch_optional(On::Pool(&self.pool), &LIVE_IN_FAMILY, &args).await)
                .map_err(other_error)?;
        Ok(row.is_some())
    }

    async fn client_history(
        &self,
        user: UserId,
        except: FamilyId,
        client: &KnownClient,
    ) -> StoreResult<ClientHistory> {
        let (ip, agent) = (client.ip.as_deref(), client.user_agent.as_deref());
        let outside = [Arg::I64(user.get()), Arg::Bytes(except.as_bytes())];
        let any: Option<ClientRow> =
            DB::fetch_optional(On::Pool(&self.pool), &ANY_OTHER_SESSION, &outside)
                .await
                .map_err(other_error)?;
        if any.is_none() {
            return Ok(ClientHistory::default());
        }
        let args = [
            Arg::I64(user.get()),
            Arg::Bytes(except.as_bytes()),
            Arg::Str(ip.unwrap_or_default()),
            Arg::Str(agent.unwrap_or_default()),
        ];
        // A case-insensitive collation (MySQL's) may find more: the exact comparison here
        // decides (should 16 case variants of one user agent crowd the exact one out, the
        // cost is a needless notice).
        let rows: Vec<ClientRow> =
            DB::fetch_all(On::Pool(&self.pool), &FROM_CLIENT, &args).await.map_err(other_error)?;
        let same = |a: Option<String>, b: Option<&str>| {
            a.as_deref().unwrap_or_default() == b.unwrap_or_default()
        };
        let from_this_client = rows
            .into_iter()
            .map(ClientRow::into_client)
            .any(|c| same(c.ip, ip) && same(c.user_agent, agent));
        Ok(ClientHistory { signed_in_before: true, from_this_client })
    }

    async fn purge_expired(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let args = [Arg::I64(micros(before))];
        retry!(DB::execute(On::Pool(&self.pool), &PURGE_EXPIRED, &args).await).map_err(other_error)
    }
}

// The statements, with `?` placeholders (`portable` numbers them for PostgreSQL).

macro_rules! token_columns {
    () => {
        "digest, user_id, family_id, parent, created_at, expires_at, used_at, revoked_at, ip, \
         user_agent, amr, auth_time"
    };
}

static INSERT_TOKEN: Statement = Statement::new(
    "INSERT INTO auth_refresh_tokens \
     (digest, user_id, family_id, parent, created_at, expires_at, ip, user_agent, amr, \
      auth_time) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
);

static TOKEN_BY_DIGEST: Statement = Statement::new(concat!(
    "SELECT ",
    token_columns!(),
    " FROM auth_refresh_tokens WHERE digest = ?"
));

static REVOKE_FAMILY: Statement = Statement::new(
    "UPDATE auth_refresh_tokens SET revoked_at = ? \
     WHERE family_id = ? AND revoked_at IS NULL",
);

static SET_SESSION_AMR: Statement = Statement::new(
    "UPDATE auth_refresh_tokens SET amr = ? \
     WHERE family_id = ? AND user_id = ? AND revoked_at IS NULL AND (amr IS NULL OR amr <> ?)",
);

static REVOKE_USER: Statement = Statement::new(
    "UPDATE auth_refresh_tokens SET revoked_at = ? \
     WHERE user_id = ? AND revoked_at IS NULL",
);

static LIVE_TOKENS: Statement = Statement::new(concat!(
    "SELECT ",
    token_columns!(),
    " FROM auth_refresh_tokens \
     WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? \
     ORDER BY created_at DESC, digest"
));

// A session is a family with a live token: that token, and when the family's first one was
// issued (every member stays until the family expires, so the minimum is the login).
static SESSIONS: Statement = Statement::new(concat!(
    "SELECT ",
    token_columns!(),
    ", (SELECT MIN(f.created_at) FROM auth_refresh_tokens f \
        WHERE f.family_id = auth_refresh_tokens.family_id) AS began_at \
     FROM auth_refresh_tokens \
     WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? \
     ORDER BY began_at DESC, family_id"
));

static LIVE_IN_FAMILY: Statement = Statement::new(concat!(
    "SELECT ",
    token_columns!(),
    " FROM auth_refresh_tokens \
     WHERE family_id = ? AND user_id = ? AND used_at IS NULL AND revoked_at IS NULL \
     AND expires_at > ? LIMIT 1"
));

static ANY_OTHER_SESSION: Statement = Statement::new(
    "SELECT ip, user_agent FROM auth_refresh_tokens WHERE user_id = ? AND family_id <> ? LIMIT 1",
);

static FROM_CLIENT: Statement = Statement::new(
    "SELECT ip, user_agent FROM auth_refresh_tokens \
     WHERE user_id = ? AND family_id <> ? \
     AND COALESCE(ip, '') = ? AND COALESCE(user_agent, '') = ? LIMIT 16",
);

static PURGE_EXPIRED: Statement =
    Statement::new("DELETE FROM auth_refresh_tokens WHERE expires_at < ?");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_tokens_are_newest_first() {
        assert!(
            crate::portable::numbered_placeholders(LIVE_TOKENS.text())
                .ends_with("expires_at > $2 ORDER BY created_at DESC, digest")
        );
    }
}
