//! One extractor after the other, in the order of the handler's arguments, as axum runs them.
//!
//! actix-web polls the extractors of a handler together, so a later one that fails at once
//! (a body that is not JSON, a path id that is not a number) would answer before an earlier
//! one still waiting for the store (the user behind a token), and a plain user probing an
//! admin route with a bad id would get 422 instead of 403. Each extractor of this crate
//! therefore waits, when first polled, until the extractor polled before it on the same
//! request has finished (successfully or not, or dropped).

use actix_web::{HttpMessage, HttpRequest};
use tokio::sync::oneshot;

/// The end of the turn taken last on a request.
struct LastTurn(oneshot::Receiver<()>);

/// A turn on a request; the next extractor's turn begins when it is dropped.
pub(crate) struct Turn {
    _done: oneshot::Sender<()>,
}

/// Waits for the previous extractor of `req` to finish, then holds the request's turn.
pub(crate) async fn take(req: &HttpRequest) -> Turn {
    let (done, finished) = oneshot::channel();
    let previous = req.extensions_mut().insert(LastTurn(finished));
    if let Some(LastTurn(previous)) = previous {
        // An error only means the previous extractor is gone: its turn is over too.
        let _ = previous.await;
    }
    Turn { _done: done }
}
