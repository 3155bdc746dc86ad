-- auth-sqlx schema (SQLite). Times are INTEGER microseconds since the Unix epoch, UTC.
CREATE TABLE auth_users (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    username           TEXT    NOT NULL,
    -- NFKC + lower-case form of the username: the identity, unique (binary comparison).
    username_key       TEXT    NOT NULL COLLATE BINARY,
    email              TEXT,
    role               TEXT    NOT NULL,
    is_active          INTEGER NOT NULL,
    password_hash      TEXT    NOT NULL,
    tokens_valid_after INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CONSTRAINT auth_users_username_key_unique UNIQUE (username_key)
);

CREATE TABLE auth_refresh_tokens (
    digest     BLOB    PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    family_id  BLOB    NOT NULL,
    parent     BLOB,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER,
    ip         TEXT,
    user_agent TEXT
);

CREATE INDEX auth_refresh_tokens_user ON auth_refresh_tokens (user_id);
CREATE INDEX auth_refresh_tokens_family ON auth_refresh_tokens (family_id);
CREATE INDEX auth_refresh_tokens_expires ON auth_refresh_tokens (expires_at);
