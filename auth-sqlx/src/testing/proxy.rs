//! [`FaultProxy`]: a TCP proxy between a service and its database server that a test can
//! cut, freeze and restore, to fail the database under a running service without touching
//! the shared server.

use std::{
    io,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, tcp::OwnedReadHalf, tcp::OwnedWriteHalf},
    sync::watch,
    task::JoinHandle,
};

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forwards both ways.
    Open,
    /// Closes every connection at once and every new one on arrival: a server that went
    /// away (the client sees a reset or an EOF).
    Cut,
    /// Holds every byte in both directions and accepts new connections without answering:
    /// a partition or a hung server (the client sees nothing at all).
    Frozen,
}

/// No automatic freeze pending.
const NEVER: u64 = u64::MAX;

/// A TCP proxy to a database server, under the test's control. Dropping it stops it and
/// closes its connections.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use auth_sqlx::testing::{FaultProxy, Mode};
/// let url = "postgres://postgres@127.0.0.1:5432/test";
/// let proxy = FaultProxy::start(url).await?;
/// let through = proxy.url(url); // give this URL to the service under test
/// proxy.cut(); // ... the database is gone ...
/// proxy.restore(); // ... and back
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    mode: watch::Sender<Mode>,
    /// Client-to-server chunks forwarded so far.
    client_chunks: AtomicU64,
    /// Freeze before forwarding the client chunk with this number ([`NEVER`]: no).
    freeze_at_chunk: AtomicU64,
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` to the host and port of `url` (a database URL such
    /// as `postgres://user@host:port/db`), in [`Mode::Open`].
    ///
    /// # Errors
    /// When `url` names no host and port, or no local port can be bound.
    pub async fn start(url: &str) -> io::Result<Self> {
        let upstream = host_port(url).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the URL names no host:port")
        })?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            mode: watch::channel(Mode::Open).0,
            client_chunks: AtomicU64::new(0),
            freeze_at_chunk: AtomicU64::new(NEVER),
        });
        let accept = tokio::spawn(accept_loop(listener, upstream.to_owned(), shared.clone()));
        Ok(Self { addr, shared, accept })
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        match host_port(url) {
            Some(hp) => url.replacen(hp, &self.addr.to_string(), 1),
            None => url.to_owned(),
        }
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches to [`Mode::Cut`].
    pub fn cut(&self) {
        self.set(Mode::Cut);
    }

    /// Switches to [`Mode::Frozen`].
    pub fn freeze(&self) {
        self.set(Mode::Frozen);
    }

    /// Switches back to [`Mode::Open`] (connections cut meanwhile stay closed; held bytes
    /// flow on) and cancels a pending [`freeze_after`](Self::freeze_after).
    pub fn restore(&self) {
        self.shared.freeze_at_chunk.store(NEVER, Ordering::SeqCst);
        self.set(Mode::Open);
    }

    /// Freezes the proxy once `chunks` more client-to-server chunks (roughly: messages the
    /// client flushed) have been forwarded; the next one is held. With `0`, the next chunk
    /// is held. Lets a test stop a service at each step of a conversation in turn.
    pub fn freeze_after(&self, chunks: u64) {
        let now = self.shared.client_chunks.load(Ordering::SeqCst);
        self.shared.freeze_at_chunk.store(now.saturating_add(chunks), Ordering::SeqCst);
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        *self.shared.mode.borrow()
    }

    /// Waits up to `timeout` for the proxy to be frozen; whether it is.
    pub async fn wait_frozen(&self, timeout: Duration) -> bool {
        let mut rx = self.shared.mode.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|m| *m == Mode::Frozen)).await.is_ok()
    }

    fn set(&self, mode: Mode) {
        self.shared.mode.send_replace(mode);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        // Pumps see the cut and close their sockets.
        self.shared.mode.send_replace(Mode::Cut);
    }
}

