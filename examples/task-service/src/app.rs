//! The application, independent of the web framework: configuration checked, signing key
//! resolved, databases connected and migrated, the admin bootstrapped.

use std::{sync::Arc, time::Duration};

use auth_core::{
    Auth, AuthBuilder, AuthError, Clock, KeySet, Page, Password, SigningKey, SystemClock, User,
    throttle::{MemoryThrottle, ThrottleStore},
};
use auth_sqlx::{PoolSettings, SqlStore};

use crate::{
    config::{Config, RateLimitBackend, Secret},
    secret, signing,
    tasks::{TaskService, TaskStore},
};

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The secret is missing, short or weak.
    #[error(transparent)]
    Secret(#[from] secret::SecretError),
    /// The signing key settings do not fit together, or its file is unusable.
    #[error(transparent)]
    Signing(#[from] signing::SigningError),
    /// A setting is invalid.
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// The database cannot be used.
    #[error("database: {0}")]
    Database(#[from] auth_core::StoreError),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Everything the HTTP layer of either framework needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    /// The auth service.
    pub auth: Auth,
    /// The task service.
    pub tasks: TaskService,
    /// The configuration it was built from.
    pub config: Arc<Config>,
    /// The OpenAPI document, built once for the roles of `auth`'s configuration.
    openapi: Arc<str>,
}

impl App {
    /// Builds the application: resolves the signing key, connects to and migrates the database,
    /// and bootstraps the admin named by ADMIN_USERNAME / ADMIN_PASSWORD.
    ///
    /// # Errors
    /// A [`StartupError`] naming what is wrong.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// As [`App::build`], with the auth service reading time from `clock` instead of the
    /// system clock: test servers use it to move time forward (token and session
    /// lifetimes) without waiting.
    ///
    /// # Errors
    /// A [`StartupError`] naming what is wrong.
    pub async fn build_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let keys = signing::key_set(&config)?;
        let mfa = crate::second_factor::settings(&config)?;
        let app = Self::connect_on(config, keys, mfa, true, clock).await?;
        // (Insecure settings are logged by `Auth` itself when it is built.)
        app.bootstrap_admin().await?;
        app.report_mfa_keys().await;
        if app.config.jwt_issuer.trim_end_matches('/')
            != app.config.public_url.trim_end_matches('/')
        {
            tracing::info!(
                issuer = %app.config.jwt_issuer,
                public_url = %app.config.public_url,
                "JWT_ISSUER is not PUBLIC_URL: strict RFC 8414 clients of /.well-known/oauth-authorization-server expect them equal"
            );
        }
        Ok(app)
    }

    /// Connects to the database (migrating it when `migrate`), without bootstrapping, with
    /// `secret` as an HS256 key and no second factors (for commands that never issue a
    /// token, such as `migrate`).
    ///
    /// # Errors
    /// A [`StartupError`].
    pub async fn connect(
        config: Config,
        secret: &Secret,
        migrate: bool,
    ) -> Result<Self, StartupError> {
        let keys = KeySet::new(SigningKey::hs256(secret.expose().as_bytes())?);
        Self::connect_on(config, keys, None, migrate, Arc::new(SystemClock)).await
    }

    async fn connect_on(
        config: Config,
        keys: KeySet,
        mfa: Option<auth_core::MfaSettings>,
        migrate: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let auth_config = config.auth_config(keys)?;
        let user_cache_ttl = Duration::from_millis(config.user_cache_ttl_ms);
        AuthBuilder::check_user_cache_ttl(user_cache_ttl)?;
        let settings = PoolSettings {
            max_connections: config.database_max_connections,
            ..PoolSettings::default()
        };
        let store = SqlStore::connect(&config.database_url, &settings).await?;
        let tasks = TaskStore::new(&store);
        if migrate {
            store.migrate().await?;
            tasks.migrate().await?;
        }
        tracing::info!(backend = store.backend(), "database ready");
        let throttle: Arc<dyn ThrottleStore> = match config.rate_limit_backend {
            RateLimitBackend::Memory => Arc::new(MemoryThrottle::new()),
            RateLimitBackend::Database => store.throttle_store(),
        };
        let mut builder = Auth::builder(auth_config, store.auth_store())
            .clock(clock)
            .throttle_store(throttle)
            .user_cache_ttl(user_cache_ttl)
            .mail(crate::mail::settings(&config)?);
        if let Some(mfa) = mfa {
            builder = builder.mfa(mfa);
        }
        let auth = builder.build()?;
        let tasks = TaskService::new(tasks, auth.clone());
        let openapi = crate::openapi::openapi_json(auth.config().roles()).into();
        Ok(Self { auth, tasks, config: Arc::new(config), openapi })
    }

    /// What the library's routers and extractors need, as both binaries give it: the
    /// trusted proxies, where users are served (`Location` of a registration) and the
    /// public URL (the discovery documents).
    ///
    /// # Errors
    /// [`StartupError`] for invalid trusted proxies or public URL.
    pub fn auth_state(&self) -> Result<auth_core::http::AuthState, StartupError> {
        Ok(auth_core::http::AuthState::new(self.auth.clone())
            .with_trusted_proxies(self.config.trusted_proxies()?)
            .with_users_path(USERS_PATH)
            .with_public_url(auth_core::PublicUrl::parse(&self.config.public_url)?))
    }

    /// Logs which keys seal the stored TOTP secrets, for key rotation: a secret still sealed
    /// by an old key keeps that key in `MFA_ENCRYPTION_OLD_KEYS`; one whose key is gone
    /// locks its user out of the second step.
    async fn report_mfa_keys(&self) {
        let usage = match self.auth.mfa_key_usage().await {
            Ok(usage) => usage,
            Err(auth_core::AuthError::MfaUnavailable) => return,
            Err(e) => return tracing::warn!(error = %e, "cannot count the stored TOTP secrets"),
        };
        for key in usage.iter().filter(|k| !k.current) {
            if key.known {
                tracing::info!(key_id = %key.key_id, secrets = key.secrets, "TOTP secrets still sealed by an old key (sealed again under the current one when next used); keep it in MFA_ENCRYPTION_OLD_KEYS until none is");
            } else {
                tracing::error!(key_id = %key.key_id, secrets = key.secrets, "TOTP secrets sealed by a key that is not configured: their users cannot finish a login (restore the key in MFA_ENCRYPTION_OLD_KEYS, or reset their second factor)");
            }
        }
    }

    async fn bootstrap_admin(&self) -> Result<(), StartupError> {
        match (&self.config.admin_username, &self.config.admin_password) {
            (Some(name), Some(password)) => {
                let admin =
                    self.auth.bootstrap_admin(name, &Password::new(password.expose())).await?;
                let (user, outcome) = (admin.user, admin.outcome);
                tracing::info!(
                    user_id = user.id.get(),
                    ?outcome,
                    "admin {} is ready",
                    user.username
                );
                Ok(())
            }
            (None, None) => Ok(()),
            _ => Err(StartupError::Other("ADMIN_USERNAME and ADMIN_PASSWORD go together".into())),
        }
    }

    /// Every ten minutes (the first pass at once), [`purge`](Self::purge)s what no longer
    /// matters, so the refresh-token and throttling tables stay the size of what is live.
    /// Runs until dropped; `serve` starts it and aborts it when the server stops.
    pub async fn housekeeping(self) {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match self.purge().await {
                Ok((tokens, throttle)) => {
                    tracing::debug!(tokens, throttle, "housekeeping: purged");
                }
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
            }
        }
    }

    /// One housekeeping pass: deletes refresh tokens that expired more than a day ago and
    /// throttling state that no longer counts. Returns how many of each.
    ///
    /// # Errors
    /// [`AuthError::Store`] when the database is unavailable.
    pub async fn purge(&self) -> Result<(u64, u64), AuthError> {
        let tokens = self.auth.purge_expired_refresh_tokens().await?;
        let throttle = self.auth.purge_throttle_state().await?;
        Ok((tokens, throttle))
    }

    /// The OpenAPI document (`GET /openapi.json`), as JSON.
    pub fn openapi_json(&self) -> &str {
        &self.openapi
    }

    /// `GET /health`: whether the database answers.
    pub async fn health(&self) -> (u16, serde_json::Value) {
        match self.auth.health().await {
            Ok(()) => (200, serde_json::json!({"status": "ok", "database": "ok"})),
            Err(e) => {
                tracing::warn!(error = %e, "health check: database unavailable");
                (503, serde_json::json!({"status": "degraded", "database": "unavailable"}))
            }
        }
    }

    /// `GET /admin/users`.
    ///
    /// # Errors
    /// As [`Auth::list_users`].
    pub async fn list_users(&self, admin: &User, page: Page) -> Result<Vec<User>, AuthError> {
        self.auth.list_users(admin, page).await
    }
}

