//! The extractors of one handler run one after the other, in the order of its arguments,
//! as axum runs them.
//!
//! actix-web polls the extractors of a handler together, so a later one that fails at once
//! (a body that is not JSON, a path id that is not a number) would answer before an earlier
//! one still waiting for the store (the user behind a token), and a plain user probing an
//! admin route with a bad id would get 422 instead of 403. Each extractor of this crate
//! therefore waits, when first polled, until the extractor polled before it on the same
//! request has finished (successfully or not, or dropped). actix-web has no setting for
//! this, so it is written here.

use std::{future::Future, pin::Pin};

use actix_web::{HttpMessage, HttpRequest};
use tokio::sync::oneshot;

use crate::ApiError;

/// What the extractors of this crate return.
pub(crate) type ExtractorFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// An extractor's work, `extract` with the request, run once the extractors polled before it
/// on the request are done; the next one starts when it is.
pub(crate) fn in_argument_order<T, Fut>(
    req: &HttpRequest,
    extract: impl FnOnce(HttpRequest) -> Fut + 'static,
) -> ExtractorFuture<T>
where
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let req = req.clone();
    Box::pin(async move {
        let _running = wait_for_earlier_extractors(&req).await;
        extract(req).await
    })
}

/// In the request's extensions: what the extractor polled last signals when it is done.
struct PreviousExtractor(oneshot::Receiver<()>);

/// Held while an extractor runs; the next extractor of the request starts when it drops.
struct ExtractorRunning {
    _done: oneshot::Sender<()>,
}

/// Waits until the extractor polled before this one on `req` is done, then holds the
/// request until the returned value is dropped.
async fn wait_for_earlier_extractors(req: &HttpRequest) -> ExtractorRunning {
    let (done, finished) = oneshot::channel();
    let previous = req.extensions_mut().insert(PreviousExtractor(finished));
    if let Some(PreviousExtractor(previous)) = previous {
        // An error only means the previous extractor is gone: it is done too.
        let _ = previous.await;
    }
    ExtractorRunning { _done: done }
}
