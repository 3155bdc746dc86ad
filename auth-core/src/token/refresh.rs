//! Opaque refresh tokens: generation, digests, and the records stores keep.

use std::fmt;

use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{Amr, opaque::opaque_token};
use crate::UserId;

/// A refresh token as the client holds it: 256 random bits, base64url. Only its
/// [`TokenDigest`] is ever stored. `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct RefreshToken(Zeroizing<String>);

opaque_token!(RefreshToken);

/// The SHA-256 digest of an opaque token (a refresh token, or a
/// [`LinkToken`](super::LinkToken)): what stores keep and look up. A digest alone
/// cannot be used as a token (the token is 256 random bits, so the digest cannot be
/// reversed).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// Wraps 32 bytes read back from a store.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Wraps a slice read back from a store.
    ///
    /// # Errors
    /// `None` unless the slice is 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Enough to tell digests apart in logs.
        write!(
            f,
            "TokenDigest({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

/// The family of a refresh token: every token rotated from one login, which is what the API
/// calls a session (its id is the `sid` of the session's access tokens). Replaying a spent
/// member revokes the whole family. On the wire: the UUID as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct FamilyId(uuid::Uuid);

impl FamilyId {
    /// A new random family id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// Wraps an id read back from a store.
    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id)
    }

    /// The id.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }

    /// Parses the one form that [`Display`](fmt::Display) writes (hyphenated, lower case),
    /// so that one session has one id in URLs; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let id = uuid::Uuid::try_parse(s).ok()?;
        (id.hyphenated().to_string() == s).then_some(Self(id))
    }

    /// The id's 16 bytes, as stores keep it.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A refresh token as stores keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// The token's digest (the key).
    pub digest: TokenDigest,
    /// Whose token it is.
    pub user_id: UserId,
    /// The login it descends from.
    pub family_id: FamilyId,
    /// The token it replaced, if it came from a rotation.
    pub parent: Option<TokenDigest>,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it stops working. Rotation keeps the family's expiry: a session lives at most
    /// the refresh lifetime from its login.
    pub expires_at: OffsetDateTime,
    /// When it was spent (rotated), if it was.
    pub used_at: Option<OffsetDateTime>,
    /// When it was revoked (logout, replay, deactivation…), if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// The client IP it was issued to.
    pub ip: Option<String>,
    /// The client user agent it was issued to (at most 256 characters).
    pub user_agent: Option<String>,
    /// How the session's user authenticated at its login (`amr`), kept through rotations.
    pub amr: Vec<Amr>,
    /// When the session's user authenticated (`auth_time`), kept through rotations.
    pub auth_time: OffsetDateTime,
}

impl RefreshTokenRecord {
    /// Whether the token may still be spent at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

/// What a store needs to insert the first token of a family (at login).
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    /// The token's digest.
    pub digest: TokenDigest,
    /// Whose token it is.
    pub user_id: UserId,
    /// A new family.
    pub family_id: FamilyId,
    /// Issue time.
    pub created_at: OffsetDateTime,
    /// Expiry.
    pub expires_at: OffsetDateTime,
    /// Client IP.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// How the user authenticated at this login.
    pub amr: Vec<Amr>,
    /// When the user authenticated (for a login: its time).
    pub auth_time: OffsetDateTime,
}

impl NewRefreshToken {
    /// The record a store keeps for it.
    pub fn into_record(self) -> RefreshTokenRecord {
        RefreshTokenRecord {
            digest: self.digest,
            user_id: self.user_id,
            family_id: self.family_id,
            parent: None,
            created_at: self.created_at,
            expires_at: self.expires_at,
            used_at: None,
            revoked_at: None,
            ip: self.ip,
            user_agent: self.user_agent,
            amr: self.amr,
            auth_time: self.auth_time,
        }
    }
}

/// The token that replaces a spent one in a rotation. The store takes user, family, expiry,
/// `amr` and `auth_time` from the spent token.
#[derive(Debug, Clone)]
pub struct Replacement {
    /// The new token's digest.
    pub digest: TokenDigest,
    /// Issue time (the time of the rotation).
    pub created_at: OffsetDateTime,
    /// Client IP.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

impl Replacement {
    /// The record of the replacement for a spent `parent`.
    pub fn into_record(self, parent: &RefreshTokenRecord) -> RefreshTokenRecord {
        RefreshTokenRecord {
            digest: self.digest,
            user_id: parent.user_id,
            family_id: parent.family_id,
            parent: Some(parent.digest),
            created_at: self.created_at,
            expires_at: parent.expires_at,
            used_at: None,
            revoked_at: None,
            ip: self.ip,
            user_agent: self.user_agent,
            amr: parent.amr.clone(),
            auth_time: parent.auth_time,
        }
    }
}

/// The outcome of the store's atomic "spend this token if it is live, and insert its
/// replacement".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The token was live; it is now spent and `new` was inserted in the same family.
    Rotated {
        /// The spent token (with `used_at` set).
        old: Box<RefreshTokenRecord>,
        /// Its replacement.
        new: Box<RefreshTokenRecord>,
    },
    /// The token had already been spent: a replay. The caller revokes the family.
    Replayed(RefreshTokenRecord),
    /// The token was revoked or has expired, and was never spent. Nothing was changed.
    Inactive(RefreshTokenRecord),
    /// No such token.
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_base64url_and_unique() {
        let a = RefreshToken::generate();
        let b = RefreshToken::generate();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(RefreshToken::parse(a.expose()).unwrap().digest(), a.digest());
    }

    #[test]
    fn parse_refuses_other_shapes() {
        let good = RefreshToken::generate();
        for bad in [
            String::new(),
            format!("{}=", good.expose()),
            good.expose()[..42].to_owned(),
            format!("{}+", &good.expose()[..42]),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig".to_owned(),
        ] {
            assert_eq!(
                RefreshToken::parse(&bad).unwrap_err(),
                crate::TokenRejection::Malformed,
                "{bad}"
            );
        }
    }

    #[test]
    fn family_ids_parse_only_as_they_print() {
        let id = FamilyId::generate();
        assert_eq!(FamilyId::parse(&id.to_string()), Some(id));
        let uuid = id.as_uuid();
        for other in [
            uuid.simple().to_string(),
            uuid.braced().to_string(),
            uuid.urn().to_string(),
            uuid.hyphenated().to_string().to_uppercase(),
            String::new(),
            "x".repeat(10_000),
        ] {
            assert_eq!(FamilyId::parse(&other), None, "{other}");
        }
    }

    #[test]
    fn digest_is_sha256_of_the_token() {
        let t = RefreshToken::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        use sha2::{Digest, Sha256};
        let expected: [u8; 32] =
            Sha256::digest(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").into();
        assert_eq!(t.digest().as_bytes(), &expected);
        assert!(!format!("{t:?}").contains("AAAA"));
    }
}
