//! [`UserStore`] on every database.

use async_trait::async_trait;
use auth_core::{
    Address, ConditionalUpdate, Email, NewUser, Page, Role, StoreResult, USERS_BY_EMAIL_LIMIT,
    UserChange, UserDeletion, UserId, UserRecord, UserSnapshot, UserStore, UserUpdate, Username,
};

use super::Store;
use crate::{
    error::{other_error, retry, user_error},
    portable::{Arg, On, Portable, Statement},
    rows::{UserRow, micros},
};

#[async_trait]
impl<DB: Portable> UserStore for Store<DB> {
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        let created = micros(user.created_at);
        let args = [
            Arg::Str(user.username.as_str()),
            Arg::Str(user.username.key()),
            Arg::OptStr(user.email.as_ref().map(|e| e.as_str())),
            Arg::Str(user.role.as_str()),
            Arg::Bool(user.is_active),
            Arg::Str(user.password_hash.as_str()),
            Arg::I64(created),
            Arg::I64(created),
        ];
        // The unique index on `username_key` decides between concurrent registrations.
        let id = retry!(DB::insert(On::Pool(&self.pool), &INSERT_USER, &args).await)
            .map_err(user_error)?;
        Ok(user.into_record(UserId::new(id)))
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let args = [Arg::I64(id.get())];
        let row: Option<UserRow> = DB::fetch_optional(On::Pool(&self.pool), &USER_BY_ID, &args)
            .await
            .map_err(other_error)?;
        row.map(UserRow::into_record).transpose()
    }

    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<UserRecord>> {
        let args = [Arg::Str(username.key())];
        let row: Option<UserRow> = DB::fetch_optional(On::Pool(&self.pool), &USER_BY_KEY, &args)
            .await
            .map_err(other_error)?;
        row.map(UserRow::into_record).transpose()
    }

    async fn users_by_email(&self, email: &Email) -> StoreResult<Vec<UserRecord>> {
        // Each database folds case its own way (PostgreSQL folds non-ASCII letters, MySQL's
        // collation accents too): it finds the candidates, and the comparison that decides
        // is the core's, ASCII case only, the same everywhere.
        // Candidates beyond the limit, so that variants a database folds together (accents on
        // MySQL) cannot crowd the real ones out.
        let candidates = i64::from(USERS_BY_EMAIL_LIMIT) * 10;
        let args = [Arg::Str(email.as_str()), Arg::I64(candidates)];
        let rows: Vec<UserRow> = DB::fetch_all(On::Pool(&self.pool), &USERS_BY_EMAIL, &args)
            .await
            .map_err(other_error)?;
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            let user = row.into_record()?;
            if user.email.as_ref().is_some_and(|e| e.same_address(email))
                && users.len() < USERS_BY_EMAIL_LIMIT as usize
            {
                users.push(user);
            }
        }
        Ok(users)
    }

    async fn update_user(&self, id: UserId, update: UserUpdate) -> StoreResult<Option<UserRecord>> {
        let key = update.address.as_ref().and_then(Address::verified_key);
        let args = update_args(id, &update, key.as_deref());
        // A unique violation is the verified address's: another user has it.
        let row: Option<UserRow> = retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                DB::execute(On::Tx(&mut tx), &UPDATE_USER, &args).await?;
                let row =
                    DB::fetch_optional(On::Tx(&mut tx), &USER_BY_ID, &[Arg::I64(id.get())]).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(row)
            }
            .await
        )
        .map_err(user_error)?;
        row.map(UserRow::into_record).transpose()
    }

    async fn list_users(&self, page: Page) -> StoreResult<Vec<UserRecord>> {
        let args = [
            Arg::I64(i64::from(page.limit())),
            Arg::I64(i64::try_from(page.offset()).unwrap_or(i64::MAX)),
        ];
        let rows: Vec<UserRow> =
            DB::fetch_all(On::Pool(&self.pool), &LIST_USERS, &args).await.map_err(other_error)?;
        rows.into_iter().map(UserRow::into_record).collect()
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<bool> {
        let args = [Arg::I64(id.get())];
        // Their refresh tokens go with them (ON DELETE CASCADE).
        let deleted = retry!(DB::execute(On::Pool(&self.pool), &DELETE_USER, &args).await)
            .map_err(other_error)?;
        Ok(deleted > 0)
    }

    async fn delete_user_unless_last_admin(&self, id: UserId) -> StoreResult<UserDeletion> {
        let outcome = retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                let outcome = match last_admin_guard(&mut tx, id, true).await? {
                    Guard::NotFound => UserDeletion::NotFound,
                    Guard::LastAdmin => UserDeletion::LastAdmin,
                    Guard::Clear => {
                        DB::execute(On::Tx(&mut tx), &DELETE_USER, &[Arg::I64(id.get())]).await?;
                        UserDeletion::Deleted
                    }
                };
                tx.commit().await?;
                Ok::<_, sqlx::Error>(outcome)
            }
            .await
        )
        .map_err(other_error)?;
        Ok(outcome)
    }

    async fn update_user_if(
        &self,
        id: UserId,
        expected: &UserSnapshot,
        update: UserUpdate,
    ) -> StoreResult<ConditionalUpdate> {
        let key = update.address.as_ref().and_then(Address::verified_key);
        let args = update_args(id, &update, key.as_deref());
        let by_id = [Arg::I64(id.get())];
        // The user read with a lock that holds until the write commits (SQLite's write
        // transaction holds the whole database), so nothing changes between the comparison
        // and the write.
        let locked = if DB::ROW_LOCKS { &USER_BY_ID_LOCKED } else { &USER_BY_ID };
        let (applied, row) = retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                let current: Option<UserRow> =
                    DB::fetch_optional(On::Tx(&mut tx), locked, &by_id).await?;
                let Some(current) = current else {
                    tx.rollback().await?;
                    return Ok((false, None));
                };
                // Compared as the caller saw it: the record the row makes.
                let record = current.into_record().map_err(|e| sqlx::Error::Decode(e.into()))?;
                if UserSnapshot::of(&record) != *expected {
                    tx.rollback().await?;
                    return Ok((false, Some(record)));
                }
                DB::execute(On::Tx(&mut tx), &UPDATE_USER, &args).await?;
                let row: Option<UserRow> =
                    DB::fetch_optional(On::Tx(&mut tx), &USER_BY_ID, &by_id).await?;
                tx.commit().await?;
                let record = row.map(UserRow::into_record).transpose();
                Ok::<_, sqlx::Error>((true, record.map_err(|e| sqlx::Error::Decode(e.into()))?))
            }
            .await
        )
        .map_err(user_error)?;
        Ok(match (applied, row) {
            (_, None) => ConditionalUpdate::NotFound,
            (true, Some(user)) => ConditionalUpdate::Applied(user),
            (false, Some(user)) => ConditionalUpdate::Stale(user),
        })
    }

    async fn update_user_unless_last_admin(
        &self,
        id: UserId,
        update: UserUpdate,
    ) -> StoreResult<UserChange> {
        let key = update.address.as_ref().and_then(Address::verified_key);
        let args = update_args(id, &update, key.as_deref());
        let (guard, row) = retry!(
            async {
                let mut tx = DB::begin_write(&self.pool).await?;
                let guard = last_admin_guard(&mut tx, id, update.takes_admin_away()).await?;
                let mut row: Option<UserRow> = None;
                if matches!(guard, Guard::Clear) {
                    DB::execute(On::Tx(&mut tx), &UPDATE_USER, &args).await?;
                    let by_id = [Arg::I64(id.get())];
                    row = DB::fetch_optional(On::Tx(&mut tx), &USER_BY_ID, &by_id).await?;
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>((guard, row))
            }
            .await
        )
        .map_err(user_error)?;
        Ok(match (guard, row) {
            (Guard::LastAdmin, _) => UserChange::LastAdmin,
            (Guard::Clear, Some(row)) => UserChange::Updated(row.into_record()?),
            _ => UserChange::NotFound,
        })
    }

    async fn ping(&self) -> StoreResult<()> {
        DB::execute(On::Pool(&self.pool), &PING, &[]).await.map(|_| ()).map_err(other_error)
    }
}

