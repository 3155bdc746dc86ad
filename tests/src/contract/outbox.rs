//! The server's mail, as the contract suite reads it: the `.eml` files of its outbox
//! directory, or what a real SMTP server received ([`SmtpServer`](crate::servers::SmtpServer)),
//! the links' tokens, and users with an address.

use std::time::Duration;

use serde_json::json;

use super::Target;
use super::client::*;

/// What a password-reset message carries: its link's path.
pub const RESET: Kind = Kind::Link("/reset-password");
/// What an address-verification message carries: its link's path.
pub const VERIFY: Kind = Kind::Link("/verify-email");

/// Which messages to read.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Those with a link to this path (`PUBLIC_URL<path>#token=…`).
    Link(&'static str),
    /// Those with this subject (the notices).
    Subject(&'static str),
}

impl Kind {
    fn matches(self, mail: &str) -> bool {
        match self {
            Self::Link(path) => mail.contains(&format!("{path}#token=")),
            Self::Subject(subject) => mail.lines().any(|l| l == format!("Subject: {subject}")),
        }
    }
}

/// A user with an address, registered and logged in; returns it and the address. Its
/// address is not verified (a verification link went to it).
pub async fn user_with_mail(t: &Target) -> (TestUser, String) {
    let (username, password) = (unique_username(), strong_password());
    let email = format!("{username}@example.com");
    let body = json!({"username": username, "password": password, "email": email});
    let out = post_json(t, "/auth/register", None, &body).await.expect_status(201).json();
    let (access, refresh) = login(t, &username, &password).await;
    (TestUser { id: id_of(&out), username, password, out, access, refresh }, email)
}

/// A user whose address is verified: [`user_with_mail`], then the link it was sent.
pub async fn user_with_verified_mail(t: &Target) -> (TestUser, String) {
    let (user, email) = user_with_mail(t).await;
    let token = mailed_tokens(t, &email, VERIFY, 1).await.remove(0);
    let body = json!({"token": token});
    let out = post_json(t, "/auth/verify-email", None, &body).await.expect_status(200).json();
    assert_eq!(out["email_verified"], true, "{out}");
    (user, email)
}

/// The complete messages of this kind the server wrote to `to` (one file each, `.eml` in
/// its outbox directory or in an SMTP server's Maildir; in no particular order:
/// file times are too coarse to order them), as text with quoted-printable soft breaks
/// joined and `=3D` decoded (all a link needs). A file still being written (its multipart
/// body not yet closed) is left out.
pub fn mails_to(t: &Target, to: &str, kind: Kind) -> Vec<String> {
    let dir = t.outbox.as_ref().expect("this server writes its mail to an outbox");
    let entries = std::fs::read_dir(dir).map(|d| d.flatten().collect::<Vec<_>>());
    entries
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|text| text.trim_end().ends_with("--"))
        .map(|text| text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
        .filter(|text| text.lines().any(|l| l.eq_ignore_ascii_case(&format!("To: {to}"))))
        .filter(|text| kind.matches(text))
        .collect()
}

/// The token of a message's link.
pub fn token_in(mail: &str) -> String {
    let at = mail.find("#token=").expect("a link") + "#token=".len();
    let token: String =
        mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c)).collect();
    assert_eq!(token.len(), 43, "256 random bits: {mail}");
    token
}

/// Waits until the server has mailed `to` exactly `n` messages of this kind; returns them.
pub async fn mailed(t: &Target, to: &str, kind: Kind, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let mails = mails_to(t, to, kind);
        if mails.len() >= n {
            // Whatever else is on its way has a moment to arrive: exactly `n` (a longer one
            // when none is expected, the only check that no message came).
            let settle = if n == 0 { 500 } else { 50 };
            tokio::time::sleep(Duration::from_millis(settle)).await;
            let mails = mails_to(t, to, kind);
            assert_eq!(mails.len(), n, "{kind:?} messages to {to}");
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no {kind:?} message to {to}");
}

/// Waits until the server has mailed `to` exactly `n` messages of this kind; returns their
/// links' tokens, in no particular order.
pub async fn mailed_tokens(t: &Target, to: &str, kind: Kind, n: usize) -> Vec<String> {
    mailed(t, to, kind, n).await.iter().map(|m| token_in(m)).collect()
}