/// The `host:port` part of a URL: after `://` and any `user@`, up to the next `/` or `?`.
fn host_port(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hp = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    hp.contains(':').then_some(hp)
}

async fn accept_loop(listener: TcpListener, upstream: String, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (upstream, shared) = (upstream.clone(), shared.clone());
        tokio::spawn(async move {
            let mut mode = shared.mode.subscribe();
            // A frozen proxy accepts and says nothing; a cut one closes at once.
            if !matches!(mode.wait_for(|m| *m != Mode::Frozen).await.map(|m| *m), Ok(Mode::Open)) {
                return;
            }
            let Ok(server) = TcpStream::connect(&upstream).await else { return };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_rd, client_wr) = client.into_split();
            let (server_rd, server_wr) = server.into_split();
            // Either direction ending ends both: the sockets drop together.
            tokio::select! {
                () = pump(client_rd, server_wr, &shared, true) => {}
                () = pump(server_rd, client_wr, &shared, false) => {}
            }
        });
    }
}

/// Copies `from` to `to` chunk by chunk, obeying the mode; returns when either side closes
/// or the proxy is cut.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, shared: &Shared, upward: bool) {
    let mut mode = shared.mode.subscribe();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            changed = mode.wait_for(|m| *m == Mode::Cut) => {
                let _ = changed;
                return;
            }
        };
        if upward {
            let number = shared.client_chunks.fetch_add(1, Ordering::SeqCst);
            if number >= shared.freeze_at_chunk.load(Ordering::SeqCst) {
                shared.freeze_at_chunk.store(NEVER, Ordering::SeqCst);
                shared.mode.send_replace(Mode::Frozen);
            }
        }
        // Hold the chunk while frozen; drop everything if cut.
        match mode.wait_for(|m| *m != Mode::Frozen).await.map(|m| *m) {
            Ok(Mode::Open) => {}
            _ => return,
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_host_and_port() {
        assert_eq!(host_port("postgres://postgres@127.0.0.1:5432/test"), Some("127.0.0.1:5432"));
        assert_eq!(host_port("mysql://root:pw@db:3306/x?ssl-mode=disabled"), Some("db:3306"));
        assert_eq!(host_port("postgres://h:1"), Some("h:1"));
        assert_eq!(host_port("sqlite://file.db"), None);
    }

    /// An echo server behind the proxy: open echoes, cut closes, frozen holds until
    /// restored, `freeze_after` lets exactly that many chunks through.
    #[tokio::test]
    async fn obeys_each_mode() {
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo_addr = echo.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let proxy = FaultProxy::start(&format!("tcp://{echo_addr}/")).await.unwrap();
        let short = Duration::from_millis(200);
        let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
        let mut buf = [0u8; 2];

        c.write_all(b"a1").await.unwrap();
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"a1");

        proxy.freeze();
        c.write_all(b"b2").await.unwrap();
        assert!(tokio::time::timeout(short, c.read_exact(&mut buf)).await.is_err());
        proxy.restore();
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"b2");

        proxy.freeze_after(1);
        c.write_all(b"c3").await.unwrap();
        c.read_exact(&mut buf).await.unwrap();
        assert!(!proxy.wait_frozen(short).await);
        c.write_all(b"d4").await.unwrap();
        assert!(proxy.wait_frozen(short).await);
        assert!(tokio::time::timeout(short, c.read_exact(&mut buf)).await.is_err());

        proxy.cut();
        let eof = tokio::time::timeout(short * 5, c.read(&mut buf)).await.unwrap();
        assert!(matches!(eof, Ok(0) | Err(_)), "{eof:?}");
        let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
        let eof = tokio::time::timeout(short * 5, again.read(&mut buf)).await.unwrap();
        assert!(matches!(eof, Ok(0) | Err(_)), "{eof:?}");

        proxy.restore();
        let mut fresh = TcpStream::connect(proxy.addr()).await.unwrap();
        fresh.write_all(b"e5").await.unwrap();
        fresh.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"e5");
    }
}
