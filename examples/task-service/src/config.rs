//! The service's configuration, from flags, the environment and `.env` (same names as the
//! Python originals where they exist). `--help` lists every setting with its variable.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use auth_core::{
    Argon2Params, AuthConfig, AuthError, HashingConfig, KeySet, http::TrustedProxies,
    throttle::RateLimits,
};
use clap::{Args, ValueEnum};
use zeroize::Zeroizing;

/// The default database: a SQLite file in the working directory, created on start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://task-service.db?mode=rwc";

/// Every setting of the service.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind_addr: SocketAddr,

    /// Database URL: sqlite://FILE?mode=rwc, postgres://USER@HOST/DB or mysql://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: DatabaseUrl,

    /// HS256 signing secret (JWT_ALGORITHM=HS256, the default), at least 32 bytes; refused
    /// with the other algorithms. If absent, one is generated and kept in a
    /// 0600 file `task-service.secret` next to the SQLite database (or in the working
    /// directory); refused in production.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<Secret>,

    /// Accept a guessable SECRET_KEY outside production. **Insecure**: logged at startup.
    #[arg(long, env = "ALLOW_INSECURE_SECRET")]
    pub allow_insecure_secret: bool,

    /// `production` refuses to start without a strong SECRET_KEY.
    #[arg(long, env = "APP_ENV", value_enum, default_value_t = AppEnv::Development)]
    pub app_env: AppEnv,

    /// Access-token lifetime in minutes (1–1440).
    #[arg(long, env = "ACCESS_TOKEN_EXPIRE_MINUTES", default_value_t = 15)]
    pub access_token_expire_minutes: u64,

    /// Refresh-token (session) lifetime in days (1–365).
    #[arg(long, env = "REFRESH_TOKEN_EXPIRE_DAYS", default_value_t = 30)]
    pub refresh_token_expire_days: u64,

    /// The algorithm access tokens are signed with: HS256 (keyed with SECRET_KEY), or EdDSA,
    /// ES256 or RS256 (keyed with JWT_PRIVATE_KEY_FILE). Only this algorithm is accepted.
    #[arg(long, env = "JWT_ALGORITHM", value_enum, ignore_case = true, default_value_t = JwtAlgorithm::Hs256)]
    pub jwt_algorithm: JwtAlgorithm,

    /// PKCS#8 PEM private key for EdDSA (Ed25519), ES256 (P-256) or RS256 (at least 2048
    /// bits); required by those algorithms, refused with HS256. Keep it mode 0600:
    /// production refuses a file other users can read.
    #[arg(long, env = "JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Comma-separated SPKI PEM public keys (EdDSA, ES256 or RS256) that verify access tokens
    /// but never sign them, published at `/.well-known/jwks.json` with the signing key: the
    /// next key, listed before it signs, and retired ones whose tokens may still be alive
    /// (key rotation; `generate-key` writes both halves).
    #[arg(long, env = "JWT_VERIFY_ONLY_KEY_FILES", value_delimiter = ',')]
    pub jwt_verify_only_key_files: Vec<String>,

    /// The `iss` of issued tokens.
    #[arg(long, env = "JWT_ISSUER", default_value = "task-service")]
    pub jwt_issuer: String,

    /// The `aud` of issued tokens.
    #[arg(long, env = "JWT_AUDIENCE", default_value = "task-service")]
    pub jwt_audience: String,

    /// Username of an admin to create (or promote) at start; needs ADMIN_PASSWORD.
    #[arg(long, env = "ADMIN_USERNAME")]
    pub admin_username: Option<String>,

    /// Password of that admin.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,

    /// Comma-separated origins allowed by CORS (e.g. `https://app.example.com`). CORS is off
    /// when empty; `*` is refused.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',', num_args = 0..)]
    pub cors_origins: Vec<String>,

    /// Comma-separated proxies (addresses or CIDR ranges) whose X-Forwarded-For is trusted.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// Log format on stdout.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// Directory for daily-rotated JSON log files (in addition to stdout).
    #[arg(long, env = "LOG_DIR")]
    pub log_dir: Option<PathBuf>,

    /// Seconds a request (including its body) may take before 408.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Seconds a connection may take to send a complete request head (from when it opens,
    /// or from the end of the previous response); a connection still sending is closed.
    /// (actix times the first head of a connection only.)
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Seconds a connection may stay idle between two requests before it is closed.
    #[arg(long, env = "KEEP_ALIVE_TIMEOUT_SECS", default_value_t = 5)]
    pub keep_alive_timeout_secs: u64,

    /// Open connections at most; one more is answered 503 and closed at once.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1000)]
    pub max_connections: usize,

    /// Argon2id memory in KiB.
    #[arg(long, env = "ARGON2_MEMORY_KIB", default_value_t = Argon2Params::DEFAULT_M_COST_KIB)]
    pub argon2_memory_kib: u32,

    /// Argon2id iterations.
    #[arg(long, env = "ARGON2_ITERATIONS", default_value_t = Argon2Params::DEFAULT_T_COST)]
    pub argon2_iterations: u32,

    /// Argon2id lanes.
    #[arg(long, env = "ARGON2_PARALLELISM", default_value_t = Argon2Params::DEFAULT_P_COST)]
    pub argon2_parallelism: u32,

    /// Password hashes computed at once (default: the number of CPUs).
    #[arg(long, env = "HASHING_MAX_CONCURRENT")]
    pub hashing_max_concurrent: Option<usize>,

    /// Milliseconds a user record may be reused by store-checked requests (0 = read the
    /// database on every request; at most 60000). Changes made through this instance apply
    /// at once; changes made through another instance within this time.
    #[arg(long, env = "USER_CACHE_TTL_MS", default_value_t = 1000)]
    pub user_cache_ttl_ms: u64,

    /// Database connections per pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,

    /// Login attempts (`/auth/login`, password grant of `/auth/token`) per client IP per
    /// minute; 0 turns the limit off (logged as insecure).
    #[arg(long, env = "RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE", default_value_t = RateLimits::default().login_per_ip_per_minute)]
    pub rate_limit_login_per_ip_per_minute: u32,

    /// Consecutive failed logins for one account from one client IP before a backoff
    /// (1 s, doubling, at most 15 min) starts; 0 turns it off (logged as insecure).
    #[arg(long, env = "RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = RateLimits::default().login_failures_per_account)]
    pub rate_limit_login_failures_per_account: u32,

    /// Registrations per client IP per minute (an admin's are not counted); 0 turns the
    /// limit off (logged as insecure).
    #[arg(long, env = "RATE_LIMIT_REGISTER_PER_IP_PER_MINUTE", default_value_t = RateLimits::default().register_per_ip_per_minute)]
    pub rate_limit_register_per_ip_per_minute: u32,

    /// Refreshes (`/auth/refresh`, refresh grant of `/auth/token`) per client IP per
    /// minute; 0 turns the limit off (logged as insecure).
    #[arg(long, env = "RATE_LIMIT_REFRESH_PER_IP_PER_MINUTE", default_value_t = RateLimits::default().refresh_per_ip_per_minute)]
    pub rate_limit_refresh_per_ip_per_minute: u32,

    /// Requests that send mail (`/auth/forgot-password`, `/auth/verify-email/request`,
    /// `PATCH /auth/me`) per client IP per minute; 0 turns the limit off (logged as
    /// insecure).
    #[arg(long, env = "RATE_LIMIT_MAIL_PER_IP_PER_MINUTE", default_value_t = RateLimits::default().mail_per_ip_per_minute)]
    pub rate_limit_mail_per_ip_per_minute: u32,

    /// Messages an hour for one submitted address or username, one account, or one
    /// recipient, from any IP; 0 turns the limit off (logged as insecure).
    #[arg(long, env = "RATE_LIMIT_MAIL_PER_ACCOUNT_PER_HOUR", default_value_t = RateLimits::default().mail_per_account_per_hour)]
    pub rate_limit_mail_per_account_per_hour: u32,

    /// Where rate-limit state lives: `memory` (this process) or `database` (shared by every
    /// instance on `DATABASE_URL`).
    #[arg(long, env = "RATE_LIMIT_BACKEND", value_enum, default_value_t = RateLimitBackend::Memory)]
    pub rate_limit_backend: RateLimitBackend,

    /// The SMTP server mail goes through: `smtps://USER:PASSWORD@HOST:465` (TLS) or
    /// `smtp://USER:PASSWORD@HOST:587?tls=required` (STARTTLS); plain `smtp://` only to a
    /// loopback host. Without it, messages are written to MAIL_OUTBOX_DIR; production
    /// refuses to start without it.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// A PEM file of the certificate authority that signed the SMTP server's certificate,
    /// trusted besides the system's (a relay with a private authority's certificate).
    #[arg(long, env = "SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,

    /// The sender of the service's mail.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Task service <no-reply@task-service.localhost>"
    )]
    pub mail_from: String,

    /// Without SMTP_URL (development): the directory each message is written to as an
    /// `.eml` file.
    #[arg(long, env = "MAIL_OUTBOX_DIR", default_value = "task-service-outbox")]
    pub mail_outbox_dir: PathBuf,

    /// The service's address as users reach it: the links in its mail start with it.
    /// Production requires an `https://` one.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
    pub public_url: String,

    /// The key that encrypts TOTP secrets at rest: 32 random bytes in base64 (`openssl rand
    /// -base64 32`). Without it, the key is derived from SECRET_KEY (HS256) with HKDF and a
    /// label of its own; with the other algorithms second factors are off until it is set.
    /// Set it in production, so that SECRET_KEY can change without locking anyone out.
    #[arg(long, env = "MFA_ENCRYPTION_KEY", hide_env_values = true)]
    pub mfa_encryption_key: Option<Secret>,

    /// Earlier MFA_ENCRYPTION_KEYs, comma-separated: they only decrypt the secrets they
    /// sealed (key rotation: each secret is sealed again under the current key when next
    /// used, and the start-up log counts those an old key still seals).
    #[arg(long, env = "MFA_ENCRYPTION_OLD_KEYS", value_delimiter = ',', num_args = 0.., hide_env_values = true)]
    pub mfa_encryption_old_keys: Vec<Secret>,

    /// The issuer name authenticator apps show beside the account.
    #[arg(long, env = "MFA_ISSUER", default_value = "Task service")]
    pub mfa_issuer: String,

    /// Whether an account needs a verified e-mail address to log in (`403
    /// email_not_verified` otherwise) and self-registration needs an address. Admins are
    /// exempt.
    #[arg(long, env = "REQUIRE_VERIFIED_EMAIL")]
    pub require_verified_email: bool,
}

