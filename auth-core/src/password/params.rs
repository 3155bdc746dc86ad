use super::HashingConfigError;

/// Argon2id cost parameters, validated when built.
///
/// Defaults follow the OWASP Password Storage Cheat Sheet: m = 19456 KiB (19 MiB), t = 2,
/// p = 1, pinned here rather than taken from the `argon2` crate's defaults so that an
/// upgrade of that crate cannot silently change them.
///
/// ```
/// use auth_core::Argon2Params;
/// let p = Argon2Params::builder().m_cost_kib(46 * 1024).t_cost(1).p_cost(1).build()?;
/// assert_eq!(p.m_cost_kib(), 47104);
/// assert!(Argon2Params::builder().m_cost_kib(1024).build().is_err()); // below the floor
/// # Ok::<(), auth_core::HashingConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
}

impl Argon2Params {
    /// Default memory: 19456 KiB.
    pub const DEFAULT_M_COST_KIB: u32 = 19 * 1024;
    /// Default iterations: 2.
    pub const DEFAULT_T_COST: u32 = 2;
    /// Default lanes: 1.
    pub const DEFAULT_P_COST: u32 = 1;
    /// Smallest memory accepted without [`Argon2ParamsBuilder::allow_insecure_low_cost`]:
    /// 7168 KiB, the smallest OWASP-listed setting (with t = 5).
    pub const MIN_M_COST_KIB: u32 = 7 * 1024;
    /// Largest memory accepted: 1 GiB.
    pub const MAX_M_COST_KIB: u32 = 1024 * 1024;
    /// Smallest iteration count.
    pub const MIN_T_COST: u32 = 1;
    /// Largest iteration count.
    pub const MAX_T_COST: u32 = 16;
    /// Smallest lane count.
    pub const MIN_P_COST: u32 = 1;
    /// Largest lane count.
    pub const MAX_P_COST: u32 = 16;
    /// Memory floor when low costs are explicitly allowed (tests, benchmarks).
    pub const INSECURE_MIN_M_COST_KIB: u32 = 8;
    /// Length of the raw hash output in bytes.
    pub const OUTPUT_LEN: usize = 32;
    /// Length of the random salt in bytes.
    pub const SALT_LEN: usize = 16;

    /// A builder starting from the defaults.
    pub fn builder() -> Argon2ParamsBuilder {
        Argon2ParamsBuilder::default()
    }

    /// Memory cost in KiB.
    pub fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Iterations.
    pub fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Lanes (degree of parallelism as encoded in the hash).
    pub fn p_cost(&self) -> u32 {
        self.p_cost
    }

    /// The five equivalent minimum settings of the OWASP Password Storage Cheat Sheet, as
    /// `(m_cost_kib, t_cost)` with p = 1.
    pub const OWASP_MINIMUMS: [(u32, u32); 5] =
        [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)];

    /// Whether these are at least as costly as one of the OWASP minimum settings (both
    /// memory and iterations at or above that row).
    pub fn meets_owasp_minimum(&self) -> bool {
        Self::OWASP_MINIMUMS.iter().any(|&(m, t)| self.m_cost_kib >= m && self.t_cost >= t)
    }
}

impl Default for Argon2Params {
    /// m = 19456 KiB, t = 2, p = 1.
    fn default() -> Self {
        Self {
            m_cost_kib: Self::DEFAULT_M_COST_KIB,
            t_cost: Self::DEFAULT_T_COST,
            p_cost: Self::DEFAULT_P_COST,
        }
    }
}

/// Builder for [`Argon2Params`]; see there.
#[derive(Debug, Clone, Default)]
pub struct Argon2ParamsBuilder {
    params: Argon2Params,
    allow_low: bool,
}

impl Argon2ParamsBuilder {
    /// Memory cost in KiB. Defaults to 19456.
    pub fn m_cost_kib(mut self, m: u32) -> Self {
        self.params.m_cost_kib = m;
        self
    }

    /// Iterations. Defaults to 2.
    pub fn t_cost(mut self, t: u32) -> Self {
        self.params.t_cost = t;
        self
    }

    /// Lanes. Defaults to 1.
    pub fn p_cost(mut self, p: u32) -> Self {
        self.params.p_cost = p;
        self
    }

