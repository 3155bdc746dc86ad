//! End-to-end: the compiled `task-service` binary (and its actix-web twin
//! `task-service-actix`), started as a user would start it, in an empty directory with no
//! configuration but a free port.

use std::{
    io::{BufRead, BufReader, Write},
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_task-service");
const ACTIX_BIN: &str = env!("CARGO_BIN_EXE_task-service-actix");
const PASSWORD: &str = "correct horse battery staple";

fn command(dir: &Path) -> Command {
    command_for(BIN, dir)
}

fn command_for(bin: &str, dir: &Path) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("NO_COLOR", "1");
    c
}

/// A server process; killed if the test ends (or fails) without stopping it, so that no
/// server outlives its test holding the test runner's output pipes.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` of `bin` and returns the process and its base URL (read from its log).
fn start(bin: &str, dir: &Path) -> (Running, String) {
    let mut child = command_for(bin, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let url: String = line[at + "listening on ".len()..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
                    .collect();
                let _ = tx.send(url);
            }
        }
    });
    let child = Running(child);
    let url = rx.recv_timeout(Duration::from_secs(60)).expect("the server says where it listens");
    (child, url)
}

/// Sends SIGTERM and waits for the exit: open requests get `DRAIN_TIMEOUT` (5 s), and the
/// process never waits more than a second past that.
fn stop(mut running: Running) -> std::process::ExitStatus {
    let child = &mut running.0;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actix_binary_does_the_same() {
    end_to_end(ACTIX_BIN).await;
}

async fn end_to_end(bin: &str) {
    let dir = tempfile::tempdir().unwrap();
    // An admin created offline, password on stdin.
    let mut create = command_for(bin, dir.path())
        .args(["create-user", "boss", "--admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    create.stdin.take().unwrap().write_all(b"the boss's own passphrase\n").unwrap();
    let out = create.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin boss"));

    let (child, base) = start(bin, dir.path());
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
    // The offline admin logs in.
    let res = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"username": "boss", "password": "the boss's own passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    assert!(stop(child).success(), "graceful exit on SIGTERM");
    assert!(dir.path().join("task-service.db").exists(), "SQLite file in the working directory");
    let secret = dir.path().join("task-service.secret");
    assert_eq!(std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777, 0o600);

    // Restarted on the same directory: same secret, so the old token still verifies.
    let (child, base) = start(bin, dir.path());
    let res =
        http.get(format!("{base}/auth/me")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(stop(child).success());
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

#[test]
fn migrate_subcommand_creates_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("task-service.db").exists());
    let again = command(dir.path()).arg("migrate").output().unwrap();
    assert!(again.status.success(), "migrating twice is a no-op");
}
