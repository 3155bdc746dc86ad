//! [`Auth`]: the one entry point, and [`AuthBuilder`]. Each submodule holds one group of use
//! cases: registration, login, refresh rotation, logout, store-checked access, the
//! authorization rule, password change, sessions, and administration.

mod access;
mod address;
mod admin;
mod authorization;
mod change_email;
mod delete_account;
mod forgot_password;
mod link_mail;
mod login;
mod logout;
mod mfa_login;
mod notices;
mod password;
mod reauthenticate;
mod refresh_rotation;
mod register;
mod reset_password;
mod second_factor;
mod sessions;
mod store_cache;
#[cfg(test)]
mod test_mail;
mod totp_enrolment;
mod verify_email;

use std::{fmt, sync::Arc, time::Duration};

use time::OffsetDateTime;

pub use admin::{AdminBootstrap, BootstrapOutcome, UserPatch};
pub use authorization::{AdminRole, Authorized, UserRole};
pub use forgot_password::ForgottenAccount;
pub use login::SignedIn;
pub use mfa_login::SecondStep;
pub use register::Registration;
pub use second_factor::MfaKeyUsage;
pub use totp_enrolment::TotpEnrolment;

use crate::{
    AccessGrant, AccessTokens, Amr, AuthConfig, AuthStore, Clock, FamilyId, HasherStats,
    NewRefreshToken, PasswordHasher, RefreshToken, RequestContext, Result, SystemClock, TokenPair,
    UserId, UserRecord, UserUpdate,
    mail::{Delivery, MailSettings},
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
    /// User records read by store-checked requests.
    users: store_cache::StoreCache<UserId, UserRecord>,
    /// Whether a session is open, as store-checked requests read it.
    sessions: store_cache::StoreCache<(UserId, FamilyId), bool>,
    throttle: Throttle,
    /// How mail goes out, when configured.
    mail: Option<Delivery>,
    /// What second factors need, when configured.
    mfa: Option<crate::MfaSettings>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

/// Builds an [`Auth`] with its optional parts; made by [`Auth::builder`].
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use auth_core::{Auth, AuthConfig, KeySet, ManualClock, MemoryStore, SigningKey, throttle::MemoryThrottle};
///
/// let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
/// let auth = Auth::builder(AuthConfig::builder(keys).build()?, Arc::new(MemoryStore::new()))
///     .clock(Arc::new(ManualClock::starting_now()))
///     .throttle_store(Arc::new(MemoryThrottle::new())) // in production: a shared database store
///     .user_cache_ttl(Duration::from_millis(500))
///     .build()?;
/// # Ok::<(), auth_core::AuthError>(())
/// ```
pub struct AuthBuilder {
    config: AuthConfig,
    store: Arc<dyn AuthStore>,
    clock: Arc<dyn Clock>,
    throttle: Option<Arc<dyn ThrottleStore>>,
    user_cache_ttl: Duration,
    mail: Option<MailSettings>,
    mfa: Option<crate::MfaSettings>,
}

impl fmt::Debug for AuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthBuilder")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("user_cache_ttl", &self.user_cache_ttl)
            .field("mail", &self.mail)
            .field("mfa", &self.mfa)
            .finish_non_exhaustive()
    }
}

impl AuthBuilder {
    /// Default time a user record is cached for store-checked requests: 1 second.
    pub const DEFAULT_USER_CACHE_TTL: Duration = Duration::from_secs(1);
    /// Longest user-cache time-to-live allowed: 60 seconds.
    pub const MAX_USER_CACHE_TTL: Duration = Duration::from_secs(60);

    /// Where time comes from. Defaults to the [`SystemClock`]; tests use a
    /// [`ManualClock`](crate::ManualClock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where throttling state (rate limits, login backoff) lives. Defaults to process
    /// memory; give every instance behind a load balancer the same shared store (the SQL
    /// stores of `auth-sqlx` are one) so that they enforce one limit.
    pub fn throttle_store(mut self, throttle: Arc<dyn ThrottleStore>) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// How long store-checked requests ([`Auth::current_user`]) may reuse a user record, and
    /// the answer to "is this session still open", instead of reading them again. Changes
    /// made through this service are seen at once;
    /// changes made by another instance within this time. Defaults to 1 s; at most 60 s;
    /// zero reads the store on every request.
    pub fn user_cache_ttl(mut self, ttl: Duration) -> Self {
        self.user_cache_ttl = ttl;
        self
    }