/// Where rate-limit state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateLimitBackend {
    /// In this process: one limit per instance.
    Memory,
    /// In the database: one limit for every instance that shares it.
    Database,
}

/// The CORS policy of both servers when origins are configured
/// ([`Config::cors_allowed_origins`]): no credentials, and these lists.
#[derive(Debug)]
pub struct CorsPolicy;

impl CorsPolicy {
    /// The methods a cross-origin request may use.
    pub const METHODS: [&'static str; 4] = ["GET", "POST", "PATCH", "DELETE"];
    /// The request headers it may send.
    pub const ALLOW_HEADERS: [&'static str; 3] = ["authorization", "content-type", "x-request-id"];
    /// The response headers its script may read.
    pub const EXPOSE_HEADERS: [&'static str; 1] = ["x-request-id"];
    /// How long a browser may cache a preflight.
    pub const MAX_AGE: Duration = Duration::from_secs(600);
}

/// The deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppEnv {
    /// Local use: a missing secret is generated and kept in a file.
    Development,
    /// Refuses to start without a strong SECRET_KEY.
    Production,
}

/// The algorithm of access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with `SECRET_KEY`: one service both signs and verifies.
    #[value(name = "HS256")]
    Hs256,
    /// Ed25519 signatures with a private key file: whoever holds the public key can verify
    /// tokens without being able to sign them (published at `/.well-known/jwks.json`).
    #[value(name = "EdDSA")]
    EdDsa,
    /// ECDSA P-256 signatures with a private key file.
    #[value(name = "ES256")]
    Es256,
    /// RSA PKCS#1 v1.5 signatures (at least 2048 bits) with a private key file.
    #[value(name = "RS256")]
    Rs256,
}

impl JwtAlgorithm {
    /// The name in a token's `alg` header and in `JWT_ALGORITHM`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// A database URL. It may carry a password, so `Debug` shows it with the password
/// replaced by `[redacted]`; it reads as `&str` where the URL is needed.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // scheme://user:password@host/… → scheme://user:[redacted]@host/…
        let url = &self.0;
        let redacted = url.split_once("://").and_then(|(scheme, rest)| {
            let (userinfo, host) = rest.split_once('@')?;
            let (user, _password) = userinfo.split_once(':')?;
            Some(format!("{scheme}://{user}:[redacted]@{host}"))
        });
        f.write_str(redacted.as_deref().unwrap_or(url))
    }
}

