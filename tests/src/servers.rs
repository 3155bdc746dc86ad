//! The servers the contract suite runs against: the task service on a fresh database, bound
//! to `127.0.0.1:0` in this process, with a configuration the suite knows.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use auth_core::{AuthConfig, Clock};
use auth_sqlx::testing::TestDatabase;
use task_service::{
    app::{App, StartupError},
    config::{Config, JwtAlgorithm, RateLimitBackend, Secret},
};
use tokio::{net::TcpListener, sync::oneshot};

use crate::{
    balancer::Balancer,
    contract::{ServerKey, Target},
};

/// The signing secret of test servers.
pub const SECRET_KEY: &str = "contract-suite secret key, at least 32 bytes long";
/// The ES256 private key of the servers made with [`es256`] (a test key of auth-core).
pub const ES256_PRIVATE_KEY_FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/keys/es256.pem");
/// Its public key.
pub const ES256_PUBLIC_KEY_FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/keys/es256.pub.pem");
/// The EdDSA private key of the servers made with [`eddsa`] (a test key of auth-core).
pub const EDDSA_PRIVATE_KEY_FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/keys/ed25519.pem");
/// Its public key.
pub const EDDSA_PUBLIC_KEY_FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/keys/ed25519.pub.pem");
/// The bootstrapped admin of test servers.
pub const ADMIN_USERNAME: &str = "rootadmin";
/// Its password.
pub const ADMIN_PASSWORD: &str = "admin passphrase for the contract suite";
/// The request timeout of test servers (the slow-body case waits for it).
pub const REQUEST_TIMEOUT_SECS: u64 = 2;
/// Logins per client IP per minute on test servers.
pub const LOGIN_PER_IP_PER_MINUTE: u32 = 60;
/// Registrations per client IP per minute on test servers.
pub const REGISTER_PER_IP_PER_MINUTE: u32 = 60;
/// Refreshes per client IP per minute on test servers.
pub const REFRESH_PER_IP_PER_MINUTE: u32 = 60;

/// Requests that send mail per client IP per minute on test servers.
pub const MAIL_PER_IP_PER_MINUTE: u32 = 60;

/// Keeps a test server and its database alive; dropping it stops the server.
struct Guard {
    /// Dropped first: no request reaches an instance that is stopping.
    _balancer: Option<Balancer>,
    _stops: Vec<oneshot::Sender<()>>,
    _db: TestDatabase,
    _outbox: tempfile::TempDir,
}

/// How many instances a balanced test server runs.
pub const INSTANCES: usize = 3;

/// The configuration of a test server on `db`.
pub fn config(db: &TestDatabase) -> Config {
    let mut config = Config::with_database(db.url());
    config.secret_key = Some(Secret::new(SECRET_KEY));
    config.admin_username = Some(ADMIN_USERNAME.to_owned());
    config.admin_password = Some(Secret::new(ADMIN_PASSWORD));
    config.request_timeout_secs = REQUEST_TIMEOUT_SECS;
    config.database_max_connections = 5;
    // Limits the suite can reach in a few cheap requests, and room for the cases that
    // register or log in many times from 127.0.0.1.
    config.rate_limit_login_per_ip_per_minute = LOGIN_PER_IP_PER_MINUTE;
    config.rate_limit_register_per_ip_per_minute = REGISTER_PER_IP_PER_MINUTE;
    config.rate_limit_refresh_per_ip_per_minute = REFRESH_PER_IP_PER_MINUTE;
    config.rate_limit_mail_per_ip_per_minute = MAIL_PER_IP_PER_MINUTE;
    // On SQLite the rate limits live in memory (the default); on the other databases in
    // the database, so the suite runs over both backends.
    if !db.url().starts_with("sqlite:") {
        config.rate_limit_backend = RateLimitBackend::Database;
    }
    config
}

