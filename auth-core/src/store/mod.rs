//! The storage traits every backend implements, and the in-memory [`MemoryStore`].
//!
//! Four narrow, object-safe traits: [`UserStore`], [`RefreshTokenStore`],
//! [`LinkTokenStore`] and [`SecondFactorStore`]. A backend implements them all and is then an [`AuthStore`], which
//! [`Auth`](crate::Auth) holds as an
//! `Arc<dyn AuthStore>`. Lookups return `Ok(None)` for "not found"; errors are
//! [`StoreError`]s that say whether the store is unavailable. The contract every store must
//! meet is written down as tests in [`testing`](crate::testing) (feature `testing`).

mod memory;
mod second_factors;

use async_trait::async_trait;
use time::OffsetDateTime;

pub use memory::MemoryStore;
pub use second_factors::{SecondFactorStore, TotpRecord};

use crate::{
    ClientHistory, Email, FamilyId, KnownClient, LinkPurpose, LinkTokenRecord, NewRefreshToken,
    NewUser, Page, RefreshTokenRecord, Replacement, RotateOutcome, SessionRecord, StoreError,
    TokenDigest, UserId, UserRecord, UserSnapshot, UserUpdate, Username,
};

/// The result type of store methods.
pub type StoreResult<T> = Result<T, StoreError>;

/// Where users live.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Creates a user and returns it with its new id.
    ///
    /// # Errors
    /// A [`StoreError`] of kind `Conflict` when a user with the same
    /// [`Username::key`] exists (enforced atomically, so concurrent creations of `Alice` and
    /// `alice` cannot both succeed).
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;

    /// The user with this id, if any.
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserRecord>>;

    /// The user whose [`Username::key`] equals `username`'s, if any.
    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<UserRecord>>;

    /// The users whose address is `email`, compared case-insensitively (ASCII), by id, at
    /// most [`USERS_BY_EMAIL_LIMIT`]. Addresses are not unique until verified, so there may
    /// be several.
    async fn users_by_email(&self, email: &Email) -> StoreResult<Vec<UserRecord>>;

    /// Applies `update` atomically and returns the updated user, or `None` if there is no
    /// such user. It does not look at the other admins: a change of role or active flag
    /// made for an administrator goes through
    /// [`update_user_unless_last_admin`](Self::update_user_unless_last_admin).
    async fn update_user(&self, id: UserId, update: UserUpdate) -> StoreResult<Option<UserRecord>>;

    /// Applies `update` as [`update_user`](Self::update_user) does, only if the user is
    /// still as `expected` says: what a change computed from an earlier read needs, so that
    /// it never overwrites a change made since (an address verified, a password reset, a
    /// revocation). Atomic: of concurrent conditional updates that expect one state, one
    /// applies and the others find it [`Stale`](ConditionalUpdate::Stale).
    async fn update_user_if(
        &self,
        id: UserId,
        expected: &UserSnapshot,
        update: UserUpdate,
    ) -> StoreResult<ConditionalUpdate>;

    /// Applies `update` as [`update_user`](Self::update_user) does, unless it would take
    /// away the admin role or the active flag of the last active admin. Atomic with
    /// [`delete_user_unless_last_admin`](Self::delete_user_unless_last_admin): of any
    /// concurrent demotions, deactivations and deletions of the last two active admins, one
    /// is refused. A change that leaves the user an active admin (or that concerns a user
    /// who is not one) needs no lock on the others.
    async fn update_user_unless_last_admin(
        &self,
        id: UserId,
        update: UserUpdate,
    ) -> StoreResult<UserChange>;

    /// Users ordered by id, one page.
    async fn list_users(&self, page: Page) -> StoreResult<Vec<UserRecord>>;

    /// Deletes a user and their refresh tokens. Returns whether the user existed. It does
    /// not look at the other admins: see
    /// [`delete_user_unless_last_admin`](Self::delete_user_unless_last_admin).
    async fn delete_user(&self, id: UserId) -> StoreResult<bool>;

    /// Deletes a user as [`delete_user`](Self::delete_user) does, unless they are the last
    /// active admin. Atomic: of concurrent deletions (or a deletion and a demotion through
    /// [`update_user_unless_last_admin`](Self::update_user_unless_last_admin)) of the last
    /// two active admins, one is refused.
    async fn delete_user_unless_last_admin(&self, id: UserId) -> StoreResult<UserDeletion>;

    /// Checks that the store answers (health checks). Defaults to a lookup of a user id
    /// that does not exist; SQL stores override it with a `SELECT 1`.
    async fn ping(&self) -> StoreResult<()> {
        self.user_by_id(UserId::new(0)).await.map(|_| ())
    }
}

/// The most users [`UserStore::users_by_email`] returns.
pub const USERS_BY_EMAIL_LIMIT: u32 = 10;

/// What [`UserStore::delete_user_unless_last_admin`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDeletion {
    /// The user and their refresh tokens are gone.
    Deleted,
    /// There was no such user.
    NotFound,
    /// The user is the last active admin: nothing was deleted.
    LastAdmin,
}

