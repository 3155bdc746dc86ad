//! [`Auth`]: the one entry point. Each submodule holds one group of use cases:
//! registration, login, refresh rotation, logout, store-checked access, password change,
//! and administration.

mod access;
mod admin;
mod login;
mod logout;
mod password;
mod refresh;
mod register;
mod user_cache;

use std::{fmt, sync::Arc};

use time::OffsetDateTime;

pub use admin::UserPatch;
pub use login::Session;
pub use register::Registration;

use crate::{
    AccessTokens, AuthConfig, AuthStore, Clock, FamilyId, NewRefreshToken, PasswordHasher,
    RefreshToken, RequestContext, Result, SystemClock, TokenPair, UserId, UserRecord, UserUpdate,
    throttle::{MemoryThrottle, Throttle, ThrottleStore},
};

/// The authentication service: cheap to clone (an `Arc` inside), holding the store as a
/// trait object so that extractors and handlers need no generic parameter.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, Password, Registration, RequestContext, SigningKey};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth_core::AuthError> {
/// let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
/// let auth = Auth::new(AuthConfig::builder(keys).build()?, Arc::new(MemoryStore::new()));
/// let ctx = RequestContext::internal();
///
/// let alice = auth
///     .register(Registration::new("alice", "correct horse battery staple"), None, &ctx)
///     .await?;
/// let session = auth.login("Alice", &Password::new("correct horse battery staple"), &ctx).await?;
/// let claims = auth.verify_access(session.tokens.access_token.expose())?;
/// assert_eq!(claims.sub, alice.id);
///
/// let rotated = auth.refresh(session.tokens.refresh_token.expose(), &ctx).await?;
/// // The old refresh token is spent; replaying it ends the whole session.
/// assert!(auth.refresh(session.tokens.refresh_token.expose(), &ctx).await.is_err());
/// assert!(auth.refresh(rotated.refresh_token.expose(), &ctx).await.is_err());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    config: AuthConfig,
    store: Arc<dyn AuthStore>,
    hasher: PasswordHasher,
    tokens: AccessTokens,
    clock: Arc<dyn Clock>,
    users: user_cache::UserCache,
    throttle: Throttle,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl Auth {
    /// The service over `store`, on the system clock.
    pub fn new(config: AuthConfig, store: Arc<dyn AuthStore>) -> Self {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    /// The service over `store`, reading time from `clock` (tests use a
    /// [`ManualClock`](crate::ManualClock)).
    pub fn with_clock(
        config: AuthConfig,
        store: Arc<dyn AuthStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self::from_parts(config, store, clock, Arc::new(MemoryThrottle::new()))
    }

    /// The service over `store`, keeping throttling state (rate limits, login backoff) in
    /// `throttle` instead of process memory: give every instance behind a load balancer the
    /// same shared store (the SQL stores of `auth-sqlx` are one) so that they enforce one
    /// limit.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, SigningKey, throttle::MemoryThrottle};
    /// let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
    /// let shared = Arc::new(MemoryThrottle::new()); // in production: a database store
    /// let auth = Auth::with_throttle_store(
    ///     AuthConfig::builder(keys).build()?,
    ///     Arc::new(MemoryStore::new()),
    ///     shared,
    /// );
    /// # Ok::<(), auth_core::AuthError>(())
    /// ```
    pub fn with_throttle_store(
        config: AuthConfig,
        store: Arc<dyn AuthStore>,
        throttle: Arc<dyn ThrottleStore>,
    ) -> Self {
        Self::from_parts(config, store, Arc::new(SystemClock), throttle)
    }

    /// The service from all its parts: store, clock and throttle store.
    pub fn from_parts(
        config: AuthConfig,
        store: Arc<dyn AuthStore>,
        clock: Arc<dyn Clock>,
        throttle: Arc<dyn ThrottleStore>,
    ) -> Self {
        for warning in config.insecure_settings() {
            tracing::warn!(target: "auth::config", "insecure setting: {warning}");
        }
        let tokens = AccessTokens::new(
            config.keys().clone(),
            config.issuer().to_owned(),
            config.audience().to_owned(),
            config.access_ttl(),
            config.leeway(),
            clock.clone(),
            config.remembered_tokens(),
        );
        let hasher = PasswordHasher::new(config.hashing().clone());
        let users = user_cache::UserCache::new(config.user_cache_ttl());
        let throttle = Throttle::new(config.rate_limits().clone(), throttle);
        Self { inner: Arc::new(Inner { config, store, hasher, tokens, clock, users, throttle }) }
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn AuthStore> {
        &self.inner.store
    }

    /// The password hasher.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// The access-token issuer and verifier.
    pub fn access_tokens(&self) -> &AccessTokens {
        &self.inner.tokens
    }

    /// The public keys as a JWKS document.
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        self.inner.config.keys().jwks()
    }

    /// Whether the store answers.
    ///
    /// # Errors
    /// [`AuthError::Store`](crate::AuthError::Store) when it does not.
    pub async fn health(&self) -> Result<()> {
        Ok(self.inner.store.ping().await?)
    }

    /// Deletes refresh tokens that expired more than a day ago. Returns how many.
    ///
    /// # Errors
    /// [`AuthError::Store`](crate::AuthError::Store).
    pub async fn purge_expired_refresh_tokens(&self) -> Result<u64> {
        let before = self.now() - time::Duration::days(1);
        Ok(self.inner.store.purge_expired(before).await?)
    }

    /// Deletes throttling state that no longer matters (buckets full again, failures
    /// forgotten). Returns how many entries.
    ///
    /// # Errors
    /// [`AuthError::Store`](crate::AuthError::Store).
    pub async fn purge_throttle_state(&self) -> Result<u64> {
        self.inner.throttle.purge(self.now()).await
    }

    /// The current time in whole microseconds: what every store keeps, so a record returned
    /// at creation equals the one read back later.
    fn now(&self) -> OffsetDateTime {
        let now = self.inner.clock.now();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
    }

    /// A revocation stamp for "now": the exact instant (in whole microseconds, as stores
    /// keep it). Access tokens are compared with it rounded up to the second (their `iat`
    /// has second precision; see [`AccessTokens::issue`]); refresh tokens by their exact
    /// creation time (see `refresh`).
    fn revocation_stamp(&self) -> OffsetDateTime {
        self.now()
    }

    /// Writes a change to a user and drops the cached record, so this instance's next
    /// store-checked request sees the change.
    async fn write_user(&self, id: UserId, update: UserUpdate) -> Result<Option<UserRecord>> {
        let updated = self.inner.store.update_user(id, update).await;
        self.inner.users.forget(id);
        Ok(updated?)
    }

    /// Starts a new session (refresh-token family) for `user` and issues its first pair.
    async fn start_session(&self, user: &UserRecord, ctx: &RequestContext) -> Result<TokenPair> {
        let refresh = RefreshToken::generate();
        let now = self.now();
        self.inner
            .store
            .insert_refresh_token(NewRefreshToken {
                digest: refresh.digest(),
                user_id: user.id,
                family_id: FamilyId::generate(),
                created_at: now,
                expires_at: now + self.inner.config.refresh_ttl(),
                ip: ctx.ip_string(),
                user_agent: ctx.user_agent().map(str::to_owned),
            })
            .await?;
        self.pair_for(user, refresh)
    }

    fn pair_for(&self, user: &UserRecord, refresh: RefreshToken) -> Result<TokenPair> {
        let (access_token, _) = self.inner.tokens.issue(
            user.id,
            user.username.as_str(),
            user.role,
            user.tokens_valid_after,
        )?;
        Ok(TokenPair {
            access_token,
            expires_in: self.inner.config.access_ttl().as_secs(),
            refresh_token: refresh,
        })
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use crate::*;

    pub const PASSWORD: &str = "correct horse battery staple";

    pub struct Fixture {
        pub auth: Auth,
        pub clock: ManualClock,
        pub store: Arc<MemoryStore>,
        pub ctx: RequestContext,
    }

    pub fn fixture() -> Fixture {
        fixture_with(throttle::RateLimits::default(), Arc::new(throttle::MemoryThrottle::new()))
    }

    /// A fixture with these limits and throttle store.
    pub fn fixture_with(
        limits: throttle::RateLimits,
        throttle: Arc<dyn throttle::ThrottleStore>,
    ) -> Fixture {
        let keys = KeySet::new(SigningKey::hs256(b"fixture secret, 32 bytes or more!").unwrap());
        let config = AuthConfig::builder(keys)
            .hashing(crate::testing::fast_hashing())
            .rate_limits(limits)
            .build()
            .unwrap();
        let clock = ManualClock::starting_now();
        let store = Arc::new(MemoryStore::new());
        let auth = Auth::from_parts(config, store.clone(), Arc::new(clock.clone()), throttle);
        let ctx = RequestContext::new(Some("192.0.2.1".parse().unwrap()), Some("test-agent"));
        Fixture { auth, clock, store, ctx }
    }

    impl Fixture {
        pub async fn user(&self, name: &str) -> User {
            self.auth.register(Registration::new(name, PASSWORD), None, &self.ctx).await.unwrap()
        }

        pub async fn admin(&self, name: &str) -> User {
            self.auth.bootstrap_admin(name, &Password::new(PASSWORD)).await.unwrap()
        }

        pub async fn login(&self, name: &str) -> Session {
            self.auth.login(name, &Password::new(PASSWORD), &self.ctx).await.unwrap()
        }
    }
}
