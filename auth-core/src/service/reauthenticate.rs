//! Re-authentication: the current password, asked again before an account change (a new
//! password, an address, deleting the account), counted in the same backoff as logins.

use super::Auth;
use crate::{AuthError, Password, RequestContext, Result, UserRecord, audit::audit};

impl Auth {
    /// Checks `password` against a signed-in user's, as the account's login backoff counts
    /// it: refused at once while the account backs off from this client, a wrong password
    /// counts as a failed login, a right one resets the count.
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`]; [`AuthError::RateLimited`] while the account backs
    /// off; [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub(super) async fn reauthenticate(
        &self,
        user: &UserRecord,
        password: &Password,
        ctx: &RequestContext,
    ) -> Result<()> {
        let throttle = &self.inner.throttle;
        let now = self.now();
        let account = throttle.account_key(user.username.key(), ctx.ip());
        let earlier = throttle.check_backoff(account.as_ref(), now).await?;
        // A password over the byte limit cannot be the user's: no hashing for it.
        let max = self.inner.config.password_policy().max_bytes();
        let matches = password.expose().len() <= max
            && self.inner.hasher.verify(password, &user.password_hash).await?.matches;
        if matches {
            throttle.succeeded(account.as_ref()).await
        } else {
            throttle.failed(account.as_ref(), earlier, now).await?;
            audit!(info, "reauthentication_failed", ctx, user_id = user.id.get());
            Err(AuthError::WrongPassword)
        }
    }
}
