//! The command line, shared by both binaries: `serve` (the default), `create-user`,
//! `migrate`. Each binary only brings its server loop.

use std::{future::Future, io::BufRead, process::ExitCode};

use auth_core::{BootstrapOutcome, Password, Registration, RequestContext};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::{Parser, Subcommand};
use rand::RngCore;
use tokio::net::TcpListener;

use crate::{
    app::{App, StartupError},
    config::{Config, Secret},
    logging,
};

/// The task service: register, log in, manage tasks.
///
/// Every setting may come from a flag, the environment or a `.env` file in the working
/// directory.
#[derive(Debug, Parser)]
#[command(name = "task-service", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings.
    #[command(flatten)]
    pub config: Config,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Create a user; the password is read from the first line of standard input.
    CreateUser {
        /// The new user's name.
        username: String,
        /// Make the user an admin (or promote an existing user with this password).
        #[arg(long)]
        admin: bool,
        /// An e-mail address.
        #[arg(long)]
        email: Option<String>,
    },
    /// Run the database migrations and exit.
    Migrate,
    /// Generate a signing key pair for key rotation: the private key (PKCS#8 PEM, mode 0600)
    /// into FILE for JWT_PRIVATE_KEY_FILE, its public half into FILE.pub for
    /// JWT_VERIFY_ONLY_KEY_FILES. Prints the key id. Needs no database.
    GenerateKey {
        /// The private key file to create (never overwritten).
        file: std::path::PathBuf,
        /// EdDSA or ES256.
        #[arg(long, value_enum, ignore_case = true, default_value_t = crate::config::JwtAlgorithm::EdDsa)]
        algorithm: crate::config::JwtAlgorithm,
    },
    /// Print the current code of a TOTP secret (base32, as `POST /auth/mfa/totp` gives it),
    /// read from the first line of standard input: for trying an account's second factor
    /// without an authenticator app. Needs no database.
    Totp,
    /// Measure this machine and print the strongest Argon2id parameters within a time
    /// budget per hash, as the settings to paste. Run it on the production hardware, with
    /// the release build.
    Calibrate {
        /// Time budget per hash, in milliseconds.
        #[arg(long, default_value_t = 250)]
        target_ms: u64,
        /// Memory budget per hash: a number with KiB, MiB or GiB (plain numbers are KiB).
        #[arg(long, default_value = "64MiB", value_parser = parse_memory_kib)]
        max_memory: u32,
    },
}

