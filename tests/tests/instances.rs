//! Three processes of each compiled binary on one PostgreSQL database behind HAProxy: one
//! winner among 20 concurrent refreshes of one token, a logout-all on one instance reaching
//! the others within `USER_CACHE_TTL_MS`, the per-IP login limit holding for the sum, and
//! an instance killed (SIGKILL) under a mixed load losing nothing but what was in flight on
//! it, counted in the database afterwards.
//!
//! The binaries are the ones `cargo test --workspace --all-features` builds for the task
//! service's own tests, next to this test's executable.
#![cfg_attr(not(all(db_postgres, haproxy)), allow(dead_code, unused_imports))]

use std::{
    collections::HashMap,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use auth_sqlx::testing::TestDatabase;
use auth_tests::balancer::Balancer;
use serde_json::{Value, json};

const SECRET: &str = "instances test secret, at least 32 bytes long";
const ADMIN: &str = "rootadmin";
const ADMIN_PASSWORD: &str = "admin passphrase for the instances test";
const PASSWORD: &str = "a long enough passphrase for users";

/// A binary of the task service, built next to this test.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test --workspace --all-features`, which builds it",
        path.display()
    );
    path
}

/// One instance: a process of the binary.
struct Instance {
    child: Child,
    port: u16,
}

impl Instance {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Three instances of `bin` on `db` behind HAProxy (dropped first).
struct Cluster {
    balancer: Balancer,
    instances: Vec<Instance>,
    _outbox: tempfile::TempDir,
    _db: TestDatabase,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn cluster(bin: &str, env: &[(&str, &str)]) -> Cluster {
    let db = TestDatabase::postgres().await;
    let outbox = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let balancer_port = free_port();
    let public_url = format!("http://127.0.0.1:{balancer_port}");
    let mut instances = Vec::new();
    for port in &ports {
        let mut command = Command::new(binary(bin));
        command
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", db.url())
            .env("SECRET_KEY", SECRET)
            .env("ADMIN_USERNAME", ADMIN)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RATE_LIMIT_BACKEND", "database")
            // Room for the load; the limit test sets its own.
            .env("RATE_LIMIT_REGISTER_PER_IP_PER_MINUTE", "100000")
            .env("RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE", "100000")
            .env("RATE_LIMIT_REFRESH_PER_IP_PER_MINUTE", "100000")
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .env("PUBLIC_URL", &public_url)
            .env("MAIL_OUTBOX_DIR", outbox.path())
            .env("DATABASE_MAX_CONNECTIONS", "5")
            // The cheapest of OWASP's minimum settings: the load is about the instances.
            .env("ARGON2_MEMORY_KIB", "7168")
            .env("ARGON2_ITERATIONS", "5")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(outbox.path().join(format!("{port}.log"))).unwrap());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut instance =
            Instance { child: command.spawn().expect("the instance starts"), port: *port };
        // One at a time: each migrates and bootstraps the admin.
        if let Some(status) = wait_healthy(&mut instance).await {
            let log = std::fs::read_to_string(outbox.path().join(format!("{port}.log")));
            panic!("the instance exited with {status}: {}", log.unwrap_or_default());
        }
        instances.push(instance);
    }
    let balancer = Balancer::start_on(balancer_port, &ports);
    Cluster { balancer, instances, _outbox: outbox, _db: db }
}

fn http() -> reqwest::Client {
    auth_tests::contract::client::http()
}

/// Waits until the instance answers `/health`; its exit status if it exits instead.
async fn wait_healthy(instance: &mut Instance) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        let health = http().get(format!("{}/health", instance.url())).send().await;
        if health.is_ok_and(|r| r.status() == 200) {
            return None;
        }
        if let Ok(Some(status)) = instance.child.try_wait() {
            return Some(status);
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the instance did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post(base: &str, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = http().post(format!("{base}{path}")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null), // no answer: the connection broke
    }
}

async fn get_status(base: &str, path: &str, token: &str) -> u16 {
    match http().get(format!("{base}{path}")).bearer_auth(token).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Registers and logs in `username` through `base`; returns `(access, refresh)`.
async fn sign_up(base: &str, username: &str) -> (String, String) {
    let body = json!({"username": username, "password": PASSWORD});
    assert_eq!(post(base, "/auth/register", None, &body).await.0, 201);
    let (status, pair) = post(base, "/auth/login", None, &body).await;
    assert_eq!(status, 200, "{pair}");
    (pair["access_token"].as_str().unwrap().into(), pair["refresh_token"].as_str().unwrap().into())
}

async fn one_winner_among_twenty_refreshes(bin: &str) {
    let cluster = cluster(bin, &[]).await;
    let base = cluster.balancer.url();
    let (_, refresh) = sign_up(&base, "racer").await;
    let body = json!({"refresh_token": refresh});
    let answers = join_all((0..20).map(|_| {
        let (base, body) = (base.clone(), body.clone());
        async move { post(&base, "/auth/refresh", None, &body).await }
    }))
    .await;
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for (status, _) in &answers {
        *by_status.entry(*status).or_default() += 1;
    }
    assert_eq!(by_status.get(&200), Some(&1), "{by_status:?}");
    assert_eq!(by_status.get(&401), Some(&19), "{by_status:?}");
}

async fn logout_all_reaches_every_instance(bin: &str) {
    let cluster = cluster(bin, &[("USER_CACHE_TTL_MS", "1000")]).await;
    let (access, _) = sign_up(&cluster.balancer.url(), "leaver").await;
    // Every instance has seen (and cached) the user.
    for instance in &cluster.instances {
        assert_eq!(get_status(&instance.url(), "/auth/me", &access).await, 200);
    }
    let first = cluster.instances[0].url();
    assert_eq!(post(&first, "/auth/logout-all", Some(&access), &json!({})).await.0, 204);
    let ended = Instant::now();
    assert_eq!(get_status(&first, "/auth/me", &access).await, 401, "at once where it was made");
    for instance in &cluster.instances[1..] {
        while get_status(&instance.url(), "/auth/me", &access).await == 200 {
            assert!(ended.elapsed() < Duration::from_millis(1000 + 500), "past the cache TTL");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(get_status(&instance.url(), "/auth/me", &access).await, 401);
    }
}

async fn the_login_limit_holds_for_the_sum(bin: &str) {
    let cluster = cluster(bin, &[("RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE", "6")]).await;
    let base = cluster.balancer.url();
    // Refused inputs count: a password over 1024 bytes is a 422 before any hashing.
    let overlong = json!({"username": "someone", "password": "x".repeat(1025)});
    for _ in 0..6 {
        assert_eq!(post(&base, "/auth/login", None, &overlong).await.0, 422);
    }
    // Round-robin put two on each instance: a per-instance limit would allow 18.
    for _ in 0..3 {
        assert_eq!(post(&base, "/auth/login", None, &overlong).await.0, 429);
    }
}

/// The mixed load of one worker until `stop`: register, log in, add tasks, refresh. Returns
/// what succeeded (users, task titles, the last refresh token) and how many requests failed.
async fn worker(base: String, id: usize, stop: Arc<AtomicBool>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let username = format!("w{id}n{n}");
        let body = json!({"username": username, "password": PASSWORD});
        match post(&base, "/auth/register", None, &body).await.0 {
            201 => outcome.users.push(username.clone()),
            _ => {
                outcome.failed += 1;
                continue;
            }
        }
        let (status, pair) = post(&base, "/auth/login", None, &body).await;
        if status != 200 {
            outcome.failed += 1;
            continue;
        }
        let access = pair["access_token"].as_str().unwrap().to_owned();
        let mut refresh = pair["refresh_token"].as_str().unwrap().to_owned();
        for t in 0..3 {
            let title = format!("{username}-task{t}");
            match post(&base, "/tasks", Some(&access), &json!({"title": title})).await.0 {
                201 => outcome.tasks.push(title),
                _ => outcome.failed += 1,
            }
        }
        let (status, pair) =
            post(&base, "/auth/refresh", None, &json!({"refresh_token": refresh})).await;
        if status == 200 {
            refresh = pair["refresh_token"].as_str().unwrap().to_owned();
            outcome.sessions.push(refresh);
        } else {
            outcome.failed += 1;
        }
    }
    outcome
}

#[derive(Default)]
struct Outcome {
    users: Vec<String>,
    tasks: Vec<String>,
    /// The refresh token each completed round ended with: its session must be alive.
    sessions: Vec<String>,
    failed: usize,
}

async fn an_instance_killed_under_load_loses_nothing(bin: &str) {
    const WORKERS: usize = 6;
    let mut cluster = cluster(bin, &[]).await;
    let base = cluster.balancer.url();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> =
        (0..WORKERS).map(|id| tokio::spawn(worker(base.clone(), id, stop.clone()))).collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.instances[1].child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Outcome::default();
    for w in workers {
        let o = w.await.unwrap();
        all.users.extend(o.users);
        all.tasks.extend(o.tasks);
        all.sessions.extend(o.sessions);
        all.failed += o.failed;
    }
    eprintln!(
        "{bin}: {} users, {} tasks, {} sessions answered; {} requests failed",
        all.users.len(),
        all.tasks.len(),
        all.sessions.len(),
        all.failed
    );
    assert!(all.users.len() > 20 && all.tasks.len() > 60, "the load ran");
    // Only what was in flight on the killed instance failed: one request per worker at most.
    assert!(all.failed <= WORKERS, "{} requests failed", all.failed);

    // Counted in the database: every answered write is there exactly once.
    let pool = sqlx::PgPool::connect(cluster._db.url()).await.unwrap();
    let users: Vec<(String,)> =
        sqlx::query_as("SELECT username FROM auth_users WHERE username LIKE 'w%n%'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let stored: std::collections::HashSet<String> = users.into_iter().map(|(u,)| u).collect();
    for user in &all.users {
        assert!(stored.contains(user), "user {user} was answered 201 but is not stored");
    }
    // A user is stored without a 201 only for a request in flight on the killed instance.
    assert!(stored.len() <= all.users.len() + all.failed);
    let titles: Vec<(String, i64)> =
        sqlx::query_as("SELECT title, COUNT(*) FROM tasks GROUP BY title")
            .fetch_all(&pool)
            .await
            .unwrap();
    let titles: HashMap<String, i64> = titles.into_iter().collect();
    for title in &all.tasks {
        assert_eq!(titles.get(title), Some(&1), "task {title}: stored once");
    }
    assert!(titles.values().all(|n| *n == 1), "no task is stored twice");
    assert!(titles.len() <= all.tasks.len() + all.failed);
    // Every session a refresh answered is still alive (on the instances left).
    for refresh in all.sessions.iter().step_by(5) {
        let (status, _) =
            post(&base, "/auth/refresh", None, &json!({"refresh_token": refresh})).await;
        assert_eq!(status, 200, "a session was lost");
    }
}

async fn join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

macro_rules! instance_tests {
    ($($module:ident => $bin:literal),*) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(all(db_postgres, haproxy)), ignore = "needs TEST_POSTGRES_URL and HAProxy")]
            async fn one_winner_among_twenty_concurrent_refreshes() {
                one_winner_among_twenty_refreshes($bin).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(all(db_postgres, haproxy)), ignore = "needs TEST_POSTGRES_URL and HAProxy")]
            async fn logout_all_on_one_instance_reaches_the_others() {
                logout_all_reaches_every_instance($bin).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(all(db_postgres, haproxy)), ignore = "needs TEST_POSTGRES_URL and HAProxy")]
            async fn the_per_ip_login_limit_holds_for_the_sum() {
                the_login_limit_holds_for_the_sum($bin).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(all(db_postgres, haproxy)), ignore = "needs TEST_POSTGRES_URL and HAProxy")]
            async fn an_instance_killed_under_load_loses_nothing() {
                super::an_instance_killed_under_load_loses_nothing($bin).await;
            }
        }
    )*};
}

instance_tests!(axum => "task-service", actix => "task-service-actix");
