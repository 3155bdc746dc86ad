//! The remote key set against a real HTTP server on 127.0.0.1 that plays the issuer: it
//! answers what the test sets and counts the fetches.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use super::*;
use crate::{
    AccessGrant, AccessTokens, Algorithm, AuthConfig, KeySet, ManualClock, Role, SigningKey,
    UserId, VerifyingKey,
};

const ES: &[u8] = include_bytes!("../../tests/keys/es256.pem");
const ES_OTHER: &[u8] = include_bytes!("../../tests/keys/es256-other.pem");
const ED: &[u8] = include_bytes!("../../tests/keys/ed25519.pem");
const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "notes";

/// What the issuer answers.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<String>,
    body: String,
    /// Sent chunked, with no `Content-Length`.
    chunked: bool,
    /// How long the issuer takes to answer.
    delay: Duration,
}

impl Reply {
    fn new(status: u16, headers: Vec<String>, body: String) -> Self {
        Self { status, headers, body, chunked: false, delay: Duration::ZERO }
    }
}

/// An HTTP server that answers every request with the current [`Reply`].
struct FakeIssuer {
    url: String,
    reply: Arc<Mutex<Reply>>,
    hits: Arc<AtomicUsize>,
}

impl FakeIssuer {
    async fn start(keys: &KeySet, cache_control: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        let issuer = Self {
            url,
            reply: Arc::new(Mutex::new(Reply::new(200, vec![], String::new()))),
            hits: Arc::default(),
        };
        issuer.publish(keys, cache_control);
        let (reply, hits) = (issuer.reply.clone(), issuer.hits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let (reply, hits) = (reply.clone(), hits.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    hits.fetch_add(1, Ordering::SeqCst);
                    let r = reply.lock().unwrap().clone();
                    tokio::time::sleep(r.delay).await;
                    let length = if r.chunked {
                        "Transfer-Encoding: chunked".to_owned()
                    } else {
                        format!("Content-Length: {}", r.body.len())
                    };
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\n\
                         {length}\r\nConnection: close\r\n",
                        r.status,
                    );
                    for h in &r.headers {
                        head.push_str(h);
                        head.push_str("\r\n");
                    }
                    head.push_str("\r\n");
                    let _ = stream.write_all(head.as_bytes()).await;
                    if r.chunked {
                        for chunk in r.body.as_bytes().chunks(4096) {
                            let size = format!("{:x}\r\n", chunk.len());
                            let _ = stream.write_all(size.as_bytes()).await;
                            let _ = stream.write_all(chunk).await;
                            let _ = stream.write_all(b"\r\n").await;
                        }
                        let _ = stream.write_all(b"0\r\n\r\n").await;
                    } else {
                        let _ = stream.write_all(r.body.as_bytes()).await;
                    }
                    let _ = stream.shutdown().await;
                });
            }
        });
        issuer
    }

    fn publish(&self, keys: &KeySet, cache_control: &str) {
        let body = serde_json::to_string(&keys.jwks()).unwrap();
        let headers = if cache_control.is_empty() {
            vec![]
        } else {
            vec![format!("Cache-Control: {cache_control}")]
        };
        *self.reply.lock().unwrap() = Reply::new(200, headers, body);
    }

    fn fail(&self, status: u16) {
        let mut reply = self.reply.lock().unwrap();
        reply.status = status;
        reply.body = "{\"detail\": \"down\"}".into();
    }

    /// How many times the issuer was asked, once the background fetches had their chance
    /// to run.
    async fn settled_hits(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.hits()
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn key_set(&self, clock: &ManualClock) -> RemoteKeySet {
        RemoteKeySet::builder(&self.url, ISSUER, AUDIENCE)
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap()
    }

    /// Waits (up to 5 s) until the issuer was asked `n` times.
    async fn wait_for_hits(&self, n: usize) {
        for _ in 0..500 {
            if self.hits() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{} fetches, expected {n}", self.hits());
    }
}

/// Tokens of an issuer with `keys`, on `clock`.
fn issuer_tokens(keys: KeySet, clock: &ManualClock) -> AccessTokens {
    let config = AuthConfig::builder(keys).issuer(ISSUER).audience(AUDIENCE).build().unwrap();
    AccessTokens::new(config.access_token_config(), Arc::new(clock.clone()))
}

fn token(tokens: &AccessTokens) -> String {
    let grant = AccessGrant::new(UserId::new(7), "alice", Role::User);
    tokens.issue(&grant).unwrap().0.expose().to_owned()
}

fn rejection(result: Result<AccessClaims>) -> TokenRejection {
    match result {
        Err(AuthError::InvalidToken(r)) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn es_keys() -> KeySet {
    KeySet::new(SigningKey::es256_pem(ES).unwrap())
}

#[tokio::test]
async fn tokens_verify_with_the_issuers_rules() {
    let clock = ManualClock::starting_now();
    let keys = KeySet::new(SigningKey::eddsa_pem(ED).unwrap())
        .with_previous(SigningKey::es256_pem(ES).unwrap().verifying_key().clone())
        .unwrap();
    let issuer = FakeIssuer::start(&keys, "public, max-age=3600").await;
    let remote = issuer.key_set(&clock);
    assert!(remote.key_ids().is_empty(), "nothing fetched before the first use");

    // Tokens of the current key and of the verify-only one both verify.
    let current = token(&issuer_tokens(keys.clone(), &clock));
    let claims = remote.verify(&current).await.unwrap();
    assert_eq!((claims.sub, claims.username.as_str()), (UserId::new(7), "alice"));
    let by_old = token(&issuer_tokens(es_keys(), &clock));
    remote.verify(&by_old).await.unwrap();
    assert_eq!(remote.key_ids(), keys.verifying_keys().map(|k| k.kid()).collect::<Vec<_>>());
    assert_eq!(issuer.hits(), 1);

    // Another audience or issuer, expiry with the leeway, a tampered payload.
    let elsewhere = |iss: &str, aud: &str| {
        let config = AuthConfig::builder(keys.clone()).issuer(iss).audience(aud).build().unwrap();
        token(&AccessTokens::new(config.access_token_config(), Arc::new(clock.clone())))
    };
    let other_aud = remote.verify(&elsewhere(ISSUER, "billing")).await;
    assert_eq!(rejection(other_aud), TokenRejection::WrongAudience);
    let other_iss = remote.verify(&elsewhere("https://evil.test", AUDIENCE)).await;
    assert_eq!(rejection(other_iss), TokenRejection::WrongIssuer);
    let mut tampered = current.clone().into_bytes();
    let at = current.find('.').unwrap() + 10; // inside the claims
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(remote.verify(&tampered).await.is_err());
    clock.advance(Duration::from_secs(900 + 30));
    remote.verify(&current).await.unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(rejection(remote.verify(&current).await), TokenRejection::Expired);
    assert_eq!(issuer.settled_hits().await, 1, "none of these needed a fetch");
}

#[tokio::test]
async fn hs256_tokens_are_refused_for_no_secret_is_ever_published() {
    let clock = ManualClock::starting_now();
    let keys = KeySet::new(SigningKey::hs256(b"the issuer's secret, 32 bytes at least").unwrap());
    let issuer = FakeIssuer::start(&keys, "").await;
    assert_eq!(issuer.reply.lock().unwrap().body, "{\"keys\":[]}");
    let remote = issuer.key_set(&clock);
    let hs = token(&issuer_tokens(keys, &clock));
    assert_eq!(rejection(remote.verify(&hs).await), TokenRejection::WrongAlgorithm);
    assert_eq!(issuer.settled_hits().await, 0, "refused without asking the issuer");
    // Its (empty) key set fetched: still refused.
    assert_eq!(remote.refresh().await.unwrap(), 0);
    assert_eq!(rejection(remote.verify(&hs).await), TokenRejection::WrongAlgorithm);

    // Algorithm confusion: an HS256 token "signed" with the public key's bytes, naming the
    // ES256 kid, is refused by the algorithm pinned to that key.
    let es = es_keys();
    issuer.publish(&es, "");
    clock.advance(Duration::from_secs(31));
    remote.refresh().await.unwrap();
    let kid = es.signing().kid().to_owned();
    let jwk = serde_json::to_vec(&es.jwks().keys[0]).unwrap();
    let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid);
    let claims =
        serde_json::to_value(remote.verify(&token(&issuer_tokens(es, &clock))).await.unwrap())
            .unwrap();
    let forged =
        jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(&jwk))
            .unwrap();
    assert_eq!(rejection(remote.verify(&forged).await), TokenRejection::WrongAlgorithm);
}

#[tokio::test]
async fn the_set_stays_fresh_for_max_age_within_the_floor_and_the_ceiling() {
    let clock = ManualClock::starting_now();
    let keys = es_keys();
    let tokens = issuer_tokens(keys.clone(), &clock);
    for (cache_control, fresh_for) in [
        ("public, max-age=300", 300),
        ("max-age=5", 60),        // the floor
        ("no-store", 60),         // the floor
        ("max-age=999999", 3600), // the ceiling
        ("", 300),                // no header: 5 minutes
    ] {
        let issuer = FakeIssuer::start(&keys, cache_control).await;
        let remote = issuer.key_set(&clock);
        remote.verify(&token(&tokens)).await.unwrap();
        clock.advance(Duration::from_secs(fresh_for - 1));
        remote.verify(&token(&tokens)).await.unwrap();
        assert_eq!(issuer.settled_hits().await, 1, "{cache_control:?}: still fresh");
        clock.advance(Duration::from_secs(1));
        // Stale: the old set still verifies while a fetch runs in the background.
        remote.verify(&token(&tokens)).await.unwrap();
        issuer.wait_for_hits(2).await;
        clock.set(time::OffsetDateTime::now_utc());
    }
}

#[tokio::test]
async fn an_unknown_kid_fetches_at_most_once_per_interval() {
    let clock = ManualClock::starting_now();
    let old = es_keys();
    let issuer = FakeIssuer::start(&old, "max-age=3600").await;
    let remote = issuer.key_set(&clock);
    remote.verify(&token(&issuer_tokens(old.clone(), &clock))).await.unwrap();
    assert_eq!(issuer.hits(), 1);

    // Forged kids: a flood of tokens naming keys nobody published.
    let forger = |kid: String| {
        let key = SigningKey::es256_pem(ES_OTHER).unwrap().with_kid(kid).unwrap();
        token(&issuer_tokens(KeySet::new(key), &clock))
    };
    for i in 0..20 {
        let forged = forger(format!("forged-{i}"));
        assert_eq!(rejection(remote.verify(&forged).await), TokenRejection::UnknownKey);
    }
    assert_eq!(issuer.settled_hits().await, 1, "within the interval of the first fetch: none");
    clock.advance(Duration::from_secs(30));
    for i in 20..40 {
        assert!(remote.verify(&forger(format!("forged-{i}"))).await.is_err());
    }
    assert_eq!(issuer.hits(), 2, "one fetch for the whole flood");

    // A real rotation: the issuer publishes a new key and signs with it. The first token of
    // the new key, once the interval has passed, fetches the set and verifies.
    let new = KeySet::new(SigningKey::eddsa_pem(ED).unwrap())
        .with_previous(old.signing().verifying_key().clone())
        .unwrap();
    issuer.publish(&new, "max-age=3600");
    let by_new = token(&issuer_tokens(new.clone(), &clock));
    assert!(remote.verify(&by_new).await.is_err(), "the flood's fetch was 0 s ago");
    clock.advance(Duration::from_secs(30));
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (remote, by_new) = (remote.clone(), by_new.clone());
            tokio::spawn(async move { remote.verify(&by_new).await })
        })
        .collect();
    for h in handles {
        h.await.unwrap().expect("the new key verifies after one fetch");
    }
    assert_eq!(issuer.hits(), 3, "ten concurrent tokens of the new key: one fetch");
}

