//! The SMTP mailer against a real SMTP server: `aiosmtpd` (from PyPI or Debian's
//! `python3-aiosmtpd`), started by the test on a free port, writing what it receives into a
//! Maildir; and a server requiring STARTTLS and AUTH (`smtp_tls_server.py`), with a
//! certificate from a private authority that `openssl` makes. Under CI a missing server or
//! `openssl` fails the test; elsewhere it is skipped with a message.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use auth_core::{
    Email,
    mail::{DefaultTemplates, Mail, MailError, MailMessage, MailTemplates, Mailer, SmtpMailer},
};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts aiosmtpd delivering into the Maildir `dir`, or says why it cannot.
fn start_aiosmtpd(dir: &Path) -> Option<Server> {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd is missing under CI (.ci/run installs it)"
        );
        eprintln!("skipped: aiosmtpd is not installed (pip install aiosmtpd)");
        return None;
    }
    let port = free_port();
    let mut server = Server {
        child: Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox", dir.to_str().unwrap()])
            .stdout(Stdio::null())
            .spawn()
            .expect("start aiosmtpd"),
        port,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("aiosmtpd exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("aiosmtpd did not listen on {port}");
}

fn reset_message() -> MailMessage {
    let link =
        "https://tasks.example/reset-password#token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    MailMessage {
        to: Email::parse("alice@example.com").unwrap(),
        content: DefaultTemplates.render(&Mail::PasswordReset {
            username: "alice",
            link,
            valid_minutes: 60,
        }),
    }
}

#[tokio::test]
async fn a_message_reaches_a_real_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let Some(server) = start_aiosmtpd(&maildir) else { return };
    let url = format!("smtp://127.0.0.1:{}", server.port);
    let mailer = SmtpMailer::from_url(&url, "Tasks <no-reply@tasks.example>").unwrap();
    mailer.send(&reset_message()).await.unwrap();
    let mut found = Vec::new();
    for _ in 0..100 {
        found = std::fs::read_dir(maildir.join("new"))
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(found.len(), 1, "one message in the Maildir");
    let raw = std::fs::read_to_string(found[0].path()).unwrap();
    assert!(raw.contains("Subject: Reset your password"), "{raw}");
    assert!(raw.contains("To: alice@example.com"), "{raw}");
    assert!(raw.contains("From: Tasks <no-reply@tasks.example>"), "{raw}");
    assert!(raw.contains("multipart/alternative"), "plain text and HTML: {raw}");
    assert!(raw.contains("text/html"), "{raw}");
    drop(server);
}

/// A server that accepts the connection and never says a word: the send gives up after
/// the command timeout, as a temporary failure.
#[tokio::test]
async fn a_server_that_hangs_times_out_as_a_temporary_failure() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            held.push(socket);
        }
    });
    let timeout = Duration::from_millis(500);
    let url = format!("smtp://127.0.0.1:{port}");
    let mailer =
        SmtpMailer::from_url(&url, "no-reply@tasks.example").unwrap().with_timeout(timeout);
    let started = std::time::Instant::now();
    let result = mailer.send(&reset_message()).await;
    assert!(matches!(result, Err(MailError::Temporary(_))), "{result:?}");
    assert!(started.elapsed() < timeout * 4, "gave up after the timeout");
    silent.abort();
}

#[tokio::test]
async fn a_server_that_is_down_is_a_temporary_failure() {
    let url = format!("smtp://127.0.0.1:{}", free_port());
    let mailer = SmtpMailer::from_url(&url, "no-reply@tasks.example").unwrap();
    match mailer.send(&reset_message()).await {
        Err(MailError::Temporary(e)) => assert!(!e.contains("token"), "{e}"),
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

/// A private certificate authority and a certificate it signed for `localhost`, made with
/// the `openssl` command in `dir`: (the authority's PEM, the server's certificate and key
/// files). `None`, with a message, without `openssl` (a failure under CI).
fn certificates(dir: &Path) -> Option<(Vec<u8>, std::path::PathBuf, std::path::PathBuf)> {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !openssl(&["version"]) {
        assert!(std::env::var_os("CI").is_none(), "openssl is missing under CI");
        eprintln!("skipped: the openssl command is not installed");
        return None;
    }
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let authority =
        ["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=auth test CA"];
    assert!(openssl(&[&["req", "-x509"][..], &ec, &authority].concat()), "the authority");
    let request = ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"];
    assert!(openssl(&[&["req"][..], &ec, &request].concat()), "the request");
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    assert!(openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "1",
        "-extfile",
        "server.ext",
    ]));
    Some((
        std::fs::read(dir.join("ca.pem")).unwrap(),
        dir.join("server.pem"),
        dir.join("server.key"),
    ))
}

/// aiosmtpd requiring STARTTLS and then AUTH as `mailer`/`s3cret pass`.
fn start_tls_server(dir: &Path, cert: &Path, key: &Path) -> Server {
    let port = free_port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_tls_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .args([cert, key, &dir.join("maildir")])
        .args(["mailer", "s3cret pass"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the TLS SMTP server");
    let mut ready = String::new();
    let stdout = child.stdout.take().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut ready).unwrap();
    assert_eq!(ready.trim(), "ready", "the TLS SMTP server did not start");
    Server { child, port }
}

fn received(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("maildir").join("new")).map(|d| d.count()).unwrap_or(0)
}

/// STARTTLS then AUTH against a real server whose certificate a private authority signed:
/// sent with that authority trusted and the right password; refused (and nothing
/// delivered) with a wrong password, or without trusting the authority.
#[tokio::test]
async fn starttls_and_auth_with_a_private_authority() {
    let dir = tempfile::tempdir().unwrap();
    if !Command::new("python3").args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success())
    {
        assert!(std::env::var_os("CI").is_none(), "aiosmtpd is missing under CI");
        eprintln!("skipped: aiosmtpd is not installed (pip install aiosmtpd)");
        return;
    }
    let Some((ca, cert, key)) = certificates(dir.path()) else { return };
    let server = start_tls_server(dir.path(), &cert, &key);
    let url = |password: &str| {
        let password = password.replace(' ', "%20");
        format!("smtp://mailer:{password}@localhost:{}?tls=required", server.port)
    };
    let from = "Tasks <no-reply@tasks.example>";

    let wrong = SmtpMailer::from_url_trusting(&url("not it"), from, &ca).unwrap();
    let refused = wrong.send(&reset_message()).await;
    assert!(matches!(&refused, Err(MailError::Permanent(e)) if e.contains("535")), "{refused:?}");

    let untrusted = SmtpMailer::from_url(&url("s3cret pass"), from).unwrap();
    let refused = untrusted.send(&reset_message()).await;
    // The server is up (it answered the wrong password just before, and takes the message
    // just after): what fails here is the handshake (lettre reports it as a connection
    // failure).
    let refused_tls = matches!(&refused, Err(MailError::Temporary(_)));
    assert!(refused_tls, "a certificate nobody trusts: {refused:?}");
    assert_eq!(received(dir.path()), 0);

    let mailer = SmtpMailer::from_url_trusting(&url("s3cret pass"), from, &ca).unwrap();
    mailer.send(&reset_message()).await.unwrap();
    assert_eq!(received(dir.path()), 1);
    for bad in [
        &b"not a certificate"[..],
        b"-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n",
    ] {
        assert!(SmtpMailer::from_url_trusting(&url("x"), from, bad).is_err(), "{bad:?}");
    }
    let plain = format!("smtp://127.0.0.1:{}", server.port);
    assert!(SmtpMailer::from_url_trusting(&plain, from, &ca).is_err(), "plain SMTP");
    drop(server);
}
