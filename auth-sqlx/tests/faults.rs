//! Faults: an unreachable server and a connection killed mid-use answer "unavailable",
//! without SQL in any message, and the pool recovers by itself.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use auth_core::{
    Auth, AuthConfig, AuthError, KeySet, Password, RequestContext, SigningKey, StoreErrorKind,
    UserId, UserStore,
};
use auth_sqlx::{MySqlStore, PoolSettings, PostgresStore, testing::TestDatabase};
use sqlx::{Connection, Executor, Row};

fn quick() -> PoolSettings {
    PoolSettings { acquire_timeout: Duration::from_secs(1), ..PoolSettings::default() }
}

/// Port 1 on loopback: nothing listens there.
const CLOSED_PG: &str = "postgres://postgres@127.0.0.1:1/test";
const CLOSED_MYSQL: &str = "mysql://root@127.0.0.1:1/test";

async fn assert_unavailable_in_time(store: Arc<dyn auth_core::AuthStore>) {
    let start = Instant::now();
    let err = store.user_by_id(UserId::new(1)).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
    // Through the service: a generic 503-class error, no SQL, no address.
    let keys = KeySet::new(SigningKey::hs256(b"fault test secret of 32+ bytes!!").unwrap());
    let auth = Auth::new(AuthConfig::builder(keys).build().unwrap(), store);
    let err = auth
        .login("alice", &Password::new("whatever it is"), &RequestContext::internal())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Store(_)), "{err:?}");
    assert_eq!(err.code(), "unavailable");
    let shown = err.to_string();
    assert_eq!(shown, "Service temporarily unavailable");
    assert!(auth.health().await.is_err());
}

#[tokio::test]
async fn closed_port_postgres_is_unavailable_within_the_acquire_timeout() {
    let store = PostgresStore::connect_lazy(CLOSED_PG, &quick()).unwrap();
    assert_unavailable_in_time(Arc::new(store)).await;
    let err = PostgresStore::connect(CLOSED_PG, &quick()).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable);
}

#[tokio::test]
async fn closed_port_mysql_is_unavailable_within_the_acquire_timeout() {
    let store = MySqlStore::connect_lazy(CLOSED_MYSQL, &quick()).unwrap();
    assert_unavailable_in_time(Arc::new(store)).await;
    let err = MySqlStore::connect(CLOSED_MYSQL, &quick()).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable);
}

#[tokio::test]
async fn malformed_urls_are_backend_errors_not_panics() {
    assert_eq!(
        PostgresStore::connect_lazy("not a url", &quick()).unwrap_err().kind(),
        StoreErrorKind::Backend
    );
    assert_eq!(
        MySqlStore::connect_lazy("mysql://[", &quick()).unwrap_err().kind(),
        StoreErrorKind::Backend
    );
}

/// A PostgreSQL backend terminated (`pg_terminate_backend`) while a store call is waiting
/// on it: that call answers "unavailable", and the next call works on a fresh connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]
async fn postgres_connection_killed_mid_use() {
    let db = TestDatabase::postgres().await;
    let settings = PoolSettings { max_connections: 1, ..quick() };
    let store = Arc::new(PostgresStore::connect(db.url(), &settings).await.unwrap());
    store.migrate().await.unwrap();
    let keys = KeySet::new(SigningKey::hs256(b"fault test secret of 32+ bytes!!").unwrap());
    let auth = Auth::new(AuthConfig::builder(keys).build().unwrap(), store.clone());
    let alice = auth
        .register(
            auth_core::Registration::new("alice", "correct horse battery staple"),
            None,
            &RequestContext::internal(),
        )
        .await
        .unwrap();

    // Hold a lock so the store's next query waits on the server, then kill its backend.
    let mut locker = sqlx::PgConnection::connect(db.url()).await.unwrap();
    locker.execute("BEGIN").await.unwrap();
    locker.execute("LOCK TABLE auth_users IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let waiting = {
        let store = store.clone();
        tokio::spawn(async move { store.user_by_id(alice.id).await })
    };
    let victim = loop {
        let row = sqlx::query(
            "SELECT pid FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'",
        )
        .fetch_optional(&mut locker)
        .await
        .unwrap();
        if let Some(row) = row {
            break row.get::<i32, _>(0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(victim)
        .fetch_one(&mut locker)
        .await
        .unwrap();
    assert!(killed);
    let err = waiting.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err:?}");
    assert!(!err.to_string().contains("SELECT"));
    locker.execute("ROLLBACK").await.unwrap();
    locker.close().await.unwrap();

    // The pool replaces the dead connection by itself.
    let again = store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(again.id, alice.id);
    drop(auth);
    drop(store);
    drop(db);
}
