//! Argon2id hashing and verification off the async threads.
//!
//! Every hash and verify runs on tokio's blocking pool behind a semaphore (one permit per
//! CPU by default). A call that cannot get a permit within `max_wait` fails with
//! [`AuthError::Overloaded`] instead of queueing without end, so a login flood degrades into
//! fast `503`s while other requests keep their async threads.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use argon2::{Algorithm, Argon2, Version};
use password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use rand::RngCore;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use super::{Argon2Params, Password, PasswordPolicy, StoredHash, VerifyLimits, memory::BlockPool};
use crate::{AuthError, Result};

/// A pepper: a server-side secret mixed into every Argon2 hash (Argon2's "secret" input),
/// so a leaked database alone is not enough to test guesses.
///
/// The pepper's `id` is written into each hash (Argon2's `keyid` parameter), so hashes made
/// before a pepper was configured still verify and are re-hashed with it on the next login.
#[derive(Clone)]
pub struct Pepper {
    id: Vec<u8>,
    secret: Zeroizing<Vec<u8>>,
}

impl Pepper {
    /// The shortest pepper accepted: 32 bytes.
    pub const MIN_LEN: usize = 32;

    /// A pepper with an identifier of 1–8 bytes and a secret of at least 32 bytes.
    ///
    /// # Errors
    /// [`AuthError::Config`] when either is out of bounds.
    pub fn new(id: &[u8], secret: impl Into<Vec<u8>>) -> Result<Self> {
        let secret = Zeroizing::new(secret.into());
        if id.is_empty() || id.len() > argon2::Params::MAX_KEYID_LEN {
            return Err(AuthError::Config("pepper id must be 1..=8 bytes".into()));
        }
        if secret.len() < Self::MIN_LEN {
            return Err(AuthError::Config(format!(
                "pepper must be at least {} bytes",
                Self::MIN_LEN
            )));
        }
        Ok(Self { id: id.to_vec(), secret })
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pepper").field("id", &self.id).field("secret", &"[redacted]").finish()
    }
}

/// How passwords are hashed: parameters, pepper, concurrency and limits.
#[derive(Debug, Clone)]
pub struct HashingConfig {
    params: Argon2Params,
    pepper: Option<Pepper>,
    max_concurrent: usize,
    max_wait: Duration,
    verify_limits: VerifyLimits,
}

impl HashingConfig {
    /// Default wait for a hashing permit before answering `Overloaded`: 2 seconds.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(2);

    /// A builder starting from the defaults.
    pub fn builder() -> HashingConfigBuilder {
        HashingConfigBuilder { config: Self::default() }
    }

    /// The Argon2id parameters new hashes use.
    pub fn params(&self) -> Argon2Params {
        self.params
    }

    /// How many hashes may run at once.
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// How long a call waits for a permit before failing with `Overloaded`.
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// Whether a pepper is configured.
    pub fn has_pepper(&self) -> bool {
        self.pepper.is_some()
    }
}

impl Default for HashingConfig {
    /// OWASP parameters, no pepper, one permit per CPU, a 2 s wait, default
    /// [`VerifyLimits`].
    fn default() -> Self {
        Self {
            params: Argon2Params::default(),
            pepper: None,
            max_concurrent: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_wait: Self::DEFAULT_MAX_WAIT,
            verify_limits: VerifyLimits::default(),
        }
    }
}

/// Builder for [`HashingConfig`].
#[derive(Debug, Clone)]
pub struct HashingConfigBuilder {
    config: HashingConfig,
}

impl HashingConfigBuilder {
    /// Argon2id parameters for new hashes. Defaults to [`Argon2Params::default`].
    pub fn params(mut self, params: Argon2Params) -> Self {
        self.config.params = params;
        self
    }

    /// A pepper mixed into every new hash. Defaults to none.
    pub fn pepper(mut self, pepper: Pepper) -> Self {
        self.config.pepper = Some(pepper);
        self
    }

    /// How many hashes may run at once. Defaults to the number of CPUs; 1..=1024.
    pub fn max_concurrent(mut self, n: usize) -> Self {
        self.config.max_concurrent = n;
        self
    }

