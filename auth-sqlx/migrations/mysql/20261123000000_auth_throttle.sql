-- Throttling state shared by every instance (auth_core::throttle). Keys are
-- "kind:sha256-hex" (no usernames or addresses); times are BIGINT microseconds.
-- A bucket is its theoretical arrival time (GCRA); `admitted` holds the answer of the
-- last atomic update, read back in the same transaction.
CREATE TABLE auth_throttle_buckets (
    bucket_key VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    tat        BIGINT NOT NULL,
    admitted   INT    NOT NULL,
    INDEX auth_throttle_buckets_tat (tat)
) ENGINE = InnoDB;

-- Consecutive failed logins per account and client IP.
CREATE TABLE auth_login_failures (
    account_key     VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    failures        INT    NOT NULL,
    last_failure_at BIGINT NOT NULL,
    INDEX auth_login_failures_last (last_failure_at)
) ENGINE = InnoDB;
