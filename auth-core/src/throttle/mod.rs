//! Throttling of login, token and registration attempts: token buckets per client IP and a
//! growing backoff per account after consecutive failed logins. Over a limit,
//! [`Auth`](crate::Auth) answers [`AuthError::RateLimited`]
//! (HTTP 429 with `Retry-After`), before any password is hashed.
//!
//! - [`RateLimits`]: the limits, their defaults and the reasoning behind them;
//! - [`admit`]: the token-bucket rule (GCRA);
//! - [`ThrottleStore`]: where the state lives — [`MemoryThrottle`] (in process, the
//!   default) or a shared database (the SQL stores of `auth-sqlx`), set with
//!   [`AuthBuilder::throttle_store`](crate::AuthBuilder::throttle_store).
//!
//! If the throttle store fails, the attempt is refused with a 503 (fail closed): a login
//! that cannot be counted does not run.

mod gcra;
mod limits;
mod memory;
mod store;

use std::{net::IpAddr, sync::Arc, time::Duration};

use time::OffsetDateTime;

pub use gcra::{Admission, Rate, admission, admit};
pub use limits::RateLimits;
pub use memory::MemoryThrottle;
pub use store::{Failures, ThrottleKey, ThrottleStore};

use crate::{AuthError, Result};

/// What [`Auth`](crate::Auth) throttles, with the limits and the store.
pub(crate) struct Throttle {
    limits: RateLimits,
    store: Arc<dyn ThrottleStore>,
}

/// A password attempt begun by [`Throttle::begin_attempt`], counted as failed until it
/// [succeeds](Throttle::succeeded).
#[must_use = "a right password must reset the count"]
pub(crate) struct Attempt {
    key: Option<ThrottleKey>,
    /// The failures counted under the key, this attempt's included.
    failures: u32,
}

impl Attempt {
    /// The failures counted under its key, this attempt's included (0 without a key).
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }
}

/// The kinds of per-IP bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bucket {
    Login,
    Register,
    Refresh,
    /// Requests that send mail, per client IP.
    Mail,
}

impl Throttle {
    pub(crate) fn new(limits: RateLimits, store: Arc<dyn ThrottleStore>) -> Self {
        Self { limits, store }
    }

    /// Takes one attempt of `bucket` for the client `ip` (nothing for an unknown IP, e.g.
    /// the CLI).
    pub(crate) async fn take(
        &self,
        bucket: Bucket,
        ip: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let (kind, rate) = match bucket {
            Bucket::Login => ("login-ip", self.limits.login_rate()),
            Bucket::Register => ("register-ip", self.limits.register_rate()),
            Bucket::Refresh => ("refresh-ip", self.limits.refresh_rate()),
            Bucket::Mail => ("mail-ip", self.limits.mail_ip_rate()),
        };
        let (Some(ip), Some(rate)) = (ip, rate) else { return Ok(()) };
        let key = ThrottleKey::new(kind, &[&ip.to_string()]);
        self.take_key(kind, &key, rate, now).await
    }

    /// Takes one mail request for `account` (the submitted address or username, as
    /// normalized by the caller), from any IP.
    pub(crate) async fn take_mail_for(&self, account: &str, now: OffsetDateTime) -> Result<()> {
        let Some(rate) = self.limits.mail_account_rate() else { return Ok(()) };
        let key = ThrottleKey::new("mail-account", &[account]);
        self.take_key("mail-account", &key, rate, now).await
    }

    async fn take_key(
        &self,
        kind: &'static str,
        key: &ThrottleKey,
        rate: Rate,
        now: OffsetDateTime,
    ) -> Result<()> {
        match self.store.take(key, rate, now).await? {
            Admission::Admitted => Ok(()),
            Admission::Refused { retry_after } => {
                tracing::info!(target: "auth::throttle", bucket = kind, retry_after_ms = retry_after.as_millis() as u64, "rate limited");
                Err(AuthError::RateLimited { retry_after: round_up(retry_after) })
            }
        }
    }

    /// The key of an account's failure tally for client `ip`.
    pub(crate) fn account_key(&self, account: &str, ip: Option<IpAddr>) -> Option<ThrottleKey> {
        (self.limits.login_failures_per_account > 0).then(|| {
            let ip = ip.map(|ip| ip.to_string()).unwrap_or_default();
            ThrottleKey::new("login-account", &[account, &ip])
        })
    }