    /// How long to wait for a permit before `Overloaded`. Defaults to 2 s; at most 60 s.
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.config.max_wait = wait;
        self
    }

    /// Bounds on stored hashes' parameters. Defaults to [`VerifyLimits::default`].
    pub fn verify_limits(mut self, limits: VerifyLimits) -> Self {
        self.config.verify_limits = limits;
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// [`AuthError::Config`] when a bound is out of range, or the verify limits are below the
    /// parameters new hashes use (the service could not verify its own hashes).
    pub fn build(self) -> Result<HashingConfig> {
        let c = self.config;
        if !(1..=1024).contains(&c.max_concurrent) {
            return Err(AuthError::Config("hashing max_concurrent must be 1..=1024".into()));
        }
        if c.max_wait > Duration::from_secs(60) {
            return Err(AuthError::Config("hashing max_wait must be at most 60 s".into()));
        }
        let l = c.verify_limits;
        if l.max_m_cost_kib < c.params.m_cost_kib()
            || l.max_t_cost < c.params.t_cost()
            || l.max_p_cost < c.params.p_cost()
        {
            return Err(AuthError::Config(
                "verify limits must admit the configured Argon2 parameters".into(),
            ));
        }
        Ok(c)
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
/// # async fn main() -> Result<(), auth_core::AuthError> {
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
    pool: BlockPool,
    /// A hash of nothing, with the current parameters: unknown usernames verify against it
    /// so that they cost as much as known ones.
    dummy: StoredHash,
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
    /// A hasher with the given configuration.
    pub fn new(config: HashingConfig) -> Self {
        let params = config.params.to_argon2();
        let pool = BlockPool::new(params.block_count(), config.max_concurrent);
        let dummy = dummy_hash(&config);
        Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(config.max_concurrent)),
                pool,
                dummy,
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
    /// [`AuthError::Overloaded`] when no permit frees up within `max_wait`.
    pub async fn hash(&self, password: &Password) -> Result<StoredHash> {
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
    ) -> Result<StoredHash> {
        policy.check_length(password)?;
        let (policy, password) = (policy.clone(), password.clone());
        let inputs: Vec<String> = user_inputs.iter().map(|s| (*s).to_owned()).collect();
        self.run(move |inner| {
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            policy.check(&password, &inputs)?;
            inner.hash(&password)
        })
        .await?
    }

    /// Verifies a password against a stored hash (Argon2, or bcrypt with the `bcrypt`
    /// feature).
    ///
    /// A wrong password is `Ok` with `matches: false`; a malformed hash, or one whose
    /// parameters exceed the [`VerifyLimits`], is an error.
    ///
    /// # Errors
    /// [`AuthError::Overloaded`] as for [`hash`](Self::hash); [`AuthError::Internal`] for a
    /// malformed or out-of-bounds stored hash.
    pub async fn verify(&self, password: &Password, stored: &StoredHash) -> Result<Verification> {
        let password = password.clone();
        let stored = stored.clone();
        self.run(move |inner| inner.verify(&password, &stored)).await?
    }

    /// Spends one verification against a dummy hash with the current parameters. Used for
    /// unknown usernames, so that they take as long as a wrong password.
    ///
    /// # Errors
    /// [`AuthError::Overloaded`] as for [`hash`](Self::hash).
    pub async fn verify_dummy(&self, password: &Password) -> Result<()> {
        let password = password.clone();
        self.run(move |inner| inner.verify(&password, &inner.dummy).map(|_| ())).await?
    }

    /// Hashes on the calling thread, without a permit: for benchmarks, calibration and
    /// tools. **Never call it from an async task**: use [`hash`](Self::hash) there.
    ///
    /// # Errors
    /// [`AuthError::Internal`] if Argon2 fails.
    pub fn hash_blocking(&self, password: &Password) -> Result<StoredHash> {
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
    ) -> Result<Verification> {
        self.inner.verify(password, stored)
    }

    /// Whether a stored hash was made with other settings than the current ones, without
    /// verifying anything.
    pub fn needs_rehash(&self, stored: &StoredHash) -> bool {
        self.inner.needs_rehash(stored.as_str())
    }

    /// Runs `job` on the blocking pool once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Inner) -> T + Send + 'static,
    ) -> Result<T> {
        let wait = self.inner.config.max_wait;
        let permit =
            match tokio::time::timeout(wait, self.inner.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(closed)) => return Err(AuthError::Internal(closed.into())),
                Err(_) => {
                    self.inner.overloaded.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: "auth::hashing", "no hashing permit within {wait:?}");
                    return Err(AuthError::Overloaded { retry_after: Duration::from_secs(1) });
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
        .map_err(|e| AuthError::Internal(e.into()))
    }
}

