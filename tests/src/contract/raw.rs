//! HTTP/1.1 over a raw TCP socket, for what a client library will not do well: bodies a
//! server refuses before reading them (the answer must be read while the body is still being
//! written) and bodies that trickle in.

use std::future::pending;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::time::timeout;

use super::Target;
use super::client::{HTTP_TIMEOUT, Reply};

/// The `host:port` of the target.
fn authority(t: &Target) -> &str {
    t.base_url.strip_prefix("http://").expect("base_url is http://host:port")
}

/// The head of a `POST` with `Connection: close`, so the server ends the exchange.
fn post_head(t: &Target, path: &str, headers: &[(&str, &str)], content_length: usize) -> String {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {content_length}\r\n",
        authority(t)
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

async fn connect(t: &Target) -> TcpStream {
    let addr = authority(t);
    timeout(HTTP_TIMEOUT, TcpStream::connect(addr))
        .await
        .unwrap_or_else(|_| panic!("connecting to {addr} timed out"))
        .unwrap_or_else(|e| panic!("connecting to {addr} failed: {e}"))
}

/// Reads until the response is complete, the server closes, or the connection breaks (a
/// server that answers early may reset the connection after its answer).
async fn read_response(rd: &mut OwnedReadHalf) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match rd.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if is_complete(&buf) {
            break;
        }
    }
    buf
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The head (as text) and the offset of the body, once the head is complete.
fn split_head(raw: &[u8]) -> Option<(String, usize)> {
    let end = find(raw, b"\r\n\r\n")?;
    Some((String::from_utf8_lossy(&raw[..end]).into_owned(), end + 4))
}

fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn is_chunked(head: &str) -> bool {
    header_value(head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
}

fn is_complete(raw: &[u8]) -> bool {
    let Some((head, start)) = split_head(raw) else { return false };
    let body = &raw[start..];
    if is_chunked(&head) {
        return body.ends_with(b"0\r\n\r\n");
    }
    header_value(&head, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|len| body.len() >= len)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(body, b"\r\n") {
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else { break };
        let data = &body[line_end + 2..];
        if size == 0 || data.len() < size {
            out.extend_from_slice(&data[..size.min(data.len())]);
            break;
        }
        out.extend_from_slice(&data[..size]);
        body = data[size..].strip_prefix(b"\r\n").unwrap_or(&data[size..]);
    }
    out
}

fn header_map(head: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in head.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = HeaderName::from_bytes(name.trim().as_bytes());
        let value = HeaderValue::from_str(value.trim());
        if let (Ok(name), Ok(value)) = (name, value) {
            headers.append(name, value);
        }
    }
    headers
}

/// Parses a raw response; panics if there is no complete status line and head.
fn parse(raw: &[u8]) -> Reply {
    let (head, start) = split_head(raw)
        .unwrap_or_else(|| panic!("no complete HTTP response: {:?}", String::from_utf8_lossy(raw)));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head:?}"));
    let body = if is_chunked(&head) { dechunk(&raw[start..]) } else { raw[start..].to_vec() };
    Reply { status, headers: header_map(&head), body }
}

/// `POST path` with `body` on a fresh connection, reading the answer while the body is still
/// being written, so an early answer (say a 413) is seen even if the server then drops the
/// connection. Write errors are ignored; the write half stays open until the answer is read.
pub async fn raw_post(t: &Target, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let (mut rd, mut wr) = connect(t).await.into_split();
    let mut bytes = post_head(t, path, headers, body.len()).into_bytes();
    bytes.extend_from_slice(body);
    let write = async {
        let _ = wr.write_all(&bytes).await;
        pending::<()>().await;
    };
    let exchange = async {
        tokio::select! {
            raw = read_response(&mut rd) => raw,
            () = write => unreachable!("the writer never finishes"),
        }
    };
    let raw = timeout(HTTP_TIMEOUT, exchange).await.expect("raw exchange timed out");
    parse(&raw)
}

/// `POST path` announcing `content_length` bytes of body, then sending one space per
/// `interval` until the server answers; gives up (panics) after `give_up_after`.
pub async fn drip_post(
    t: &Target,
    path: &str,
    headers: &[(&str, &str)],
    content_length: usize,
    interval: Duration,
    give_up_after: Duration,
) -> Reply {
    let (mut rd, mut wr) = connect(t).await.into_split();
    let head = post_head(t, path, headers, content_length);
    wr.write_all(head.as_bytes()).await.expect("write the request head");
    let drip = async {
        for _ in 0..content_length {
            if wr.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(interval).await;
        }
        pending::<()>().await;
    };
    let exchange = async {
        tokio::select! {
            raw = read_response(&mut rd) => raw,
            () = drip => unreachable!("the drip never finishes"),
        }
    };
    let raw = timeout(give_up_after, exchange)
        .await
        .unwrap_or_else(|_| panic!("no answer to a dripped body within {give_up_after:?}"));
    parse(&raw)
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;

    /// A one-shot server: reads until `seen` returns true, answers `response`, then closes
    /// without reading the rest.
    async fn one_shot(seen: fn(&[u8]) -> bool, response: &'static str) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen(&got) {
                let n = socket.read(&mut buf).await.expect("read");
                assert!(n > 0, "client closed early");
                got.extend_from_slice(&buf[..n]);
            }
            socket.write_all(response.as_bytes()).await.expect("write");
        });
        Target::for_unit_tests(format!("http://{addr}"))
    }

    fn head_read(got: &[u8]) -> bool {
        find(got, b"\r\n\r\n").is_some()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_early_answer_to_a_big_body_is_seen() {
        let body = r#"{"detail":"too big","code":"payload_too_large"}"#;
        let response = format!(
            "HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let t = one_shot(head_read, Box::leak(response.into_boxed_str())).await;
        let r =
            raw_post(&t, "/x", &[("Content-Type", "application/json")], &vec![b'a'; 4 << 20]).await;
        assert_eq!(r.status, 413);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.json()["code"], "payload_too_large");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dripped_body_gets_the_answer_and_chunks_are_joined() {
        fn two_body_bytes(got: &[u8]) -> bool {
            find(got, b"\r\n\r\n").is_some_and(|end| got.len() >= end + 6)
        }
        let response = "HTTP/1.1 408 Request Timeout\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{\"a\r\n3\r\n\":1\r\n1\r\n}\r\n0\r\n\r\n";
        let t = one_shot(two_body_bytes, response).await;
        let r =
            drip_post(&t, "/x", &[], 100, Duration::from_millis(50), Duration::from_secs(10)).await;
        assert_eq!(r.status, 408);
        assert_eq!(r.json(), serde_json::json!({"a": 1}));
    }
}
