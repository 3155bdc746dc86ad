//! The SQL of the stores, written once with `?` placeholders (rewritten to `$1, $2, …` for
//! PostgreSQL by [`portable`](crate::portable)). Every statement runs on the three
//! databases, but for the two upserts, written in each of the two syntaxes.

macro_rules! user_columns {
    () => {
        "id, username, email, role, is_active, password_hash, tokens_valid_after, created_at, \
         updated_at"
    };
}

macro_rules! token_columns {
    () => {
        "digest, user_id, family_id, parent, created_at, expires_at, used_at, revoked_at, ip, \
         user_agent"
    };
}

macro_rules! insert_user {
    () => {
        "INSERT INTO auth_users \
         (username, username_key, email, role, is_active, password_hash, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    };
}

/// Run by [`Portable::insert`](crate::portable::Portable::insert), which adds what the
/// database needs to report the new id.
pub(crate) const INSERT_USER: &str = insert_user!();

pub(crate) const USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM auth_users WHERE id = ?");

pub(crate) const USER_BY_KEY: &str =
    concat!("SELECT ", user_columns!(), " FROM auth_users WHERE username_key = ?");

pub(crate) const UPDATE_USER: &str = "UPDATE auth_users SET \
     role = COALESCE(?, role), \
     is_active = COALESCE(?, is_active), \
     password_hash = COALESCE(?, password_hash), \
     tokens_valid_after = CASE WHEN ? > COALESCE(tokens_valid_after, -1) \
         THEN ? ELSE tokens_valid_after END, \
     updated_at = COALESCE(?, updated_at) \
     WHERE id = ?";

pub(crate) const LIST_USERS: &str =
    concat!("SELECT ", user_columns!(), " FROM auth_users ORDER BY id LIMIT ? OFFSET ?");

pub(crate) const DELETE_USER: &str = "DELETE FROM auth_users WHERE id = ?";

pub(crate) const INSERT_TOKEN: &str = "INSERT INTO auth_refresh_tokens \
     (digest, user_id, family_id, parent, created_at, expires_at, ip, user_agent) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

pub(crate) const TOKEN_BY_DIGEST: &str =
    concat!("SELECT ", token_columns!(), " FROM auth_refresh_tokens WHERE digest = ?");

/// Spends a token if it is live. The row lock this takes is what makes exactly one of
/// several concurrent spends succeed.
pub(crate) const SPEND_TOKEN: &str = "UPDATE auth_refresh_tokens SET used_at = ? \
     WHERE digest = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?";

pub(crate) const REVOKE_FAMILY: &str = "UPDATE auth_refresh_tokens SET revoked_at = ? \
     WHERE family_id = ? AND revoked_at IS NULL";

pub(crate) const REVOKE_USER: &str = "UPDATE auth_refresh_tokens SET revoked_at = ? \
     WHERE user_id = ? AND revoked_at IS NULL";

pub(crate) const LIVE_TOKENS: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM auth_refresh_tokens \
     WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? \
     ORDER BY created_at DESC, digest"
);

pub(crate) const PURGE_EXPIRED: &str = "DELETE FROM auth_refresh_tokens WHERE expires_at < ?";

pub(crate) const PING: &str = "SELECT 1";

// Throttling (auth_core::throttle). A bucket takes one attempt by the GCRA rule in one
// atomic upsert; the answer is kept in `admitted` and read back in the same transaction.
// Binds: key, now + interval, then (now, tolerance) twice, now, now, interval.

/// GCRA in SQL, the update half. In every dialect the right-hand sides read the row as it
/// was before this statement (MySQL assigns left to right, so `admitted` comes first and
/// the `tat` expression does not read it).
macro_rules! gcra_update {
    ($t:literal) => {
        concat!(
            "admitted = CASE WHEN ",
            $t,
            " - ? <= ? THEN 1 ELSE 0 END, \
             tat = CASE WHEN ",
            $t,
            " - ? <= ? \
                 THEN (CASE WHEN ",
            $t,
            " > ? THEN ",
            $t,
            " ELSE ? END) + ? \
                 ELSE ",
            $t,
            " END"
        )
    };
}

/// For PostgreSQL and SQLite.
pub(crate) const TAKE_ON_CONFLICT: &str = concat!(
    "INSERT INTO auth_throttle_buckets (bucket_key, tat, admitted) VALUES (?, ?, 1) \
     ON CONFLICT (bucket_key) DO UPDATE SET ",
    gcra_update!("auth_throttle_buckets.tat")
);

/// For MySQL.
pub(crate) const TAKE_ON_DUPLICATE_KEY: &str = concat!(
    "INSERT INTO auth_throttle_buckets (bucket_key, tat, admitted) VALUES (?, ?, 1) \
     ON DUPLICATE KEY UPDATE ",
    gcra_update!("tat")
);

pub(crate) const BUCKET: &str =
    "SELECT admitted, tat FROM auth_throttle_buckets WHERE bucket_key = ?";

/// For PostgreSQL and SQLite. Binds: key, now, now.
pub(crate) const ADD_FAILURE_ON_CONFLICT: &str = "INSERT INTO auth_login_failures (account_key, failures, last_failure_at) VALUES (?, 1, ?) \
     ON CONFLICT (account_key) DO UPDATE SET \
     failures = auth_login_failures.failures + 1, last_failure_at = ?";

/// For MySQL. Binds: key, now, now.
pub(crate) const ADD_FAILURE_ON_DUPLICATE_KEY: &str = "INSERT INTO auth_login_failures (account_key, failures, last_failure_at) VALUES (?, 1, ?) \
     ON DUPLICATE KEY UPDATE failures = failures + 1, last_failure_at = ?";

pub(crate) const FAILURES: &str =
    "SELECT failures, last_failure_at FROM auth_login_failures WHERE account_key = ?";

pub(crate) const CLEAR_FAILURES: &str = "DELETE FROM auth_login_failures WHERE account_key = ?";

pub(crate) const PURGE_BUCKETS: &str = "DELETE FROM auth_throttle_buckets WHERE tat <= ?";

pub(crate) const PURGE_FAILURES: &str = "DELETE FROM auth_login_failures WHERE last_failure_at < ?";
