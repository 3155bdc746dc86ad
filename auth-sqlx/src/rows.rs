//! Row types shared by every database, and their conversion to the core's records.

use auth_core::{
    Email, FamilyId, RefreshTokenRecord, Role, StoreError, StoredHash, TokenDigest, UserId,
    UserRecord, Username,
};
use time::OffsetDateTime;

/// Microseconds since the Unix epoch: how every database here stores time.
pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

fn from_micros(us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|_| corrupt("time out of range"))
}

/// A row of `auth_login_failures` (`failures`, `last_failure_at`).
pub(crate) fn failures(
    (count, last): (i32, i64),
) -> Result<auth_core::throttle::Failures, StoreError> {
    Ok(auth_core::throttle::Failures {
        count: u32::try_from(count).map_err(|_| corrupt("auth_login_failures.failures"))?,
        last: from_micros(last)?,
    })
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::backend(format!("corrupt row: {what}"))
}

/// A row of `auth_users`. `Debug` prints `[redacted]` for the hash.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    email: Option<String>,
    role: String,
    is_active: bool,
    password_hash: String,
    tokens_valid_after: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .field("password_hash", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl UserRow {
    pub(crate) fn into_record(self) -> Result<UserRecord, StoreError> {
        Ok(UserRecord {
            id: UserId::new(self.id),
            username: Username::from_stored(&self.username).map_err(|_| corrupt("username"))?,
            email: self
                .email
                .map(|e| Email::parse(&e))
                .transpose()
                .map_err(|_| corrupt("email"))?,
            role: self.role.parse::<Role>().map_err(|_| corrupt("role"))?,
            is_active: self.is_active,
            password_hash: StoredHash::new(self.password_hash),
            tokens_valid_after: self.tokens_valid_after.map(from_micros).transpose()?,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

/// A row of `auth_refresh_tokens`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TokenRow {
    digest: Vec<u8>,
    user_id: i64,
    family_id: Vec<u8>,
    parent: Option<Vec<u8>>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl TokenRow {
    pub(crate) fn into_record(self) -> Result<RefreshTokenRecord, StoreError> {
        let digest = |b: &[u8]| TokenDigest::from_slice(b).ok_or_else(|| corrupt("digest"));
        Ok(RefreshTokenRecord {
            digest: digest(&self.digest)?,
            user_id: UserId::new(self.user_id),
            family_id: FamilyId::from_uuid(
                uuid::Uuid::from_slice(&self.family_id).map_err(|_| corrupt("family id"))?,
            ),
            parent: self.parent.as_deref().map(digest).transpose()?,
            created_at: from_micros(self.created_at)?,
            expires_at: from_micros(self.expires_at)?,
            used_at: self.used_at.map(from_micros).transpose()?,
            revoked_at: self.revoked_at.map(from_micros).transpose()?,
            ip: self.ip,
            user_agent: self.user_agent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip_and_truncate() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_900_000_000_123_456_789).unwrap();
        let back = from_micros(micros(t)).unwrap();
        assert_eq!(back.unix_timestamp_nanos(), 1_900_000_000_123_456_000);
        assert_eq!(micros(OffsetDateTime::UNIX_EPOCH), 0);
    }
}
