//! Logs: `tracing` to stdout (pretty or JSON) and optionally to daily-rotated JSON files.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{Config, LogFormat};

/// Installs the global subscriber. Keep the returned guard alive: it flushes the file log.
/// The level comes from `RUST_LOG` (default `info`).
pub fn init(config: &Config) -> Option<WorkerGuard> {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stdout = match config.log_format {
        LogFormat::Pretty => {
            tracing_subscriber::fmt::layer().with_ansi(colours()).with_filter(filter()).boxed()
        }
        LogFormat::Json => tracing_subscriber::fmt::layer().json().with_filter(filter()).boxed(),
    };
    let (file, guard) = match &config.log_dir {
        Some(dir) => {
            let appender = tracing_appender::rolling::daily(dir, "task-service.log");
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer =
                tracing_subscriber::fmt::layer().json().with_writer(writer).with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry().with(stdout).with(file).try_init();
    guard
}

/// Colours in pretty logs only on a terminal, and never with `NO_COLOR` set
/// (<https://no-color.org>): a file or a pipe gets plain text.
fn colours() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
