use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;

use super::{Email, Role, UserId, Username};
use crate::password::StoredHash;

/// A user as stores keep it, password hash included.
///
/// Its `Debug` prints `[redacted]` for the hash, and it has no `Serialize`: convert it to a
/// [`User`] to send it anywhere.
#[derive(Clone)]
pub struct UserRecord {
    /// The store-assigned id.
    pub id: UserId,
    /// The username (compared case-insensitively).
    pub username: Username,
    /// The optional e-mail address.
    pub email: Option<Email>,
    /// Whether the user proved they read `email` (a verification link, or a password reset
    /// sent to it). Verified addresses are unique across users.
    pub email_verified: bool,
    /// An address the user asked to change to, waiting for its verification.
    pub pending_email: Option<Email>,
    /// The user's role.
    pub role: Role,
    /// Whether the user may log in. Inactive users' tokens are refused.
    pub is_active: bool,
    /// Whether a second factor is on (a confirmed TOTP): set by the
    /// [`SecondFactorStore`](crate::SecondFactorStore) in the step that turns it on or off.
    pub mfa_enabled: bool,
    /// The password hash (a PHC string, or a legacy bcrypt string).
    pub password_hash: StoredHash,
    /// Access tokens issued before this instant are refused by store-checked requests.
    /// Whole seconds (JWT `iat` has second precision).
    pub tokens_valid_after: Option<OffsetDateTime>,
    /// When the user was created.
    pub created_at: OffsetDateTime,
    /// When the user was last changed.
    pub updated_at: OffsetDateTime,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("pending_email", &self.pending_email)
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .field("mfa_enabled", &self.mfa_enabled)
            .field("password_hash", &self.password_hash)
            .field("tokens_valid_after", &self.tokens_valid_after)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

impl UserRecord {
    /// The public view of this user, without the hash.
    pub fn to_user(&self) -> User {
        User {
            id: self.id,
            username: self.username.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified,
            pending_email: self.pending_email.clone(),
            role: self.role.clone(),
            is_active: self.is_active,
            mfa_enabled: self.mfa_enabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl From<UserRecord> for User {
    fn from(r: UserRecord) -> Self {
        User {
            id: r.id,
            username: r.username,
            email: r.email,
            email_verified: r.email_verified,
            pending_email: r.pending_email,
            role: r.role,
            is_active: r.is_active,
            mfa_enabled: r.mfa_enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A user as clients see it: no hash, no revocation stamp.
///
/// Serializes to the `UserOut` shape of the API reference (`docs/API.md`):
/// `{"id", "username", "email", "email_verified", "pending_email", "role", "is_active",
/// "mfa_enabled", "created_at"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The username as registered (after NFKC).
    pub username: Username,
    /// The e-mail address, or `null`.
    pub email: Option<Email>,
    /// Whether `email` is verified.
    pub email_verified: bool,
    /// The address waiting for its verification to replace `email`, or `null`.
    pub pending_email: Option<Email>,
    /// The role: `"user"`, `"admin"`, or one the application declares.
    pub role: Role,
    /// Whether the user may log in.
    pub is_active: bool,
    /// Whether a second factor is on: a correct password alone then signs nobody in.
    pub mfa_enabled: bool,
    /// When the user was created (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the user was last changed (not part of `UserOut`).
    #[serde(skip)]
    pub updated_at: OffsetDateTime,
}

/// What a store needs to create a user. The store assigns the id.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The validated username; stores must enforce uniqueness of [`Username::key`].
    pub username: Username,
    /// The optional e-mail address.
    pub email: Option<Email>,
    /// The role.
    pub role: Role,
    /// Whether the user starts active.
    pub is_active: bool,
    /// The password hash.
    pub password_hash: StoredHash,
    /// Creation time (also the first `updated_at`).
    pub created_at: OffsetDateTime,
}

impl NewUser {
    /// The record of this user once the store has given it `id`.
    pub fn into_record(self, id: UserId) -> UserRecord {
        UserRecord {
            id,
            username: self.username,
            email: self.email,
            email_verified: false,
            pending_email: None,
            role: self.role,
            is_active: self.is_active,
            mfa_enabled: false,
            password_hash: self.password_hash,
            tokens_valid_after: None,
            created_at: self.created_at,
            updated_at: self.created_at,
        }
    }
}

/// A change to a user; `None` fields stay as they are. Applied atomically by the store,
/// which also sets `updated_at`.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// A new role.
    pub role: Option<Role>,
    /// A new active flag.
    pub is_active: Option<bool>,
    /// A new password hash.
    pub password_hash: Option<StoredHash>,
    /// A new address state: address, whether it is verified, pending address, all three
    /// written together.
    pub address: Option<Address>,
    /// A new revocation stamp. Stores keep the later of this and the current one: the stamp
    /// never moves backwards.
    pub tokens_valid_after: Option<OffsetDateTime>,
    /// The time of the change.
    pub updated_at: Option<OffsetDateTime>,
}

impl UserUpdate {
    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.role.is_none()
            && self.is_active.is_none()
            && self.password_hash.is_none()
            && self.address.is_none()
            && self.tokens_valid_after.is_none()
    }

    /// Whether this update, applied to an active admin, leaves them no longer one (another
    /// role, or deactivated): the changes
    /// [`UserStore::update_user_unless_last_admin`](crate::UserStore::update_user_unless_last_admin)
    /// weighs against the other admins.
    pub fn takes_admin_away(&self) -> bool {
        self.role.as_ref().is_some_and(|r| *r != Role::Admin) || self.is_active == Some(false)
    }
}

/// A user's addresses as one value: what [`UserUpdate::address`] writes. The verified flag
/// belongs to `email`; stores keep verified addresses unique (ASCII case aside), and refuse
/// an update that would verify an address another user has verified with a
/// [`StoreError`](crate::StoreError) of kind `Conflict`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// The address, or none.
    pub email: Option<Email>,
    /// Whether `email` is verified (never true without an address).
    pub verified: bool,
    /// The address waiting for its verification.
    pub pending: Option<Email>,
}

impl Address {
    /// The address state of `user` as stored.
    pub fn of(user: &UserRecord) -> Self {
        Self {
            email: user.email.clone(),
            verified: user.email_verified,
            pending: user.pending_email.clone(),
        }
    }

