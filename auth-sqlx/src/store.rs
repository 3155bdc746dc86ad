//! The store implementation, written once and instantiated for each database by
//! [`impl_sql_store!`]. Each database module supplies only what differs: its placeholder
//! style (`dialect`), how a new user's id comes back (`INSERT_USER_SQL`, `insert_user`), its
//! upsert syntax for throttling (`TAKE_SQL`, `ADD_FAILURE_SQL`), and how a write transaction
//! begins (`begin_write`).

/// Implements [`UserStore`](auth_core::UserStore),
/// [`RefreshTokenStore`](auth_core::RefreshTokenStore) and
/// [`ThrottleStore`](auth_core::throttle::ThrottleStore) for a store type with a `pool` field
/// and the database-specific items named in the module docs.
macro_rules! impl_sql_store {
    ($store:ident) => {
        /// The SQL of a statement in this database's placeholder style, built once.
        macro_rules! sql {
            ($text:expr) => {{
                static SQL: std::sync::LazyLock<String> =
                    std::sync::LazyLock::new(|| $store::dialect($text));
                SQL.as_str()
            }};
        }

        #[async_trait::async_trait]
        impl auth_core::UserStore for $store {
            async fn create_user(
                &self,
                user: auth_core::NewUser,
            ) -> auth_core::store::StoreResult<auth_core::UserRecord> {
                let created = $crate::rows::micros(user.created_at);
                let id = $crate::error::retry!(
                    self.insert_user(
                        sqlx::query(sql!($store::INSERT_USER_SQL))
                            .bind(user.username.as_str())
                            .bind(user.username.key())
                            .bind(user.email.as_ref().map(|e| e.as_str()))
                            .bind(user.role.as_str())
                            .bind(user.is_active)
                            .bind(user.password_hash.as_str())
                            .bind(created)
                            .bind(created)
                    )
                    .await
                )
                .map_err($crate::error::user_error)?;
                Ok(user.into_record(auth_core::UserId::new(id)))
            }

            async fn user_by_id(
                &self,
                id: auth_core::UserId,
            ) -> auth_core::store::StoreResult<Option<auth_core::UserRecord>> {
                sqlx::query_as::<_, $crate::rows::UserRow>(sql!($crate::sql::USER_BY_ID))
                    .bind(id.get())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::other_error)?
                    .map($crate::rows::UserRow::into_record)
                    .transpose()
            }

            async fn user_by_username(
                &self,
                username: &auth_core::Username,
            ) -> auth_core::store::StoreResult<Option<auth_core::UserRecord>> {
                sqlx::query_as::<_, $crate::rows::UserRow>(sql!($crate::sql::USER_BY_KEY))
                    .bind(username.key())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::other_error)?
                    .map($crate::rows::UserRow::into_record)
                    .transpose()
            }

            async fn update_user(
                &self,
                id: auth_core::UserId,
                update: auth_core::UserUpdate,
            ) -> auth_core::store::StoreResult<Option<auth_core::UserRecord>> {
                let row = $crate::error::retry!(
                    async {
                        let mut tx = self.begin_write().await?;
                        sqlx::query(sql!($crate::sql::UPDATE_USER))
                            .bind(update.role.map(|r| r.as_str()))
                            .bind(update.is_active)
                            .bind(update.password_hash.as_ref().map(|h| h.as_str()))
                            .bind(update.tokens_valid_after.map($crate::rows::micros))
                            .bind(update.tokens_valid_after.map($crate::rows::micros))
                            .bind(update.updated_at.map($crate::rows::micros))
                            .bind(id.get())
                            .execute(&mut *tx)
                            .await?;
                        let row = sqlx::query_as::<_, $crate::rows::UserRow>(sql!(
                            $crate::sql::USER_BY_ID
                        ))
                        .bind(id.get())
                        .fetch_optional(&mut *tx)
                        .await?;
                        tx.commit().await?;
                        Ok::<_, sqlx::Error>(row)
                    }
                    .await
                )
                .map_err($crate::error::other_error)?;
                row.map($crate::rows::UserRow::into_record).transpose()
            }

            async fn list_users(
                &self,
                page: auth_core::Page,
            ) -> auth_core::store::StoreResult<Vec<auth_core::UserRecord>> {
                sqlx::query_as::<_, $crate::rows::UserRow>(sql!($crate::sql::LIST_USERS))
                    .bind(i64::from(page.limit()))
                    .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::other_error)?
                    .into_iter()
                    .map($crate::rows::UserRow::into_record)
                    .collect()
            }

            async fn delete_user(
                &self,
                id: auth_core::UserId,
            ) -> auth_core::store::StoreResult<bool> {
                let done = $crate::error::retry!(
                    sqlx::query(sql!($crate::sql::DELETE_USER))
                        .bind(id.get())
                        .execute(&self.pool)
                        .await
                )
                .map_err($crate::error::other_error)?;
                Ok(done.rows_affected() > 0)
            }

            async fn ping(&self) -> auth_core::store::StoreResult<()> {
                sqlx::query(sql!($crate::sql::PING))
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err($crate::error::other_error)
            }
        }

        #[async_trait::async_trait]
        impl auth_core::RefreshTokenStore for $store {
            async fn insert_refresh_token(
                &self,
                token: auth_core::NewRefreshToken,
            ) -> auth_core::store::StoreResult<()> {
                let record = token.into_record();
                $crate::error::retry!(
                    sqlx::query(sql!($crate::sql::INSERT_TOKEN))
                        .bind(record.digest.as_bytes().as_slice())
                        .bind(record.user_id.get())
                        .bind(record.family_id.as_uuid().as_bytes().as_slice())
                        .bind(record.parent.as_ref().map(|p| p.as_bytes().as_slice()))
                        .bind($crate::rows::micros(record.created_at))
                        .bind($crate::rows::micros(record.expires_at))
                        .bind(record.ip.as_deref())
                        .bind(record.user_agent.as_deref())
                        .execute(&self.pool)
                        .await
                )
                .map(|_| ())
                .map_err($crate::error::other_error)
            }

            async fn rotate_refresh_token(
                &self,
                presented: &auth_core::TokenDigest,
                replacement: auth_core::Replacement,
                now: time::OffsetDateTime,
            ) -> auth_core::store::StoreResult<auth_core::RotateOutcome> {
                let at = $crate::rows::micros(now);
                let digest = presented.as_bytes().as_slice();
                let rotated = $crate::error::retry!(
                    async {
                        let mut tx = self.begin_write().await?;
                        let spent = sqlx::query(sql!($crate::sql::SPEND_TOKEN))
                            .bind(at)
                            .bind(digest)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        if spent != 1 {
                            tx.rollback().await?;
                            return Ok::<_, sqlx::Error>(None);
                        }
                        let old = sqlx::query_as::<_, $crate::rows::TokenRow>(sql!(
                            $crate::sql::TOKEN_BY_DIGEST
                        ))
                        .bind(digest)
                        .fetch_one(&mut *tx)
                        .await?;
                        let old = old.into_record().map_err(|e| sqlx::Error::Decode(e.into()))?;
                        let new = replacement.clone().into_record(&old);
                        sqlx::query(sql!($crate::sql::INSERT_TOKEN))
                            .bind(new.digest.as_bytes().as_slice())
                            .bind(new.user_id.get())
                            .bind(new.family_id.as_uuid().as_bytes().as_slice())
                            .bind(new.parent.as_ref().map(|p| p.as_bytes().as_slice()))
                            .bind($crate::rows::micros(new.created_at))
                            .bind($crate::rows::micros(new.expires_at))
                            .bind(new.ip.as_deref())
                            .bind(new.user_agent.as_deref())
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        Ok(Some((old, new)))
                    }
                    .await
                )
                .map_err($crate::error::other_error)?;
                if let Some((old, new)) = rotated {
                    return Ok(auth_core::RotateOutcome::Rotated {
                        old: Box::new(old),
                        new: Box::new(new),
                    });
                }
                // Not spendable now, so it cannot become spendable: a plain read classifies it.
                Ok(match self.refresh_token(presented).await? {
                    None => auth_core::RotateOutcome::Unknown,
                    Some(t) if t.used_at.is_some() => auth_core::RotateOutcome::Replayed(t),
                    Some(t) => auth_core::RotateOutcome::Inactive(t),
                })
            }

            async fn refresh_token(
                &self,
                digest: &auth_core::TokenDigest,
            ) -> auth_core::store::StoreResult<Option<auth_core::RefreshTokenRecord>> {
                sqlx::query_as::<_, $crate::rows::TokenRow>(sql!($crate::sql::TOKEN_BY_DIGEST))
                    .bind(digest.as_bytes().as_slice())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::other_error)?
                    .map($crate::rows::TokenRow::into_record)
                    .transpose()
            }

            async fn revoke_family(
                &self,
                family: auth_core::FamilyId,
                now: time::OffsetDateTime,
            ) -> auth_core::store::StoreResult<u64> {
                $crate::error::retry!(
                    sqlx::query(sql!($crate::sql::REVOKE_FAMILY))
                        .bind($crate::rows::micros(now))
                        .bind(family.as_uuid().as_bytes().as_slice())
                        .execute(&self.pool)
                        .await
                )
                .map(|r| r.rows_affected())
                .map_err($crate::error::other_error)
            }

            async fn revoke_user_tokens(
                &self,
                user: auth_core::UserId,
                now: time::OffsetDateTime,
            ) -> auth_core::store::StoreResult<u64> {
                $crate::error::retry!(
                    sqlx::query(sql!($crate::sql::REVOKE_USER))
                        .bind($crate::rows::micros(now))
                        .bind(user.get())
                        .execute(&self.pool)
                        .await
                )
                .map(|r| r.rows_affected())
                .map_err($crate::error::other_error)
            }

            async fn live_refresh_tokens(
                &self,
                user: auth_core::UserId,
                now: time::OffsetDateTime,
            ) -> auth_core::store::StoreResult<Vec<auth_core::RefreshTokenRecord>> {
                sqlx::query_as::<_, $crate::rows::TokenRow>(sql!($crate::sql::LIVE_TOKENS))
                    .bind(user.get())
                    .bind($crate::rows::micros(now))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::other_error)?
                    .into_iter()
                    .map($crate::rows::TokenRow::into_record)
                    .collect()
            }

            async fn purge_expired(
                &self,
                before: time::OffsetDateTime,
            ) -> auth_core::store::StoreResult<u64> {
                $crate::error::retry!(
                    sqlx::query(sql!($crate::sql::PURGE_EXPIRED))
                        .bind($crate::rows::micros(before))
                        .execute(&self.pool)
                        .await
                )
                .map(|r| r.rows_affected())
                .map_err($crate::error::other_error)
            }
        }

        #[async_trait::async_trait]
        impl auth_core::throttle::ThrottleStore for $store {
            async fn take(
                &self,
                key: &auth_core::throttle::ThrottleKey,
                rate: auth_core::throttle::Rate,
                now: time::OffsetDateTime,
            ) -> auth_core::store::StoreResult<auth_core::throttle::Admission> {
                let now = $crate::rows::micros(now);
                let (interval, tolerance) = (rate.interval_micros(), rate.tolerance_micros());
                let (admitted, tat) = $crate::error::retry!(
                    async {
                        let mut tx = self.begin_write().await?;
                        sqlx::query(sql!($store::TAKE_SQL))
                            .bind(key.as_str())
                            .bind(now + interval)
                            .bind(now)
                            .bind(tolerance)
                            .bind(now)
                            .bind(tolerance)
                            .bind(now)
                            .bind(now)
                            .bind(interval)
                            .execute(&mut *tx)
                            .await?;
                        let row: (i32, i64) = sqlx::query_as(sql!($crate::sql::BUCKET))
                            .bind(key.as_str())
                            .fetch_one(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        Ok::<_, sqlx::Error>(row)
                    }
                    .await
                )
                .map_err($crate::error::other_error)?;
                Ok(auth_core::throttle::gcra::admission(admitted == 1, tat, now, rate))
            }

            async fn failures(
                &self,
                key: &auth_core::throttle::ThrottleKey,
            ) -> auth_core::store::StoreResult<Option<auth_core::throttle::Failures>> {
                let row: Option<(i32, i64)> = $crate::error::retry!(
                    sqlx::query_as(sql!($crate::sql::FAILURES))
                        .bind(key.as_str())
                        .fetch_optional(&self.pool)
                        .await
                )
                .map_err($crate::error::other_error)?;
                row.map($crate::rows::failures).transpose()
            }

            async fn add_failure(
                &self,
                key: &auth_core::throttle::ThrottleKey,
                now: time::OffsetDateTime,
            ) -> auth_core::store::StoreResult<auth_core::throttle::Failures> {
                let at = $crate::rows::micros(now);
                let row: (i32, i64) = $crate::error::retry!(
                    async {
                        let mut tx = self.begin_write().await?;
                        sqlx::query(sql!($store::ADD_FAILURE_SQL))
                            .bind(key.as_str())
                            .bind(at)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                        let row = sqlx::query_as(sql!($crate::sql::FAILURES))
                            .bind(key.as_str())
                            .fetch_one(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        Ok::<_, sqlx::Error>(row)
                    }
                    .await
                )
                .map_err($crate::error::other_error)?;
                $crate::rows::failures(row)
            }

            async fn clear_failures(
                &self,
                key: &auth_core::throttle::ThrottleKey,
            ) -> auth_core::store::StoreResult<()> {
                $crate::error::retry!(
                    sqlx::query(sql!($crate::sql::CLEAR_FAILURES))
                        .bind(key.as_str())
                        .execute(&self.pool)
                        .await
                )
                .map(|_| ())
                .map_err($crate::error::other_error)
            }

            async fn purge_throttle(
                &self,
                now: time::OffsetDateTime,
                failures_before: time::OffsetDateTime,
            ) -> auth_core::store::StoreResult<u64> {
                let buckets = $crate::error::retry!(
                    sqlx::query(sql!($crate::sql::PURGE_BUCKETS))
                        .bind($crate::rows::micros(now))
                        .execute(&self.pool)
                        .await
                )
                .map_err($crate::error::other_error)?;
                let failures = $crate::error::retry!(
                    sqlx::query(sql!($crate::sql::PURGE_FAILURES))
                        .bind($crate::rows::micros(failures_before))
                        .execute(&self.pool)
                        .await
                )
                .map_err($crate::error::other_error)?;
                Ok(buckets.rows_affected() + failures.rows_affected())
            }
        }
    };
}

pub(crate) use impl_sql_store;
