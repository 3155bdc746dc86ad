//! Writing a user's address state (address, verified flag, pending address) with what goes
//! with it: computed from the user as stored, written only while the user is still so
//! (their address, password hash, revocation stamp and active flag; see
//! [`UserStore::update_user_if`](crate::UserStore::update_user_if)), and computed again
//! when another change came first. So a verification, an address change, a password change
//! or reset and a revocation that race never undo one another.

use super::Auth;
use crate::{Address, AuthError, ConditionalUpdate, Result, UserRecord, UserSnapshot, UserUpdate};

/// Whether `a` and `b` have the same credentials: password hash, revocation stamp and
/// active flag. A change asked for with the current password is written only to the
/// account that password was checked against.
pub(super) fn same_credentials(a: &UserRecord, b: &UserRecord) -> bool {
    a.password_hash == b.password_hash
        && a.tokens_valid_after == b.tokens_valid_after
        && a.is_active == b.is_active
}

/// How often a write is tried when other changes keep coming first.
const ATTEMPTS: usize = 3;

impl Auth {
    /// Asks `next` for `user`'s new address state and what else to write with it, and
    /// writes both only while the user is still as `user` (the caller's last read) says;
    /// when they changed meanwhile, asks again of the user as they are now. So the caller's
    /// read is the first one and no second read is needed. Returns the user as `next` last
    /// saw them and as written, or `None` when the user is gone or `next` declines (returns
    /// `None`) for the user as they are.
    ///
    /// # Errors
    /// [`AuthError::EmailTaken`] when the new state verifies an address another user has
    /// verified; [`AuthError::Conflict`] when other changes came first every time;
    /// [`AuthError::Store`].
    pub(super) async fn write_address(
        &self,
        mut user: UserRecord,
        mut next: impl FnMut(&UserRecord) -> Option<(Address, UserUpdate)>,
    ) -> Result<Option<(UserRecord, UserRecord)>> {
        let (store, id) = (&self.inner.store, user.id);
        for _ in 0..ATTEMPTS {
            let Some((address, update)) = next(&user) else { return Ok(None) };
            let update = UserUpdate { address: Some(address), ..update };
            let written = store.update_user_if(id, &UserSnapshot::of(&user), update).await;
            self.inner.users.forget(id);
            match written.map_err(super::store_write_error)? {
                ConditionalUpdate::Applied(written) => return Ok(Some((user, written))),
                // Another change came first: again, from the user as they are now.
                ConditionalUpdate::Stale(now) => user = now,
                ConditionalUpdate::NotFound => return Ok(None),
            }
        }
        Err(AuthError::Conflict("the account changed meanwhile; try again"))
    }
}
