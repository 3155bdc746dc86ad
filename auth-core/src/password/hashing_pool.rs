//! [`PasswordHasher`]: Argon2id off the async threads, bounded.
//!
//! Every hash and verify runs on tokio's blocking pool behind a semaphore (one permit per
//! CPU by default). A call that cannot get a permit within `max_wait` fails with
//! [`HashingError::Overloaded`] instead of queueing without end, so a login flood degrades
//! into fast `503`s while other requests keep their async threads.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::sync::Semaphore;

use super::{HashingConfig, Password, PasswordPolicy, StoredHash, argon2id::Argon2id};
use crate::{AuthError, error::BoxError};

/// Why hashing or verifying failed. A wrong password is not an error: it is
/// [`Verification::matches`] `false`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashingError {
    /// No hashing permit freed up within `max_wait`: retry after the given time.
    #[error("password hashing is saturated")]
    Overloaded {
        /// How long the client should wait before retrying.
        retry_after: Duration,
    },
    /// The stored hash cannot be verified: not a PHC or bcrypt string, parameters beyond
    /// the [`VerifyLimits`](super::VerifyLimits), or made with an unknown pepper.
    #[error("stored password hash is malformed: {0}")]
    MalformedHash(&'static str),
    /// Argon2 or the blocking pool failed.
    #[error("password hashing failed")]
    Failed(#[source] BoxError),
}

impl From<HashingError> for AuthError {
    fn from(e: HashingError) -> Self {
        match e {
            HashingError::Overloaded { retry_after } => AuthError::Overloaded { retry_after },
            e => AuthError::Internal(e.into()),
        }
    }
}

/// The outcome of verifying a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// Whether the password matches.
    pub matches: bool,
    /// Whether the stored hash should be replaced by a fresh one (outdated parameters,
    /// another algorithm such as legacy bcrypt, another pepper). Only meaningful when
    /// `matches`.
    pub needs_rehash: bool,
}

/// Counters of the work a [`PasswordHasher`] has done since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HasherStats {
    /// New hashes computed.
    pub hashes: u64,
    /// Verifications run (including dummy ones for unknown users).
    pub verifications: u64,
    /// Calls refused with `Overloaded`.
    pub overloaded: u64,
}

