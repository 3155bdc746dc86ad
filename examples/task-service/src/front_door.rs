//! The bounds on connections, the same on both servers: how long a request head may take,
//! how long a connection may sit idle between requests, and how many may be open at once
//! (one more is answered `503 overloaded` and closed at once, never queued).
//!
//! Without them, connections that trickle a header line every few seconds stay open for as
//! long as they trickle, and enough of them exhaust the process's file descriptors while
//! every request waits.

use std::{
    os::fd::AsFd,
    sync::{
        Arc, LazyLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use auth_core::{AuthError, http::ErrorResponse};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bounds, from `HEADER_READ_TIMEOUT_SECS`, `KEEP_ALIVE_TIMEOUT_SECS` and
/// `MAX_CONNECTIONS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrontDoor {
    /// How long a connection may take to send a complete request head, from when it opens
    /// or from the end of the previous response.
    pub header_read_timeout: Duration,
    /// How long a connection may stay idle between two requests.
    pub keep_alive_timeout: Duration,
    /// How many connections may be open at once.
    pub max_connections: usize,
}

/// The open connections, counted against [`FrontDoor::max_connections`]. Clones share the
/// count.
#[derive(Debug, Clone)]
pub struct Connections {
    slots: Arc<Semaphore>,
    max: usize,
    refusals_logged: Arc<EveryTenSeconds>,
}

/// A warning that repeats under a flood, logged once per 10 s at most.
#[derive(Debug, Default)]
pub(crate) struct EveryTenSeconds {
    /// When it was last logged, in seconds since the epoch.
    last: AtomicU64,
}

impl EveryTenSeconds {
    /// Whether to log now (and then not for 10 s).
    pub(crate) fn due(&self) -> bool {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let last = self.last.load(Ordering::Relaxed);
        now >= last + 10
            && self.last.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

/// An open connection's place in the count, given back when it is dropped.
#[derive(Debug)]
pub struct ConnectionSlot(#[allow(dead_code)] OwnedSemaphorePermit);

/// What a connection over the cap reads before it is closed: the API's answer to
/// [`AuthError::Overloaded`], written out once.
static REFUSAL: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let busy = ErrorResponse::from(AuthError::Overloaded { retry_after: Duration::from_secs(1) });
    let body = serde_json::to_vec(&busy.body).expect("an error body serializes");
    let mut refusal = format!(
        "HTTP/1.1 {} Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: {}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        busy.status,
        busy.retry_after.unwrap_or(1),
        body.len()
    )
    .into_bytes();
    refusal.extend_from_slice(&body);
    refusal
});

impl Connections {
    /// Room for `max` connections.
    pub fn new(max: usize) -> Self {
        Self { slots: Arc::new(Semaphore::new(max)), max, refusals_logged: Arc::default() }
    }

    /// A slot for a new connection, or `None` when `max` are open: then [`refuse`](Self::refuse)
    /// it.
    pub fn admit(&self) -> Option<ConnectionSlot> {
        self.slots.clone().try_acquire_owned().ok().map(ConnectionSlot)
    }

    /// Answers a connection over the cap with `503 overloaded` (the API's body, `Retry-After:
    /// 1`) and closes it. Never waits: the answer is written only as far as the socket takes
    /// it at once (all of it, on a new socket), then both directions are shut.
    pub fn refuse(&self, socket: &impl AsFd) {
        let socket = socket2::SockRef::from(socket);
        let _ = socket.send(&REFUSAL);
        let _ = socket.shutdown(std::net::Shutdown::Both);
        if self.refusals_logged.due() {
            tracing::warn!(
                max_connections = self.max,
                "connection refused: MAX_CONNECTIONS are open (logged once per 10 s)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_response_with_the_api_body() {
        let text = std::str::from_utf8(&REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 ") && head.contains("retry-after: 1"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["code"], "overloaded");
    }

    #[test]
    fn slots_are_given_back_when_dropped() {
        let connections = Connections::new(2);
        let (a, _b) = (connections.admit().unwrap(), connections.admit().unwrap());
        assert!(connections.admit().is_none());
        drop(a);
        assert!(connections.admit().is_some());
    }
}