/// The binds of [`UPDATE_USER`] for `update` of user `id`.
fn update_args<'a>(
    id: UserId,
    update: &'a UserUpdate,
    verified_key: Option<&'a str>,
) -> [Arg<'a>; 13] {
    let stamp = update.tokens_valid_after.map(micros);
    let address = update.address.as_ref();
    let set_address = address.is_some();
    let email = |e: Option<&'a Email>| Arg::OptStr(e.map(Email::as_str));
    [
        Arg::OptStr(update.role.as_ref().map(|r| r.as_str())),
        Arg::OptBool(update.is_active),
        Arg::OptStr(update.password_hash.as_ref().map(|h| h.as_str())),
        // The three address columns are written together, or not at all.
        Arg::Bool(set_address),
        email(address.and_then(|a| a.email.as_ref())),
        Arg::Bool(set_address),
        email(address.and_then(|a| a.pending.as_ref())),
        Arg::Bool(set_address),
        Arg::OptStr(verified_key),
        // The stamp only moves forward: compared, then written.
        Arg::OptI64(stamp),
        Arg::OptI64(stamp),
        Arg::OptI64(update.updated_at.map(micros)),
        Arg::I64(id.get()),
    ]
}

/// What stands in the way of removing user `id` as an active admin.
enum Guard {
    /// No such user.
    NotFound,
    /// They are the last active admin.
    LastAdmin,
    /// Nothing: the change may go ahead.
    Clear,
}

