//! The messages that carry a link (a password reset, an address verification): a fresh
//! token stored as a digest (superseding the user's earlier ones of its purpose), the link
//! under the public URL, and an hourly cap per recipient and kind.

use std::time::Duration;

use super::Auth;
use crate::{
    Email, LinkPurpose, LinkToken, LinkTokenRecord, Result, UserRecord,
    mail::{MailMessage, MailTemplates, RenderedMail},
};

impl Auth {
    /// A message to `to` with a fresh link of `purpose` for `user` (to the page at `path`),
    /// in the words `render` writes with the templates, of the link and its lifetime. `None` without mail settings,
    /// or when `to` had its hourly cap of links of this kind.
    ///
    /// # Errors
    /// [`AuthError::Store`](crate::AuthError::Store) when the token is not stored.
    pub(super) async fn link_message(
        &self,
        user: &UserRecord,
        to: Email,
        purpose: LinkPurpose,
        path: &str,
        render: impl FnOnce(&dyn MailTemplates, &str, Duration) -> RenderedMail,
    ) -> Result<Option<MailMessage>> {
        let Some(delivery) = self.inner.mail.as_ref() else { return Ok(None) };
        if !self.recipient_may_receive(user, &to, purpose).await {
            return Ok(None);
        }
        let token = LinkToken::generate();
        let now = self.now();
        let lifetime = purpose.lifetime();
        self.inner
            .store
            .issue_link_token(LinkTokenRecord {
                digest: token.digest(),
                user_id: user.id,
                purpose,
                email: Some(to.clone()),
                created_at: now,
                expires_at: now + lifetime,
            })
            .await?;
        let settings = delivery.settings();
        let link = settings.link(path, token.expose());
        let content = render(settings.templates.as_ref(), &link, lifetime);
        Ok(Some(MailMessage { to, content }))
    }

    /// Whether `to` may get another link of `purpose` (a reset, a verification) this
    /// hour: however many accounts name an address, it gets at most the per-account limit
    /// of each kind (an attacker cannot multiply messages by registering accounts with it,
    /// and sign-ups naming an address cannot use up its reset links). A refusal is logged.
    async fn recipient_may_receive(
        &self,
        user: &UserRecord,
        to: &Email,
        purpose: LinkPurpose,
    ) -> bool {
        let recipient = format!("to:{}:{}", purpose.as_str(), to.key());
        let allowed = self.inner.throttle.take_mail_for(&recipient, self.now()).await.is_ok();
        if !allowed {
            tracing::info!(target: "auth::mail", mail = purpose.as_str(), user_id = user.id.get(), "this address had enough mail for now");
        }
        allowed
    }
}