/// Parses `64MiB`, `19456KiB`, `1GiB` or `19456` (KiB) into KiB.
fn parse_memory_kib(s: &str) -> Result<u32, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("{s:?} is not a size like 64MiB"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "k" | "kib" | "kb" => 1,
        "m" | "mib" | "mb" => 1024,
        "g" | "gib" | "gb" => 1024 * 1024,
        other => return Err(format!("unknown unit {other:?}: use KiB, MiB or GiB")),
    };
    n.checked_mul(factor)
        .and_then(|k| u32::try_from(k).ok())
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// Runs the command line with `serve` as the server loop of the binary's framework.
pub fn run<F, Fut>(serve: F) -> ExitCode
where
    F: FnOnce(App, TcpListener) -> Fut,
    Fut: Future<Output = Result<(), StartupError>>,
{
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let _log_guard = logging::init(&cli.config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("task-service: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(execute(cli, serve));
    // Whatever is left (a blocking task, an idle connection's task) does not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("task-service: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute<F, Fut>(cli: Cli, serve: F) -> Result<(), StartupError>
where
    F: FnOnce(App, TcpListener) -> Fut,
    Fut: Future<Output = Result<(), StartupError>>,
{
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let bind = cli.config.bind_addr;
            let app = App::build(cli.config).await?;
            let listener = TcpListener::bind(bind)
                .await
                .map_err(|e| StartupError::Other(format!("cannot listen on {bind}: {e}")))?;
            tracing::info!("listening on http://{}", listener.local_addr().unwrap_or(bind));
            let housekeeping = tokio::spawn(app.clone().housekeeping());
            let served = serve(app, listener).await;
            housekeeping.abort();
            served?;
            tracing::info!("shut down");
            Ok(())
        }
        Command::Calibrate { target_ms, max_memory } => {
            let target = std::time::Duration::from_millis(target_ms);
            let c = tokio::task::spawn_blocking(move || auth_core::calibrate(target, max_memory))
                .await
                .map_err(|e| StartupError::Other(e.to_string()))??;
            print!("{}", calibration_report(&c));
            Ok(())
        }
        Command::GenerateKey { file, algorithm } => {
            let made = crate::keygen::generate(algorithm, &file)?;
            println!(
                "{} key {} written to {} (private) and {} (public)",
                algorithm.name(),
                made.kid,
                made.private.display(),
                made.public.display()
            );
            Ok(())
        }
        Command::Totp => {
            let mut line = zeroize::Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| StartupError::Other(format!("cannot read the secret: {e}")))?;
            let secret = auth_core::TotpSecret::from_base32(line.trim())?;
            println!("{}", &*secret.code_at(time::OffsetDateTime::now_utc()));
            Ok(())
        }
        Command::Migrate => {
            App::connect(cli.config, &ephemeral_secret(), true).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateUser { username, admin, email } => {
            let app = App::connect(cli.config, &ephemeral_secret(), true).await?;
            let password = read_password()?;
            let (user, done) = if admin {
                let admin = app.auth.bootstrap_admin(&username, &password).await?;
                let done = match admin.outcome {
                    BootstrapOutcome::Created => "created admin",
                    BootstrapOutcome::Promoted => "promoted to admin",
                    BootstrapOutcome::Reactivated => "reactivated admin",
                    BootstrapOutcome::AlreadyAdmin => "already an admin, unchanged:",
                    _ => "made sure of admin",
                };
                (admin.user, done)
            } else {
                let registration = Registration { email, ..Registration::new(username, password) };
                let user =
                    app.auth.register(registration, None, &RequestContext::internal()).await?;
                // The verification link of an address goes out before the process ends.
                if !app.auth.mail_sent(MAIL_WAIT).await {
                    eprintln!("the verification message was not sent within {MAIL_WAIT:?}");
                }
                (user, "created user")
            };
            println!("{done} {} (id {})", user.username, user.id);
            Ok(())
        }
    }
}

/// How long `create-user` waits for its verification message to go out.
const MAIL_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What `calibrate` prints: the finding, and the settings to paste.
fn calibration_report(c: &auth_core::Calibration) -> String {
    let p = c.params;
    let ms = c.hash_time.as_secs_f64() * 1000.0;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = format!(
        "Argon2id m={} KiB ({} MiB), t={}, p=1 takes {ms:.1} ms per hash on this machine \
         (budget {} ms).\nWith {cpus} hashing permits (one per CPU) that is about {:.0} logins/s.\n",
        p.m_cost_kib(),
        p.m_cost_kib() / 1024,
        p.t_cost(),
        c.target.as_millis(),
        cpus as f64 * 1000.0 / ms.max(0.001),
    );
    if c.over_budget() {
        out.push_str("Even the cheapest setting tried is over the budget: raise --target-ms.\n");
    }
    if !c.meets_owasp_minimum() {
        out.push_str(
            "WARNING: below every OWASP minimum setting; the service refuses these parameters. \
             Raise --target-ms or --max-memory.\n",
        );
    }
    out.push_str(&format!(
        "\n# Paste into the environment or .env:\nARGON2_MEMORY_KIB={}\nARGON2_ITERATIONS={}\nARGON2_PARALLELISM=1\n",
        p.m_cost_kib(),
        p.t_cost()
    ));
    out
}

/// The CLI issues no tokens, so it needs no real signing key.
fn ephemeral_secret() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(URL_SAFE_NO_PAD.encode(bytes))
}

fn read_password() -> Result<Password, StartupError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| StartupError::Other(format!("cannot read the password from stdin: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    line.clear();
    if password.is_empty() {
        return Err(StartupError::Other("no password on standard input".into()));
    }
    Ok(Password::new(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory_kib("64MiB"), Ok(65536));
        assert_eq!(parse_memory_kib("19456KiB"), Ok(19456));
        assert_eq!(parse_memory_kib("19456"), Ok(19456));
        assert_eq!(parse_memory_kib("1GiB"), Ok(1024 * 1024));
        assert_eq!(parse_memory_kib("2m"), Ok(2048));
        assert!(parse_memory_kib("64XB").is_err());
        assert!(parse_memory_kib("MiB").is_err());
        assert!(parse_memory_kib("99999999GiB").is_err());
    }

    #[test]
    fn the_report_is_pasteable() {
        let params =
            auth_core::Argon2Params::builder().m_cost_kib(65536).t_cost(3).build().unwrap();
        let c = auth_core::Calibration {
            params,
            hash_time: std::time::Duration::from_millis(231),
            target: std::time::Duration::from_millis(250),
        };
        let report = calibration_report(&c);
        assert!(
            report.contains("ARGON2_MEMORY_KIB=65536\nARGON2_ITERATIONS=3\nARGON2_PARALLELISM=1\n")
        );
        assert!(!report.contains("WARNING"));
    }
}
