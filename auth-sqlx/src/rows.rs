//! The rows of the stores' tables as every database returns them, and their conversion to
//! the core's records (a value a record cannot hold is a corrupt row, never a panic).

use auth_core::{
    Amr, Email, FamilyId, KnownClient, LinkPurpose, LinkTokenRecord, RefreshTokenRecord, Role,
    SessionRecord, StoreError, StoredHash, TokenDigest, UserId, UserRecord, Username,
    throttle::Failures,
};
use time::OffsetDateTime;

pub(crate) use crate::portable::micros;
use crate::portable::{Arg, Portable, ReadRow, from_micros};

/// A stored time, or a corrupt row.
pub(crate) fn time_of(us: i64) -> Result<OffsetDateTime, StoreError> {
    from_micros(us).ok_or_else(|| corrupt("time out of range"))
}

/// The error of a row whose `what` a record cannot hold.
pub(crate) fn corrupt(what: &'static str) -> StoreError {
    StoreError::backend(format!("corrupt row: {what}"))
}

/// A row of `auth_users`. `Debug` prints `[redacted]` for the hash.
pub(crate) struct UserRow {
    id: i64,
    username: String,
    email: Option<String>,
    pending_email: Option<String>,
    verified_email_key: Option<String>,
    role: String,
    is_active: bool,
    mfa_enabled: bool,
    password_hash: String,
    tokens_valid_after: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    /// The user's id, as stored.
    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    /// Whether the user is an active admin.
    pub(crate) fn is_active_admin(&self) -> bool {
        self.is_active && self.role == Role::Admin.as_str()
    }
}

impl ReadRow for UserRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: DB::i64(row, "id")?,
            username: DB::string(row, "username")?,
            email: DB::opt_string(row, "email")?,
            pending_email: DB::opt_string(row, "pending_email")?,
            verified_email_key: DB::opt_string(row, "verified_email_key")?,
            role: DB::string(row, "role")?,
            is_active: DB::bool(row, "is_active")?,
            mfa_enabled: DB::bool(row, "mfa_enabled")?,
            password_hash: DB::string(row, "password_hash")?,
            tokens_valid_after: DB::opt_i64(row, "tokens_valid_after")?,
            created_at: DB::i64(row, "created_at")?,
            updated_at: DB::i64(row, "updated_at")?,
        })
    }
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
        let address = |e: Option<String>| {
            e.map(|e| Email::parse(&e)).transpose().map_err(|_| corrupt("email"))
        };
        let email = address(self.email)?;
        // The key is the verified address's: one that names another address is corrupt.
        let email_verified = match (&self.verified_email_key, &email) {
            (None, _) => false,
            (Some(key), Some(email)) if *key == email.key() => true,
            (Some(_), _) => return Err(corrupt("verified_email_key")),
        };
        Ok(UserRecord {
            id: UserId::new(self.id),
            username: Username::from_stored(&self.username).map_err(|_| corrupt("username"))?,
            email,
            email_verified,
            pending_email: address(self.pending_email)?,
            role: self.role.parse::<Role>().map_err(|_| corrupt("role"))?,
            is_active: self.is_active,
            mfa_enabled: self.mfa_enabled,
            password_hash: StoredHash::new(self.password_hash),
            tokens_valid_after: self.tokens_valid_after.map(time_of).transpose()?,
            created_at: time_of(self.created_at)?,
            updated_at: time_of(self.updated_at)?,
        })
    }
}

/// A row of `auth_link_tokens`.
#[derive(Debug)]
pub(crate) struct LinkRow {
    digest: Vec<u8>,
    user_id: i64,
    purpose: String,
    email: Option<String>,
    created_at: i64,
    expires_at: i64,
}

impl ReadRow for LinkRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self {
            digest: DB::bytes(row, "digest")?,
            user_id: DB::i64(row, "user_id")?,
            purpose: DB::string(row, "purpose")?,
            email: DB::opt_string(row, "email")?,
            created_at: DB::i64(row, "created_at")?,
            expires_at: DB::i64(row, "expires_at")?,
        })
    }
}

impl LinkRow {
    pub(crate) fn into_record(self) -> Result<LinkTokenRecord, StoreError> {
        Ok(LinkTokenRecord {
            digest: TokenDigest::from_slice(&self.digest).ok_or_else(|| corrupt("digest"))?,
            user_id: UserId::new(self.user_id),
            purpose: LinkPurpose::from_stored(&self.purpose).ok_or_else(|| corrupt("purpose"))?,
            email: self
                .email
                .map(|e| Email::parse(&e))
                .transpose()
                .map_err(|_| corrupt("email"))?,
            created_at: time_of(self.created_at)?,
            expires_at: time_of(self.expires_at)?,
        })
    }
}

/// A row of `auth_refresh_tokens`.
#[derive(Debug)]
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
    amr: Option<String>,
    auth_time: Option<i64>,
}

