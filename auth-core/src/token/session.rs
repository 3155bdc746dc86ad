//! Sessions: a session is a refresh-token family, from one login to its expiry or its end.
//! Access tokens name theirs in the `sid` claim, so ending a session ends them too.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{FamilyId, UserId};

/// A live session as a store reads it: the family's current (unspent) refresh token and
/// when the family began. Made by
/// [`RefreshTokenStore::sessions`](crate::RefreshTokenStore::sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session's id: its refresh-token family.
    pub id: FamilyId,
    /// Whose session it is.
    pub user_id: UserId,
    /// When it began (the login: the family's first token).
    pub created_at: OffsetDateTime,
    /// When it was last used to get tokens (the login or the latest refresh: its current
    /// token's issue time). Access-token requests do not touch the store, so they do not
    /// count.
    pub last_used_at: OffsetDateTime,
    /// When it ends at the latest (rotation keeps the family's expiry).
    pub expires_at: OffsetDateTime,
    /// The client IP of the latest login or refresh.
    pub ip: Option<String>,
    /// The client user agent of the latest login or refresh.
    pub user_agent: Option<String>,
}

/// A client a user signs in from: the IP and user agent a refresh token is issued to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KnownClient {
    /// The client IP, if it is known.
    pub ip: Option<String>,
    /// The user agent, if it is known.
    pub user_agent: Option<String>,
}

/// What a user's refresh tokens outside one session say of their sign-ins, made by
/// [`RefreshTokenStore::client_history`](crate::RefreshTokenStore::client_history): what
/// tells a sign-in from a new device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientHistory {
    /// Whether they signed in before at all.
    pub signed_in_before: bool,
    /// Whether they signed in before from this client (IP and user agent, byte for byte).
    pub from_this_client: bool,
}

/// A session as the API shows it (`GET /auth/sessions`): `{"id", "created_at",
/// "last_used_at", "expires_at", "ip", "user_agent", "current"}`, times in RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The session's id (opaque to clients; the `sid` of its access tokens).
    pub id: FamilyId,
    /// When it began.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last got tokens (login or refresh).
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: OffsetDateTime,
    /// When it ends at the latest.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The client IP of the latest login or refresh, if known.
    pub ip: Option<String>,
    /// The client user agent of the latest login or refresh, if known.
    pub user_agent: Option<String>,
    /// Whether it is the session of the access token that asked.
    pub current: bool,
}

impl Session {
    /// The API view of a record; `current` says whether the caller's token belongs to it.
    pub fn from_record(record: SessionRecord, current: bool) -> Self {
        let SessionRecord { id, created_at, last_used_at, expires_at, ip, user_agent, .. } = record;
        Self { id, created_at, last_used_at, expires_at, ip, user_agent, current }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_to_the_api_shape() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let record = SessionRecord {
            id: FamilyId::from_uuid(uuid::Uuid::nil()),
            user_id: UserId::new(7),
            created_at: at,
            last_used_at: at,
            expires_at: at,
            ip: Some("192.0.2.1".into()),
            user_agent: None,
        };
        let json = serde_json::to_value(Session::from_record(record, true)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "00000000-0000-0000-0000-000000000000",
                "created_at": "1970-01-01T00:00:00Z",
                "last_used_at": "1970-01-01T00:00:00Z",
                "expires_at": "1970-01-01T00:00:00Z",
                "ip": "192.0.2.1",
                "user_agent": null,
                "current": true,
            })
        );
    }
}