    /// How to send mail (password resets, …). Without it, the use cases that send mail
    /// answer [`AuthError::MailUnavailable`](crate::AuthError::MailUnavailable).
    pub fn mail(mut self, settings: MailSettings) -> Self {
        self.mail = Some(settings);
        self
    }

    /// What second factors need: the keys that seal TOTP secrets and the issuer name
    /// authenticator apps show. Without them, enrolment and the second login step answer
    /// [`AuthError::MfaUnavailable`](crate::AuthError::MfaUnavailable) (a user who has a
    /// second factor then cannot sign in: give the settings to every instance).
    pub fn mfa(mut self, settings: crate::MfaSettings) -> Self {
        self.mfa = Some(settings);
        self
    }

    /// Validates and builds; logs every insecure setting of the configuration.
    ///
    /// # Errors
    /// [`AuthError::Config`](crate::AuthError::Config) for a user-cache TTL over 60 s, or
    /// for a configuration that [requires verified
    /// addresses](crate::AuthConfigBuilder::require_verified_email) without
    /// [mail](Self::mail) to verify them.
    pub fn build(self) -> Result<Auth> {
        Self::check_user_cache_ttl(self.user_cache_ttl)?;
        if self.config.require_verified_email() && self.mail.is_none() {
            return Err(crate::AuthError::Config(
                "require_verified_email needs mail settings to send verification links".into(),
            ));
        }
        Ok(self.assemble())
    }

    /// Whether `ttl` is a user-cache TTL [`build`](Self::build) accepts, for applications
    /// that check their settings before connecting to anything.
    ///
    /// # Errors
    /// [`AuthError::Config`](crate::AuthError::Config) for a TTL over 60 s.
    pub fn check_user_cache_ttl(ttl: Duration) -> Result<()> {
        if ttl > Self::MAX_USER_CACHE_TTL {
            return Err(crate::AuthError::Config(
                "user_cache_ttl must be at most 60 seconds".into(),
            ));
        }
        Ok(())
    }

    fn assemble(self) -> Auth {
        let Self { config, store, clock, throttle, user_cache_ttl, mail, mfa } = self;
        for warning in config.insecure_settings() {
            tracing::warn!(target: "auth::config", "insecure setting: {warning}");
        }
        let tokens = AccessTokens::new(config.access_token_config(), clock.clone());
        let hasher = PasswordHasher::new(config.hashing().clone());
        let users = store_cache::StoreCache::new(user_cache_ttl);
        let sessions = store_cache::StoreCache::new(user_cache_ttl);
        let throttle = throttle.unwrap_or_else(|| Arc::new(MemoryThrottle::new()));
        let throttle = Throttle::new(config.rate_limits().clone(), throttle);
        Auth {
            inner: Arc::new(Inner {
                config,
                store,
                hasher,
                tokens,
                clock,
                users,
                sessions,
                throttle,
                mail: mail.map(Delivery::new),
                mfa,
            }),
        }
    }
}

impl Auth {
    /// The service over `store` with the defaults of [`AuthBuilder`]: the system clock,
    /// throttling state in process memory, a user cache of
    /// [`AuthBuilder::DEFAULT_USER_CACHE_TTL`].
    pub fn new(config: AuthConfig, store: Arc<dyn AuthStore>) -> Self {
        Self::builder(config, store).assemble()
    }