impl ReadRow for TokenRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self {
            digest: DB::bytes(row, "digest")?,
            user_id: DB::i64(row, "user_id")?,
            family_id: DB::bytes(row, "family_id")?,
            parent: DB::opt_bytes(row, "parent")?,
            created_at: DB::i64(row, "created_at")?,
            expires_at: DB::i64(row, "expires_at")?,
            used_at: DB::opt_i64(row, "used_at")?,
            revoked_at: DB::opt_i64(row, "revoked_at")?,
            ip: DB::opt_string(row, "ip")?,
            user_agent: DB::opt_string(row, "user_agent")?,
            amr: DB::opt_string(row, "amr")?,
            auth_time: DB::opt_i64(row, "auth_time")?,
        })
    }
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
            created_at: time_of(self.created_at)?,
            expires_at: time_of(self.expires_at)?,
            used_at: self.used_at.map(time_of).transpose()?,
            revoked_at: self.revoked_at.map(time_of).transpose()?,
            ip: self.ip,
            user_agent: self.user_agent,
            // The migration filled in every session from before these columns; a row that an
            // instance of the previous release wrote since (during a rolling upgrade) reads
            // as a password login at the token's issue.
            amr: match self.amr {
                Some(stored) => Amr::split(&stored).ok_or_else(|| corrupt("amr"))?,
                None => vec![Amr::Pwd],
            },
            auth_time: time_of(self.auth_time.unwrap_or(self.created_at))?,
        })
    }
}

/// A live token with when its family began (`began_at`): a session.
#[derive(Debug)]
pub(crate) struct SessionRow {
    token: TokenRow,
    began_at: i64,
}

impl ReadRow for SessionRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self { token: TokenRow::from_row::<DB>(row)?, began_at: DB::i64(row, "began_at")? })
    }
}

impl SessionRow {
    pub(crate) fn into_record(self) -> Result<SessionRecord, StoreError> {
        let began_at = time_of(self.began_at)?;
        let token = self.token.into_record()?;
        Ok(SessionRecord {
            id: token.family_id,
            user_id: token.user_id,
            created_at: began_at,
            last_used_at: token.created_at,
            expires_at: token.expires_at,
            ip: token.ip,
            user_agent: token.user_agent,
        })
    }
}

/// A distinct client of `auth_refresh_tokens`.
pub(crate) struct ClientRow {
    ip: Option<String>,
    user_agent: Option<String>,
}

impl ReadRow for ClientRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self { ip: DB::opt_string(row, "ip")?, user_agent: DB::opt_string(row, "user_agent")? })
    }
}

impl ClientRow {
    pub(crate) fn into_client(self) -> KnownClient {
        KnownClient { ip: self.ip, user_agent: self.user_agent }
    }
}

/// The parameters of `INSERT_TOKEN` for `record`, in its column order.
/// The arguments of an insert of `record`, whose `amr` is `amr` as stored
/// ([`Amr::join`]).
pub(crate) fn token_args<'a>(record: &'a RefreshTokenRecord, amr: &'a str) -> [Arg<'a>; 10] {
    [
        Arg::Bytes(record.digest.as_bytes()),
        Arg::I64(record.user_id.get()),
        Arg::Bytes(record.family_id.as_bytes()),
        Arg::OptBytes(record.parent.as_ref().map(|p| p.as_bytes().as_slice())),
        Arg::I64(micros(record.created_at)),
        Arg::I64(micros(record.expires_at)),
        Arg::OptStr(record.ip.as_deref()),
        Arg::OptStr(record.user_agent.as_deref()),
        Arg::Str(amr),
        Arg::I64(micros(record.auth_time)),
    ]
}

/// A row of `auth_throttle_buckets` after a take: whether it admitted, and its TAT.
#[derive(Debug)]
pub(crate) struct BucketRow {
    pub(crate) admitted: bool,
    pub(crate) tat: i64,
}

impl ReadRow for BucketRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self { admitted: DB::i32(row, "admitted")? == 1, tat: DB::i64(row, "tat")? })
    }
}

/// A row of `auth_login_failures`.
#[derive(Debug)]
pub(crate) struct FailureRow {
    failures: i32,
    last_failure_at: i64,
}

impl ReadRow for FailureRow {
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
        Ok(Self {
            failures: DB::i32(row, "failures")?,
            last_failure_at: DB::i64(row, "last_failure_at")?,
        })
    }
}

impl FailureRow {
    pub(crate) fn into_failures(self) -> Result<Failures, StoreError> {
        Ok(Failures {
            count: u32::try_from(self.failures)
                .map_err(|_| corrupt("auth_login_failures.failures"))?,
            last: time_of(self.last_failure_at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip_and_truncate() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_900_000_000_123_456_789).unwrap();
        let back = time_of(micros(t)).unwrap();
        assert_eq!(back.unix_timestamp_nanos(), 1_900_000_000_123_456_000);
        assert_eq!(micros(OffsetDateTime::UNIX_EPOCH), 0);
    }
}
