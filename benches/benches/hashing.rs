//! Password hashing: Argon2id hash and verify over the parameter grid (m × t × p), a hash at
//! each of the five OWASP-equivalent settings, and bcrypt at costs 10–13 for comparison.
//!
//! Argon2id goes through `PasswordHasher::{hash,verify}_blocking`, the code path the service
//! runs on its blocking pool (pooled, zeroized block memory, NFKC normalisation, PHC
//! encoding), without the permit. The hasher and the stored hash are made outside the
//! measured closure, and the hasher's memory pool is warmed by one hash before measuring.
//!
//! ```sh
//! cargo bench -p auth-benches --bench hashing            # everything: 7.5 minutes on 2 cores
//! cargo bench -p auth-benches --bench hashing -- bcrypt  # one group
//! ```
//!
//! Slow calls use ten flat samples. Each benchmark's measurement time is sized from one
//! timed probe (an Argon2id hash at m = 64 MiB, t = 1, scaled by m × t; a bcrypt hash at
//! cost 10, doubled per cost step) so that the ten samples fit without criterion warning
//! and stretching the run.

use std::{
    cell::OnceCell,
    hint::black_box,
    time::{Duration, Instant},
};

use auth_benches::{BCRYPT_COSTS, Point, grid, owasp};
use auth_core::{HashingConfig, Password, PasswordHasher, StoredHash};
use criterion::{BenchmarkGroup, Criterion, SamplingMode, measurement::WallTime};

const PASSWORD: &str = "correct horse battery staple";
const SAMPLES: usize = 10;
/// Shortest measurement per benchmark: fast points get more than one hash per sample.
const MIN_MEASUREMENT: Duration = Duration::from_millis(1500);

/// A group of slow benchmarks: ten flat samples, one second of warm-up.
fn slow_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(SAMPLES)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1));
    group
}

/// Sizes the measurement for a call expected to take `expected`: twice the time of the
/// samples at one call each, so an estimate off by up to 2× still fits (criterion warns and
/// stretches the run when a flat sample cannot hold two calls).
fn fit(group: &mut BenchmarkGroup<'_, WallTime>, expected: Duration) {
    group.measurement_time((expected * 2 * SAMPLES as u32).max(MIN_MEASUREMENT));
}

/// The time of one call, after one call that warms up.
fn time_one<T>(mut f: impl FnMut() -> T) -> Duration {
    black_box(f());
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

fn hasher(point: Point) -> PasswordHasher {
    let params = point.params().expect("grid point within Argon2's bounds");
    let config = HashingConfig::builder()
        .params(params)
        .max_concurrent(1)
        .build()
        .expect("valid hashing config");
    PasswordHasher::new(config)
}

/// Time of one Argon2id pass over one MiB on this machine, measured at m = 64 MiB, t = 1
/// (past the CPU caches, as the large points are): the hash time of a point is about this
/// times m × t, whatever p (the lanes split the memory and run one after another here).
fn argon2_mib_pass(password: &Password) -> Duration {
    let probe = Point { m_kib: 64 * 1024, t: 1, p: 1 };
    let hasher = hasher(probe);
    time_one(|| hasher.hash_blocking(password).expect("hash")) / 64
}

fn expected_argon2(per_mib_pass: Duration, point: Point) -> Duration {
    per_mib_pass * (point.m_kib / 1024).max(1) * point.t
}

/// Hashes (or verifies against a stored hash) at each point, in group `name`. The stored
/// hash is made on the first call of the outer closure, outside the measured one, which also
/// warms the hasher's memory pool; a benchmark left out by a filter costs nothing.
fn argon2_group(
    c: &mut Criterion,
    name: &str,
    points: impl Iterator<Item = Point>,
    verify: bool,
    per_mib_pass: Duration,
) {
    let password = Password::new(PASSWORD);
    let mut group = slow_group(c, name);
    for point in points {
        let hasher = hasher(point);
        let stored: OnceCell<StoredHash> = OnceCell::new();
        fit(&mut group, expected_argon2(per_mib_pass, point));
        group.bench_function(point.id(), |b| {
            let stored = stored.get_or_init(|| {
                let stored = hasher.hash_blocking(&password).expect("hash");
                assert!(hasher.verify_blocking(&password, &stored).expect("verify").matches);
                stored
            });
            if verify {
                b.iter(|| hasher.verify_blocking(black_box(&password), black_box(stored)));
            } else {
                b.iter(|| hasher.hash_blocking(black_box(&password)));
            }
        });
    }
    group.finish();
}

fn argon2id(c: &mut Criterion) {
    let per_mib_pass = argon2_mib_pass(&Password::new(PASSWORD));
    argon2_group(c, "argon2id_owasp", owasp(), false, per_mib_pass);
    argon2_group(c, "argon2id_hash", grid(), false, per_mib_pass);
    argon2_group(c, "argon2id_verify", grid(), true, per_mib_pass);
}

fn bcrypt_group(c: &mut Criterion, name: &str, verify: bool, cost_10: Duration) {
    let mut group = slow_group(c, name);
    for cost in BCRYPT_COSTS {
        let stored: OnceCell<String> = OnceCell::new();
        fit(&mut group, cost_10 * (1 << (cost - 10)));
        group.bench_function(format!("cost={cost}"), |b| {
            let stored = stored.get_or_init(|| {
                let stored = bcrypt::hash(PASSWORD, cost).expect("bcrypt hash");
                assert!(bcrypt::verify(PASSWORD, &stored).expect("bcrypt verify"));
                stored
            });
            if verify {
                b.iter(|| bcrypt::verify(black_box(PASSWORD), black_box(stored)));
            } else {
                b.iter(|| bcrypt::hash(black_box(PASSWORD), cost));
            }
        });
    }
    group.finish();
}

fn bcrypt(c: &mut Criterion) {
    let cost_10 = time_one(|| bcrypt::hash(PASSWORD, 10).expect("bcrypt hash"));
    bcrypt_group(c, "bcrypt_hash", false, cost_10);
    bcrypt_group(c, "bcrypt_verify", true, cost_10);
}

fn main() {
    // criterion_group!/criterion_main! by hand: the macro's public function would need a doc.
    // No plots: benches/report.py draws the charts (no gnuplot, no plotters).
    let mut c = Criterion::default().without_plots().configure_from_args();
    argon2id(&mut c);
    bcrypt(&mut c);
    c.final_summary();
}
