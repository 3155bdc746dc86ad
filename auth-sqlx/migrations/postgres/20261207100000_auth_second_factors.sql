-- Second factors. `auth_users.mfa_enabled` says whether one is on (set in the transaction
-- that turns it on or off, so a login reads it with the user). `auth_totp`: one TOTP factor
-- per user, its secret sealed (XChaCha20-Poly1305; `key_id` names the key), pending until
-- `confirmed_at`, and the last time step a code was accepted for (no code of it or an
-- earlier step works again). `auth_recovery_codes`: SHA-256 digests, single use.
-- `auth_mfa_tokens`: what a correct password earns when a factor is on (digest only, single
-- use, 5 minutes, at most 5 codes tried). Times are BIGINT microseconds since the Unix epoch, UTC.
ALTER TABLE auth_users ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE auth_totp (
    user_id      BIGINT      PRIMARY KEY REFERENCES auth_users (id) ON DELETE CASCADE,
    key_id       VARCHAR(32) NOT NULL,
    sealed       BYTEA       NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT,
    created_at   BIGINT      NOT NULL
);
CREATE TABLE auth_recovery_codes (
    user_id    BIGINT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    digest     BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, digest)
);
CREATE TABLE auth_mfa_tokens (
    digest     BYTEA       PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    origin     VARCHAR(16) NOT NULL,
    created_at BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    used_at    BIGINT
);
CREATE INDEX auth_mfa_tokens_user ON auth_mfa_tokens (user_id);
CREATE INDEX auth_mfa_tokens_expires ON auth_mfa_tokens (expires_at);
