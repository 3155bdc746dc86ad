-- The tokens of mailed links (password resets, address verifications): SHA-256 digests
-- only, single use (`used_at`), newest only per user and purpose (issuing one spends the
-- others). Times are INTEGER microseconds since the Unix epoch, UTC.
CREATE TABLE auth_link_tokens (
    digest     BLOB    PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL,
    email      TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX auth_link_tokens_user ON auth_link_tokens (user_id, purpose);
CREATE INDEX auth_link_tokens_expires ON auth_link_tokens (expires_at);