/// A configuration edit for [`axum_with`] / [`actix_with`]: sign access tokens with ES256
/// and [`ES256_PRIVATE_KEY_FILE`] instead of HS256 and [`SECRET_KEY`].
pub fn es256(config: &mut Config) {
    config.jwt_algorithm = JwtAlgorithm::Es256;
    config.jwt_private_key_file = Some(ES256_PRIVATE_KEY_FILE.into());
    config.secret_key = None;
}

/// A configuration edit for [`axum_with`] / [`actix_with`]: sign access tokens with EdDSA
/// and [`EDDSA_PRIVATE_KEY_FILE`] instead of HS256 and [`SECRET_KEY`].
pub fn eddsa(config: &mut Config) {
    config.jwt_algorithm = JwtAlgorithm::EdDsa;
    config.jwt_private_key_file = Some(EDDSA_PRIVATE_KEY_FILE.into());
    config.secret_key = None;
}

/// A configuration edit for [`axum_with`] / [`actix_with`]: logins need a verified address
/// (`REQUIRE_VERIFIED_EMAIL=true`).
pub fn require_verified_email(config: &mut Config) {
    config.require_verified_email = true;
}

/// A configuration edit for [`axum_with`] / [`actix_with`]: no mail limits, so that one
/// account can be asked for many times (the forgot-password timing case).
pub fn no_mail_limits(config: &mut Config) {
    config.rate_limit_mail_per_ip_per_minute = 0;
    config.rate_limit_mail_per_account_per_hour = 0;
}

/// The task service served by axum on `db`.
///
/// # Panics
/// When the service cannot start.
pub async fn axum(db: TestDatabase) -> Target {
    axum_with(db, |_| {}).await
}

/// As [`axum`], with the configuration changed by `edit` first.
///
/// # Panics
/// When the service cannot start.
pub async fn axum_with(db: TestDatabase, edit: impl FnOnce(&mut Config)) -> Target {
    spawn(db, edit, task_service::http_axum::serve_until).await
}

/// The task service served by actix-web on `db`.
///
/// # Panics
/// When the service cannot start.
pub async fn actix(db: TestDatabase) -> Target {
    actix_with(db, |_| {}).await
}

/// As [`actix`], with the configuration changed by `edit` first.
///
/// # Panics
/// When the service cannot start.
pub async fn actix_with(db: TestDatabase, edit: impl FnOnce(&mut Config)) -> Target {
    spawn(db, edit, task_service::http_actix::serve_until).await
}

/// [`INSTANCES`] instances of the task service served by axum on `db`, behind HAProxy
/// ([`Balancer`]): one configuration, one clock, one mail outbox, and no user cache
/// (`USER_CACHE_TTL_MS=0`), so that what the suite changes through one instance is seen at
/// once through the others, as its cases expect.
///
/// # Panics
/// When HAProxy is not installed or an instance cannot start.
pub async fn axum_balanced(db: TestDatabase) -> Target {
    spawn_balanced(db, task_service::http_axum::serve_until).await
}

/// As [`axum_balanced`], served by actix-web.
///
/// # Panics
/// When HAProxy is not installed or an instance cannot start.
pub async fn actix_balanced(db: TestDatabase) -> Target {
    spawn_balanced(db, task_service::http_actix::serve_until).await
}

async fn spawn_balanced<F, Fut>(db: TestDatabase, serve_until: F) -> Target
where
    F: Fn(App, TcpListener, Stopped) -> Fut,
    Fut: Future<Output = Result<(), StartupError>> + Send + 'static,
{
    let mut config = config(&db);
    let outbox = tempfile::tempdir().expect("a mail outbox");
    config.mail_outbox_dir = outbox.path().to_owned();
    config.user_cache_ttl_ms = 0;
    config.trusted_proxies = "127.0.0.1".to_owned();
    let mut listeners = Vec::new();
    for _ in 0..INSTANCES {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.expect("a free port"));
    }
    let ports: Vec<u16> = listeners.iter().map(|l| l.local_addr().expect("bound").port()).collect();
    let balancer_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    config.public_url = format!("http://127.0.0.1:{balancer_port}");
    let clock = Arc::new(SkippingClock::default());
    let mut stops = Vec::new();
    for listener in listeners {
        let app = App::build_with_clock(config.clone(), clock.clone())
            .await
            .expect("the instance starts");
        stops.push(run_in_background(app, listener, &serve_until));
    }
    // Once the instances serve, so that none starts out of the rotation.
    let balancer = tokio::task::block_in_place(|| Balancer::start_on(balancer_port, &ports));
    let guard = Guard { _balancer: Some(balancer), _stops: stops, _db: db, _outbox: outbox };
    target(config.public_url.clone(), &config, clock, guard)
}

