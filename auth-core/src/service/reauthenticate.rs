//! Re-authentication: the current password, asked again before an account change (a new
//! password, an address, deleting the account), counted in the same backoff as logins.

use super::Auth;
use crate::{
    AuthError, HashingError, Password, RequestContext, Result, UserRecord, audit::audit,
    throttle::Bucket,
};

impl Auth {
    /// Checks `password` against a signed-in user's, as a login counts it: one attempt of
    /// the client's per-IP login bucket, refused at once while the account backs off from
    /// this client, counted as a failed login before the check (see
    /// [`Throttle::begin_attempt`](crate::throttle)) and reset by a right password. A
    /// password over the policy's byte limit, or a stored hash that cannot be verified, is
    /// a wrong password.
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`]; [`AuthError::RateLimited`] over the per-IP bucket or
    /// while the account backs off; [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub(super) async fn reauthenticate(
        &self,
        user: &UserRecord,
        password: &Password,
        ctx: &RequestContext,
    ) -> Result<()> {
        let throttle = &self.inner.throttle;
        let now = self.now();
        // The per-IP login bucket too: a re-check is a password guess like a login.
        throttle.take(Bucket::Login, ctx.ip(), now).await?;
        let account = throttle.account_key(user.username.key(), ctx.ip());
        let attempt = throttle.begin_attempt(account, now).await?;
        // A password over the byte limit cannot be the user's: no hashing for it.
        let max = self.inner.config.password_policy().max_bytes();
        let matches = password.expose().len() <= max
            && match self.inner.hasher.verify(password, &user.password_hash).await {
                Ok(v) => v.matches,
                Err(e @ HashingError::Overloaded { .. }) => {
                    throttle.withdrawn(attempt).await;
                    return Err(e.into());
                }
                // As at login: a stored hash that cannot be verified is a wrong password.
                Err(e) => {
                    tracing::error!(target: "auth::hashing", user_id = user.id.get(), error = %e, "stored hash cannot be verified");
                    false
                }
            };
        if matches {
            throttle.succeeded(attempt).await
        } else {
            audit!(info, "reauthentication_failed", ctx, user_id = user.id.get());
            Err(AuthError::WrongPassword)
        }
    }
}