    /// Allows memory below [`Argon2Params::MIN_M_COST_KIB`] and costs under the OWASP
    /// minimum. **Insecure**: for tests and benchmarks only; the service logs a warning.
    pub fn allow_insecure_low_cost(mut self) -> Self {
        self.allow_low = true;
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// A [`HashingConfigError`] naming the cost out of bounds: memory, iterations or lanes
    /// out of range, `m < 8 * p` (Argon2's own rule), or (without
    /// [`allow_insecure_low_cost`](Self::allow_insecure_low_cost)) parameters weaker than
    /// every OWASP minimum setting.
    pub fn build(self) -> Result<Argon2Params, HashingConfigError> {
        let p = self.params;
        let min_kib = if self.allow_low {
            Argon2Params::INSECURE_MIN_M_COST_KIB
        } else {
            Argon2Params::MIN_M_COST_KIB
        };
        if p.m_cost_kib < min_kib {
            return Err(HashingConfigError::MemoryTooLittle { min_kib });
        }
        if p.m_cost_kib > Argon2Params::MAX_M_COST_KIB {
            return Err(HashingConfigError::MemoryTooMuch);
        }
        if !(Argon2Params::MIN_T_COST..=Argon2Params::MAX_T_COST).contains(&p.t_cost) {
            return Err(HashingConfigError::TimeOutOfRange);
        }
        if !(Argon2Params::MIN_P_COST..=Argon2Params::MAX_P_COST).contains(&p.p_cost) {
            return Err(HashingConfigError::LanesOutOfRange);
        }
        if p.m_cost_kib < 8 * p.p_cost {
            return Err(HashingConfigError::MemoryBelowLanes);
        }
        if !self.allow_low && !p.meets_owasp_minimum() {
            return Err(HashingConfigError::BelowOwaspMinimum);
        }
        Ok(p)
    }
}

/// Bounds on the parameters read from a *stored* hash before it is verified, so that a
/// hostile or corrupt hash (say m = 4 GiB) is rejected instead of allocated.
///
/// Defaults to at most 256 MiB, t ≤ 16, p ≤ 16 for Argon2, and cost ≤ 14 for bcrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyLimits {
    /// Largest Argon2 memory cost (KiB) accepted in a stored hash. Defaults to 262144.
    pub max_m_cost_kib: u32,
    /// Largest Argon2 iteration count accepted. Defaults to 16.
    pub max_t_cost: u32,
    /// Largest Argon2 lane count accepted. Defaults to 16.
    pub max_p_cost: u32,
    /// Largest bcrypt cost accepted. Defaults to 14.
    pub max_bcrypt_cost: u32,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        Self { max_m_cost_kib: 256 * 1024, max_t_cost: 16, max_p_cost: 16, max_bcrypt_cost: 14 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_owasp() {
        let p = Argon2Params::default();
        assert_eq!((p.m_cost_kib(), p.t_cost(), p.p_cost()), (19456, 2, 1));
        assert!(p.meets_owasp_minimum());
        assert_eq!(Argon2Params::builder().build().unwrap(), p);
    }

    #[test]
    fn bounds_are_enforced_at_build() {
        let b = Argon2Params::builder;
        assert!(b().m_cost_kib(Argon2Params::MIN_M_COST_KIB - 1).build().is_err());
        assert!(b().m_cost_kib(Argon2Params::MAX_M_COST_KIB + 1).build().is_err());
        assert!(b().m_cost_kib(Argon2Params::MAX_M_COST_KIB).build().is_ok());
        assert!(b().t_cost(0).build().is_err());
        assert!(b().t_cost(17).build().is_err());
        assert!(b().p_cost(0).build().is_err());
        assert!(b().p_cost(17).build().is_err());
        // m = 19 MiB with t = 1 is under the OWASP line.
        assert!(b().t_cost(1).build().is_err());
        // Each OWASP row passes; one KiB or one pass less than a row fails.
        for (m, t) in Argon2Params::OWASP_MINIMUMS {
            assert!(b().m_cost_kib(m).t_cost(t).build().is_ok(), "m={m} t={t}");
            assert!(b().m_cost_kib(m - 1).t_cost(t).build().is_err(), "m={} t={t}", m - 1);
            assert!(b().m_cost_kib(m).t_cost(t - 1).build().is_err(), "m={m} t={}", t - 1);
        }
    }

    #[test]
    fn refusals_are_typed() {
        let b = Argon2Params::builder;
        let min_kib = Argon2Params::MIN_M_COST_KIB;
        assert_eq!(
            b().m_cost_kib(1024).build(),
            Err(HashingConfigError::MemoryTooLittle { min_kib })
        );
        assert_eq!(
            b().m_cost_kib(Argon2Params::MAX_M_COST_KIB + 1).build(),
            Err(HashingConfigError::MemoryTooMuch)
        );
        assert_eq!(b().t_cost(0).build(), Err(HashingConfigError::TimeOutOfRange));
        assert_eq!(b().p_cost(17).build(), Err(HashingConfigError::LanesOutOfRange));
        assert_eq!(b().t_cost(1).build(), Err(HashingConfigError::BelowOwaspMinimum));
        assert_eq!(
            b().m_cost_kib(1024).build().unwrap_err().to_string(),
            "argon2 m_cost must be 7168..=1048576 KiB"
        );
    }

    #[test]
    fn insecure_low_cost_is_opt_in() {
        assert!(Argon2Params::builder().m_cost_kib(64).t_cost(1).build().is_err());
        let p = Argon2Params::builder().m_cost_kib(64).t_cost(1).allow_insecure_low_cost().build();
        assert!(p.is_ok());
        assert!(!p.unwrap().meets_owasp_minimum());
        // Argon2's own m >= 8p rule still holds.
        let bad = Argon2Params::builder().m_cost_kib(8).p_cost(2).allow_insecure_low_cost().build();
        assert!(bad.is_err());
    }
}