    /// The key under which stores keep `email` unique while it is verified: its
    /// [`Email::key`], or `None` when there is no verified address.
    pub fn verified_key(&self) -> Option<String> {
        self.email.as_ref().filter(|_| self.verified).map(Email::key)
    }
}

/// What a conditional update ([`UserStore::update_user_if`](crate::UserStore::update_user_if))
/// expects a user still to be: what their account's security rests on — address state,
/// password hash, revocation stamp, active flag. A change computed from a read of these is
/// written only while they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSnapshot {
    /// The address state.
    pub address: Address,
    /// The password hash.
    pub password_hash: StoredHash,
    /// The revocation stamp.
    pub tokens_valid_after: Option<OffsetDateTime>,
    /// The active flag.
    pub is_active: bool,
}

impl UserSnapshot {
    /// The snapshot of `user` as read.
    pub fn of(user: &UserRecord) -> Self {
        Self {
            address: Address::of(user),
            password_hash: user.password_hash.clone(),
            tokens_valid_after: user.tokens_valid_after,
            is_active: user.is_active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> UserRecord {
        let now = OffsetDateTime::UNIX_EPOCH;
        UserRecord {
            id: UserId::new(7),
            username: Username::parse("alice").unwrap(),
            email: None,
            email_verified: false,
            pending_email: None,
            role: Role::User,
            is_active: true,
            mfa_enabled: false,
            password_hash: StoredHash::new(
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            ),
            tokens_valid_after: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn debug_redacts_the_hash() {
        let dbg = format!("{:?}", record());
        assert!(dbg.contains("[redacted]"));
        assert!(!dbg.contains("argon2id"));
        assert!(!dbg.contains("aGFzaGhhc2g"));
    }

    #[test]
    fn user_serializes_to_user_out() {
        let json = serde_json::to_value(record().to_user()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 7, "username": "alice", "email": null, "email_verified": false,
                "pending_email": null, "role": "user",
                "is_active": true, "mfa_enabled": false, "created_at": "1970-01-01T00:00:00Z"
            })
        );
    }
}
