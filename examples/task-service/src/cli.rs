//! The command line, shared by both binaries: `serve` (the default), `create-user`,
//! `migrate`. Each binary only brings its server loop.

use std::{future::Future, io::BufRead, process::ExitCode};

use auth_core::{Password, Registration, RequestContext};
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
    match runtime.block_on(execute(cli, serve)) {
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
            serve(app, listener).await?;
            tracing::info!("shut down");
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
            let user = if admin {
                app.auth.bootstrap_admin(&username, &password).await?
            } else {
                let registration = Registration { email, ..Registration::new(username, password) };
                app.auth.register(registration, None, &RequestContext::internal()).await?
            };
            println!("created {} {} (id {})", user.role, user.username, user.id);
            Ok(())
        }
    }
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

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; draining requests");
}
