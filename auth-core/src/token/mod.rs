//! Tokens: JWT access tokens ([`AccessTokens`], signed with a [`KeySet`]) and opaque,
//! rotating refresh tokens ([`RefreshToken`], stored only as a [`TokenDigest`]).
//!
//! The two kinds cannot be mistaken for each other: an access token is a three-part JWS with
//! header `typ: at+jwt`; a refresh token is exactly 43 base64url characters with no dot, and
//! each parser refuses the other's shape before any lookup or signature check.

mod access;
mod amr;
mod keys;
mod link;
mod mfa;
mod opaque;
mod pair;
mod refresh;
mod session;
mod verified_cache;
mod verifier;

pub(crate) use access::stamp_second;
pub use access::{AccessClaims, AccessGrant, AccessToken, AccessTokenConfig, AccessTokens};
pub use amr::Amr;
pub use keys::{KeySet, MIN_HMAC_SECRET_LEN, SigningKey, VerifyingKey};
pub use link::{LinkPurpose, LinkToken, LinkTokenRecord};
pub use mfa::{LoginOrigin, MfaChallenge, MfaMethod, MfaToken, MfaTokenRecord};
pub use pair::TokenPair;
pub use refresh::{
    FamilyId, NewRefreshToken, RefreshToken, RefreshTokenRecord, Replacement, RotateOutcome,
    TokenDigest,
};
pub use session::{ClientHistory, KnownClient, Session, SessionRecord};
#[cfg_attr(not(feature = "remote-keys"), allow(unused_imports))]
pub(crate) use verifier::{Kidless, Verifier, check_published_shape, header_kid};

/// Algorithms re-exported from `jsonwebtoken` for configuring keys.
pub use jsonwebtoken::Algorithm;
