-- The tokens of mailed links (password resets, address verifications): SHA-256 digests
-- only, single use (`used_at`), newest only per user and purpose (issuing one spends the
-- others). Times are BIGINT microseconds since the Unix epoch, UTC.
CREATE TABLE auth_link_tokens (
    digest     BYTEA        PRIMARY KEY,
    user_id    BIGINT       NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    purpose    VARCHAR(32)  NOT NULL,
    email      VARCHAR(320),
    created_at BIGINT       NOT NULL,
    expires_at BIGINT       NOT NULL,
    used_at    BIGINT
);
CREATE INDEX auth_link_tokens_user ON auth_link_tokens (user_id, purpose);
CREATE INDEX auth_link_tokens_expires ON auth_link_tokens (expires_at);
