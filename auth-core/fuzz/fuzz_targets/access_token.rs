//! The access-token verifier on arbitrary input, with one key (the header is read once,
//! after the signature) and with a rotated key set (the header is read first to pick the
//! key by `kid`). Nothing may panic, and nothing but a token we signed may verify.
#![no_main]

use std::sync::{Arc, LazyLock};

use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fn auth(keys: KeySet) -> Auth {
    Auth::new(AuthConfig::builder(keys).build().unwrap(), Arc::new(MemoryStore::new()))
}

static SINGLE: LazyLock<Auth> = LazyLock::new(|| {
    auth(KeySet::new(SigningKey::hs256(b"fuzzing secret of at least 32 bytes!").unwrap()))
});

static ROTATED: LazyLock<Auth> = LazyLock::new(|| {
    let current = SigningKey::eddsa_pem(include_bytes!("../../tests/keys/ed25519.pem")).unwrap();
    let previous = VerifyingKey::hs256(b"the previous secret, 32 bytes long").unwrap();
    auth(KeySet::new(current).with_previous(previous).unwrap())
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    assert!(SINGLE.verify_access(text).is_err(), "verified a token nobody signed: {text}");
    assert!(ROTATED.verify_access(text).is_err(), "verified a token nobody signed: {text}");
});