/// A secret setting: wiped on drop, `[redacted]` in `Debug`.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }

    /// The secret.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl Config {
    /// A configuration with every default and the given database, for tests and embedding.
    pub fn with_database(database_url: impl Into<String>) -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        let mut c = Only::parse_from(["task-service"]).config;
        c.database_url = DatabaseUrl(database_url.into());
        c
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    /// The bounds on connections both servers apply (timeouts of 1 s to an hour, 1 to a
    /// million connections).
    pub fn front_door(&self) -> crate::front_door::FrontDoor {
        let secs = |s: u64| Duration::from_secs(s.clamp(1, 3600));
        crate::front_door::FrontDoor {
            header_read_timeout: secs(self.header_read_timeout_secs),
            keep_alive_timeout: secs(self.keep_alive_timeout_secs),
            max_connections: self.max_connections.clamp(1, 1_000_000),
        }
    }

    /// The trusted proxies.
    ///
    /// # Errors
    /// [`AuthError::Config`] for an entry that is not an address or range.
    pub fn trusted_proxies(&self) -> Result<TrustedProxies, AuthError> {
        self.trusted_proxies.parse()
    }

    /// The origins CORS allows, trimmed; none (CORS off) when the list is empty.
    ///
    /// # Errors
    /// [`StartupError`](crate::app::StartupError) for `*`: the origins must be listed.
    pub fn cors_allowed_origins(&self) -> Result<Vec<&str>, crate::app::StartupError> {
        let origins: Vec<&str> =
            self.cors_origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
        if origins.contains(&"*") {
            return Err(crate::app::StartupError::Other(
                "CORS_ORIGINS may not be *: list the origins".into(),
            ));
        }
        Ok(origins)
    }

    /// The auth configuration with `keys` verifying access tokens and their signing key
    /// signing them (see [`signing::key_set`](crate::signing::key_set)).
    ///
    /// # Errors
    /// [`AuthError::Config`] for any value out of bounds.
    pub fn auth_config(&self, keys: KeySet) -> Result<AuthConfig, AuthError> {
        let params = Argon2Params::builder()
            .m_cost_kib(self.argon2_memory_kib)
            .t_cost(self.argon2_iterations)
            .p_cost(self.argon2_parallelism)
            .build()?;
        let mut hashing = HashingConfig::builder().params(params);
        if let Some(n) = self.hashing_max_concurrent {
            hashing = hashing.max_concurrent(n);
        }
        AuthConfig::builder(keys)
            .issuer(&self.jwt_issuer)
            .audience(&self.jwt_audience)
            .access_ttl(Duration::from_secs(self.access_token_expire_minutes.saturating_mul(60)))
            .refresh_ttl(Duration::from_secs(self.refresh_token_expire_days.saturating_mul(86_400)))
            .hashing(hashing.build()?)
            .rate_limits(self.rate_limits())
            .require_verified_email(self.require_verified_email)
            .role(crate::tasks::admin_role())
            .build()
    }

    /// The throttling limits from the `RATE_LIMIT_*` variables.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            login_per_ip_per_minute: self.rate_limit_login_per_ip_per_minute,
            login_failures_per_account: self.rate_limit_login_failures_per_account,
            register_per_ip_per_minute: self.rate_limit_register_per_ip_per_minute,
            refresh_per_ip_per_minute: self.rate_limit_refresh_per_ip_per_minute,
            mail_per_ip_per_minute: self.rate_limit_mail_per_ip_per_minute,
            mail_per_account_per_hour: self.rate_limit_mail_per_account_per_hour,
            ..RateLimits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let mut c = Config::with_database("sqlite::memory:");
        c.secret_key = Some(Secret::new("super-secret-value-of-32-bytes-or-more"));
        c.admin_password = Some(Secret::new("admin-password-value"));
        c.database_url = "postgres://app:db-password-value@db.internal:5432/app".parse().unwrap();
        c.smtp_url = Some(Secret::new("smtps://app:smtp-password-value@mail.example:465"));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("super-secret") && !dbg.contains("admin-password-value"), "{dbg}");
        assert!(!dbg.contains("db-password-value"), "{dbg}");
        assert!(!dbg.contains("smtp-password-value"), "{dbg}");
        assert!(dbg.contains("postgres://app:[redacted]@db.internal:5432/app"), "{dbg}");
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::with_database(DEFAULT_DATABASE_URL);
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8000");
        assert_eq!((c.access_token_expire_minutes, c.refresh_token_expire_days), (15, 30));
        assert_eq!(c.jwt_algorithm, JwtAlgorithm::Hs256);
        let auth =
            c.auth_config(KeySet::new(auth_core::SigningKey::hs256(&[b'x'; 32]).unwrap())).unwrap();
        assert_eq!(auth.access_ttl(), Duration::from_secs(900));
    }
}
