-- Throttling state shared by every instance (auth_core::throttle). Keys are
-- "kind:sha256-hex" (no usernames or addresses); times are INTEGER microseconds.
-- A bucket is its theoretical arrival time (GCRA); `admitted` holds the answer of the
-- last atomic update, read back in the same transaction.
CREATE TABLE auth_throttle_buckets (
    bucket_key TEXT    PRIMARY KEY NOT NULL COLLATE BINARY,
    tat        INTEGER NOT NULL,
    admitted   INTEGER NOT NULL
);

CREATE INDEX auth_throttle_buckets_tat ON auth_throttle_buckets (tat);

-- Consecutive failed logins per account and client IP.
CREATE TABLE auth_login_failures (
    account_key     TEXT    PRIMARY KEY NOT NULL COLLATE BINARY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);

CREATE INDEX auth_login_failures_last ON auth_login_failures (last_failure_at);
