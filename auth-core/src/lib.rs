#![doc = include_str!("../README.md")]
//! ## Where things are
//!
//! Every item has one path. The main types are at the root; three areas are modules of
//! their own: [`throttle`] (rate limits and login backoff, and the store trait for shared
//! state), `http` (feature `http`: the HTTP rules the framework crates share) and `testing`
//! (feature `testing`: the contract suites every store runs).
//!
//! By file: `user/` (ids, usernames, roles, records), `password/` (policy,
//! `hashing_config`, `hashing_pool`, `argon2id`), `token/` (access tokens, keys, the
//! verified-token cache, refresh tokens, sessions), `store/` (traits, memory store),
//! `service/` (the use cases of [`Auth`], one file each: `register`, `login`,
//! `refresh_rotation`, `logout`, `access`, `authorization`, `password`, `sessions`, `admin`;
//! `store_cache` for what store-checked requests read), `throttle/`, `http/`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod audit;
mod clock;
mod config;
mod context;
mod error;
#[cfg(feature = "http")]
pub mod http;
pub mod mail;
mod mfa;
mod password;
mod public_url;
#[cfg(feature = "remote-keys")]
mod remote_keys;
mod service;
mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod throttle;
mod token;
mod user;

pub use audit::AUDIT_TARGET;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AuthConfig, AuthConfigBuilder};
pub use context::RequestContext;
pub use error::{
    AuthError, BoxError, FieldError, Result, StoreError, StoreErrorKind, TokenRejection,
};
pub use mfa::{
    MfaKey, MfaKeyRing, MfaSettings, OneTimeCode, RecoveryCode, SealedSecret, SecondFactorCode,
    TOTP_STEP_SECONDS, TotpSecret, qr_svg,
};
pub use password::{
    Argon2Params, Argon2ParamsBuilder, Calibration, HasherStats, HashingConfig,
    HashingConfigBuilder, HashingConfigError, HashingError, Password, PasswordHasher,
    PasswordPolicy, PasswordPolicyBuilder, Pepper, StoredHash, Verification, VerifyLimits,
    calibrate,
};
pub use public_url::PublicUrl;
#[cfg(feature = "remote-keys")]
pub use remote_keys::{RemoteKeySet, RemoteKeySetBuilder};
pub use service::{
    AdminBootstrap, AdminRole, Auth, AuthBuilder, Authorized, BootstrapOutcome, ForgottenAccount,
    MfaKeyUsage, Registration, SecondStep, SignedIn, TotpEnrolment, UserPatch, UserRole,
};
pub use store::{
    AuthStore, ConditionalUpdate, LinkTokenStore, MemoryStore, RefreshTokenStore,
    SecondFactorStore, StoreResult, TotpRecord, USERS_BY_EMAIL_LIMIT, UserChange, UserDeletion,
    UserStore,
};
pub use token::{
    AccessClaims, AccessGrant, AccessToken, AccessTokenConfig, AccessTokens, Algorithm, Amr,
    ClientHistory, FamilyId, KeySet, KnownClient, LinkPurpose, LinkToken, LinkTokenRecord,
    LoginOrigin, MIN_HMAC_SECRET_LEN, MfaChallenge, MfaMethod, MfaToken, MfaTokenRecord,
    NewRefreshToken, RefreshToken, RefreshTokenRecord, Replacement, RotateOutcome, Session,
    SessionRecord, SigningKey, TokenDigest, TokenPair, VerifyingKey,
};
pub use user::{
    Address, AllOf, AnyOf, CustomRole, Email, Grants, NewUser, Page, Permission, PermissionName,
    Policy, Requirement, Role, RoleDefinition, RoleName, Roles, User, UserId, UserRecord,
    UserSnapshot, UserUpdate, Username, UsernameRules,
};

/// Re-exported so applications name the same versions.
pub use {async_trait::async_trait, time};