impl Inner {
    fn argon2_for<'a>(
        &'a self,
        params: argon2::Params,
        pepper: Option<&'a Pepper>,
    ) -> Result<Argon2<'a>> {
        match pepper {
            Some(p) => {
                Argon2::new_with_secret(&p.secret, Algorithm::Argon2id, Version::V0x13, params)
                    .map_err(|e| AuthError::Internal(e.to_string().into()))
            }
            None => Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)),
        }
    }

    fn current_params(&self) -> Result<argon2::Params> {
        let mut b = argon2::ParamsBuilder::new();
        let p = self.config.params;
        b.m_cost(p.m_cost_kib())
            .t_cost(p.t_cost())
            .p_cost(p.p_cost())
            .output_len(Argon2Params::OUTPUT_LEN);
        if let Some(pepper) = &self.config.pepper {
            b.keyid(argon2::KeyId::new(&pepper.id).map_err(internal)?);
        }
        b.build().map_err(internal)
    }

    fn hash(&self, password: &Password) -> Result<StoredHash> {
        self.hashes.fetch_add(1, Ordering::Relaxed);
        let normalized = PasswordPolicy::normalize(password);
        let params = self.current_params()?;
        let argon = self.argon2_for(params.clone(), self.config.pepper.as_ref())?;
        let mut salt = [0u8; Argon2Params::SALT_LEN];
        rand::rng().fill_bytes(&mut salt);
        let mut out = Zeroizing::new([0u8; Argon2Params::OUTPUT_LEN]);
        self.pool
            .with_blocks(params.block_count(), |blocks| {
                argon.hash_password_into_with_memory(
                    normalized.as_bytes(),
                    &salt,
                    &mut *out,
                    blocks,
                )
            })
            .map_err(internal)?;
        Ok(StoredHash::new(phc_string(&params, &salt, &*out)?))
    }

    fn verify(&self, password: &Password, stored: &StoredHash) -> Result<Verification> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let stored = stored.as_str();
        #[cfg(feature = "bcrypt")]
        if super::legacy::is_bcrypt(stored) {
            let matches = super::legacy::verify(
                password.expose().as_bytes(),
                stored,
                &self.config.verify_limits,
            )?;
            return Ok(Verification { matches, needs_rehash: true });
        }
        let hash = PasswordHash::new(stored).map_err(|_| malformed("not a PHC string"))?;
        let algorithm = Algorithm::try_from(hash.algorithm.as_str())
            .map_err(|_| malformed("unknown algorithm"))?;
        let version = match hash.version {
            Some(v) => Version::try_from(v).map_err(|_| malformed("unknown version"))?,
            None => Version::V0x10,
        };
        let params = argon2::Params::try_from(&hash).map_err(|_| malformed("bad parameters"))?;
        let limits = &self.config.verify_limits;
        if params.m_cost() > limits.max_m_cost_kib
            || params.t_cost() > limits.max_t_cost
            || params.p_cost() > limits.max_p_cost
        {
            return Err(malformed("parameters exceed the verify limits"));
        }
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return Err(malformed("missing salt or hash"));
        };
        if !(16..=64).contains(&expected.len()) {
            return Err(malformed("hash length out of bounds"));
        }
        let pepper = match params.keyid() {
            [] => None,
            id => match &self.config.pepper {
                Some(p) if p.id.as_slice() == id => Some(p),
                _ => return Err(malformed("hash was made with an unknown pepper")),
            },
        };
        let secret = pepper.map(|p| p.secret.as_slice());
        let argon = match secret {
            Some(s) => {
                Argon2::new_with_secret(s, algorithm, version, params.clone()).map_err(internal)?
            }
            None => Argon2::new(algorithm, version, params.clone()),
        };
        let normalized = PasswordPolicy::normalize(password);
        let mut out = Zeroizing::new(vec![0u8; expected.len()]);
        self.pool
            .with_blocks(params.block_count(), |blocks| {
                argon.hash_password_into_with_memory(
                    normalized.as_bytes(),
                    salt.as_ref(),
                    &mut out,
                    blocks,
                )
            })
            .map_err(internal)?;
        let matches = bool::from(out.as_slice().ct_eq(expected.as_bytes()));
        Ok(Verification { matches, needs_rehash: self.needs_rehash(stored) })
    }

    fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(params) = argon2::Params::try_from(&hash) else {
            return true;
        };
        let want = self.config.params;
        let pepper_id = self.config.pepper.as_ref().map(|p| p.id.as_slice()).unwrap_or_default();
        hash.algorithm.as_str() != "argon2id"
            || hash.version != Some(Version::V0x13.into())
            || params.m_cost() != want.m_cost_kib()
            || params.t_cost() != want.t_cost()
            || params.p_cost() != want.p_cost()
            || params.output_len() != Some(Argon2Params::OUTPUT_LEN)
            || hash.salt.is_none_or(|s| s.len() < Argon2Params::SALT_LEN)
            || params.keyid() != pepper_id
    }
}

