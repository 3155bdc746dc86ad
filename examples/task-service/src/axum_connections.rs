//! The axum binary's connections, served by hyper's HTTP/1 connection builder with the
//! [`FrontDoor`] bounds: hyper's header read timeout (counted from when the connection
//! waits for a head: its opening, or the end of the previous response), an idle timeout
//! between requests, and the connection cap of [`Connections`]. `axum::serve` has none of
//! them: a connection that trickles a header line every few seconds would stay open forever.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::ConnectInfo,
    http::Request,
    response::Response,
};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinSet,
    time::Instant,
};
use tower::{Service, ServiceExt};

use crate::front_door::{ConnectionSlot, Connections, EveryTenSeconds, FrontDoor};

/// Serves `api` on `listener` within `door`'s bounds until `drain` completes; then stops
/// accepting, lets each connection finish its request in progress, and returns when all are
/// closed.
pub(crate) async fn serve<S>(
    listener: TcpListener,
    api: S,
    door: FrontDoor,
    drain: impl Future<Output = ()>,
) where
    S: Service<Request<Body>, Response = Response, Error = Infallible, Future: Send + 'static>
        + Clone
        + Send
        + 'static,
{
    let connections = Connections::new(door.max_connections);
    let (closing, closed) = watch::channel(false);
    let mut open = JoinSet::new();
    let accept_failures = EveryTenSeconds::default();
    tokio::pin!(drain);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut drain => break,
        };
        while open.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // A connection reset before it was accepted: nothing to do.
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors, most likely: wait rather than spin on the error.
                if accept_failures.due() {
                    tracing::warn!(error = %e, "accepting connections fails (logged once per 10 s)");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = connections.admit() else {
            connections.refuse(&stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        open.spawn(connection(stream, peer, api.clone(), door, closed.clone(), slot));
    }
    drop(listener);
    let _ = closing.send(true);
    while open.join_next().await.is_some() {}
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset)
}

/// One connection: served until it closes, stays idle past the keep-alive timeout, or the
/// server drains.
async fn connection<S>(
    stream: TcpStream,
    peer: SocketAddr,
    api: S,
    door: FrontDoor,
    mut closing: watch::Receiver<bool>,
    _slot: ConnectionSlot,
) where
    S: Service<Request<Body>, Response = Response, Error = Infallible, Future: Send + 'static>
        + Clone
        + Send
        + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { stream, activity: activity.clone() });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let in_flight = InFlight::new(activity.clone());
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            let api = api.clone();
            async move {
                let response = api.oneshot(request).await.unwrap_or_else(|e| match e {});
                Ok::<_, Infallible>(response.map(|body| Tracked { body, _in_flight: in_flight }))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(door.header_read_timeout);
    // No upgrades: no route of the API switches protocols.
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    // One timer, moved only when it fires: a request does not touch it. At each firing the
    // connection is closed if it has been idle for the keep-alive timeout, or the timer is
    // set to when it will have been (or, while it is busy, one timeout from now: it cannot
    // become idle for that long any earlier).
    let idle = tokio::time::sleep(door.keep_alive_timeout);
    tokio::pin!(idle);
    loop {
        tokio::select! {
            // The connection first: bytes already there are read before the deadline counts.
            biased;
            _ = conn.as_mut() => return,
            () = idle.as_mut() => {
                let now = Instant::now();
                match activity.idle_deadline(door.keep_alive_timeout) {
                    Some(deadline) if deadline <= now => return, // dropping the connection closes it
                    Some(deadline) => idle.as_mut().reset(deadline),
                    None => idle.as_mut().reset(now + door.keep_alive_timeout),
                }
            }
            _ = closing.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.as_mut().await;
                return;
            }
        }
    }
}

/// What a connection is doing: requests in flight, and since when it has been idle.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds from `opened` to the end of the last response, plus one; 0 while a
    /// request is in flight or a head is arriving (and before the first request: hyper's
    /// header timeout covers that).
    idle_since: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
        }
    }

    /// When the connection will have been idle for `keep_alive`, if it is idle.
    fn idle_deadline(&self, keep_alive: Duration) -> Option<Instant> {
        match self.idle_since.load(Ordering::Acquire) {
            0 => None,
            ms => Some(self.opened + Duration::from_millis(ms - 1) + keep_alive),
        }
    }

    /// Bytes arrived: a head has begun, hyper's header timeout takes over.
    fn bytes_read(&self) {
        if self.idle_since.load(Ordering::Relaxed) != 0 {
            self.idle_since.store(0, Ordering::Release);
        }
    }

    /// Bytes left: hyper may drop a response body before its last bytes are written, so
    /// the idle time counts from the last write.
    fn bytes_written(&self) {
        if self.idle_since.load(Ordering::Relaxed) != 0 {
            let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
            self.idle_since.store(ms + 1, Ordering::Release);
        }
    }
}

/// A request in flight, from its head to the end of its response body.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.idle_since.store(0, Ordering::Release);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            let ms = u64::try_from(activity.opened.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
            activity.idle_since.store(ms + 1, Ordering::Release);
        }
    }
}

/// A response body that keeps its request in flight until hyper has written (or dropped) it.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, noting when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.bytes_written();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.bytes_written();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
