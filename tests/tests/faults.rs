//! The database fails under a running service, through a [`FaultProxy`] between the service
//! and the shared server (never by stopping the server): every route answers `503` with the
//! generic body within the pool's acquire timeout, a valid token never lets a request
//! through, and the service recovers by itself when the database is back. Both frameworks,
//! on PostgreSQL and MySQL, with the database cut (connections reset) and frozen (a
//! partition: no answer at all).

use std::time::{Duration, Instant};

use auth_sqlx::testing::{FaultProxy, TestDatabase};
use auth_tests::contract::{Target, client::*};
use reqwest::Method;
use serde_json::{Value, json};
use task_service::config::Config;

/// The pool's acquire timeout (`auth_sqlx::PoolSettings` default), the bound on a `503`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Slack on top of it for the request itself on a loaded 2-CPU machine.
const SLACK: Duration = Duration::from_secs(2);

type Spawn = fn(TestDatabase, Config) -> std::pin::Pin<Box<dyn Future<Output = Target> + Send>>;

fn axum(
    db: TestDatabase,
    config: Config,
) -> std::pin::Pin<Box<dyn Future<Output = Target> + Send>> {
    Box::pin(auth_tests::servers::axum_with(db, move |c| *c = config))
}

fn actix(
    db: TestDatabase,
    config: Config,
) -> std::pin::Pin<Box<dyn Future<Output = Target> + Send>> {
    Box::pin(auth_tests::servers::actix_with(db, move |c| *c = config))
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Cut,
    Freeze,
}

/// One route, as a user or an admin would call it.
struct Call {
    method: Method,
    path: String,
    bearer: Option<String>,
    body: Option<Value>,
}

async fn database_fails_and_comes_back(db: TestDatabase, spawn: Spawn, fault: Fault) {
    let proxy = FaultProxy::start(db.url()).await.expect("the proxy starts");
    let mut config = auth_tests::servers::config(&db);
    config.database_url = proxy.url(db.url()).parse().expect("a URL");
    // Longer than the acquire timeout, so a frozen database shows as 503, not as 408.
    config.request_timeout_secs = 15;
    let cache_ms = config.user_cache_ttl_ms;
    let t = spawn(db, config).await;

    let user = new_user(&t).await;
    let admin = admin_user(&t).await;
    let task = post_json(&t, "/tasks", Some(&user.access), &json!({"title": "survive"}))
        .await
        .expect_status(201)
        .json();
    let task_id = id_of(&task);

    match fault {
        Fault::Cut => proxy.cut(),
        Fault::Freeze => proxy.freeze(),
    }
    // Let the user cache (USER_CACHE_TTL_MS, 1 s) forget both users: from here on every
    // authenticated request needs the database.
    tokio::time::sleep(Duration::from_millis(cache_ms + 200)).await;

    let calls = calls(&user, &admin, task_id);
    let started = Instant::now();
    let replies = send_all(&t, &calls).await;
    for (call, (reply, took)) in calls.iter().zip(&replies) {
        let what = format!("{fault:?} {} {}", call.method, call.path);
        assert!(*took <= ACQUIRE_TIMEOUT + SLACK, "{what} took {took:?}");
        if call.path == "/health" {
            assert_eq!(reply.status, 503, "{what}: {}", reply.text());
            assert_eq!(reply.json(), json!({"status": "degraded", "database": "unavailable"}));
            continue;
        }
        // Fail closed: a valid token is no way through while the user cannot be checked.
        assert_eq!(reply.status, 503, "{what}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["code"], "unavailable", "{what}: {body}");
        let text = reply.text().to_lowercase();
        for leak in ["select", "insert", "update ", "sqlx", "127.0.0.1", "connection", "pool"] {
            assert!(!text.contains(leak), "{what} leaks {leak:?}: {text}");
        }
    }
    assert!(started.elapsed() <= ACQUIRE_TIMEOUT + SLACK * 2, "{:?}", started.elapsed());

    // Back: the service recovers by itself, with the data it had.
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    while get(&t, "/health", None).await.status != 200 {
        assert!(Instant::now() < deadline, "{fault:?}: no recovery within 15 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    get(&t, "/auth/me", Some(&user.access)).await.expect_status(200);
    get(&t, &format!("/tasks/{task_id}"), Some(&user.access)).await.expect_status(200);
    login(&t, &user.username, &user.password).await;
    drop(proxy);
}

/// Every route of the API, with credentials that work while the database is up.
fn calls(user: &TestUser, admin: &TestUser, task_id: i64) -> Vec<Call> {
    let u = Some(user.access.clone());
    let a = Some(admin.access.clone());
    let call = |method: Method, path: String, bearer: &Option<String>, body: Option<Value>| Call {
        method,
        path,
        bearer: bearer.clone(),
        body,
    };
    let task = format!("/tasks/{task_id}");
    vec![
        call(Method::GET, "/health".into(), &None, None),
        call(Method::GET, "/auth/me".into(), &u, None),
        call(Method::GET, "/auth/admin".into(), &a, None),
        call(
            Method::POST,
            "/auth/register".into(),
            &None,
            Some(json!({"username": unique_username(), "password": strong_password()})),
        ),
        call(
            Method::POST,
            "/auth/login".into(),
            &None,
            Some(json!({"username": user.username, "password": user.password})),
        ),
        call(
            Method::POST,
            "/auth/refresh".into(),
            &None,
            Some(json!({"refresh_token": user.refresh})),
        ),
        call(
            Method::POST,
            "/auth/logout".into(),
            &None,
            Some(json!({"refresh_token": user.refresh})),
        ),
        call(Method::POST, "/auth/logout-all".into(), &u, None),
        call(Method::GET, "/tasks".into(), &u, None),
        call(Method::POST, "/tasks".into(), &u, Some(json!({"title": "during the outage"}))),
        call(Method::GET, task.clone(), &u, None),
        call(Method::PATCH, task.clone(), &u, Some(json!({"completed": true}))),
        call(Method::DELETE, task, &u, None),
        call(Method::GET, "/admin/users".into(), &a, None),
        call(
            Method::PATCH,
            format!("/admin/users/{}", user.id),
            &a,
            Some(json!({"role": "admin"})),
        ),
    ]
}

/// Sends every call at once; each reply with how long it took.
async fn send_all(t: &Target, calls: &[Call]) -> Vec<(Reply, Duration)> {
    let mut handles = Vec::new();
    for c in calls {
        let mut rb = with_bearer(request(t, c.method.clone(), &c.path), c.bearer.as_deref());
        if let Some(body) = &c.body {
            rb = rb.json(body);
        }
        handles.push(tokio::spawn(async move {
            let started = Instant::now();
            let reply = send(rb).await;
            (reply, started.elapsed())
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("the call ran"));
    }
    out
}

macro_rules! fault_tests {
    ($($db:ident => $make:expr, #[$ignored:meta];)+) => {$(
        mod $db {
            use super::*;

            #[$ignored]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn axum_database_cut() {
                database_fails_and_comes_back($make, axum, Fault::Cut).await;
            }

            #[$ignored]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn axum_database_frozen() {
                database_fails_and_comes_back($make, axum, Fault::Freeze).await;
            }

            #[$ignored]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn actix_database_cut() {
                database_fails_and_comes_back($make, actix, Fault::Cut).await;
            }

            #[$ignored]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn actix_database_frozen() {
                database_fails_and_comes_back($make, actix, Fault::Freeze).await;
            }
        }
    )+};
}

fault_tests! {
    postgres => TestDatabase::postgres().await,
        #[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")];
    mysql => TestDatabase::mysql().await,
        #[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")];
}
