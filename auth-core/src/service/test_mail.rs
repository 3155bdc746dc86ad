//! Test helpers for the use cases that send mail: a mailer that records what it is given,
//! and ways to wait for the messages the background tasks send and follow their links.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use super::test_support::*;
use crate::{
    mail::{MailError, MailMessage, MailSettings, Mailer},
    *,
};

/// Keeps what it is given; fails the first `failures` sends (temporarily).
#[derive(Default)]
pub struct Recorder {
    pub sent: Mutex<Vec<MailMessage>>,
    pub failures: Mutex<u32>,
}

#[async_trait::async_trait]
impl Mailer for Recorder {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let mut failures = self.failures.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            return Err(MailError::Temporary("the server is resting".into()));
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(())
    }
}

impl Recorder {
    /// Forgets what was sent.
    pub fn clear(&self) {
        self.sent.lock().unwrap().clear();
    }
}

/// A fixture that mails through a [`Recorder`], with links under `https://tasks.example`.
pub fn mail_fixture() -> (Fixture, Arc<Recorder>) {
    mail_fixture_configured(|c| c)
}

/// A [`mail_fixture`] whose configuration `configure` changes.
pub fn mail_fixture_configured(
    configure: impl FnOnce(AuthConfigBuilder) -> AuthConfigBuilder,
) -> (Fixture, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let settings = MailSettings::new(recorder.clone(), "https://tasks.example").unwrap();
    let settings = settings.retry_delays(vec![Duration::from_millis(5); 3]);
    let mut f = fixture_configured(settings, configure);
    f.recorder = Some(recorder.clone());
    (f, recorder)
}

/// Registers `name` with the address `<name>@example.com`, follows the verification link
/// it gets, and forgets that message: a user with a verified address.
pub async fn user_with_mail(f: &Fixture, name: &str) -> User {
    let recorder = f.recorder.as_ref().expect("a mail fixture");
    let mut r = Registration::new(name, PASSWORD);
    r.email = Some(format!("{name}@example.com"));
    f.auth.register(r, None, &f.ctx).await.unwrap();
    let link = links(recorder, "/verify-email", 1).await.remove(0);
    let user = f.auth.verify_email(&token_of(&link), &f.ctx).await.unwrap();
    recorder.clear();
    assert!(user.email_verified);
    user
}

/// Waits for the background tasks to have sent `n` messages in all.
pub async fn sent(recorder: &Recorder, n: usize) -> Vec<MailMessage> {
    wait_for(recorder, n, |_| true).await
}

/// Waits for `n` messages whose link goes to `path` (`/reset-password`, `/verify-email`),
/// and returns them in the order they were sent.
pub async fn links(recorder: &Recorder, path: &str, n: usize) -> Vec<MailMessage> {
    let needle = format!("{path}#token=");
    wait_for(recorder, n, |m| m.content.text.contains(&needle)).await
}

/// Waits for `n` messages with this subject.
pub async fn with_subject(recorder: &Recorder, subject: &str, n: usize) -> Vec<MailMessage> {
    wait_for(recorder, n, |m| m.content.subject == subject).await
}

async fn wait_for(
    recorder: &Recorder,
    n: usize,
    keep: impl Fn(&MailMessage) -> bool,
) -> Vec<MailMessage> {
    let matching = || recorder.sent.lock().unwrap().iter().filter(|m| keep(m)).cloned().collect();
    for _ in 0..400 {
        let found: Vec<MailMessage> = matching();
        if found.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Whatever else is on its way has had a moment to arrive: exactly `n`.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let found: Vec<MailMessage> = matching();
    assert_eq!(found.len(), n, "messages sent: {found:?}");
    found
}

/// The token of the link in `message`.
pub fn token_of(message: &MailMessage) -> String {
    let text = &message.content.text;
    let at = text.find("#token=").expect("a link") + "#token=".len();
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c)).collect()
}
