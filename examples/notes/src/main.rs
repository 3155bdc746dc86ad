//! `notes`: the resource-server example. See the crate's documentation.

use clap::Parser;
use notes::{Config, Notes, router};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Config::parse();
    let keys = config.key_set()?;
    // Keys before the first request if the issuer is up; if not, the first request fetches.
    if let Err(e) = keys.refresh().await {
        tracing::warn!(error = %e, "no keys yet: the issuer's JWKS will be fetched again on demand");
    }
    let listener = tokio::net::TcpListener::bind(&config.bind).await?;
    tracing::info!(address = %listener.local_addr()?, jwks = %config.jwks_url, "notes listening");
    axum::serve(listener, router(Notes::new(keys))).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

/// SIGINT, or SIGTERM on Unix.
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
