//! The compiled `notes` binary: it starts without its issuer (and answers 503
//! `keys_unavailable` until it reaches it), and refuses to start on a JWKS URL over plain
//! HTTP to another host.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn it_serves_without_its_issuer_and_says_why_tokens_wait() {
    let (port, issuer_port) = (free_port(), free_port());
    let _notes = Running(
        Command::new(env!("CARGO_BIN_EXE_notes"))
            .env("NOTES_BIND", format!("127.0.0.1:{port}"))
            .env("JWKS_URL", format!("http://127.0.0.1:{issuer_port}/.well-known/jwks.json"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut health = None;
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{base}/health")).send().await {
            health = Some(r.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(health, Some(200));
    let r = client.get(format!("{base}/notes")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // A token of the issuer's shape (ES256, at+jwt): it needs the keys to be judged.
    let token = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImsifQ.e30.c2ln";
    let r = client.get(format!("{base}/notes")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "keys_unavailable");
}

#[test]
fn plain_http_to_another_host_refuses_to_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_notes"))
        .env("NOTES_BIND", "127.0.0.1:0")
        .env("JWKS_URL", "http://auth.example.com/.well-known/jwks.json")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("https://"), "{stderr}");
}