    /// The key of an account's tally of wrong second-factor codes from any client: codes
    /// are six digits, so their guesses are limited per account, not per address (an
    /// attacker who has the password may have many addresses).
    pub(crate) fn code_key(&self, account: &str) -> Option<ThrottleKey> {
        (self.limits.login_failures_per_account > 0)
            .then(|| ThrottleKey::new("code-account", &[account]))
    }

    /// The most wrong second-factor codes in a row an account takes (NIST SP 800-63B): past
    /// them every code is refused, and each refusal counts too, until the tally is cleared
    /// (an administrator's reset of the account's second factor) or a day passes without an
    /// attempt. With the backoff, reaching it takes about a day of guessing.
    pub(crate) const MAX_CODE_FAILURES: u32 = 100;

    /// Begins a code attempt on the account tally `key` ([`Throttle::code_key`]): as
    /// [`begin_attempt`](Self::begin_attempt), and refused outright past
    /// [`MAX_CODE_FAILURES`](Self::MAX_CODE_FAILURES).
    pub(crate) async fn begin_code_attempt(
        &self,
        key: Option<ThrottleKey>,
        now: OffsetDateTime,
    ) -> Result<Attempt> {
        if let Some(key) = &key {
            if let Some(f) = self.store.failures(key).await? {
                if !is_forgotten(&f, now) && f.count >= Self::MAX_CODE_FAILURES {
                    // The refusal counts: the lock lasts as long as someone keeps trying.
                    let f = self.store.add_failure(key, now).await?;
                    let wait = Duration::try_from(f.last + RateLimits::FAILURE_MEMORY - now)
                        .unwrap_or(Duration::ZERO);
                    return Err(self.backing_off(f.count, wait));
                }
            }
        }
        self.begin_attempt(key, now).await
    }

    /// Forgets an account's tally of wrong codes (after an administrator's reset of its
    /// second factor: a new enrolment starts afresh).
    pub(crate) async fn clear_codes(&self, account: &str) -> Result<()> {
        if let Some(key) = self.code_key(account) {
            self.store.clear_failures(&key).await?;
        }
        Ok(())
    }

    /// Begins a password attempt on the account of `key`: refused while the account backs
    /// off, else counted as a failure at once, before any hashing, so that attempts made
    /// in parallel cannot all pass one check. Of attempts that raced past the check, only
    /// as many run as would have run one after the other (the free ones below the limit,
    /// or the one the end of a backoff allows); the others are refused. A right password
    /// then clears the count ([`Throttle::succeeded`]); one that reached no verdict takes
    /// its failure back ([`Throttle::withdrawn`]); a wrong one leaves it counted, and so
    /// does an attempt that never ends (its request dropped): that fails closed.
    pub(crate) async fn begin_attempt(
        &self,
        key: Option<ThrottleKey>,
        now: OffsetDateTime,
    ) -> Result<Attempt> {
        let Some(key) = key else { return Ok(Attempt { key: None, failures: 0 }) };
        let mut expected = 1;
        if let Some(earlier) = self.store.failures(&key).await? {
            if is_forgotten(&earlier, now) {
                self.store.clear_failures(&key).await?;
            } else {
                let until = earlier.last + self.limits.backoff(earlier.count);
                if now < until {
                    let wait = Duration::try_from(until - now).unwrap_or(Duration::ZERO);
                    return Err(self.backing_off(earlier.count, wait));
                }
                expected = earlier.count + 1;
            }
        }
        let reserved = self.store.add_failure(&key, now).await?;
        if reserved.count > expected && !self.limits.backoff(reserved.count - 1).is_zero() {
            // Another attempt counted in between: this one would have found the backoff.
            return Err(self.backing_off(reserved.count, self.limits.backoff(reserved.count)));
        }
        Ok(Attempt { key: Some(key), failures: reserved.count })
    }

    fn backing_off(&self, failures: u32, wait: Duration) -> AuthError {
        tracing::info!(target: "auth::throttle", failures, retry_after_ms = wait.as_millis() as u64, "login backoff");
        AuthError::RateLimited { retry_after: round_up(wait) }
    }

    /// Ends an attempt that reached no verdict on the password (hashing overloaded, a store
    /// failure): its failure is taken back, so a right password met with a 503 does not push
    /// the account into a backoff. A failure to take it back is logged and leaves it counted.
    pub(crate) async fn withdrawn(&self, attempt: Attempt) {
        if let Some(key) = attempt.key {
            if let Err(e) = self.store.withdraw_failure(&key).await {
                tracing::warn!(target: "auth::throttle", error = %e, "a counted attempt could not be taken back");
            }
        }
    }

