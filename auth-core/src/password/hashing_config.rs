//! How passwords are hashed: the [`HashingConfig`] (parameters, pepper, concurrency, wait,
//! verify limits), its builder, the [`Pepper`], and [`HashingConfigError`], why a builder
//! refused a value.

use std::{fmt, time::Duration};

use zeroize::Zeroizing;

use super::{Argon2Params, VerifyLimits};
use crate::AuthError;

/// Why Argon2 parameters, a pepper or a hashing configuration were refused when built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashingConfigError {
    /// Memory below the floor: [`Argon2Params::MIN_M_COST_KIB`], or
    /// [`Argon2Params::INSECURE_MIN_M_COST_KIB`] with low costs allowed.
    #[error("argon2 m_cost must be {min_kib}..={} KiB", Argon2Params::MAX_M_COST_KIB)]
    MemoryTooLittle {
        /// The floor in force.
        min_kib: u32,
    },
    /// Memory above [`Argon2Params::MAX_M_COST_KIB`].
    #[error("argon2 m_cost must be at most {} KiB", Argon2Params::MAX_M_COST_KIB)]
    MemoryTooMuch,
    /// Memory below Argon2's own rule, 8 KiB per lane.
    #[error("argon2 m_cost must be at least 8 * p_cost")]
    MemoryBelowLanes,
    /// Iterations outside 1..=[`Argon2Params::MAX_T_COST`].
    #[error("argon2 t_cost must be 1..={}", Argon2Params::MAX_T_COST)]
    TimeOutOfRange,
    /// Lanes outside 1..=[`Argon2Params::MAX_P_COST`].
    #[error("argon2 p_cost must be 1..={}", Argon2Params::MAX_P_COST)]
    LanesOutOfRange,
    /// Cheaper than every OWASP minimum setting, without
    /// [`allow_insecure_low_cost`](super::Argon2ParamsBuilder::allow_insecure_low_cost).
    #[error(
        "argon2 parameters are below every OWASP minimum setting \
         (m=47104,t=1 / m=19456,t=2 / m=12288,t=3 / m=9216,t=4 / m=7168,t=5)"
    )]
    BelowOwaspMinimum,
    /// A pepper id that is empty or longer than 8 bytes.
    #[error("pepper id must be 1..=8 bytes")]
    PepperIdLength,
    /// A pepper shorter than [`Pepper::MIN_LEN`].
    #[error("pepper must be at least {} bytes", Pepper::MIN_LEN)]
    PepperTooShort,
    /// `max_concurrent` outside 1..=1024.
    #[error("hashing max_concurrent must be 1..=1024")]
    ConcurrencyOutOfRange,
    /// `max_wait` over 60 s.
    #[error("hashing max_wait must be at most 60 s")]
    WaitTooLong,
    /// Verify limits below the parameters new hashes use: the service could not verify
    /// its own hashes.
    #[error("verify limits must admit the configured Argon2 parameters")]
    LimitsBelowParameters,
    /// A calibration memory budget outside 8 KiB..=1 GiB.
    #[error("max memory must be 8 KiB..=1 GiB")]
    CalibrationMemory,
}

impl From<HashingConfigError> for AuthError {
    fn from(e: HashingConfigError) -> Self {
        AuthError::Config(e.to_string())
    }
}

/// A pepper: a server-side secret mixed into every Argon2 hash (Argon2's "secret" input),
/// so a leaked database alone is not enough to test guesses.
///
/// The pepper's `id` is written into each hash (Argon2's `keyid` parameter), so hashes made
/// before a pepper was configured still verify and are re-hashed with it on the next login.
#[derive(Clone)]
pub struct Pepper {
    pub(super) id: Vec<u8>,
    pub(super) secret: Zeroizing<Vec<u8>>,
}

impl Pepper {
    /// The shortest pepper accepted: 32 bytes.
    pub const MIN_LEN: usize = 32;

    /// A pepper with an identifier of 1–8 bytes and a secret of at least 32 bytes.
    ///
    /// # Errors
    /// [`HashingConfigError::PepperIdLength`] or [`HashingConfigError::PepperTooShort`].
    pub fn new(id: &[u8], secret: impl Into<Vec<u8>>) -> Result<Self, HashingConfigError> {
        let secret = Zeroizing::new(secret.into());
        if id.is_empty() || id.len() > argon2::Params::MAX_KEYID_LEN {
            return Err(HashingConfigError::PepperIdLength);
        }
        if secret.len() < Self::MIN_LEN {
            return Err(HashingConfigError::PepperTooShort);
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
    pub(super) params: Argon2Params,
    pub(super) pepper: Option<Pepper>,
    pub(super) max_concurrent: usize,
    pub(super) max_wait: Duration,
    pub(super) verify_limits: VerifyLimits,
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
    /// [`HashingConfigError::ConcurrencyOutOfRange`], [`HashingConfigError::WaitTooLong`],
    /// or [`HashingConfigError::LimitsBelowParameters`].
    pub fn build(self) -> Result<HashingConfig, HashingConfigError> {
        let c = self.config;
        if !(1..=1024).contains(&c.max_concurrent) {
            return Err(HashingConfigError::ConcurrencyOutOfRange);
        }
        if c.max_wait > Duration::from_secs(60) {
            return Err(HashingConfigError::WaitTooLong);
        }
        let l = c.verify_limits;
        if l.max_m_cost_kib < c.params.m_cost_kib()
            || l.max_t_cost < c.params.t_cost()
            || l.max_p_cost < c.params.p_cost()
        {
            return Err(HashingConfigError::LimitsBelowParameters);
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_bounds() {
        let refused = |b: HashingConfigBuilder| b.build().unwrap_err();
        assert_eq!(
            refused(HashingConfig::builder().max_concurrent(0)),
            HashingConfigError::ConcurrencyOutOfRange
        );
        assert_eq!(
            refused(HashingConfig::builder().max_wait(Duration::from_secs(61))),
            HashingConfigError::WaitTooLong
        );
        let tight = VerifyLimits { max_m_cost_kib: 1024, ..VerifyLimits::default() };
        assert_eq!(
            refused(HashingConfig::builder().verify_limits(tight)),
            HashingConfigError::LimitsBelowParameters
        );
    }

    #[test]
    fn peppers_are_bounded_and_never_shown() {
        assert_eq!(
            Pepper::new(b"p1", vec![1u8; 31]).unwrap_err(),
            HashingConfigError::PepperTooShort
        );
        assert_eq!(
            Pepper::new(b"", vec![1u8; 32]).unwrap_err(),
            HashingConfigError::PepperIdLength
        );
        assert!(!format!("{:?}", Pepper::new(b"p1", vec![7u8; 32]).unwrap()).contains("7, 7"));
    }
}