/// Hashes and verifies passwords with Argon2id on the blocking pool. Cheap to clone.
///
/// ```
/// use auth_core::{PasswordHasher, HashingConfig, Password};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth_core::HashingError> {
/// let hasher = PasswordHasher::new(HashingConfig::default());
/// let hash = hasher.hash(&Password::new("correct horse battery staple")).await?;
/// assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// let v = hasher.verify(&Password::new("correct horse battery staple"), &hash).await?;
/// assert!(v.matches && !v.needs_rehash);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    config: HashingConfig,
    permits: Arc<Semaphore>,
    argon2: Argon2id,
    hashes: AtomicU64,
    verifications: AtomicU64,
    overloaded: AtomicU64,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with the given configuration. (Its Argon2 parameters are built here, once;
    /// a configuration from [`HashingConfig::builder`] or `default` always builds.)
    pub fn new(config: HashingConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(config.max_concurrent)),
                argon2: Argon2id::new(&config),
                config,
                hashes: AtomicU64::new(0),
                verifications: AtomicU64::new(0),
                overloaded: AtomicU64::new(0),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &HashingConfig {
        &self.inner.config
    }

    /// What this hasher has done so far.
    pub fn stats(&self) -> HasherStats {
        HasherStats {
            hashes: self.inner.hashes.load(Ordering::Relaxed),
            verifications: self.inner.verifications.load(Ordering::Relaxed),
            overloaded: self.inner.overloaded.load(Ordering::Relaxed),
        }
    }

    /// Hashes a password (normalized with NFKC) into a PHC string with a fresh random salt.
    /// Apply a [`PasswordPolicy`] first.
    ///
    /// # Errors
    /// [`HashingError::Overloaded`] when no permit frees up within `max_wait`.
    pub async fn hash(&self, password: &Password) -> Result<StoredHash, HashingError> {
        let password = password.clone();
        self.run(move |inner| inner.hash(&password)).await?
    }

    /// Checks a new password against `policy` and hashes it. The cheap length checks run
    /// first, inline; the guessability estimate (milliseconds of CPU) and the hash run
    /// together on the blocking pool under one permit.
    ///
    /// # Errors
    /// [`AuthError::Validation`] when the policy refuses the password;
    /// [`AuthError::Overloaded`] as for [`hash`](Self::hash).
    pub async fn check_and_hash(
        &self,
        policy: &PasswordPolicy,
        password: &Password,
        user_inputs: &[&str],
    ) -> Result<StoredHash, AuthError> {
        policy.check_length(password)?;
        let (policy, password) = (policy.clone(), password.clone());
        let inputs: Vec<String> = user_inputs.iter().map(|s| (*s).to_owned()).collect();
        self.run(move |inner| {
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            policy.check(&password, &inputs)?;
            Ok(inner.hash(&password)?)
        })
        .await?
    }

    /// Verifies a password against a stored hash (Argon2, or bcrypt with the `bcrypt`
    /// feature). A wrong password is `Ok` with `matches: false`.
    ///
    /// # Errors
    /// [`HashingError::Overloaded`] as for [`hash`](Self::hash);
    /// [`HashingError::MalformedHash`] for a malformed or out-of-bounds stored hash.
    pub async fn verify(
        &self,
        password: &Password,
        stored: &StoredHash,
    ) -> Result<Verification, HashingError> {
        let (password, stored) = (password.clone(), stored.clone());
        self.run(move |inner| inner.verify(&password, &stored)).await?
    }

    /// Spends one verification against a dummy hash with the current parameters. Used for
    /// unknown usernames, so that they take as long as a wrong password.
    ///
    /// # Errors
    /// [`HashingError::Overloaded`] as for [`hash`](Self::hash).
    pub async fn verify_dummy(&self, password: &Password) -> Result<(), HashingError> {
        let password = password.clone();
        self.run(move |inner| inner.verify_dummy(&password)).await?
    }

    /// Hashes on the calling thread, without a permit: for benchmarks, calibration and
    /// tools. **Never call it from an async task**: use [`hash`](Self::hash) there.
    ///
    /// # Errors
    /// [`HashingError::Failed`] if Argon2 fails.
    pub fn hash_blocking(&self, password: &Password) -> Result<StoredHash, HashingError> {
        self.inner.hash(password)
    }

    /// Verifies on the calling thread, without a permit: for benchmarks and tools. **Never
    /// call it from an async task**: use [`verify`](Self::verify) there.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), without `Overloaded`.
    pub fn verify_blocking(
        &self,
        password: &Password,
        stored: &StoredHash,
    ) -> Result<Verification, HashingError> {
        self.inner.verify(password, stored)
    }

    /// Whether a stored hash was made with other settings than the current ones, without
    /// verifying anything.
    pub fn needs_rehash(&self, stored: &StoredHash) -> bool {
        self.inner.argon2.needs_rehash(stored.as_str())
    }

    /// Runs `job` on the blocking pool once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Inner) -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let wait = self.inner.config.max_wait;
        let permit =
            match tokio::time::timeout(wait, self.inner.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(closed)) => return Err(HashingError::Failed(closed.into())),
                Err(_) => {
                    self.inner.overloaded.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: "auth::hashing", "no hashing permit within {wait:?}");
                    return Err(HashingError::Overloaded { retry_after: Duration::from_secs(1) });
                }
            };
        let inner = self.inner.clone();
        // The permit moves into the closure: it is held until the hash is done, even if the
        // request that asked for it is dropped meanwhile.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job(&inner)
        })
        .await
        .map_err(|e| HashingError::Failed(e.into()))
    }
}

