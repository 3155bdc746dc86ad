//! [`RateLimits`]: how many login, token and registration attempts are allowed, and the
//! backoff after failed logins. Defaults and the reasoning behind them.

use std::time::Duration;

use super::gcra::Rate;

/// The throttling limits. `0` turns a limit off, which
/// [`insecure_settings`](crate::AuthConfig::insecure_settings) reports (and [`Auth`](crate::Auth)
/// logs at startup).
///
/// Defaults, and why:
/// - **30 logins per client IP per minute** (`/auth/login` and the password grant of
///   `/auth/token`): a person mistyping never gets near it, an office behind one NAT address
///   rarely does, and a single source guessing passwords is held to 30 guesses a minute
///   across all accounts.
/// - **5 consecutive failures per account from one IP**, then a backoff of 1 s that doubles
///   with every further failure, up to [`max_backoff`](Self::max_backoff) (15 min); a
///   success resets it. Keyed by account *and* client IP, so an attacker elsewhere cannot
///   lock the owner out, and a wait is always bounded: never a permanent lockout.
/// - **5 registrations per client IP per minute**: registration hashes a password and
///   creates a row; bulk account creation is abuse. Registrations made by an admin are not
///   counted.
/// - **60 refreshes per client IP per minute**: refresh tokens cannot be guessed (256 bits),
///   so this only caps load; one per client per access-token lifetime is normal.
///
/// ```
/// use auth_core::throttle::RateLimits;
/// let limits = RateLimits { login_per_ip_per_minute: 10, ..RateLimits::default() };
/// assert_eq!(limits.login_failures_per_account, 5);
/// assert!(limits.insecure_settings().is_empty());
/// assert_eq!(RateLimits::off().insecure_settings().len(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Login attempts per client IP per minute (0 = no limit).
    pub login_per_ip_per_minute: u32,
    /// Consecutive failed logins for one account from one client IP before the backoff
    /// starts (0 = no backoff).
    pub login_failures_per_account: u32,
    /// Registrations per client IP per minute (0 = no limit).
    pub register_per_ip_per_minute: u32,
    /// Refreshes per client IP per minute (0 = no limit).
    pub refresh_per_ip_per_minute: u32,
    /// The longest backoff after failed logins.
    pub max_backoff: Duration,
    /// Requests that send mail (forgotten password, …) per client IP per minute
    /// (0 = no limit).
    pub mail_per_ip_per_minute: u32,
    /// Requests that send mail per account per hour, from any IP, keyed by the submitted
    /// address or username whether or not an account has it (0 = no limit).
    pub mail_per_account_per_hour: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_per_ip_per_minute: 30,
            login_failures_per_account: 5,
            register_per_ip_per_minute: 5,
            refresh_per_ip_per_minute: 60,
            max_backoff: Self::DEFAULT_MAX_BACKOFF,
            mail_per_ip_per_minute: 5,
            mail_per_account_per_hour: 5,
        }
    }
}

impl RateLimits {
    /// The default longest backoff: 15 minutes.
    pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
    /// The first backoff after the failure limit: 1 second, doubling per further failure.
    pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
    /// How long failures are remembered after the last one.
    pub const FAILURE_MEMORY: Duration = Duration::from_secs(24 * 3600);

    /// Every limit off (tests and benchmarks only; reported as insecure).
    pub fn off() -> Self {
        Self {
            login_per_ip_per_minute: 0,
            login_failures_per_account: 0,
            register_per_ip_per_minute: 0,
            refresh_per_ip_per_minute: 0,
            max_backoff: Self::DEFAULT_MAX_BACKOFF,
            mail_per_ip_per_minute: 0,
            mail_per_account_per_hour: 0,
        }
    }

    /// The login rate per IP, if limited.
    pub fn login_rate(&self) -> Option<Rate> {
        Rate::per_minute(self.login_per_ip_per_minute)
    }

    /// The registration rate per IP, if limited.
    pub fn register_rate(&self) -> Option<Rate> {
        Rate::per_minute(self.register_per_ip_per_minute)
    }

    /// The refresh rate per IP, if limited.
    pub fn refresh_rate(&self) -> Option<Rate> {
        Rate::per_minute(self.refresh_per_ip_per_minute)
    }

    /// The rate of requests that send mail per IP, if limited.
    pub fn mail_ip_rate(&self) -> Option<Rate> {
        Rate::per_minute(self.mail_per_ip_per_minute)
    }

    /// The rate of requests that send mail per account, if limited.
    pub fn mail_account_rate(&self) -> Option<Rate> {
        Rate::per_hour(self.mail_per_account_per_hour)
    }

    /// How long an account must wait after `failures` consecutive failures (zero below
    /// the limit): 1 s at the limit, doubling per further failure, at most `max_backoff`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::throttle::RateLimits;
    /// let limits = RateLimits::default();
    /// assert_eq!(limits.backoff(4), Duration::ZERO);
    /// assert_eq!(limits.backoff(5), Duration::from_secs(1));
    /// assert_eq!(limits.backoff(7), Duration::from_secs(4));
    /// assert_eq!(limits.backoff(1000), limits.max_backoff);
    /// ```
    pub fn backoff(&self, failures: u32) -> Duration {
        let limit = self.login_failures_per_account;
        if limit == 0 || failures < limit {
            return Duration::ZERO;
        }
        let doublings = (failures - limit).min(30);
        Self::FIRST_BACKOFF.saturating_mul(1 << doublings).min(self.max_backoff)
    }

    /// The limits that are off, as warnings for the startup log.
    pub fn insecure_settings(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.login_per_ip_per_minute == 0 {
            out.push("login rate limit per IP is off (login_per_ip_per_minute = 0)");
        }
        if self.login_failures_per_account == 0 {
            out.push("login failure backoff is off (login_failures_per_account = 0)");
        }
        if self.register_per_ip_per_minute == 0 {
            out.push("registration rate limit per IP is off (register_per_ip_per_minute = 0)");
        }
        if self.refresh_per_ip_per_minute == 0 {
            out.push("refresh rate limit per IP is off (refresh_per_ip_per_minute = 0)");
        }
        if self.mail_per_ip_per_minute == 0 {
            out.push("mail rate limit per IP is off (mail_per_ip_per_minute = 0)");
        }
        if self.mail_per_account_per_hour == 0 {
            out.push("mail rate limit per account is off (mail_per_account_per_hour = 0)");
        }
        out
    }

    /// Checks the limits for nonsense.
    pub(crate) fn validate(&self) -> Result<(), &'static str> {
        if self.max_backoff < Self::FIRST_BACKOFF || self.max_backoff > Duration::from_secs(86_400)
        {
            return Err("max_backoff must be between 1 second and 24 hours");
        }
        Ok(())
    }
}
