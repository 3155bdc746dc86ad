//! Stopping: the signals that start a shutdown, and the bound on how long open requests
//! may keep the process alive after one.

use std::{future::Future, pin::Pin, time::Duration};

use tokio::sync::oneshot;

/// How long requests still open at a shutdown signal may take to finish (both servers).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The margin past [`DRAIN_TIMEOUT`] before the process stops waiting for the server.
const GRACE: Duration = Duration::from_secs(1);

/// The future a server is told to drain on.
pub type DrainSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn signal() {
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

/// Runs the server `serve` builds, handing it a [`DrainSignal`] that completes when
/// `shutdown` does, and returns the server's result; or `None` (logged) when the server is
/// still running [`DRAIN_TIMEOUT`] + 1 s after the signal, so that no request, connection or
/// server bug can keep the process from exiting.
///
/// ```
/// use task_service::shutdown::drain_bounded;
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let out = rt.block_on(drain_bounded(async {}, |drain| async move {
///     drain.await; // a server would stop accepting here, and finish its requests
///     "drained"
/// }));
/// assert_eq!(out, Some("drained"));
/// ```
pub fn drain_bounded<S, F, T>(
    shutdown: impl Future<Output = ()>,
    serve: S,
) -> impl Future<Output = Option<T>>
where
    S: FnOnce(DrainSignal) -> F,
    F: Future<Output = T>,
{
    // `serve` runs now, not on the first poll: a server builder that is not `Send` never
    // becomes part of the returned future.
    let (fire, fired) = oneshot::channel::<()>();
    let server = serve(Box::pin(async move {
        let _ = fired.await;
    }));
    async move {
        tokio::pin!(server);
        tokio::select! {
            out = &mut server => return Some(out),
            () = shutdown => {
                let _ = fire.send(());
            }
        }
        match tokio::time::timeout(DRAIN_TIMEOUT + GRACE, server).await {
            Ok(out) => Some(out),
            Err(_) => {
                tracing::warn!(
                    "the server was still draining {} s after the shutdown signal; exiting without it",
                    (DRAIN_TIMEOUT + GRACE).as_secs()
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_server_that_never_drains_is_left_after_the_bound() {
        let started = tokio::time::Instant::now();
        let out = drain_bounded(async {}, |drain| async move {
            drain.await;
            std::future::pending::<()>().await
        })
        .await;
        assert_eq!(out, None::<()>);
        assert_eq!(started.elapsed(), DRAIN_TIMEOUT + GRACE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_that_ends_by_itself_is_not_signalled() {
        let out = drain_bounded(std::future::pending(), |_drain| async { 7 }).await;
        assert_eq!(out, Some(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_draining_server_is_awaited_until_it_ends() {
        let out = drain_bounded(async {}, |drain| async move {
            drain.await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
            "done"
        })
        .await;
        assert_eq!(out, Some("done"));
    }
}