#[tokio::test]
async fn the_cached_set_keeps_serving_while_the_issuer_is_down() {
    let clock = ManualClock::starting_now();
    let keys = es_keys();
    let t = token(&issuer_tokens(keys.clone(), &clock));
    let issuer = FakeIssuer::start(&keys, "max-age=60").await;
    let remote = issuer.key_set(&clock);
    let start = clock.now();
    remote.verify(&t).await.unwrap();
    issuer.fail(503);
    // Stale from 60 s on: one background attempt then, the next 30 s later; the cached keys
    // serve all along.
    for (at, hits) in [(15, 1), (30, 1), (45, 1), (60, 2), (75, 2), (90, 3)] {
        clock.set(start + Duration::from_secs(at));
        remote.verify(&t).await.expect("cached keys serve");
        issuer.wait_for_hits(hits).await;
        assert_eq!(issuer.settled_hits().await, hits, "at {at} s");
    }
    for _ in 0..10 {
        remote.verify(&t).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(issuer.hits(), 3);
    assert_eq!(remote.refresh().await.unwrap_err().code(), "keys_unavailable");
    // Back up: the next due fetch takes the new set.
    issuer.publish(&keys, "max-age=60");
    clock.advance(Duration::from_secs(30));
    remote.verify(&t).await.unwrap();
    issuer.wait_for_hits(5).await;
}

#[tokio::test]
async fn without_any_set_verification_is_unavailable_not_refused() {
    let clock = ManualClock::starting_now();
    let keys = es_keys();
    let t = token(&issuer_tokens(keys.clone(), &clock));
    let issuer = FakeIssuer::start(&keys, "").await;
    issuer.fail(500);
    let remote = issuer.key_set(&clock);
    let Err(AuthError::KeysUnavailable { retry_after }) = remote.verify(&t).await else {
        panic!("expected keys_unavailable");
    };
    assert_eq!(retry_after, Duration::from_secs(30));
    clock.advance(Duration::from_secs(10));
    let Err(AuthError::KeysUnavailable { retry_after }) = remote.verify(&t).await else {
        panic!("expected keys_unavailable");
    };
    assert_eq!(retry_after, Duration::from_secs(20));
    assert_eq!(issuer.hits(), 1, "no second attempt within the interval");
    issuer.publish(&keys, "");
    clock.advance(Duration::from_secs(20));
    remote.verify(&t).await.unwrap();
    assert_eq!(issuer.hits(), 2);
}

#[tokio::test]
async fn bad_answers_are_failed_fetches() {
    let clock = ManualClock::starting_now();
    let keys = es_keys();
    let issuer = FakeIssuer::start(&keys, "").await;
    let remote = issuer.key_set(&clock);
    let too_large = "x".repeat(fetch::MAX_DOCUMENT_BYTES + 1);
    for reply in [
        Reply::new(200, vec![], too_large.clone()),
        Reply { chunked: true, ..Reply::new(200, vec![], too_large) },
        Reply::new(200, vec![], "<html>".into()),
        Reply::new(302, vec![format!("Location: {}", issuer.url)], String::new()),
    ] {
        *issuer.reply.lock().unwrap() = reply;
        assert_eq!(remote.refresh().await.unwrap_err().code(), "keys_unavailable");
    }
    assert_eq!(issuer.hits(), 4, "the redirect was not followed");
    issuer.publish(&keys, "");
    assert_eq!(remote.refresh().await.unwrap(), 1);
}

#[tokio::test]
async fn a_set_without_keys_never_replaces_one_with_keys() {
    let clock = ManualClock::starting_now();
    let keys = es_keys();
    let t = token(&issuer_tokens(keys.clone(), &clock));
    let issuer = FakeIssuer::start(&keys, "").await;
    let remote = issuer.key_set(&clock);
    remote.verify(&t).await.unwrap();
    // A bad deploy answers an empty set, or keys of nothing this crate verifies.
    issuer.publish(&KeySet::new(SigningKey::hs256(&[7u8; 32]).unwrap()), "");
    clock.advance(Duration::from_secs(31));
    assert_eq!(remote.refresh().await.unwrap_err().code(), "keys_unavailable");
    remote.verify(&t).await.expect("the keys that worked still serve");
}

#[tokio::test]
async fn a_set_stale_past_the_bound_is_not_trusted() {
    let clock = ManualClock::starting_now();
    let keys = es_keys();
    let issuer = FakeIssuer::start(&keys, "max-age=60").await;
    let remote = RemoteKeySet::builder(&issuer.url, ISSUER, AUDIENCE)
        .clock(Arc::new(clock.clone()))
        .max_stale(Duration::from_secs(600))
        .build()
        .unwrap();
    let tokens = issuer_tokens(keys, &clock);
    remote.verify(&token(&tokens)).await.unwrap();
    issuer.fail(503);
    clock.advance(Duration::from_secs(60 + 599));
    remote.verify(&token(&tokens)).await.expect("stale, within the bound");
    clock.advance(Duration::from_secs(31));
    let refused = remote.verify(&token(&tokens)).await.unwrap_err();
    assert_eq!(refused.code(), "keys_unavailable", "a withdrawn key is not trusted for ever");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_goes_away_does_not_cancel_the_fetch() {
    let clock = ManualClock::starting_now();
    let keys = es_keys();
    let t = token(&issuer_tokens(keys.clone(), &clock));
    let issuer = FakeIssuer::start(&keys, "").await;
    issuer.reply.lock().unwrap().delay = Duration::from_millis(400);
    let remote = issuer.key_set(&clock);
    // The first caller gives up (its client disconnected) while the issuer is answering.
    let gave_up = tokio::time::timeout(Duration::from_millis(100), remote.verify(&t)).await;
    assert!(gave_up.is_err());
    // The next one, within the refetch interval, gets the keys that fetch brought.
    remote.verify(&t).await.expect("the fetch went on without its caller");
    assert_eq!(issuer.settled_hits().await, 1);
}

#[tokio::test]
async fn a_clock_set_back_does_not_stop_fetches() {
    let clock = ManualClock::starting_now();
    let keys = es_keys();
    let issuer = FakeIssuer::start(&keys, "max-age=300").await;
    let remote = issuer.key_set(&clock);
    remote.verify(&token(&issuer_tokens(keys.clone(), &clock))).await.unwrap();
    clock.set(clock.now() - Duration::from_secs(3600));
    remote.verify(&token(&issuer_tokens(keys, &clock))).await.unwrap();
    issuer.wait_for_hits(2).await;
}

#[test]
fn settings_are_checked() {
    let build = |url: &str| RemoteKeySet::builder(url, ISSUER, AUDIENCE).build();
    for url in [
        "https://issuer.test/jwks.json",
        "http://127.0.0.1:8000/.well-known/jwks.json",
        "http://localhost/jwks",
        "http://[::1]:8000/jwks",
    ] {
        assert!(build(url).is_ok(), "{url}");
    }
    for url in ["http://issuer.test/jwks", "https://user:pw@issuer.test/jwks", "ftp://x/y", "jwks"]
    {
        let err = build(url).unwrap_err().to_string();
        assert!(!err.contains("pw"), "{err}");
    }
    let insecure = RemoteKeySet::builder("http://issuer.test/jwks", ISSUER, AUDIENCE)
        .allow_insecure_http()
        .build();
    assert!(insecure.is_ok());
    let base = || RemoteKeySet::builder("https://issuer.test/jwks", ISSUER, AUDIENCE);
    assert!(base().leeway(Duration::from_secs(61)).build().is_err());
    let (long, short) = (Duration::from_secs(600), Duration::from_secs(60));
    assert!(base().cache_bounds(long, short).build().is_err());
    assert!(base().refetch_interval(Duration::ZERO).build().is_err());
    assert!(base().refetch_interval(Duration::MAX).build().is_err());
    assert!(base().fetch_timeout(Duration::from_secs(61)).build().is_err());
    let day = Duration::from_secs(86_400);
    assert!(base().cache_bounds(short, day + Duration::from_secs(1)).build().is_err());
    assert!(base().max_stale(30 * day + Duration::from_secs(1)).build().is_err());
    let with_query = RemoteKeySet::builder("https://issuer.test/jwks?key=s3cret", ISSUER, AUDIENCE)
        .build()
        .unwrap();
    assert!(!format!("{with_query:?}").contains("s3cret"));
    assert!(RemoteKeySet::builder("https://issuer.test/jwks", "", AUDIENCE).build().is_err());
    let shown = format!("{:?}", base().build().unwrap());
    assert!(shown.contains("issuer.test/jwks") && shown.contains("kids: []"), "{shown}");
}

#[test]
fn published_keys_load_with_their_kid_and_algorithm() {
    let es = SigningKey::es256_pem(ES).unwrap().with_kid("2026-12").unwrap();
    let jwk = KeySet::new(es).jwks().keys.remove(0);
    let key = VerifyingKey::from_jwk(&jwk).unwrap();
    assert_eq!((key.kid(), key.algorithm()), ("2026-12", Algorithm::ES256));
}
