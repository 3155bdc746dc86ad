//! End-to-end: the compiled `task-service` binary (and its actix-web twin
//! `task-service-actix`), started as a user would start it, in an empty directory with no
//! configuration but a free port; and killed in the middle of a refresh-token rotation, or
//! between storing a reset token and mailing it.

use std::{
    io::{BufRead, BufReader, Write},
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use auth_core::RefreshToken;
use auth_sqlx::{
    PoolSettings, SqlStore,
    testing::{FaultProxy, TestDatabase},
};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_task-service");
#[cfg(feature = "actix")]
const ACTIX_BIN: &str = env!("CARGO_BIN_EXE_task-service-actix");
const PASSWORD: &str = "correct horse battery staple";

/// The binaries built with this package's features: the axum one, and the actix-web one
/// with feature `actix`.
fn binaries() -> Vec<&'static str> {
    vec![
        BIN,
        #[cfg(feature = "actix")]
        ACTIX_BIN,
    ]
}

fn command(dir: &Path) -> Command {
    command_for(BIN, dir)
}

fn command_for(bin: &str, dir: &Path) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BIND_ADDR", "127.0.0.1:0");
    c
}

/// A server process and every line it wrote to stdout (as bytes: nothing is assumed about
/// them). Killed if the test ends (or fails) without stopping it, so that no server outlives
/// its test holding the test runner's output pipes.
struct Running {
    child: Child,
    /// Reads stdout; returns its lines when the process has closed it.
    log: Option<std::thread::JoinHandle<Vec<Vec<u8>>>>,
}

