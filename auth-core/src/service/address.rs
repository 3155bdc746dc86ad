//! Writing a user's address state (address, verified flag, pending address): computed from
//! the user as stored, written only if it is still so, and computed again when another
//! change came first. So a verification, an address change and a password change or reset
//! that race never undo one another.

use super::Auth;
use crate::{Address, AuthError, Result, UserId, UserRecord, UserUpdate};

/// How often a write is tried when other changes keep coming first.
const ATTEMPTS: usize = 3;

impl Auth {
    /// Reads user `id`, asks `next` for their new address state and what else to write
    /// with it, and writes both only if the stored address is still the one read. Returns
    /// the user as read and as written, or `None` when the user is gone or `next` declines
    /// (returns `None`) for the user as they are.
    ///
    /// # Errors
    /// [`AuthError::EmailTaken`] when the new state verifies an address another user has
    /// verified; [`AuthError::Conflict`] when other changes came first every time;
    /// [`AuthError::Store`].
    pub(super) async fn write_address(
        &self,
        id: UserId,
        mut next: impl FnMut(&UserRecord) -> Option<(Address, UserUpdate)>,
    ) -> Result<Option<(UserRecord, UserRecord)>> {
        for _ in 0..ATTEMPTS {
            let Some(user) = self.inner.store.user_by_id(id).await? else { return Ok(None) };
            let Some((address, update)) = next(&user) else { return Ok(None) };
            let update = UserUpdate {
                address: Some(address.clone()),
                if_address: Some(Address::of(&user)),
                ..update
            };
            let hash = update.password_hash.clone();
            let Some(written) = self.write_user(id, update).await? else { return Ok(None) };
            // Not written when the address changed meanwhile: the store returned the user as
            // they are now. (A new hash is unique, so it tells a write from an old state
            // that happens to equal the new one.)
            let applied =
                Address::of(&written) == address && hash.is_none_or(|h| written.password_hash == h);
            if applied {
                return Ok(Some((user, written)));
            }
        }
        Err(AuthError::Conflict("the account changed meanwhile; try again"))
    }
}
