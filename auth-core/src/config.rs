//! [`AuthConfig`]: everything [`Auth`](crate::Auth) needs, validated when built.

use std::time::Duration;

use crate::{
    AccessTokenConfig, AuthError, HashingConfig, KeySet, PasswordPolicy, Result, RoleDefinition,
    Roles, UsernameRules, throttle::RateLimits,
};

/// The configuration of [`Auth`](crate::Auth). Build it with [`AuthConfig::builder`]; every
/// value is checked in [`AuthConfigBuilder::build`], not when first used.
///
/// ```
/// use std::time::Duration;
/// use auth_core::{AuthConfig, KeySet, SigningKey};
///
/// let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
/// let config = AuthConfig::builder(keys)
///     .issuer("https://auth.example.com")
///     .audience("tasks-api")
///     .access_ttl(Duration::from_secs(10 * 60))
///     .build()?;
/// assert_eq!(config.refresh_ttl(), Duration::from_secs(30 * 24 * 3600));
/// assert!(AuthConfig::builder(config.keys().clone()).leeway(Duration::from_secs(61)).build().is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuthConfig {
    keys: KeySet,
    issuer: String,
    audience: String,
    access_ttl: Duration,
    refresh_ttl: Duration,
    leeway: Duration,
    username_rules: UsernameRules,
    password_policy: PasswordPolicy,
    hashing: HashingConfig,
    verified_token_cache: usize,
    rate_limits: RateLimits,
    require_verified_email: bool,
    roles: Roles,
}

impl AuthConfig {
    /// Default access-token lifetime: 15 minutes.
    pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
    /// Default refresh-token (session) lifetime: 30 days.
    pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
    /// Default clock-skew leeway: 30 seconds.
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
    /// Largest leeway allowed: 60 seconds.
    pub const MAX_LEEWAY: Duration = Duration::from_secs(60);
    /// Default issuer: `"auth"`.
    pub const DEFAULT_ISSUER: &'static str = "auth";
    /// Default audience: `"api"`.
    pub const DEFAULT_AUDIENCE: &'static str = "api";
    /// Default size of the verified-token cache: 4,096 tokens (about 0.5 MiB).
    pub const DEFAULT_VERIFIED_TOKEN_CACHE: usize = 4096;
    /// Largest verified-token cache allowed: 1,000,000 tokens.
    pub const MAX_VERIFIED_TOKEN_CACHE: usize = 1_000_000;

    /// A builder around the keys, the one value without a default.
    pub fn builder(keys: KeySet) -> AuthConfigBuilder {
        AuthConfigBuilder {
            config: AuthConfig {
                keys,
                issuer: Self::DEFAULT_ISSUER.to_owned(),
                audience: Self::DEFAULT_AUDIENCE.to_owned(),
                access_ttl: Self::DEFAULT_ACCESS_TTL,
                refresh_ttl: Self::DEFAULT_REFRESH_TTL,
                leeway: Self::DEFAULT_LEEWAY,
                username_rules: UsernameRules::default(),
                password_policy: PasswordPolicy::default(),
                hashing: HashingConfig::default(),
                verified_token_cache: Self::DEFAULT_VERIFIED_TOKEN_CACHE,
                rate_limits: RateLimits::default(),
                require_verified_email: false,
                roles: Roles::default(),
            },
            roles: Vec::new(),
        }
    }

    /// The signing and verification keys.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }
    /// The `iss` of issued tokens, and the only one accepted.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The `aud` of issued tokens, and the one required.
    pub fn audience(&self) -> &str {
        &self.audience
    }
    /// Access-token lifetime.
    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }
    /// Refresh-token lifetime: the longest a session lasts without a new login.
    pub fn refresh_ttl(&self) -> Duration {
        self.refresh_ttl
    }
    /// Clock-skew leeway for `exp` and `nbf`.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }
    /// Username length rules.
    pub fn username_rules(&self) -> &UsernameRules {
        &self.username_rules
    }
    /// The password policy.
    pub fn password_policy(&self) -> &PasswordPolicy {
        &self.password_policy
    }
    /// The hashing configuration.
    pub fn hashing(&self) -> &HashingConfig {
        &self.hashing
    }
    /// How many access tokens the verified-token cache holds (0: none).
    pub fn verified_token_cache(&self) -> usize {
        self.verified_token_cache
    }

    /// What issuing and verifying access tokens needs from this configuration.
    pub fn access_token_config(&self) -> AccessTokenConfig {
        AccessTokenConfig {
            keys: self.keys.clone(),
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            ttl: self.access_ttl,
            leeway: self.leeway,
            verified_token_cache: self.verified_token_cache,
        }
    }

    /// The throttling limits of login, token and registration attempts.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }

    /// Whether a login needs a verified address (see
    /// [`AuthConfigBuilder::require_verified_email`]).
    pub fn require_verified_email(&self) -> bool {
        self.require_verified_email
    }

    /// The roles: `user`, `admin` and those declared with [`AuthConfigBuilder::role`],
    /// resolved (what each includes and grants).
    pub fn roles(&self) -> &Roles {
        &self.roles
    }

    /// The settings that weaken security, to be logged at startup (empty with the
    /// defaults).
    pub fn insecure_settings(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.password_policy.rejects_common() {
            out.push("common passwords are accepted (allow_insecure_common_passwords)");
        }
        if !self.hashing.params().meets_owasp_minimum() {
            out.push("Argon2 parameters are below the OWASP minimum (allow_insecure_low_cost)");
        }
        out.extend(self.rate_limits.insecure_settings());
        out
    }
}