/// The largest request body anywhere: 64 KiB (the `/auth` routes allow 16 KiB). Enforced by
/// every body extractor; routes that take no body never read one.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Where an admin reads a user by id (`GET /admin/users/{id}`), so the `Location` of a
/// registration.
pub const USERS_PATH: &str = "/admin/users";

/// The header that carries a request's id, generated when the client sends none.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The `{id}` of a path.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct IdPath {
    /// The id.
    pub id: i64,
}

/// `?limit=&offset=` of the list routes.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct PageQuery {
    /// 1–100, default 50.
    pub limit: Option<u32>,
    /// Default 0.
    pub offset: Option<u64>,
}

impl PageQuery {
    /// The validated page.
    ///
    /// # Errors
    /// [`AuthError::Validation`] naming `limit` or `offset`.
    pub fn page(self) -> Result<Page, AuthError> {
        Page::new(self.limit, self.offset)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use auth_core::{ManualClock, Registration, RequestContext};

    use super::*;

    #[tokio::test]
    async fn housekeeping_purges_sessions_a_day_after_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let mut config = Config::with_database(url);
        config.secret_key = Some(Secret::new("Yq3v-housekeeping-test-key-9fK2mZ7rT0pL5xW8"));
        config.mail_outbox_dir = dir.path().join("outbox");
        let clock = ManualClock::starting_now();
        let app = App::build_with_clock(config, Arc::new(clock.clone())).await.unwrap();
        let ctx = RequestContext::internal();
        let password = Password::new("correct horse battery staple");
        app.auth.register(Registration::new("alice", password.clone()), None, &ctx).await.unwrap();
        app.auth.login("alice", &password, &ctx).await.unwrap();
        assert_eq!(app.purge().await.unwrap().0, 0, "a live session stays");
        // The session lives 30 days; it is purged a day after it expired.
        clock.advance(Duration::from_secs(30 * 86_400 + 3_600));
        assert_eq!(app.purge().await.unwrap().0, 0, "kept for a day after expiry");
        clock.advance(Duration::from_secs(86_400));
        assert_eq!(app.purge().await.unwrap().0, 1);
    }
}
