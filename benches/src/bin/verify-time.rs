//! Prints the time, in milliseconds, one password verification takes with the default (or
//! `ARGON2_*`) parameters on this machine while `THREADS` verifications run at once (the
//! first argument; default 1). The ideal login rate of the load benchmark is
//! `CPUs ÷ this`, measured with one thread per CPU: Argon2 is memory-bound, and verifying on
//! every core at once is slower per verification than on one.
//!
//! Usage: `verify-time [THREADS]`.

use std::{sync::Barrier, time::Instant};

use auth_core::{Argon2Params, HashingConfig, Password, PasswordHasher};

/// Verifications per thread in one timed batch.
const PER_THREAD: usize = 12;
/// Batches; the median is printed.
const BATCHES: usize = 5;

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|_| "THREADS must be a positive number")?,
        None => 1,
    };
    if threads == 0 {
        return Err("THREADS must be a positive number".into());
    }
    let params = Argon2Params::builder()
        .m_cost_kib(env_u32("ARGON2_MEMORY_KIB", Argon2Params::DEFAULT_M_COST_KIB))
        .t_cost(env_u32("ARGON2_ITERATIONS", Argon2Params::DEFAULT_T_COST))
        .p_cost(env_u32("ARGON2_PARALLELISM", Argon2Params::DEFAULT_P_COST))
        .build()?;
    let hasher = PasswordHasher::new(
        HashingConfig::builder().params(params).max_concurrent(threads).build()?,
    );
    let password = Password::new("load benchmark passphrase");
    let stored = hasher.hash_blocking(&password)?;
    hasher.verify_blocking(&password, &stored)?;
    let mut batches: Vec<f64> = (0..BATCHES)
        .map(|_| {
            // Every thread starts together and verifies PER_THREAD times; the batch takes as
            // long as the slowest, so per verification: wall time ÷ PER_THREAD.
            let start_line = Barrier::new(threads + 1);
            let wall = std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| {
                        start_line.wait();
                        for _ in 0..PER_THREAD {
                            let _ = hasher.verify_blocking(&password, &stored);
                        }
                    });
                }
                start_line.wait();
                Instant::now()
            });
            wall.elapsed().as_secs_f64() * 1000.0 / PER_THREAD as f64
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    println!("{:.3}", batches[BATCHES / 2]);
    Ok(())
}