/// The system clock plus an offset the suite can only grow: test servers run on real time
/// (throttling waits are real), and jump forward for the lifetimes measured in days.
#[derive(Debug, Default)]
pub struct SkippingClock {
    ahead_ms: AtomicU64,
}

impl SkippingClock {
    /// Moves this clock `by` further ahead of the system clock.
    pub fn skip(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.ahead_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for SkippingClock {
    fn now(&self) -> time::OffsetDateTime {
        let ahead = self.ahead_ms.load(Ordering::SeqCst);
        time::OffsetDateTime::now_utc() + Duration::from_millis(ahead)
    }
}

/// Completes when the test drops its [`Target`].
type Stopped = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `serve_until` for `app` on `listener` in the background, until the returned sender
/// is dropped.
fn run_in_background<F, Fut>(app: App, listener: TcpListener, serve_until: F) -> oneshot::Sender<()>
where
    F: FnOnce(App, TcpListener, Stopped) -> Fut,
    Fut: Future<Output = Result<(), StartupError>> + Send + 'static,
{
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_until(
        app,
        listener,
        Box::pin(async {
            let _ = stopped.await;
        }),
    ));
    stop
}

/// Builds the service on `db` and runs `serve_until` on a free port in the background.
async fn spawn<F, Fut>(db: TestDatabase, edit: impl FnOnce(&mut Config), serve_until: F) -> Target
where
    F: FnOnce(App, TcpListener, Stopped) -> Fut,
    Fut: Future<Output = Result<(), StartupError>> + Send + 'static,
{
    let mut config = config(&db);
    let outbox = tempfile::tempdir().expect("a mail outbox");
    config.mail_outbox_dir = outbox.path().to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let base_url = format!("http://{}", listener.local_addr().expect("bound"));
    // Links and discovery documents name the server where the suite reaches it.
    config.public_url = base_url.clone();
    edit(&mut config);
    let clock = Arc::new(SkippingClock::default());
    let app =
        App::build_with_clock(config.clone(), clock.clone()).await.expect("the service starts");
    let stop = run_in_background(app, listener, serve_until);
    let guard = Guard { _balancer: None, _stops: vec![stop], _db: db, _outbox: outbox };
    target(base_url, &config, clock, guard)
}

/// A real SMTP server for a test: `aiosmtpd` (from Debian's or PyPI's packages) on a free
/// port of 127.0.0.1, delivering what it receives into a Maildir. Killed when dropped.
pub struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts one; `None`, with a message, where aiosmtpd is not installed. Under CI (`CI`
    /// set) a missing aiosmtpd panics: `.ci/run` installs it.
    ///
    /// # Panics
    /// When aiosmtpd is missing under CI, or does not start.
    pub fn start() -> Option<Self> {
        use std::process::{Command, Stdio};
        let available = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !available {
            assert!(std::env::var_os("CI").is_none(), "aiosmtpd is missing under CI");
            eprintln!("skipped: aiosmtpd is not installed (pip install aiosmtpd)");
            return None;
        }
        let maildir = tempfile::tempdir().expect("a Maildir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // A path that does not exist yet: Python's Maildir creates it with its folders.
            .arg(maildir.path().join("maildir"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let mut server = Self { child, port, maildir };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited: {status}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("aiosmtpd did not listen on {port}");
    }

    /// `smtp://127.0.0.1:PORT` (plain SMTP, which the service allows to a loopback host).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Where the messages it received are, one file each: the Maildir's `new`.
    pub fn received(&self) -> std::path::PathBuf {
        self.maildir.path().join("maildir").join("new")
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The task service served by axum on `db`, sending its mail to a real SMTP server the
/// suite reads (`Target::outbox` is the server's Maildir); `None` where no SMTP server can
/// be started (see [`SmtpServer::start`]).
///
/// # Panics
/// When the service cannot start.
pub async fn axum_over_smtp(db: TestDatabase) -> Option<Target> {
    over_smtp(db, |db, edit| Box::pin(axum_with(db, edit))).await
}

/// As [`axum_over_smtp`], served by actix-web.
///
/// # Panics
/// When the service cannot start.
pub async fn actix_over_smtp(db: TestDatabase) -> Option<Target> {
    over_smtp(db, |db, edit| Box::pin(actix_with(db, edit))).await
}

type Spawned = Pin<Box<dyn Future<Output = Target> + Send>>;

async fn over_smtp(
    db: TestDatabase,
    spawn: impl FnOnce(TestDatabase, Box<dyn FnOnce(&mut Config) + Send>) -> Spawned,
) -> Option<Target> {
    let smtp = SmtpServer::start()?;
    let url = smtp.url();
    let mut target = spawn(db, Box::new(move |c| c.smtp_url = Some(Secret::new(url)))).await;
    target.outbox = Some(smtp.received());
    let guard = std::mem::replace(&mut target.guard, Box::new(()));
    target.guard = Box::new((guard, smtp));
    Some(target)
}

/// The suite's view of the key `config` signs with.
fn server_key(config: &Config) -> ServerKey {
    let read = |path: &str| std::fs::read_to_string(path).expect("a test key file");
    match config.jwt_algorithm {
        JwtAlgorithm::Hs256 => {
            ServerKey::Hs256(config.secret_key.as_ref().expect("SECRET_KEY").expose().to_owned())
        }
        JwtAlgorithm::Es256 => {
            let file = config.jwt_private_key_file.as_ref().expect("JWT_PRIVATE_KEY_FILE");
            assert_eq!(file.to_str(), Some(ES256_PRIVATE_KEY_FILE), "the suite knows this key");
            ServerKey::Es256 {
                private_pem: read(ES256_PRIVATE_KEY_FILE),
                public_pem: read(ES256_PUBLIC_KEY_FILE),
            }
        }
        JwtAlgorithm::EdDsa => {
            let file = config.jwt_private_key_file.as_ref().expect("JWT_PRIVATE_KEY_FILE");
            assert_eq!(file.to_str(), Some(EDDSA_PRIVATE_KEY_FILE), "the suite knows this key");
            ServerKey::EdDsa {
                private_pem: read(EDDSA_PRIVATE_KEY_FILE),
                public_pem: read(EDDSA_PUBLIC_KEY_FILE),
            }
        }
        other => panic!("the contract suite has no {} key", other.name()),
    }
}

fn target(base_url: String, config: &Config, clock: Arc<SkippingClock>, guard: Guard) -> Target {
    Target {
        base_url,
        key: server_key(config),
        issuer: config.jwt_issuer.clone(),
        audience: config.jwt_audience.clone(),
        admin_username: ADMIN_USERNAME.to_owned(),
        admin_password: ADMIN_PASSWORD.to_owned(),
        access_ttl_secs: config.access_token_expire_minutes * 60,
        request_timeout_secs: config.request_timeout_secs,
        rate_limits: config.rate_limits(),
        leeway_secs: AuthConfig::DEFAULT_LEEWAY.as_secs(),
        refresh_ttl_secs: config.refresh_token_expire_days * 86_400,
        advance_clock: Some(Box::new(move |by| clock.skip(by))),
        outbox: (config.smtp_url.is_none()).then(|| config.mail_outbox_dir.clone()),
        guard: Box::new(guard),
    }
}