    /// Ends an attempt with the right password: the account's failures are reset.
    pub(crate) async fn succeeded(&self, attempt: Attempt) -> Result<()> {
        if let Some(key) = attempt.key {
            self.store.clear_failures(&key).await?;
        }
        Ok(())
    }

    /// Deletes state that no longer matters.
    pub(crate) async fn purge(&self, now: OffsetDateTime) -> Result<u64> {
        Ok(self.store.purge_throttle(now, now - RateLimits::FAILURE_MEMORY).await?)
    }
}

/// Whether a tally is old enough to be forgotten.
fn is_forgotten(failures: &Failures, now: OffsetDateTime) -> bool {
    now - failures.last > RateLimits::FAILURE_MEMORY
}

/// `Retry-After` carries whole seconds: round up, so a client that waits that long is
/// admitted.
fn round_up(d: Duration) -> Duration {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;
    use crate::{Password, Registration, RequestContext, service::test_support::*};

    fn limits() -> RateLimits {
        RateLimits {
            login_per_ip_per_minute: 100,
            login_failures_per_account: 3,
            register_per_ip_per_minute: 100,
            refresh_per_ip_per_minute: 100,
            max_backoff: Duration::from_secs(8),
            mail_per_ip_per_minute: 100,
            mail_per_account_per_hour: 100,
        }
    }

    fn wait_of(e: &AuthError) -> Duration {
        match e {
            AuthError::RateLimited { retry_after } => *retry_after,
            other => panic!("expected rate_limited, got {other:?}"),
        }
    }

    fn wrong() -> Password {
        Password::new("not the password at all")
    }

    #[tokio::test]
    async fn logins_per_ip_are_limited_before_any_hashing() {
        let f = fixture_with(
            RateLimits { login_per_ip_per_minute: 2, ..limits() },
            Arc::new(MemoryThrottle::new()),
        );
        f.user("alice").await;
        f.login("alice").await;
        f.login("alice").await;
        let before = f.auth.hashing_stats();
        let e = f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.unwrap_err();
        assert_eq!(wait_of(&e), Duration::from_secs(30));
        assert_eq!(
            f.auth.hashing_stats().verifications,
            before.verifications,
            "refused before hashing"
        );
        // Another client is not affected; the same one is after the refill.
        let other = RequestContext::new(Some("198.51.100.20".parse().unwrap()), None);
        f.auth.login("alice", &Password::new(PASSWORD), &other).await.unwrap();
        f.clock.advance(Duration::from_secs(30));
        f.login("alice").await;
    }

    #[tokio::test]
    async fn account_backoff_doubles_is_capped_and_resets_on_success() {
        let f = fixture_with(limits(), Arc::new(MemoryThrottle::new()));
        f.user("alice").await;
        for _ in 0..3 {
            let e = f.auth.login("alice", &wrong(), &f.ctx).await.unwrap_err();
            assert!(matches!(e, AuthError::InvalidCredentials));
        }
        // Three failures: 1 s, even for the right password.
        let e = f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.unwrap_err();
        assert_eq!(wait_of(&e), Duration::from_secs(1));
        let mut expected = 1;
        for _ in 0..5 {
            f.clock.advance(Duration::from_secs(expected));
            let e = f.auth.login("ALICE", &wrong(), &f.ctx).await.unwrap_err();
            assert!(matches!(e, AuthError::InvalidCredentials), "one attempt per wait");
            expected = (expected * 2).min(8);
            let e = f.auth.login("alice", &wrong(), &f.ctx).await.unwrap_err();
            assert_eq!(wait_of(&e), Duration::from_secs(expected), "doubling, capped at 8 s");
        }
        f.clock.advance(Duration::from_secs(8));
        f.login("alice").await;
        // Reset: three more failures before any wait.
        for _ in 0..3 {
            let e = f.auth.login("alice", &wrong(), &f.ctx).await.unwrap_err();
            assert!(matches!(e, AuthError::InvalidCredentials));
        }
    }

    /// A throttle store whose reads of a tally wait until ten have been made: every
    /// attempt reads before any counts, the race the reservation must settle.
    struct LateCounts {
        inner: MemoryThrottle,
        readers: tokio::sync::Barrier,
    }

    #[async_trait::async_trait]
    impl ThrottleStore for LateCounts {
        async fn take(
            &self,
            key: &ThrottleKey,
            rate: Rate,
            now: OffsetDateTime,
        ) -> crate::StoreResult<Admission> {
            self.inner.take(key, rate, now).await
        }
        async fn failures(&self, key: &ThrottleKey) -> crate::StoreResult<Option<Failures>> {
            let read = self.inner.failures(key).await;
            self.readers.wait().await;
            read
        }
        async fn add_failure(
            &self,
            key: &ThrottleKey,
            now: OffsetDateTime,
        ) -> crate::StoreResult<Failures> {
            self.inner.add_failure(key, now).await
        }
        async fn clear_failures(&self, key: &ThrottleKey) -> crate::StoreResult<()> {
            self.inner.clear_failures(key).await
        }
        async fn purge_throttle(
            &self,
            now: OffsetDateTime,
            before: OffsetDateTime,
        ) -> crate::StoreResult<u64> {
            self.inner.purge_throttle(now, before).await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_guesses_run_no_more_than_sequential_ones() {
        let late =
            LateCounts { inner: MemoryThrottle::new(), readers: tokio::sync::Barrier::new(10) };
        let f = fixture_with(limits(), Arc::new(late));
        f.user("alice").await;
        let before = f.auth.hashing_stats().verifications;
        let guesses: Vec<_> = (0..10)
            .map(|i| {
                let (auth, ctx) = (f.auth.clone(), f.ctx.clone());
                // Every spelling of the name is one account.
                let name = if i % 2 == 0 { "alice" } else { "ALICE" };
                tokio::spawn(async move { auth.login(name, &wrong(), &ctx).await })
            })
            .collect();
        let (mut wrong_password, mut limited) = (0, 0);
        for guess in guesses {
            match guess.await.unwrap() {
                Err(AuthError::InvalidCredentials) => wrong_password += 1,
                Err(AuthError::RateLimited { .. }) => limited += 1,
                other => panic!("{other:?}"),
            }
        }
        // As many as one after the other: the three free failures, then the backoff.
        assert_eq!((wrong_password, limited), (3, 7));
        assert_eq!(f.auth.hashing_stats().verifications - before, 3, "no hashing when refused");
    }

    #[tokio::test]
    async fn password_re_checks_count_as_logins() {
        let f = fixture_with(
            RateLimits { login_per_ip_per_minute: 6, ..limits() },
            Arc::new(MemoryThrottle::new()),
        );
        let u = f.user("alice").await;
        let new = Password::new("a brand new passphrase here");
        // Failed logins under another spelling count for the re-check, and the other way.
        for _ in 0..2 {
            let _ = f.auth.login("ALICE", &wrong(), &f.ctx).await;
        }
        let e = f
            .auth
            .change_password(u.id, &[crate::Amr::Pwd], &wrong(), &new, &f.ctx)
            .await
            .unwrap_err();
        assert!(matches!(e, AuthError::WrongPassword));
        let e = f
            .auth
            .change_password(u.id, &[crate::Amr::Pwd], &Password::new(PASSWORD), &new, &f.ctx)
            .await;
        assert_eq!(wait_of(&e.unwrap_err()), Duration::from_secs(1), "the account backs off");
        // Four attempts so far came from this IP; the bucket holds six.
        f.clock.advance(Duration::from_secs(1));
        f.auth
            .change_password(u.id, &[crate::Amr::Pwd], &Password::new(PASSWORD), &new, &f.ctx)
            .await
            .unwrap();
        let e = f
            .auth
            .change_password(u.id, &[crate::Amr::Pwd], &wrong(), &new, &f.ctx)
            .await
            .unwrap_err();
        assert!(matches!(e, AuthError::WrongPassword));
        let e = f
            .auth
            .change_password(u.id, &[crate::Amr::Pwd], &wrong(), &new, &f.ctx)
            .await
            .unwrap_err();
        assert!(matches!(e, AuthError::RateLimited { .. }), "the per-IP bucket: {e:?}");
    }

    #[tokio::test]
    async fn an_attacker_elsewhere_cannot_lock_the_owner_out() {
        let f = fixture_with(limits(), Arc::new(MemoryThrottle::new()));
        f.user("alice").await;
        let attacker = RequestContext::new(Some("203.0.113.66".parse().unwrap()), None);
        for _ in 0..10 {
            let _ = f.auth.login("alice", &wrong(), &attacker).await;
        }
        assert!(matches!(
            f.auth.login("alice", &wrong(), &attacker).await,
            Err(AuthError::RateLimited { .. })
        ));
        f.login("alice").await; // the owner, from their own address
    }

    #[tokio::test]
    async fn unknown_accounts_back_off_like_real_ones() {
        let f = fixture_with(limits(), Arc::new(MemoryThrottle::new()));
        for _ in 0..3 {
            let _ = f.auth.login("ghost", &wrong(), &f.ctx).await;
        }
        assert!(matches!(
            f.auth.login("Ghost", &wrong(), &f.ctx).await,
            Err(AuthError::RateLimited { .. })
        ));
    }

    #[tokio::test]
    async fn registrations_per_ip_are_limited_but_not_an_admins() {
        let f = fixture_with(
            RateLimits { register_per_ip_per_minute: 2, ..limits() },
            Arc::new(MemoryThrottle::new()),
        );
        f.user("alice").await;
        // An invalid attempt counts too.
        let bad = f.auth.register(Registration::new("x", PASSWORD), None, &f.ctx).await;
        assert!(matches!(bad, Err(AuthError::Validation(_))));
        let e = f.auth.register(Registration::new("bob1", PASSWORD), None, &f.ctx).await;
        assert_eq!(wait_of(&e.unwrap_err()), Duration::from_secs(30));
        let admin = f.admin("root").await;
        for name in ["carol", "dave1", "erin1"] {
            f.auth.register(Registration::new(name, PASSWORD), Some(&admin), &f.ctx).await.unwrap();
        }
    }

    #[tokio::test]
    async fn refreshes_per_ip_are_limited() {
        let f = fixture_with(
            RateLimits { refresh_per_ip_per_minute: 1, ..limits() },
            Arc::new(MemoryThrottle::new()),
        );
        f.user("alice").await;
        let s = f.login("alice").await;
        let pair = f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        let e = f.auth.refresh(pair.refresh_token.expose(), &f.ctx).await.unwrap_err();
        assert_eq!(wait_of(&e), Duration::from_secs(60));
        // Refused before the token was looked at: it is still good after the wait.
        f.clock.advance(Duration::from_secs(60));
        f.auth.refresh(pair.refresh_token.expose(), &f.ctx).await.unwrap();
    }

    #[tokio::test]
    async fn a_failing_throttle_store_fails_closed() {
        #[derive(Debug)]
        struct Down;
        #[async_trait::async_trait]
        impl ThrottleStore for Down {
            async fn take(
                &self,
                _: &ThrottleKey,
                _: Rate,
                _: OffsetDateTime,
            ) -> crate::store::StoreResult<Admission> {
                Err(crate::StoreError::unavailable("throttle store down"))
            }
            async fn failures(
                &self,
                _: &ThrottleKey,
            ) -> crate::store::StoreResult<Option<Failures>> {
                Err(crate::StoreError::unavailable("throttle store down"))
            }
            async fn add_failure(
                &self,
                _: &ThrottleKey,
                _: OffsetDateTime,
            ) -> crate::store::StoreResult<Failures> {
                Err(crate::StoreError::unavailable("throttle store down"))
            }
            async fn clear_failures(&self, _: &ThrottleKey) -> crate::store::StoreResult<()> {
                Err(crate::StoreError::unavailable("throttle store down"))
            }
            async fn purge_throttle(
                &self,
                _: OffsetDateTime,
                _: OffsetDateTime,
            ) -> crate::store::StoreResult<u64> {
                Err(crate::StoreError::unavailable("throttle store down"))
            }
        }
        let f = fixture_with(RateLimits::off(), Arc::new(Down));
        f.user("alice").await; // nothing to count: no store call
        let f = fixture_with(limits(), Arc::new(Down));
        let e = f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await.unwrap_err();
        assert_eq!(e.code(), "unavailable");
        let e = f.auth.register(Registration::new("bob1", PASSWORD), None, &f.ctx).await;
        assert_eq!(e.unwrap_err().code(), "unavailable");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(round_up(Duration::from_micros(1)), Duration::from_secs(1));
        assert_eq!(round_up(Duration::from_millis(2001)), Duration::from_secs(3));
        assert_eq!(round_up(Duration::from_secs(2)), Duration::from_secs(2));
    }
}