/// Builder for [`AuthConfig`]; see there.
#[derive(Debug, Clone)]
pub struct AuthConfigBuilder {
    config: AuthConfig,
    roles: Vec<RoleDefinition>,
}

impl AuthConfigBuilder {
    /// The token issuer (`iss`). Defaults to `"auth"`; 1..=256 bytes.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.config.issuer = issuer.into();
        self
    }

    /// The token audience (`aud`). Defaults to `"api"`; 1..=256 bytes.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.config.audience = audience.into();
        self
    }

    /// Access-token lifetime. Defaults to 15 minutes; 1 minute..=24 hours.
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.config.access_ttl = ttl;
        self
    }

    /// Refresh-token lifetime. Defaults to 30 days; 1 hour..=365 days, and longer than the
    /// access-token lifetime.
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.config.refresh_ttl = ttl;
        self
    }

    /// Leeway for `exp`/`nbf`. Defaults to 30 s; at most 60 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.config.leeway = leeway;
        self
    }

    /// Username length rules. Defaults to 4..=20 characters.
    pub fn username_rules(mut self, rules: UsernameRules) -> Self {
        self.config.username_rules = rules;
        self
    }

    /// The password policy. Defaults to [`PasswordPolicy::default`].
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.config.password_policy = policy;
        self
    }

    /// Password hashing. Defaults to [`HashingConfig::default`].
    pub fn hashing(mut self, hashing: HashingConfig) -> Self {
        self.config.hashing = hashing;
        self
    }

    /// The size of the verified-token cache: access tokens that verified are kept (by the
    /// SHA-256 of their text, about 120 bytes each), so that a token presented again skips
    /// the signature and parsing work. The time checks still run on every call, and
    /// store-checked requests still read the user. Defaults to 4,096; at most 1,000,000; 0
    /// verifies every call in full.
    pub fn verified_token_cache(mut self, tokens: usize) -> Self {
        self.config.verified_token_cache = tokens;
        self
    }

    /// Throttling of login, token and registration attempts. Defaults to
    /// [`RateLimits::default`] (see there for the reasoning); a limit of 0 is off and
    /// reported by [`AuthConfig::insecure_settings`].
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.config.rate_limits = limits;
        self
    }

    /// Whether an account needs a verified address to log in. Defaults to `false`. When
    /// `true`, a correct login of an account without a verified address is refused
    /// ([`AuthError::EmailNotVerified`]) and self-registration needs an address (whose
    /// verification link goes out at once); administrators are exempt, since an operator
    /// makes them (bootstrap, command line) and a locked-out admin could not fix it. The
    /// [`Auth`](crate::Auth) needs [mail](crate::AuthBuilder::mail) then.
    pub fn require_verified_email(mut self, required: bool) -> Self {
        self.config.require_verified_email = required;
        self
    }

    /// Declares a role (or adds to the built-in `user` or `admin`): see [`RoleDefinition`].
    /// Without any, the roles are `user` and `admin`, and `admin` includes `user`.
    pub fn role(mut self, definition: RoleDefinition) -> Self {
        self.roles.push(definition);
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// [`AuthError::Config`] naming the first value out of bounds, or what is wrong with the
    /// roles (an invalid or twice-declared name, an undeclared included role, a cycle, a role
    /// that includes `admin`).
    pub fn build(self) -> Result<AuthConfig> {
        let mut c = self.config;
        let fail = |m: &str| Err(AuthError::Config(m.to_owned()));
        for (name, v) in [("issuer", &c.issuer), ("audience", &c.audience)] {
            if v.is_empty() || v.len() > 256 || v.chars().any(char::is_control) {
                return fail(&format!("{name} must be 1..=256 bytes without control characters"));
            }
        }
        if !(Duration::from_secs(60)..=Duration::from_secs(24 * 3600)).contains(&c.access_ttl) {
            return fail("access_ttl must be between 1 minute and 24 hours");
        }
        if !(Duration::from_secs(3600)..=Duration::from_secs(365 * 24 * 3600))
            .contains(&c.refresh_ttl)
        {
            return fail("refresh_ttl must be between 1 hour and 365 days");
        }
        if c.refresh_ttl <= c.access_ttl {
            return fail("refresh_ttl must be longer than access_ttl");
        }
        if c.leeway > AuthConfig::MAX_LEEWAY {
            return fail("leeway must be at most 60 seconds");
        }
        if c.verified_token_cache > AuthConfig::MAX_VERIFIED_TOKEN_CACHE {
            return fail("verified_token_cache must be at most 1000000");
        }
        if let Err(m) = c.rate_limits.validate() {
            return fail(m);
        }
        c.roles = Roles::resolve(&self.roles).map_err(AuthError::Config)?;
        Ok(c)
    }
}