fn phc_string(params: &argon2::Params, salt: &[u8], out: &[u8]) -> Result<String> {
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(internal)?,
        salt: Some(Salt::new(salt).map_err(internal)?),
        hash: Some(Output::new(out).map_err(internal)?),
    };
    Ok(hash.to_string())
}

/// A PHC string with the current parameters, a random salt and a random output: verifying
/// against it costs exactly one real verification and never matches.
fn dummy_hash(config: &HashingConfig) -> StoredHash {
    let mut b = argon2::ParamsBuilder::new();
    let p = config.params;
    b.m_cost(p.m_cost_kib())
        .t_cost(p.t_cost())
        .p_cost(p.p_cost())
        .output_len(Argon2Params::OUTPUT_LEN);
    if let Some(pepper) = &config.pepper {
        b.keyid(argon2::KeyId::new(&pepper.id).expect("pepper id length validated"));
    }
    let params = b.build().expect("validated Argon2 parameters");
    let mut salt = [0u8; Argon2Params::SALT_LEN];
    let mut out = [0u8; Argon2Params::OUTPUT_LEN];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut out);
    StoredHash::new(phc_string(&params, &salt, &out).expect("valid PHC parts"))
}

fn internal(e: impl fmt::Display) -> AuthError {
    AuthError::Internal(e.to_string().into())
}

fn malformed(what: &'static str) -> AuthError {
    AuthError::Internal(format!("stored password hash is malformed: {what}").into())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(err.code(), "internal_error");
        for bad in [
            "$argon2id$v=19$m=19456,t=100,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=64$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFz",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA",
            "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA",
            "not a hash at all",
            "",
        ] {
            assert!(hasher.verify(&pw("x"), &StoredHash::new(bad)).await.is_err(), "{bad}");
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
        assert!(Pepper::new(b"p1", vec![1u8; 31]).is_err());
        assert!(Pepper::new(b"", vec![1u8; 32]).is_err());
        assert!(!format!("{:?}", Pepper::new(b"p1", secret).unwrap()).contains("7, 7"));
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
        assert!(hasher.inner.dummy.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!hasher.needs_rehash(&hasher.inner.dummy));
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
        assert!(matches!(err, AuthError::Overloaded { .. }), "{err:?}");
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
        assert_eq!(hasher.inner.pool.pooled(), 1);
    }

    #[test]
    fn config_bounds() {
        assert!(HashingConfig::builder().max_concurrent(0).build().is_err());
        assert!(HashingConfig::builder().max_wait(Duration::from_secs(61)).build().is_err());
        let tight = VerifyLimits { max_m_cost_kib: 1024, ..VerifyLimits::default() };
        assert!(HashingConfig::builder().verify_limits(tight).build().is_err());
    }
}