impl Running {
    /// Every line the process wrote to stdout; call after it exited.
    fn log(&mut self) -> Vec<Vec<u8>> {
        self.log.take().expect("the log is taken once").join().expect("the reader ends")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` of `bin` and returns the process and its base URL (read from its log).
fn start(bin: &str, dir: &Path) -> (Running, String) {
    start_with(bin, dir, &[])
}

/// As [`start`], with these environment variables set.
fn start_with(bin: &str, dir: &Path, env: &[(&str, &str)]) -> (Running, String) {
    let mut child = command_for(bin, dir)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
            let text = String::from_utf8_lossy(&line);
            if let Some(at) = text.find("listening on http://") {
                let url: String = text[at + "listening on ".len()..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '\u{1b}' && *c != '"')
                    .collect();
                let _ = tx.send(url);
            }
            lines.push(line);
        }
        lines
    });
    let running = Running { child, log: Some(log) };
    let url = rx.recv_timeout(Duration::from_secs(60)).expect("the server says where it listens");
    (running, url)
}

/// Sends SIGTERM and waits for the exit: open requests get `DRAIN_TIMEOUT` (5 s), and the
/// process never waits more than a second past that.
fn stop(running: &mut Running) -> std::process::ExitStatus {
    let child = &mut running.child;
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "no exit within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_me_tasks_on_a_fresh_directory() {
    end_to_end(BIN).await;
}

#[cfg(feature = "actix")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actix_binary_does_the_same() {
    end_to_end(ACTIX_BIN).await;
}

/// Runs `create-user NAME [--admin]` with the password on stdin; what it printed.
fn create_user(bin: &str, dir: &Path, args: &[&str], password: &str) -> String {
    let mut create = command_for(bin, dir)
        .arg("create-user")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    create.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let out = create.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn end_to_end(bin: &str) {
    let dir = tempfile::tempdir().unwrap();
    // An admin created offline, password on stdin; the command says what it did.
    let boss = "the boss's own passphrase";
    assert!(
        create_user(bin, dir.path(), &["boss", "--admin"], boss).contains("created admin boss")
    );
    let again = create_user(bin, dir.path(), &["boss", "--admin"], boss);
    assert!(again.contains("already an admin, unchanged: boss"), "{again}");
    assert!(create_user(bin, dir.path(), &["carol"], boss).contains("created user carol"));
    let promoted = create_user(bin, dir.path(), &["carol", "--admin"], boss);
    assert!(promoted.contains("promoted to admin carol"), "{promoted}");

    let (mut child, base) = start(bin, dir.path());
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{base}/auth/register"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = http
        .post(format!("{base}/auth/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    let bearer = format!("Bearer {}", pair["access_token"].as_str().unwrap());
    let me: Value = http
        .get(format!("{base}/auth/me"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice");
    let res = http
        .post(format!("{base}/tasks"))
        .header("authorization", &bearer)
        .json(&json!({"title": "write the e2e test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let tasks: Value = http
        .get(format!("{base}/tasks"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tasks[0]["title"], "write the e2e test");
    assert_eq!(tasks[0]["owner_id"], me["id"]);
    // The offline admin logs in, and deactivates the other admin.
    let res = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"username": "boss", "password": boss}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let boss_pair: Value = res.json().await.unwrap();
    let boss_bearer = format!("Bearer {}", boss_pair["access_token"].as_str().unwrap());
    let carol_id = promoted
        .lines()
        .find_map(|l| l.strip_prefix("promoted to admin carol (id "))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no id in {promoted:?}"));
    let res = http
        .patch(format!("{base}/admin/users/{carol_id}"))
        .header("authorization", &boss_bearer)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    assert!(stop(&mut child).success(), "graceful exit on SIGTERM");
    // Offline again, `create-user --admin` brings the deactivated admin back, and says so.
    let back = create_user(bin, dir.path(), &["carol", "--admin"], boss);
    assert!(back.contains(&format!("reactivated admin carol (id {carol_id})")), "{back}");
    assert!(dir.path().join("task-service.db").exists(), "SQLite file in the working directory");
    let secret = dir.path().join("task-service.secret");
    assert_eq!(std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777, 0o600);

    // Restarted on the same directory: same secret, so the old token still verifies.
    let (mut child, base) = start(bin, dir.path());
    let res =
        http.get(format!("{base}/auth/me")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(stop(&mut child).success());
}

#[test]
fn help_documents_every_setting_without_showing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .arg("--help")
        .env("SECRET_KEY", "do-not-print-this-secret-value-please")
        .env("ADMIN_PASSWORD", "do-not-print-this-password")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "BIND_ADDR",
        "DATABASE_URL",
        "SECRET_KEY",
        "APP_ENV",
        "ACCESS_TOKEN_EXPIRE_MINUTES",
        "REFRESH_TOKEN_EXPIRE_DAYS",
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "JWT_ALGORITHM",
        "JWT_PRIVATE_KEY_FILE",
        "ADMIN_USERNAME",
        "ADMIN_PASSWORD",
        "CORS_ORIGINS",
        "LOG_FORMAT",
        "LOG_DIR",
        "RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE",
        "RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT",
        "RATE_LIMIT_REGISTER_PER_IP_PER_MINUTE",
        "RATE_LIMIT_BACKEND",
    ] {
        assert!(help.contains(var), "--help does not mention {var}:\n{help}");
    }
    for sub in ["serve", "create-user", "migrate"] {
        assert!(help.contains(sub), "--help does not list {sub}");
    }
    assert!(!help.contains("do-not-print"), "a secret value was printed");
}

#[test]
fn production_refuses_to_start_without_a_strong_secret() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path()).env("APP_ENV", "production").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SECRET_KEY"));
    let out = command(dir.path())
        .env("APP_ENV", "production")
        .env("SECRET_KEY", "changeme-changeme-changeme-changeme")
        .output()
        .unwrap();
    assert!(!out.status.success(), "a guessable secret is refused in production");
    assert!(!dir.path().join("task-service.secret").exists(), "nothing generated in production");
}

/// `totp` prints the code an authenticator app would show for the secret on stdin, needs no
/// database, and never echoes the secret; a bad secret is a clear error.
#[test]
fn totp_subcommand_prints_the_current_code() {
    let dir = tempfile::tempdir().unwrap();
    let secret = auth_core::TotpSecret::generate();
    let run = |input: &str| {
        let mut child = command(dir.path())
            .arg("totp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{input}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let before = time::OffsetDateTime::now_utc();
    let out = run(&secret.base32());
    let after = time::OffsetDateTime::now_utc();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8(out.stdout).unwrap();
    // The step may have turned while it ran.
    let expected = [secret.code_at(before), secret.code_at(after)];
    assert!(expected.iter().any(|c| printed.trim() == c.as_str()), "{printed:?}");
    assert!(!dir.path().join("task-service.db").exists(), "no database touched");
    let bad = run("not a secret!");
    assert!(!bad.status.success());
    let shown = String::from_utf8_lossy(&bad.stderr);
    assert!(shown.contains("secret") && !shown.contains("not a secret!"), "{shown}");
}

#[test]
fn migrate_subcommand_creates_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("task-service.db").exists());
    let again = command(dir.path()).arg("migrate").output().unwrap();
    assert!(again.status.success(), "migrating twice is a no-op");
}

/// What an attacker writes into the request bodies of
/// [`log_lines_cannot_be_forged_over_http`] after a control character. The service logs no
/// username or password, so it must not appear in the log at all.
const FORGED: &str = "FORGED-body level=INFO event=login_succeeded user_id=1";

/// One raw HTTP/1.1 request on a fresh connection; returns the status code the server
/// answered with (0 when it closed without an answer).
async fn raw_request(base: &str, request: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
    let head = String::from_utf8_lossy(&answer);
    head.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// Control characters sent over HTTP never forge or break a line of the running server's
/// own log, in either format: CR, LF, NUL and obs-fold in header values (refused by the HTTP
/// parser), an encoded CRLF and NUL in the path, and a tab and non-UTF-8 bytes in the user
/// agent, which the audit lines do record. Every line must keep its format (a JSON object,
/// or a timestamped text line), no line may start with the attacker's text, the log holds no
/// raw NUL, and the user agent must show up (escaped) in audit lines. CR/LF/NUL in the
/// usernames and passwords of login and register bodies must not show up at all: the
/// service logs neither.
async fn log_lines_cannot_be_forged(bin: &str, format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = start_with(bin, dir.path(), &[("LOG_FORMAT", format)]);
    let http = reqwest::Client::new();
    let alice = json!({"username": "alice", "password": PASSWORD});
    assert_eq!(post(&http, &base, "/auth/register", &alice).await.status(), 201);

    // Header values and request lines the HTTP parser must refuse (or never log raw).
    let raw: [&[u8]; 6] = [
        b"GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: a\rFORGED level=INFO\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: a\nFORGED level=INFO\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: a\0FORGED level=INFO\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: a\r\n FORGED level=INFO\r\nConnection: close\r\n\r\n",
        b"GET /FORGED%0D%0Alevel=INFO%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: FORGED\x80\xff\r\nConnection: close\r\n\r\n",
    ];
    for request in raw {
        let status = raw_request(&base, request).await;
        assert!(matches!(status, 0 | 200 | 400 | 404), "status {status} for {request:?}");
    }
    // A login through an HTTP path that reaches the audit log, with the attack in the
    // body and a user agent holding a tab and bytes that are not UTF-8.
    let injected = format!("alice\r\n{FORGED}\u{0}\n{FORGED}");
    for ua in [b"FORGED-ua\tx".as_slice(), b"FORGED-ua \x80\xfe\xff".as_slice()] {
        let ua = reqwest::header::HeaderValue::from_bytes(ua).unwrap();
        let res = http
            .post(format!("{base}/auth/login"))
            .header("user-agent", ua.clone())
            .json(&json!({"username": injected, "password": format!("x\r\n{FORGED}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let res = http
            .post(format!("{base}/auth/login"))
            .header("user-agent", ua.clone())
            .form(&[("username", injected.as_str()), ("password", "x\r\nFORGED-body\0")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let res = http
            .post(format!("{base}/auth/register"))
            .header("user-agent", ua)
            .json(&json!({"username": injected, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
    }
    assert!(stop(&mut server).success());

    let log = server.log();
    let mut carried = 0;
    for line in &log {
        assert!(!line.contains(&0), "a raw NUL in the log: {line:?}");
        // No colour codes: stdout is a pipe here, not a terminal.
        assert!(!line.contains(&0x1b), "an escape sequence in the log: {line:?}");
        let text = std::str::from_utf8(line).unwrap_or_else(|_| panic!("not UTF-8: {line:?}"));
        if format == "json" {
            let v: Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {text:?}"));
            assert!(v["timestamp"].is_string() && v["level"].is_string(), "{text:?}");
        } else {
            let shaped = text.len() > 20
                && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                && text.as_bytes()[4] == b'-'
                && text.as_bytes()[10] == b'T';
            assert!(shaped, "not a timestamped log line: {text:?}");
        }
        assert!(!text.trim_start().starts_with("FORGED"), "forged line: {text:?}");
        assert!(!text.contains("FORGED-body"), "a username or password was logged: {text:?}");
        carried += usize::from(text.contains("FORGED-ua"));
    }
    // The user agent did reach the audit lines (so the checks above saw attacker text).
    assert!(carried >= 2, "no audit line carried the user agent:\n{}", lines(&log));
}

fn lines(log: &[Vec<u8>]) -> String {
    log.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_cannot_be_forged_over_http() {
    log_lines_cannot_be_forged(BIN, "json").await;
    log_lines_cannot_be_forged(BIN, "pretty").await;
}

#[cfg(feature = "actix")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_of_the_actix_binary_cannot_be_forged_over_http() {
    log_lines_cannot_be_forged(ACTIX_BIN, "json").await;
    log_lines_cannot_be_forged(ACTIX_BIN, "pretty").await;
}

/// `serve` runs housekeeping (expired sessions and stale throttling state are purged): its
/// first pass comes at start, and the server still stops promptly on SIGTERM.
#[test]
fn serve_runs_housekeeping() {
    for bin in binaries() {
        let dir = tempfile::tempdir().unwrap();
        let (mut server, _) =
            start_with(bin, dir.path(), &[("RUST_LOG", "info,task_service=debug")]);
        std::thread::sleep(Duration::from_millis(500));
        assert!(stop(&mut server).success());
        let log = lines(&server.log());
        assert!(log.contains("housekeeping: purged"), "{bin}: no housekeeping pass:\n{log}");
    }
}

/// `POST base + path` with a JSON body.
async fn post(http: &reqwest::Client, base: &str, path: &str, body: &Value) -> reqwest::Response {
    http.post(format!("{base}{path}")).json(body).send().await.unwrap()
}

/// Crash between the steps of a refresh-token rotation: the server is killed (SIGKILL) while
/// a refresh is in flight, stopped at each step of its database conversation in turn (a
/// [`FaultProxy`] freezes the connection after 0, 1, 2, … messages). After each crash the
/// database holds exactly one of: the presented token still live and no successor (it
/// works after a restart), or the presented token spent and exactly one live successor —
/// never both, never neither. The sweep must see both outcomes, so it crossed the commit.
async fn crash_mid_rotation(bin: &str, db: TestDatabase) {
    let proxy = FaultProxy::start(db.url()).await.unwrap();
    let through = proxy.url(db.url());
    let env = [
        ("DATABASE_URL", through.as_str()),
        ("SECRET_KEY", "crash-test secret key of at least thirty-two bytes"),
    ];
    let inspect = SqlStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
    inspect.migrate().await.unwrap();
    let inspect = inspect.auth_store();
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let (mut kept, mut rotated) = (0, 0);
    for step in 0.. {
        assert!(step < 60, "the refresh never completed");
        let (server, base) = start_with(bin, dir.path(), &env);
        let alice = json!({"username": "alice", "password": PASSWORD});
        if step == 0 {
            assert_eq!(post(&http, &base, "/auth/register", &alice).await.status(), 201);
        }
        let res = post(&http, &base, "/auth/login", &alice).await;
        assert_eq!(res.status(), 200);
        let pair: Value = res.json().await.unwrap();
        let presented = pair["refresh_token"].as_str().unwrap().to_owned();

        proxy.freeze_after(step);
        let refresh = http
            .post(format!("{base}/auth/refresh"))
            .json(&json!({"refresh_token": presented}))
            .send();
        tokio::pin!(refresh);
        let frozen = tokio::select! {
            res = &mut refresh => {
                // The whole conversation fit in `step` messages: the refresh completed.
                assert_eq!(res.unwrap().status(), 200);
                proxy.restore();
                None
            }
            frozen = proxy.wait_frozen(Duration::from_secs(20)) => Some(frozen),
        };
        let Some(frozen) = frozen else {
            drop(server);
            break;
        };
        assert!(frozen, "step {step}: neither an answer nor a frozen database in 20 s");
        // Kill the server mid-request, then drop its connections so the database rolls
        // back whatever it had not committed.
        drop(server);
        proxy.cut();
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.restore();

        let digest = RefreshToken::parse(&presented).unwrap().digest();
        let old = inspect.refresh_token(&digest).await.unwrap().expect("the presented token");
        let now = time::OffsetDateTime::now_utc();
        let successors: Vec<_> = inspect
            .live_refresh_tokens(old.user_id, now)
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.parent.as_ref() == Some(&digest))
            .collect();
        let old_live = old.is_live(now);
        match (old_live, successors.len()) {
            (true, 0) => kept += 1,
            (false, 1) if old.used_at.is_some() && old.revoked_at.is_none() => rotated += 1,
            other => panic!("step {step}: (presented live, live successors) = {other:?}"),
        }
        // Restarted, the server agrees: a kept token refreshes, a spent one is a replay.
        let (server, base) = start_with(bin, dir.path(), &env);
        let res = post(&http, &base, "/auth/refresh", &json!({"refresh_token": presented})).await;
        assert_eq!(res.status(), if old_live { 200 } else { 401 }, "step {step}");
        drop(server);
    }
    eprintln!("crash sweep: {kept} crashes kept the old token, {rotated} had rotated");
    assert!(kept > 0 && rotated > 0, "kept {kept}, rotated {rotated}: the sweep missed the commit");
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]
    async fn axum_crash_mid_rotation() {
        crash_mid_rotation(BIN, TestDatabase::postgres().await).await;
    }

    #[cfg(feature = "actix")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]
    async fn actix_crash_mid_rotation() {
        crash_mid_rotation(ACTIX_BIN, TestDatabase::postgres().await).await;
    }
}

mod mysql {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")]
    async fn axum_crash_mid_rotation() {
        crash_mid_rotation(BIN, TestDatabase::mysql().await).await;
    }
}

/// An SMTP server that accepts connections and never says a word: a message to it stays
/// unsent.
struct SilentSmtp {
    url: String,
}

impl SilentSmtp {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let held: Vec<_> = listener.incoming().map_while(Result::ok).collect();
            drop(held);
        });
        Self { url }
    }
}

/// The reset links of `dir`'s database that could still be used.
async fn live_reset_links(dir: &Path) -> i64 {
    let url = format!("sqlite://{}/task-service.db", dir.display());
    let store = auth_sqlx::SqliteStore::connect(&url, &PoolSettings::default()).await.unwrap();
    let live = sqlx::query_scalar(
        "SELECT COUNT(*) FROM auth_link_tokens WHERE purpose = 'password_reset' AND used_at IS NULL",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    store.pool().close().await;
    live
}

/// Killed (SIGKILL) between "token stored" and "mail sent" (the SMTP server took the
/// connection and never answered): after a restart the user asks again; the new link works
/// once, and the token that never went out is dead (only the newest link works).
async fn crash_between_token_and_mail(bin: &str) {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SilentSmtp::start();
    let secret = ("SECRET_KEY", "crash-test secret key of at least thirty-two bytes");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let (server, base) = start_with(bin, dir.path(), &[secret, ("SMTP_URL", smtp.url.as_str())]);
    let alice = json!({"username": "alice", "password": PASSWORD, "email": "alice@example.com"});
    assert_eq!(post(&http, &base, "/auth/register", &alice).await.status(), 201);
    // The registration's verification link is stuck on the silent server already.
    let forgot = json!({"username": "alice"});
    assert_eq!(post(&http, &base, "/auth/forgot-password", &forgot).await.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    while live_reset_links(dir.path()).await < 1 {
        assert!(Instant::now() < deadline, "the reset token was never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Whatever reached the SMTP server stays there unanswered: no message can have gone.
    drop(server); // SIGKILL, with the message unsent

    // Restarted without SMTP: messages go to the outbox directory.
    let (server, base) = start_with(bin, dir.path(), &[secret]);
    assert_eq!(post(&http, &base, "/auth/forgot-password", &forgot).await.status(), 202);
    let outbox = dir.path().join("task-service-outbox");
    let deadline = Instant::now() + Duration::from_secs(20);
    let token = loop {
        let found = std::fs::read_dir(&outbox).into_iter().flatten().flatten().find_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let text = text.replace("=\r\n", "").replace("=3D", "=");
            let at = text.find("/reset-password#token=")? + "/reset-password#token=".len();
            let token: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
                .collect();
            (token.len() == 43).then_some(token)
        });
        if let Some(token) = found {
            break token;
        }
        assert!(Instant::now() < deadline, "no reset message in the outbox");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(live_reset_links(dir.path()).await, 1, "the unsent token was superseded");
    let reset = json!({"token": token, "new_password": "a new passphrase for alice"});
    assert_eq!(post(&http, &base, "/auth/reset-password", &reset).await.status(), 204);
    assert_eq!(post(&http, &base, "/auth/reset-password", &reset).await.status(), 400);
    assert_eq!(live_reset_links(dir.path()).await, 0);
    let login = json!({"username": "alice", "password": "a new passphrase for alice"});
    assert_eq!(post(&http, &base, "/auth/login", &login).await.status(), 200);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_token_and_mail_leaves_no_usable_token() {
    for bin in binaries() {
        crash_between_token_and_mail(bin).await;
    }
}

/// `create-user NAME --email ADDRESS` waits for the verification message before it exits:
/// the link is in the outbox when the command returns.
#[test]
fn create_user_mails_the_verification_link_before_it_exits() {
    let dir = tempfile::tempdir().unwrap();
    let out = create_user(BIN, dir.path(), &["carol", "--email", "carol@example.com"], PASSWORD);
    assert!(out.contains("created user carol"), "{out}");
    let outbox = dir.path().join("task-service-outbox");
    let mails: Vec<String> = std::fs::read_dir(&outbox)
        .expect("an outbox")
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = mails[0].replace("=\r\n", "").replace("=3D", "=");
    assert!(mail.contains("/verify-email#token="), "{mail}");
    assert!(mail.contains("To: carol@example.com"), "{mail}");
}
