//! Tokens: access-token sign (`AccessTokens::issue`) and verify (`AccessTokens::verify`)
//! per algorithm, refresh-token generate + digest, and `Auth::verify_access` end to end.
//!
//! A token that verified is kept in the verified-token cache, so verification is measured
//! twice: on first sight (a token never presented before: header, signature and claims,
//! then cached) and again (the same token presented again, as a client does until it
//! expires).
//!
//! Keys, the `Auth` service and the tokens to verify are made outside the measured closure
//! (for first sight, criterion's batched setup issues a new token for every call).
//! The keys are the test keys of `auth-core/tests/keys` (RSA 2048, P-256, Ed25519).
//!
//! ```sh
//! cargo bench -p auth-benches --bench tokens
//! ```

use std::{hint::black_box, sync::Arc, time::Duration};

use auth_core::{
    AccessGrant, AccessToken, AccessTokens, Auth, AuthConfig, KeySet, MemoryStore, RefreshToken,
    Role, SigningKey, SystemClock, UserId,
};
use criterion::{BatchSize, Criterion};

const HS256_SECRET: &[u8] = b"benchmark secret of at least thirty-two bytes";
const ED25519_PEM: &[u8] = include_bytes!("../../auth-core/tests/keys/ed25519.pem");
const ES256_PEM: &[u8] = include_bytes!("../../auth-core/tests/keys/es256.pem");
const RS256_PEM: &[u8] = include_bytes!("../../auth-core/tests/keys/rs256.pem");

/// One `Auth` per signing algorithm, named as in the benchmark ids, with an `AccessTokens`
/// of the same configuration to issue (and verify) tokens without a user.
fn services() -> Vec<(&'static str, Auth, AccessTokens)> {
    let keys = [
        ("HS256", SigningKey::hs256(HS256_SECRET)),
        ("EdDSA", SigningKey::eddsa_pem(ED25519_PEM)),
        ("ES256", SigningKey::es256_pem(ES256_PEM)),
        ("RS256", SigningKey::rs256_pem(RS256_PEM)),
    ];
    keys.into_iter()
        .map(|(name, key)| {
            let key = key.expect("test key loads");
            let config = AuthConfig::builder(KeySet::new(key)).build().expect("valid config");
            let tokens = AccessTokens::new(config.access_token_config(), Arc::new(SystemClock));
            (name, Auth::new(config, Arc::new(MemoryStore::new())), tokens)
        })
        .collect()
}

fn issue(tokens: &AccessTokens) -> AccessToken {
    tokens.issue(&AccessGrant::new(UserId::new(1), "alice", Role::User)).expect("sign").0
}

fn access_tokens(c: &mut Criterion) {
    let services = services();
    let tokens: Vec<AccessToken> = services.iter().map(|(_, _, t)| issue(t)).collect();
    for ((_, auth, _), token) in services.iter().zip(&tokens) {
        auth.verify_access(token.expose()).expect("a fresh token verifies");
    }

    let mut group = c.benchmark_group("tokens_sign");
    for (name, _, tokens) in &services {
        group.bench_function(*name, |b| {
            b.iter(|| {
                tokens.issue(&AccessGrant::new(
                    black_box(UserId::new(1)),
                    black_box("alice"),
                    Role::User,
                ))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("tokens_verify");
    for (name, _, tokens) in &services {
        group.bench_function(*name, |b| {
            b.iter_batched(|| issue(tokens), |t| tokens.verify(t.expose()), BatchSize::SmallInput)
        });
    }
    group.finish();

    let mut group = c.benchmark_group("verify_access");
    for (name, auth, tokens) in &services {
        group.bench_function(*name, |b| {
            b.iter_batched(
                || issue(tokens),
                |t| auth.verify_access(t.expose()),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();

    let mut group = c.benchmark_group("verify_access_again");
    for ((name, auth, _), token) in services.iter().zip(&tokens) {
        group.bench_function(*name, |b| b.iter(|| auth.verify_access(black_box(token.expose()))));
    }
    group.finish();
}

fn refresh_tokens(c: &mut Criterion) {
    let mut group = c.benchmark_group("refresh_token");
    group.bench_function("generate_and_digest", |b| {
        b.iter(|| {
            let token = RefreshToken::generate();
            let digest = token.digest();
            (token, digest)
        })
    });
    group.finish();
}

fn main() {
    // criterion_group!/criterion_main! by hand: the macro's public function would need a doc.
    // No plots: benches/report.py draws the charts (no gnuplot, no plotters).
    let mut c = Criterion::default()
        .without_plots()
        .warm_up_time(Duration::from_secs(1))
        // 5 s: RS256 signing (~1 ms) needs 4.5 s for criterion's 100 linear samples.
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    access_tokens(&mut c);
    refresh_tokens(&mut c);
    c.final_summary();
}