/// Reads user `id` in `tx`; when the change `takes_admin_away` and they are an active
/// admin, locks every active admin's row (in id order, so that two such transactions
/// queue rather than deadlock) and counts them. A user who stopped being an active admin
/// while this waited is no longer among them, so the change cannot lower the count. A
/// change that takes nothing away, or concerns another user, locks no other row.
async fn last_admin_guard<DB: Portable>(
    tx: &mut sqlx::Transaction<'static, DB>,
    id: UserId,
    takes_admin_away: bool,
) -> Result<Guard, sqlx::Error> {
    let by_id = [Arg::I64(id.get())];
    // Locked, so that what is decided from it (whether they are an active admin) holds until
    // the change commits: a concurrent reactivation waits (or the deadlock it meets with
    // the lock of all admins below is retried).
    let target_sql = if DB::ROW_LOCKS { &USER_BY_ID_LOCKED } else { &USER_BY_ID };
    let target: Option<UserRow> = DB::fetch_optional(On::Tx(tx), target_sql, &by_id).await?;
    let Some(target) = target else { return Ok(Guard::NotFound) };
    if !(takes_admin_away && target.is_active_admin()) {
        return Ok(Guard::Clear);
    }
    let admins = if DB::ROW_LOCKS { &ACTIVE_ADMINS_LOCKED } else { &ACTIVE_ADMINS };
    let admin_args = [Arg::Str(Role::Admin.as_str()), Arg::Bool(true)];
    let active: Vec<UserRow> = DB::fetch_all(On::Tx(tx), admins, &admin_args).await?;
    Ok(if active.len() == 1 && active[0].id() == id.get() {
        Guard::LastAdmin
    } else {
        Guard::Clear
    })
}

// The statements, with `?` placeholders (`portable` numbers them for PostgreSQL).

macro_rules! user_columns {
    () => {
        "id, username, email, pending_email, verified_email_key, role, is_active, mfa_enabled, \
         password_hash, tokens_valid_after, created_at, updated_at"
    };
}

macro_rules! insert_user {
    () => {
        "INSERT INTO auth_users \
         (username, username_key, email, role, is_active, password_hash, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    };
}

/// Run by [`Portable::insert`], which adds what the database needs to report the new id.
static INSERT_USER: Statement = Statement::new(insert_user!());

static USER_BY_ID: Statement =
    Statement::new(concat!("SELECT ", user_columns!(), " FROM auth_users WHERE id = ?"));

static USER_BY_ID_LOCKED: Statement =
    Statement::new(concat!("SELECT ", user_columns!(), " FROM auth_users WHERE id = ? FOR UPDATE"));

static USER_BY_KEY: Statement =
    Statement::new(concat!("SELECT ", user_columns!(), " FROM auth_users WHERE username_key = ?"));

static USERS_BY_EMAIL: Statement = Statement::new(concat!(
    "SELECT ",
    user_columns!(),
    " FROM auth_users WHERE LOWER(email) = LOWER(?) ORDER BY id LIMIT ?"
));

static UPDATE_USER: Statement = Statement::new(
    "UPDATE auth_users SET \
     role = COALESCE(?, role), \
     is_active = COALESCE(?, is_active), \
     password_hash = COALESCE(?, password_hash), \
     email = CASE WHEN ? THEN ? ELSE email END, \
     pending_email = CASE WHEN ? THEN ? ELSE pending_email END, \
     verified_email_key = CASE WHEN ? THEN ? ELSE verified_email_key END, \
     tokens_valid_after = CASE WHEN ? > COALESCE(tokens_valid_after, -1) \
         THEN ? ELSE tokens_valid_after END, \
     updated_at = COALESCE(?, updated_at) \
     WHERE id = ?",
);

static LIST_USERS: Statement = Statement::new(concat!(
    "SELECT ",
    user_columns!(),
    " FROM auth_users ORDER BY id LIMIT ? OFFSET ?"
));

static ACTIVE_ADMINS: Statement = Statement::new(concat!(
    "SELECT ",
    user_columns!(),
    " FROM auth_users WHERE role = ? AND is_active = ? ORDER BY id"
));

static ACTIVE_ADMINS_LOCKED: Statement = Statement::new(concat!(
    "SELECT ",
    user_columns!(),
    " FROM auth_users WHERE role = ? AND is_active = ? ORDER BY id FOR UPDATE"
));

static DELETE_USER: Statement = Statement::new("DELETE FROM auth_users WHERE id = ?");

static PING: Statement = Statement::new("SELECT 1");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_update_has_a_placeholder_per_bind() {
        assert_eq!(
            crate::portable::numbered_placeholders(UPDATE_USER.text()).matches('$').count(),
            13
        );
    }
}
