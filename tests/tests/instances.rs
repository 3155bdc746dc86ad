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
        atomic::{AtomicBool, AtomicUsize, Ordering},
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
    db: TestDatabase,
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
    // All at once, as a deployment starts them: each migrates and bootstraps the admin.
    for port in &ports {
        let mut command = Command::new(binary(bin));
        command
            // Nothing of the developer's environment or `.env` file.
            .env_clear()
            .current_dir(outbox.path())
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
        instances
            .push(Instance { child: command.spawn().expect("the instance starts"), port: *port });
    }
    for instance in &mut instances {
        if let Some(status) = wait_healthy(instance).await {
            let log = std::fs::read_to_string(outbox.path().join(format!("{}.log", instance.port)));
            panic!("the instance exited with {status}: {}", log.unwrap_or_default());
        }
    }
    let balancer = Balancer::start_on(balancer_port, &ports);
    Cluster { balancer, instances, _outbox: outbox, db }
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
    let served = cluster.balancer.served();
    assert!(served.iter().all(|n| *n >= 6), "spread over the three instances: {served:?}");
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
        loop {
            let sent = ended.elapsed();
            match get_status(&instance.url(), "/auth/me", &access).await {
                // Still good: only from the cache, filled before the logout.
                200 => assert!(sent < Duration::from_millis(1000), "past the cache TTL"),
                401 => break,
                other => panic!("status {other}"),
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
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
    let served = cluster.balancer.served();
    assert!(served.iter().all(|n| *n >= 3), "spread over the three instances: {served:?}");
}

/// The mixed load of one worker until `stop`: register, log in, add tasks, refresh. Returns
/// what was answered (users, logins, task titles, the session's last refresh token) and how
/// many requests failed; counts its completed rounds in `rounds`.
async fn worker(
    base: String,
    id: usize,
    stop: Arc<AtomicBool>,
    rounds: Arc<AtomicUsize>,
) -> Outcome {
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
        let tokens = pair["access_token"].as_str().zip(pair["refresh_token"].as_str());
        let (Some((access, refresh)), 200) = (tokens, status) else {
            outcome.failed += 1;
            continue;
        };
        outcome.logins += 1;
        let (access, refresh) = (access.to_owned(), refresh.to_owned());
        for t in 0..3 {
            let title = format!("{username}-task{t}");
            match post(&base, "/tasks", Some(&access), &json!({"title": title})).await.0 {
                201 => outcome.tasks.push(title),
                _ => outcome.failed += 1,
            }
        }
        let body = json!({"refresh_token": refresh});
        let (status, pair) = post(&base, "/auth/refresh", None, &body).await;
        match (status, pair["refresh_token"].as_str()) {
            // The session's newest token: it must still refresh after the run. (Not so for
            // an unanswered refresh, which may have spent the old one.)
            (200, Some(next)) => outcome.sessions.push(next.to_owned()),
            _ => outcome.failed += 1,
        }
        rounds.fetch_add(1, Ordering::Relaxed);
    }
    outcome
}

#[derive(Default)]
struct Outcome {
    users: Vec<String>,
    logins: usize,
    tasks: Vec<String>,
    /// The refresh token each round's session ended with: the session must be alive.
    sessions: Vec<String>,
    failed: usize,
}

/// Waits until `rounds` reaches `target`, for at most 60 s.
async fn until_rounds(rounds: &AtomicUsize, target: usize) {
    let started = Instant::now();
    while rounds.load(Ordering::Relaxed) < target {
        assert!(started.elapsed() < Duration::from_secs(60), "the load stalled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn an_instance_killed_under_load_loses_nothing(bin: &str) {
    use std::os::unix::process::ExitStatusExt;
    const WORKERS: usize = 6;
    let mut cluster = cluster(bin, &[]).await;
    let base = cluster.balancer.url();
    let (stop, rounds) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let workers: Vec<_> = (0..WORKERS)
        .map(|id| tokio::spawn(worker(base.clone(), id, stop.clone(), rounds.clone())))
        .collect();
    // Mid-load: after some rounds, with the victim serving its share.
    until_rounds(&rounds, 20).await;
    assert!(cluster.balancer.served()[1] > 0, "the victim has served");
    let victim = &mut cluster.instances[1].child;
    assert!(victim.try_wait().unwrap().is_none(), "the victim is running");
    victim.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    assert_eq!(victim.wait().unwrap().signal(), Some(9));
    let at_kill = rounds.load(Ordering::Relaxed);
    // The others go on.
    until_rounds(&rounds, at_kill + 40).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Outcome::default();
    for w in workers {
        let o = w.await.unwrap();
        all.users.extend(o.users);
        all.logins += o.logins;
        all.tasks.extend(o.tasks);
        all.sessions.extend(o.sessions);
        all.failed += o.failed;
    }
    eprintln!(
        "{bin}: {} users, {} tasks, {} sessions answered; {} requests failed",
        all.users.len(),
        all.tasks.len(),
        all.logins,
        all.failed
    );
    // Only what was in flight on the killed instance failed: one request per worker at most.
    assert!(all.failed <= WORKERS, "{} requests failed", all.failed);

    // Counted in the database: every answered write is there exactly once.
    let pool = sqlx::PgPool::connect(cluster.db.url()).await.unwrap();
    let stored: Vec<(String,)> =
        sqlx::query_as("SELECT username FROM auth_users WHERE username LIKE 'w%n%'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut users: HashMap<String, usize> = HashMap::new();
    for (user,) in stored {
        *users.entry(user).or_default() += 1;
    }
    for user in &all.users {
        assert_eq!(users.get(user), Some(&1), "user {user}: answered 201, stored once");
    }
    // A user is stored without a 201 only for a request in flight on the killed instance.
    assert!(users.len() <= all.users.len() + all.failed);
    let titles: Vec<(String, i64)> =
        sqlx::query_as("SELECT title, COUNT(*) FROM tasks GROUP BY title")
            .fetch_all(&pool)
            .await
            .unwrap();
    let titles: HashMap<String, i64> = titles.into_iter().collect();
    for title in &all.tasks {
        assert_eq!(titles.get(title), Some(&1), "task {title}: answered 201, stored once");
    }
    assert!(titles.values().all(|n| *n == 1), "no task is stored twice");
    assert!(titles.len() <= all.tasks.len() + all.failed);
    // Sessions: one per answered login (at most one more per failure), each with one live
    // refresh token, never two.
    let (families,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT family_id) FROM auth_refresh_tokens t \
         JOIN auth_users u ON u.id = t.user_id WHERE u.username LIKE 'w%n%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let families = usize::try_from(families).unwrap();
    assert!(families >= all.logins && families <= all.logins + all.failed, "{families}");
    let doubled: Vec<(Vec<u8>,)> = sqlx::query_as(
        "SELECT family_id FROM auth_refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL \
         GROUP BY family_id HAVING COUNT(*) > 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(doubled.is_empty(), "a session with two live refresh tokens");
    // Every session is alive, on the instances left.
    for refresh in &all.sessions {
        let body = json!({"refresh_token": refresh});
        assert_eq!(post(&base, "/auth/refresh", None, &body).await.0, 200, "a session was lost");
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