/// What [`UserStore::update_user_if`] did.
#[derive(Debug, Clone)]
pub enum ConditionalUpdate {
    /// The change is made: the user as it is now.
    Applied(UserRecord),
    /// The user is no longer as expected: nothing was changed; the user as it is now.
    Stale(UserRecord),
    /// There was no such user.
    NotFound,
}

/// What [`UserStore::update_user_unless_last_admin`] did.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per admin change and moved once; a box would only add an allocation"
)]
pub enum UserChange {
    /// The change is made: the user as it is now.
    Updated(UserRecord),
    /// There was no such user.
    NotFound,
    /// The change would leave no active admin: nothing was changed.
    LastAdmin,
}

/// Where refresh tokens live (by digest only).
#[async_trait]
pub trait RefreshTokenStore: Send + Sync + 'static {
    /// Inserts the first token of a new family.
    async fn insert_refresh_token(&self, token: NewRefreshToken) -> StoreResult<()>;

    /// In one atomic step: if the token with digest `presented` is live at `now`, marks it
    /// spent and inserts `replacement` in its family; otherwise changes nothing. Of any
    /// number of concurrent calls with one digest, exactly one gets
    /// [`RotateOutcome::Rotated`].
    async fn rotate_refresh_token(
        &self,
        presented: &TokenDigest,
        replacement: Replacement,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome>;

    /// The token with this digest, live or not.
    async fn refresh_token(&self, digest: &TokenDigest) -> StoreResult<Option<RefreshTokenRecord>>;

    /// Revokes every not-yet-revoked token of a family. Returns how many were revoked.
    async fn revoke_family(&self, family: FamilyId, now: OffsetDateTime) -> StoreResult<u64>;

    /// Sets the authentication methods (`amr`) of user `user`'s session `family`: every
    /// unrevoked token of the family, and so the successors rotation copies them to. For a
    /// session whose user has just proved a second factor (a confirmed enrolment). Returns
    /// how many tokens changed.
    async fn set_session_amr(
        &self,
        user: UserId,
        family: FamilyId,
        amr: &[crate::Amr],
    ) -> StoreResult<u64>;

    /// Revokes every not-yet-revoked token of a user. Returns how many were revoked.
    async fn revoke_user_tokens(&self, user: UserId, now: OffsetDateTime) -> StoreResult<u64>;

    /// The live (unspent, unrevoked, unexpired) tokens of a user: one per open session,
    /// newest first.
    async fn live_refresh_tokens(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshTokenRecord>>;

    /// The open sessions of a user at `now`, newest first (by when they began): one per
    /// family that has a live token, described by that token and the family's first.
    async fn sessions(&self, user: UserId, now: OffsetDateTime) -> StoreResult<Vec<SessionRecord>>;

    /// Whether `user` has a session (family) `family` with a live token at `now`: what
    /// store-checked requests ask of an access token's `sub` and `sid`. One indexed lookup.
    async fn session_is_live(
        &self,
        user: UserId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Whether `user` has refresh tokens outside session `except` (the one just begun) —
    /// live, spent or revoked alike, until they are purged — and whether any of them was
    /// issued to `client` (IP and user agent compared byte for byte; an absent one equals
    /// an empty one). Two queries on the user's tokens (by the user index), the second only
    /// when the first finds any.
    async fn client_history(
        &self,
        user: UserId,
        except: FamilyId,
        client: &KnownClient,
    ) -> StoreResult<ClientHistory>;

    /// Deletes tokens that expired before `before`. Returns how many were deleted.
    async fn purge_expired(&self, before: OffsetDateTime) -> StoreResult<u64>;
}

/// A complete backend: users, refresh tokens, link tokens and second factors. Implemented
/// for every type that implements the four traits.
pub trait AuthStore: UserStore + RefreshTokenStore + LinkTokenStore + SecondFactorStore {}

impl<T: UserStore + RefreshTokenStore + LinkTokenStore + SecondFactorStore + ?Sized> AuthStore
    for T
{
}

/// Where the tokens of mailed links live (by digest only): password resets and address
/// verifications. A user's tokens go when the user does.
#[async_trait]
pub trait LinkTokenStore: Send + Sync + 'static {
    /// Stores a new token and, in the same atomic step, spends every other token of the
    /// same user and purpose: only the newest link works.
    async fn issue_link_token(&self, token: LinkTokenRecord) -> StoreResult<()>;

    /// The token with digest `presented` if it has this `purpose` and is unspent and
    /// unexpired at `now`, without spending it (to check a request before it spends).
    async fn live_link_token(
        &self,
        presented: &TokenDigest,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<LinkTokenRecord>>;

    /// In one atomic step: if the token with digest `presented` has this `purpose`, is
    /// unspent and unexpired at `now`, marks it spent and returns it. Of any number of
    /// concurrent spends of one token exactly one gets it; every other answer is `None`.
    async fn spend_link_token(
        &self,
        presented: &TokenDigest,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<LinkTokenRecord>>;

    /// Deletes tokens that expired before `before`. Returns how many.
    async fn purge_link_tokens(&self, before: OffsetDateTime) -> StoreResult<u64>;
}
