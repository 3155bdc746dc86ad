//! Calibration: the strongest Argon2id parameters this machine can afford within a time
//! budget per hash.

use std::time::{Duration, Instant};

use super::{Argon2Params, HashingConfig, Password, PasswordHasher};
use crate::Result;

/// What [`calibrate`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calibration {
    /// The chosen parameters (p = 1).
    pub params: Argon2Params,
    /// The measured time of one hash with them (median of three runs).
    pub hash_time: Duration,
    /// The time budget asked for.
    pub target: Duration,
}

impl Calibration {
    /// Whether the chosen parameters reach one of the OWASP minimum settings. When they do
    /// not, the machine cannot meet the minimum within the budget: raise the budget.
    pub fn meets_owasp_minimum(&self) -> bool {
        self.params.meets_owasp_minimum()
    }

    /// Whether even the cheapest parameters tried exceed the budget.
    pub fn over_budget(&self) -> bool {
        self.hash_time > self.target
    }
}

/// Measures this machine and returns the strongest Argon2id parameters (p = 1) whose hash
/// takes at most `target`, using at most `max_memory_kib` of memory per hash.
///
/// Memory comes first (it is what makes GPU and ASIC attacks expensive): the largest memory
/// that fits the budget with one pass, halving from `max_memory_kib` down to 7 MiB, then as
/// many passes as still fit (at most 16). Runs hashes on the calling thread: call it from a
/// tool, never from an async task. A typical call takes a few seconds.
///
/// # Errors
/// [`HashingConfigError::CalibrationMemory`](super::HashingConfigError::CalibrationMemory)
/// (as [`AuthError::Config`](crate::AuthError::Config)) when `max_memory_kib` is below 8 KiB
/// or over 1 GiB.
pub fn calibrate(target: Duration, max_memory_kib: u32) -> Result<Calibration> {
    let floor = Argon2Params::MIN_M_COST_KIB;
    let mut m = max_memory_kib.min(Argon2Params::MAX_M_COST_KIB);
    if m < Argon2Params::INSECURE_MIN_M_COST_KIB || max_memory_kib > Argon2Params::MAX_M_COST_KIB {
        return Err(super::HashingConfigError::CalibrationMemory.into());
    }
    let mut time = measure(m, 1)?;
    while time > target && m > floor {
        m = (m / 2).max(floor.min(m));
        time = measure(m, 1)?;
    }
    let mut t = 1;
    while t < Argon2Params::MAX_T_COST && time <= target {
        let next = measure(m, t + 1)?;
        if next > target {
            break;
        }
        t += 1;
        time = next;
    }
    Ok(Calibration { params: params(m, t)?, hash_time: time, target })
}

fn params(m: u32, t: u32) -> Result<Argon2Params> {
    Ok(Argon2Params::builder()
        .m_cost_kib(m)
        .t_cost(t)
        .p_cost(1)
        .allow_insecure_low_cost()
        .build()?)
}

/// The median time of three hashes (after one that warms the memory pool).
fn measure(m: u32, t: u32) -> Result<Duration> {
    let config = HashingConfig::builder().params(params(m, t)?).max_concurrent(1).build()?;
    let hasher = PasswordHasher::new(config);
    let password = Password::new("calibration passphrase");
    hasher.hash_blocking(&password)?;
    let mut runs = [Duration::ZERO; 3];
    for run in &mut runs {
        let start = Instant::now();
        hasher.hash_blocking(&password)?;
        *run = start.elapsed();
    }
    runs.sort();
    Ok(runs[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_memory_and_reports_consistently() {
        let c = calibrate(Duration::from_millis(20), 8 * 1024).unwrap();
        assert!(c.params.m_cost_kib() <= 8 * 1024);
        assert_eq!(c.params.p_cost(), 1);
        // Either the budget was met, or nothing cheaper was left to try.
        assert!(
            !c.over_budget()
                || (c.params.m_cost_kib() == Argon2Params::MIN_M_COST_KIB
                    && c.params.t_cost() == 1),
            "{c:?}"
        );
        assert!(calibrate(Duration::from_millis(1), 4).is_err());
    }

    #[test]
    fn a_generous_budget_buys_passes() {
        // 64 KiB costs microseconds: a 5 ms budget affords several passes.
        let c = calibrate(Duration::from_millis(5), 64).unwrap();
        assert_eq!(c.params.m_cost_kib(), 64);
        assert!(c.params.t_cost() > 1, "{c:?}");
        assert!(!c.meets_owasp_minimum());
    }
}
