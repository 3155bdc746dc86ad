//! The throttle contract: the checks every [`ThrottleStore`]
//! must pass, one public function each, run by
//! [`throttle_contract_tests!`](crate::throttle_contract_tests).

/// Generates one `#[tokio::test]` per throttle-store check, each on a fresh store from
/// `$factory` (same factory shapes and attributes as
/// [`store_contract_tests!`](crate::store_contract_tests)).
///
/// ```no_run
/// auth_core::throttle_contract_tests!(|| async {
///     std::sync::Arc::new(auth_core::throttle::MemoryThrottle::new())
/// });
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! throttle_contract_tests {
    (@tests [$($attr:tt)*] $factory:expr; $($name:ident),+ $(,)?) => {
        $crate::__contract_tests!([$($attr)*] throttle_contract, $factory; $($name),+);
    };
    ([$($attr:tt)*] $factory:expr) => {
        $crate::throttle_contract_tests!(@tests [$($attr)*] $factory;
            bucket_admits_its_burst_then_refuses_until_refilled,
            buckets_are_independent,
            concurrent_takes_admit_exactly_the_burst,
            failures_count_up_and_clear,
            concurrent_failures_all_count,
            failures_can_be_withdrawn,
            purge_drops_full_buckets_and_forgotten_failures,
        );
    };
    ($factory:expr) => {
        $crate::throttle_contract_tests!([] $factory);
    };
}

use std::{sync::Arc, time::Duration};

use time::OffsetDateTime;

use crate::throttle::{Admission, Rate, ThrottleKey, ThrottleStore};

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()
}

fn key(name: &str) -> ThrottleKey {
    ThrottleKey::new("contract", &[name])
}

async fn take<S: ThrottleStore + ?Sized>(
    s: &S,
    k: &ThrottleKey,
    rate: Rate,
    at: OffsetDateTime,
) -> Admission {
    s.take(k, rate, at).await.expect("take")
}

/// A bucket of 3 per minute admits 3 at once, refuses the 4th with the exact wait
/// (20 s), still refuses 1 µs before it, and admits one more when it has passed.
pub async fn bucket_admits_its_burst_then_refuses_until_refilled<S: ThrottleStore + ?Sized>(
    store: Arc<S>,
) {
    let rate = Rate::per_minute(3).unwrap();
    let k = key("burst");
    for i in 0..3 {
        assert_eq!(take(&*store, &k, rate, t0()).await, Admission::Admitted, "attempt {i}");
    }
    assert_eq!(
        take(&*store, &k, rate, t0()).await,
        Admission::Refused { retry_after: Duration::from_secs(20) }
    );
    let almost = t0() + time::Duration::microseconds(19_999_999);
    assert_eq!(
        take(&*store, &k, rate, almost).await,
        Admission::Refused { retry_after: Duration::from_micros(1) },
        "a refusal takes nothing"
    );
    let later = t0() + time::Duration::seconds(20);
    assert_eq!(take(&*store, &k, rate, later).await, Admission::Admitted);
    assert!(matches!(take(&*store, &k, rate, later).await, Admission::Refused { .. }));
}

/// One key's bucket does not drain another's.
pub async fn buckets_are_independent<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    let rate = Rate::per_minute(1).unwrap();
    assert_eq!(take(&*store, &key("a"), rate, t0()).await, Admission::Admitted);
    assert!(matches!(take(&*store, &key("a"), rate, t0()).await, Admission::Refused { .. }));
    assert_eq!(take(&*store, &key("b"), rate, t0()).await, Admission::Admitted);
}

/// 20 concurrent attempts on a bucket of 5: exactly 5 admitted.
pub async fn concurrent_takes_admit_exactly_the_burst<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    let rate = Rate::per_minute(5).unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take(&key("race"), rate, t0()).await })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        if t.await.unwrap().expect("take") == Admission::Admitted {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5);
}

/// Failures count up with the time of the last one; clearing forgets them.
pub async fn failures_count_up_and_clear<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    let k = key("failures");
    assert_eq!(store.failures(&k).await.unwrap(), None);
    for i in 1..=3u32 {
        let at = t0() + time::Duration::seconds(i64::from(i));
        let f = store.add_failure(&k, at).await.unwrap();
        assert_eq!((f.count, f.last), (i, at));
    }
    let f = store.failures(&k).await.unwrap().expect("recorded");
    assert_eq!((f.count, f.last), (3, t0() + time::Duration::seconds(3)));
    assert_eq!(store.failures(&key("other")).await.unwrap(), None);
    store.clear_failures(&k).await.unwrap();
    assert_eq!(store.failures(&k).await.unwrap(), None);
    assert_eq!(store.add_failure(&k, t0()).await.unwrap().count, 1);
}

/// A failure taken back lowers the count by one, never below zero, and keeps the others.
pub async fn failures_can_be_withdrawn<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    let k = key("withdrawn");
    store.withdraw_failure(&k).await.unwrap();
    assert_eq!(store.failures(&k).await.unwrap().map_or(0, |f| f.count), 0);
    for _ in 0..3 {
        store.add_failure(&k, t0()).await.unwrap();
    }
    store.withdraw_failure(&k).await.unwrap();
    assert_eq!(store.failures(&k).await.unwrap().unwrap().count, 2);
    for _ in 0..3 {
        store.withdraw_failure(&k).await.unwrap();
    }
    assert_eq!(store.failures(&k).await.unwrap().map_or(0, |f| f.count), 0);
    assert_eq!(store.add_failure(&k, t0()).await.unwrap().count, 1);
}

/// 10 concurrent failures: all 10 counted.
pub async fn concurrent_failures_all_count<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.add_failure(&key("flood"), t0()).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("add_failure");
    }
    assert_eq!(store.failures(&key("flood")).await.unwrap().unwrap().count, 10);
}

/// Purging drops buckets that are full again and failures last seen before the cut,
/// and keeps the rest.
pub async fn purge_drops_full_buckets_and_forgotten_failures<S: ThrottleStore + ?Sized>(
    store: Arc<S>,
) {
    let rate = Rate::per_minute(1).unwrap();
    take(&*store, &key("old-bucket"), rate, t0()).await;
    let later = t0() + time::Duration::minutes(5);
    take(&*store, &key("new-bucket"), rate, later).await;
    store.add_failure(&key("old-failure"), t0()).await.unwrap();
    store.add_failure(&key("new-failure"), later).await.unwrap();
    let deleted = store.purge_throttle(later, later).await.unwrap();
    assert_eq!(deleted, 2);
    assert!(matches!(
        take(&*store, &key("new-bucket"), rate, later).await,
        Admission::Refused { .. }
    ));
    assert_eq!(store.failures(&key("old-failure")).await.unwrap(), None);
    assert!(store.failures(&key("new-failure")).await.unwrap().is_some());
}