impl Inner {
    fn hash(&self, password: &Password) -> Result<StoredHash, HashingError> {
        self.hashes.fetch_add(1, Ordering::Relaxed);
        self.argon2.hash(password)
    }

    fn verify(
        &self,
        password: &Password,
        stored: &StoredHash,
    ) -> Result<Verification, HashingError> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        self.argon2.verify(password, stored)
    }

    fn verify_dummy(&self, password: &Password) -> Result<(), HashingError> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        self.argon2.verify_dummy(password)
    }
}

#[cfg(test)]
mod tests {
    use argon2::Argon2;
    use password_hash::phc::PasswordHash;

    use super::*;
    use crate::password::{Argon2Params, HashingConfigBuilder, Pepper};

    fn fast() -> HashingConfigBuilder {
        let params = Argon2Params::builder()
            .m_cost_kib(64)
            .t_cost(1)
            .allow_insecure_low_cost()
            .build()
            .unwrap();
        HashingConfig::builder().params(params)
    }

    fn pw(s: &str) -> Password {
        Password::new(s)
    }

    #[tokio::test]
    async fn default_hash_is_argon2id_with_pinned_parameters() {
        let hasher = PasswordHasher::new(HashingConfig::default());
        let h = hasher.hash(&pw("correct horse battery staple")).await.unwrap();
        assert!(h.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", h.as_str());
        let parsed = PasswordHash::new(h.as_str()).unwrap();
        assert_eq!(parsed.salt.unwrap().len(), 16);
        assert_eq!(parsed.hash.unwrap().len(), 32);
        let v = hasher.verify(&pw("correct horse battery staple"), &h).await.unwrap();
        assert_eq!(v, Verification { matches: true, needs_rehash: false });
        let v = hasher.verify(&pw("correct horse battery stapler"), &h).await.unwrap();
        assert!(!v.matches);
    }

    #[tokio::test]
    async fn salts_differ() {
        let hasher = PasswordHasher::new(fast().build().unwrap());
        let a = hasher.hash(&pw("same password")).await.unwrap();
        let b = hasher.hash(&pw("same password")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn verifies_hashes_made_by_the_argon2_crate_itself() {
        use password_hash::PasswordHasher as _;
        let reference = Argon2::default().hash_password(b"interop check").unwrap().to_string();
        let hasher = PasswordHasher::new(HashingConfig::default());
        let v = hasher.verify(&pw("interop check"), &StoredHash::new(reference)).await.unwrap();
        assert!(v.matches);
    }

    #[tokio::test]
    async fn nfkc_forms_of_one_password_verify() {
        let hasher = PasswordHasher::new(fast().build().unwrap());
        let h = hasher.hash(&pw("caf\u{e9} au lait!")).await.unwrap();
        assert!(hasher.verify(&pw("cafe\u{301} au lait!"), &h).await.unwrap().matches);
    }

    #[tokio::test]
    async fn outdated_parameters_need_rehash() {
        let old = PasswordHasher::new(fast().build().unwrap());
        let h = old.hash(&pw("upgrade me please")).await.unwrap();
        let new = PasswordHasher::new(HashingConfig::default());
        assert!(new.needs_rehash(&h));
        let v = new.verify(&pw("upgrade me please"), &h).await.unwrap();
        assert_eq!(v, Verification { matches: true, needs_rehash: true });
    }

    #[tokio::test]
    async fn hostile_parameters_are_rejected_not_allocated() {
        let hasher = PasswordHasher::new(HashingConfig::default());
        // m = 4 GiB - 1 KiB: would allocate 4 GiB if trusted.
        let hostile = "$argon2id$v=19$m=4194303,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
                       aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        let err = hasher.verify(&pw("x"), &StoredHash::new(hostile)).await.unwrap_err();
        assert!(matches!(err, HashingError::MalformedHash(_)), "{err:?}");
        assert_eq!(AuthError::from(err).code(), "internal_error");
        for bad in [
            "$argon2id$v=19$m=19456,t=100,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=64$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFz",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA",
            "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA",
            "not a hash at all",
            "",
        ] {
            let err = hasher.verify(&pw("x"), &StoredHash::new(bad)).await.unwrap_err();
            assert!(matches!(err, HashingError::MalformedHash(_)), "{bad}: {err:?}");
        }
    }

    #[tokio::test]
    async fn pepper_changes_the_hash_and_is_tracked_by_key_id() {
        let secret = vec![7u8; 32];
        let peppered = PasswordHasher::new(
            fast().pepper(Pepper::new(b"p1", secret.clone()).unwrap()).build().unwrap(),
        );
        let plain = PasswordHasher::new(fast().build().unwrap());
        let h = peppered.hash(&pw("pepper me please")).await.unwrap();
        assert!(h.as_str().contains("keyid="));
        assert!(peppered.verify(&pw("pepper me please"), &h).await.unwrap().matches);
        // Without the pepper the hash cannot be checked at all.
        assert!(plain.verify(&pw("pepper me please"), &h).await.is_err());
        // Another secret under the same id does not match.
        let other = PasswordHasher::new(
            fast().pepper(Pepper::new(b"p1", vec![8u8; 32]).unwrap()).build().unwrap(),
        );
        assert!(!other.verify(&pw("pepper me please"), &h).await.unwrap().matches);
        // A hash from before the pepper verifies and asks to be upgraded.
        let old = plain.hash(&pw("pepper me please")).await.unwrap();
        let v = peppered.verify(&pw("pepper me please"), &old).await.unwrap();
        assert_eq!(v, Verification { matches: true, needs_rehash: true });
    }

    #[cfg(feature = "bcrypt")]
    #[tokio::test]
    async fn legacy_bcrypt_verifies_and_needs_rehash() {
        let hasher = PasswordHasher::new(fast().build().unwrap());
        let legacy = StoredHash::new(bcrypt::hash("from python", 4).unwrap());
        assert!(hasher.needs_rehash(&legacy));
        let v = hasher.verify(&pw("from python"), &legacy).await.unwrap();
        assert_eq!(v, Verification { matches: true, needs_rehash: true });
        assert!(!hasher.verify(&pw("from ruby"), &legacy).await.unwrap().matches);
    }

    #[tokio::test]
    async fn dummy_verification_uses_current_parameters() {
        let hasher = PasswordHasher::new(HashingConfig::default());
        assert!(
            hasher.inner.argon2.dummy().as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        assert!(!hasher.needs_rehash(hasher.inner.argon2.dummy()));
        hasher.verify_dummy(&pw("whatever")).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn overloaded_when_no_permit_frees_up_in_time() {
        let slow = Argon2Params::builder().m_cost_kib(64 * 1024).t_cost(3).build().unwrap();
        let config = HashingConfig::builder()
            .params(slow)
            .max_concurrent(1)
            .max_wait(Duration::from_millis(1))
            .build()
            .unwrap();
        let hasher = PasswordHasher::new(config);
        // Hold the only permit.
        let _held = hasher.inner.permits.clone().acquire_owned().await.unwrap();
        let err = hasher.hash(&pw("anything goes")).await.unwrap_err();
        assert!(matches!(err, HashingError::Overloaded { .. }), "{err:?}");
        let err = AuthError::from(err);
        assert_eq!(err.code(), "overloaded");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
        drop(_held);
        assert!(hasher.hash(&pw("anything goes")).await.is_ok());
    }

    #[tokio::test]
    async fn memory_is_pooled_per_permit() {
        let hasher = PasswordHasher::new(fast().max_concurrent(2).build().unwrap());
        for _ in 0..4 {
            hasher.hash(&pw("pool me please")).await.unwrap();
        }
        assert_eq!(hasher.inner.argon2.pooled(), 1);
    }
}
