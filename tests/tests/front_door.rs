//! The front door of both binaries: connections that trickle their request head are closed
//! after `HEADER_READ_TIMEOUT_SECS` while `/health` keeps answering, idle connections after
//! `KEEP_ALIVE_TIMEOUT_SECS`, and a connection over `MAX_CONNECTIONS` is answered 503 at
//! once rather than queued.

use std::time::{Duration, Instant};

use auth_sqlx::testing::TestDatabase;
use auth_tests::{
    contract::{Target, client::get},
    servers,
};
use task_service::config::Config;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn quick(config: &mut Config) {
    config.header_read_timeout_secs = 1;
    config.keep_alive_timeout_secs = 1;
    config.max_connections = 100;
}

/// A short header timeout, and a keep-alive timeout that would not cut the trickle.
fn quick_head(config: &mut Config) {
    config.header_read_timeout_secs = 1;
    config.keep_alive_timeout_secs = 30;
}

fn capped(config: &mut Config) {
    config.header_read_timeout_secs = 30;
    config.keep_alive_timeout_secs = 30;
    config.max_connections = 20;
}

async fn connect(t: &Target) -> TcpStream {
    connect_to(&t.base_url).await
}

async fn connect_to(base_url: &str) -> TcpStream {
    TcpStream::connect(base_url.trim_start_matches("http://")).await.expect("a connection")
}

/// Sends a request head one line every 300 ms, never ending it; returns how long the
/// server took to close the connection.
async fn trickle(base_url: &str) -> Duration {
    let mut stream = connect_to(base_url).await;
    let start = Instant::now();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    for i in 0.. {
        // Whatever the server says (hyper says nothing, actix a 408), it must close.
        let read = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return start.elapsed();
        }
        if stream.write_all(format!("X-Trickle-{i}: still here\r\n").as_bytes()).await.is_err() {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still open after 10 s");
    }
    unreachable!()
}

async fn slow_heads_are_cut_while_health_answers(t: Target) {
    let slow: Vec<_> = (0..30)
        .map(|_| {
            let base_url = t.base_url.clone();
            tokio::spawn(async move { trickle(&base_url).await })
        })
        .collect();
    // While they trickle, the service answers.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        get(&t, "/health", None).await.expect_status(200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for handle in slow {
        let open_for = handle.await.unwrap();
        assert!(open_for >= Duration::from_millis(400), "closed too early: {open_for:?}");
        assert!(open_for < Duration::from_millis(3000), "open for {open_for:?}");
    }
    get(&t, "/health", None).await.expect_status(200);
}

async fn idle_connections_are_closed(t: Target) {
    let mut stream = connect(&t).await;
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    let idle = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return idle.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the idle connection is closed");
    assert!(closed >= Duration::from_millis(400), "closed after {closed:?}");
    assert!(closed < Duration::from_millis(3000), "closed after {closed:?}");
}

/// One request on a new connection, answered; the connection stays open (keep-alive).
async fn admitted(t: &Target) -> TcpStream {
    let mut stream = connect(t).await;
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    stream
}

async fn the_connection_over_the_cap_is_refused(t: Target) {
    let mut open = Vec::new();
    for _ in 0..20 {
        open.push(admitted(&t).await);
    }
    // The next one is answered at once, before it sends anything (so that nothing unread
    // turns the close into a reset that would lose the answer).
    let started = Instant::now();
    let mut over = connect(&t).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), over.read_to_end(&mut answer)).await;
    assert!(started.elapsed() < Duration::from_secs(2), "refused at once, not queued");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("\"code\":\"overloaded\""), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    // Room again once some close.
    open.truncate(10);
    let started = Instant::now();
    loop {
        match try_health(&t).await {
            Some(200) => break,
            other => assert!(started.elapsed() < Duration::from_secs(5), "{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn try_health(t: &Target) -> Option<u16> {
    let r = auth_tests::contract::client::http().get(format!("{}/health", t.base_url)).send();
    r.await.ok().map(|r| r.status().as_u16())
}

/// After one quick request, the next head trickles: it is cut as the first would be. (Not
/// on actix, which times the first head of a connection only: a known gap.)
async fn a_slow_second_head_is_cut(t: Target) {
    let mut stream = admitted(&t).await;
    let start = Instant::now();
    stream.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    for i in 0.. {
        let read = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            break;
        }
        if stream.write_all(format!("X-Trickle-{i}: still here\r\n").as_bytes()).await.is_err() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still open after 10 s");
    }
    assert!(start.elapsed() < Duration::from_secs(3), "open for {:?}", start.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_cuts_slow_heads() {
    slow_heads_are_cut_while_health_answers(
        servers::axum_with(TestDatabase::sqlite(), quick).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_cuts_slow_heads() {
    slow_heads_are_cut_while_health_answers(
        servers::actix_with(TestDatabase::sqlite(), quick).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_closes_idle_connections() {
    idle_connections_are_closed(servers::axum_with(TestDatabase::sqlite(), quick).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_closes_idle_connections() {
    idle_connections_are_closed(servers::actix_with(TestDatabase::sqlite(), quick).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_refuses_the_connection_over_the_cap() {
    the_connection_over_the_cap_is_refused(
        servers::axum_with(TestDatabase::sqlite(), capped).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_refuses_the_connection_over_the_cap() {
    the_connection_over_the_cap_is_refused(
        servers::actix_with(TestDatabase::sqlite(), capped).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_cuts_a_slow_second_head() {
    a_slow_second_head_is_cut(servers::axum_with(TestDatabase::sqlite(), quick_head).await).await;
}
