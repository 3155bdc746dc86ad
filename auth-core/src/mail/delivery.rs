//! Sending off the request path: each message is prepared and sent by a task of its own,
//! at most [`MailSettings::max_in_flight`] at once, retried after the configured delays
//! when the failure may pass. Failures are logged (with the user's id, never the address,
//! link or token) and never reach the requester.

use std::{future::Future, sync::Arc};

use tokio::sync::Semaphore;

use super::{MailError, MailMessage, MailSettings};

/// The sending side of [`MailSettings`], held by [`Auth`](crate::Auth).
#[derive(Clone)]
pub(crate) struct Delivery {
    settings: MailSettings,
    in_flight: Arc<Semaphore>,
}

impl Delivery {
    pub(crate) fn new(settings: MailSettings) -> Self {
        let in_flight = Arc::new(Semaphore::new(settings.max_in_flight));
        Self { settings, in_flight }
    }

    pub(crate) fn settings(&self) -> &MailSettings {
        &self.settings
    }

    /// Waits until no message is being prepared or sent, at most `timeout`; whether none
    /// is.
    pub(crate) async fn idle(&self, timeout: std::time::Duration) -> bool {
        let all = u32::try_from(self.settings.max_in_flight).unwrap_or(u32::MAX);
        tokio::time::timeout(timeout, self.in_flight.acquire_many(all)).await.is_ok()
    }

    /// Runs `prepare` and sends the messages it returns (each with its user's id, for the
    /// log) in a task of its own, and returns at once. `what` names the message in the log.
    /// Over the in-flight limit the work is dropped and a warning logged.
    pub(crate) fn dispatch<F>(&self, what: &'static str, prepare: F)
    where
        F: Future<Output = Vec<(i64, MailMessage)>> + Send + 'static,
    {
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            tracing::warn!(target: "auth::mail", mail = what, "too many messages in flight: dropped");
            return;
        };
        let settings = self.settings.clone();
        tokio::spawn(async move {
            let _permit = permit;
            for (user_id, message) in prepare.await {
                send_with_retries(&settings, what, user_id, &message).await;
            }
        });
    }
}

/// Sends `message`, again after each of the retry delays while the failure may pass.
async fn send_with_retries(
    settings: &MailSettings,
    what: &str,
    user_id: i64,
    message: &MailMessage,
) {
    let mut delays = settings.retry_delays.iter();
    let mut attempt = 1u32;
    loop {
        match settings.mailer.send(message).await {
            Ok(()) => {
                tracing::info!(target: "auth::mail", mail = what, user_id, attempt, "sent");
                return;
            }
            Err(MailError::Temporary(e)) => match delays.next() {
                Some(delay) => {
                    tracing::warn!(target: "auth::mail", mail = what, user_id, attempt, error = %e, retry_in_s = delay.as_secs_f64(), "send failed, will retry");
                    tokio::time::sleep(*delay).await;
                    attempt += 1;
                }
                None => {
                    tracing::error!(target: "auth::mail", mail = what, user_id, attempt, error = %e, "send failed, giving up");
                    return;
                }
            },
            Err(MailError::Permanent(e)) => {
                tracing::error!(target: "auth::mail", mail = what, user_id, attempt, error = %e, "send failed for good");
                return;
            }
        }
    }
}