    /// A builder for the service over `store`, to set the optional parts.
    pub fn builder(config: AuthConfig, store: Arc<dyn AuthStore>) -> AuthBuilder {
        AuthBuilder {
            config,
            store,
            clock: Arc::new(SystemClock),
            throttle: None,
            user_cache_ttl: AuthBuilder::DEFAULT_USER_CACHE_TTL,
            mail: None,
            mfa: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// What password hashing has done since the service started: hashes, verifications
    /// (dummy ones for unknown users included), and calls refused as overloaded. For
    /// metrics.
    pub fn hashing_stats(&self) -> HasherStats {
        self.inner.hasher.stats()
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

    /// Waits until the messages being prepared or sent off the request path are sent (or
    /// given up), at most `timeout`; returns whether they all are. For a process about to
    /// exit (a command-line tool that registered a user, a server shutting down), whose
    /// messages would otherwise be lost with it: while it waits, new messages are dropped
    /// (and logged) rather than queued behind it.
    pub async fn mail_sent(&self, timeout: Duration) -> bool {
        match &self.inner.mail {
            Some(delivery) => delivery.idle(timeout).await,
            None => true,
        }
    }

    /// Deletes refresh tokens, link tokens (password resets, address verifications) and MFA
    /// tokens that expired more than a day ago. Returns how many.
    ///
    /// # Errors
    /// [`AuthError::Store`](crate::AuthError::Store).
    pub async fn purge_expired_refresh_tokens(&self) -> Result<u64> {
        let before = self.now() - time::Duration::days(1);
        let store = &self.inner.store;
        let refresh = store.purge_expired(before).await?;
        let links = store.purge_link_tokens(before).await?;
        Ok(refresh + links + store.purge_mfa_tokens(before).await?)
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
    ///
    /// # Errors
    /// [`AuthError::EmailTaken`](crate::AuthError::EmailTaken) when the store refuses to
    /// verify an address another user has verified (the one unique key an update can
    /// break); [`AuthError::Store`](crate::AuthError::Store).
    async fn write_user(&self, id: UserId, update: UserUpdate) -> Result<Option<UserRecord>> {
        let updated = self.inner.store.update_user(id, update).await;
        self.inner.users.forget(id);
        updated.map_err(store_write_error)
    }

    /// Starts a new session (refresh-token family) for `user` and issues its first pair;
    /// returns the user as read again (what the pair's access token says) and the session's
    /// id.
    /// [`AuthError::InvalidCredentials`] when the user was deactivated or their sessions
    /// revoked since `user` was read.
    async fn start_session(
        &self,
        user: &UserRecord,
        amr: &[Amr],
        ctx: &RequestContext,
    ) -> Result<(UserRecord, TokenPair, FamilyId)> {
        let refresh = RefreshToken::generate();
        let now = self.now();
        let family_id = FamilyId::generate();
        let auth = SignedInWith { amr: amr.to_vec(), at: now };
        self.inner
            .store
            .insert_refresh_token(NewRefreshToken {
                digest: refresh.digest(),
                user_id: user.id,
                family_id,
                created_at: now,
                expires_at: now + self.inner.config.refresh_ttl(),
                ip: ctx.ip_string(),
                user_agent: ctx.user_agent().map(str::to_owned),
                amr: auth.amr.clone(),
                auth_time: now,
            })
            .await?;
        // A password change, deactivation or "sign out everywhere" that committed while
        // this login checked the password revoked every session but this one, which did not
        // exist yet: read the user again, and end the new session if they changed.
        let now_user = self.inner.store.user_by_id(user.id).await?;
        match now_user {
            // The token carries the user as they are now (a role changed meanwhile shows).
            // A second factor confirmed meanwhile (a login racing the enrolment) refuses a
            // session that did not prove one: enrolment ends the sessions it can see, and
            // this one it might not have seen yet.
            Some(now_user)
                if now_user.is_active
                    && now_user.tokens_valid_after == user.tokens_valid_after
                    && (!now_user.mfa_enabled || amr.iter().any(|m| m.is_second_factor())) =>
            {
                let pair = self.pair_for(&now_user, family_id, &auth, refresh)?;
                Ok((now_user, pair, family_id))
            }
            _ => {
                self.end_family(user.id, family_id).await?;
                crate::audit::audit!(info, "session_start_raced", ctx, user_id = user.id.get());
                Err(crate::AuthError::InvalidCredentials)
            }
        }
    }

    /// A pair for `user` in session `sid`, who signed in as `auth` says: an access token
    /// naming it, and `refresh`.
    fn pair_for(
        &self,
        user: &UserRecord,
        sid: FamilyId,
        auth: &SignedInWith,
        refresh: RefreshToken,
    ) -> Result<TokenPair> {
        let (access_token, _) = self.inner.tokens.issue(&AccessGrant {
            sid: Some(sid),
            not_before_stamp: user.tokens_valid_after,
            amr: auth.amr.clone(),
            auth_time: Some(auth.at),
            ..AccessGrant::new(user.id, user.username.as_str(), user.role.clone())
        })?;
        Ok(TokenPair {
            access_token,
            expires_in: self.inner.config.access_ttl().as_secs(),
            refresh_token: refresh,
        })
    }
}

/// How and when a session's user authenticated: its access tokens' `amr` and `auth_time`.
#[derive(Debug, Clone)]
pub(crate) struct SignedInWith {
    pub(crate) amr: Vec<Amr>,
    pub(crate) at: time::OffsetDateTime,
}

/// The error of a store write to a user: a conflict is the one unique key an update can
/// break, the verified address's.
fn store_write_error(e: crate::StoreError) -> crate::AuthError {
    if e.is_conflict() { crate::AuthError::EmailTaken } else { crate::AuthError::Store(e) }
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
        /// What the fixture's mailer received, for fixtures made by `test_mail`.
        pub recorder: Option<Arc<super::test_mail::Recorder>>,
    }

    pub fn fixture() -> Fixture {
        fixture_with(throttle::RateLimits::default(), Arc::new(throttle::MemoryThrottle::new()))
    }

    /// A fixture with these limits and throttle store.
    pub fn fixture_with(
        limits: throttle::RateLimits,
        throttle: Arc<dyn throttle::ThrottleStore>,
    ) -> Fixture {
        fixture_built(limits, throttle, None, |c| c)
    }

    /// A fixture whose configuration declares `viewer` ⊂ `editor` ⊂ `admin`, `editor`
    /// granting `notes:write`.
    pub fn fixture_with_roles() -> Fixture {
        let limits = throttle::RateLimits::default();
        fixture_built(limits, Arc::new(throttle::MemoryThrottle::new()), None, |c| {
            c.role(RoleDefinition::new("viewer"))
                .role(RoleDefinition::new("editor").includes(["viewer"]).grants(["notes:write"]))
                .role(RoleDefinition::new("admin").includes(["editor"]))
        })
    }

    /// A fixture that sends mail with `mail`.
    pub fn fixture_with_mail(mail: crate::mail::MailSettings) -> Fixture {
        let limits = throttle::RateLimits::default();
        fixture_built(limits, Arc::new(throttle::MemoryThrottle::new()), Some(mail), |c| c)
    }

    /// A fixture that sends mail with `mail`, its configuration changed by `configure`.
    pub fn fixture_configured(
        mail: crate::mail::MailSettings,
        configure: impl FnOnce(AuthConfigBuilder) -> AuthConfigBuilder,
    ) -> Fixture {
        let limits = throttle::RateLimits::default();
        fixture_built(limits, Arc::new(throttle::MemoryThrottle::new()), Some(mail), configure)
    }

    fn fixture_built(
        limits: throttle::RateLimits,
        throttle: Arc<dyn throttle::ThrottleStore>,
        mail: Option<crate::mail::MailSettings>,
        configure: impl FnOnce(AuthConfigBuilder) -> AuthConfigBuilder,
    ) -> Fixture {
        let keys = KeySet::new(SigningKey::hs256(b"fixture secret, 32 bytes or more!").unwrap());
        let builder =
            AuthConfig::builder(keys).hashing(crate::testing::fast_hashing()).rate_limits(limits);
        let config = configure(builder).build().unwrap();
        let clock = ManualClock::starting_now();
        let store = Arc::new(MemoryStore::new());
        let mfa_keys =
            MfaKeyRing::new(MfaKey::derive(b"fixture secret, 32 bytes or more!").unwrap());
        let mut builder = Auth::builder(config, store.clone())
            .clock(Arc::new(clock.clone()))
            .throttle_store(throttle)
            .mfa(MfaSettings::new("Fixture", mfa_keys).unwrap());
        if let Some(mail) = mail {
            builder = builder.mail(mail);
        }
        let auth = builder.build().unwrap();
        let ctx = RequestContext::new(Some("192.0.2.1".parse().unwrap()), Some("test-agent"));
        Fixture { auth, clock, store, ctx, recorder: None }
    }

    impl Fixture {
        pub async fn user(&self, name: &str) -> User {
            self.auth.register(Registration::new(name, PASSWORD), None, &self.ctx).await.unwrap()
        }

        pub async fn admin(&self, name: &str) -> User {
            self.auth.bootstrap_admin(name, &Password::new(PASSWORD)).await.unwrap().user
        }

        pub async fn login(&self, name: &str) -> SignedIn {
            self.auth.login(name, &Password::new(PASSWORD), &self.ctx).await.unwrap()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use crate::*;

    #[tokio::test]
    async fn purge_takes_expired_tokens_of_every_kind() {
        let f = fixture();
        let alice = f.user("alice").await;
        f.login("alice").await;
        let now = f.clock.now();
        let token = MfaToken::generate();
        let record = MfaTokenRecord {
            digest: token.digest(),
            user_id: alice.id,
            origin: LoginOrigin::Login,
            created_at: now,
            expires_at: now + MfaToken::LIFETIME,
            attempts: 0,
        };
        f.store.issue_mfa_token(record).await.unwrap();
        // A day after the MFA token expired, only it goes (the session lives 30 days).
        f.clock.advance(std::time::Duration::from_secs(2 * 86_400));
        assert_eq!(f.auth.purge_expired_refresh_tokens().await.unwrap(), 1);
        assert!(f.store.attempt_mfa_token(&token.digest(), now).await.unwrap().is_none());
    }
}
