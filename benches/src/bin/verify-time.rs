//! Prints the median time, in milliseconds, of one password verification with the default
//! (or `ARGON2_*`) parameters on this machine: the ideal login rate of the load benchmark is
//! `CPUs ÷ this`.

use std::time::Instant;

use auth_core::{Argon2Params, HashingConfig, Password, PasswordHasher};

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let params = Argon2Params::builder()
        .m_cost_kib(env_u32("ARGON2_MEMORY_KIB", Argon2Params::DEFAULT_M_COST_KIB))
        .t_cost(env_u32("ARGON2_ITERATIONS", Argon2Params::DEFAULT_T_COST))
        .p_cost(env_u32("ARGON2_PARALLELISM", Argon2Params::DEFAULT_P_COST))
        .build()?;
    let hasher =
        PasswordHasher::new(HashingConfig::builder().params(params).max_concurrent(1).build()?);
    let password = Password::new("load benchmark passphrase");
    let stored = hasher.hash_blocking(&password)?;
    hasher.verify_blocking(&password, &stored)?;
    let mut runs: Vec<f64> = (0..21)
        .map(|_| {
            let start = Instant::now();
            let _ = hasher.verify_blocking(&password, &stored);
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    println!("{:.3}", runs[runs.len() / 2]);
    Ok(())
}
