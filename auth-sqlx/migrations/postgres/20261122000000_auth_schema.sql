-- auth-sqlx schema (PostgreSQL). Times are BIGINT microseconds since the Unix epoch, UTC,
-- on every database, so that comparisons and ordering are exact everywhere.
CREATE TABLE auth_users (
    id                 BIGSERIAL    PRIMARY KEY,
    username           VARCHAR(64)  NOT NULL,
    -- NFKC + lower-case form of the username: the identity, unique.
    username_key       VARCHAR(255) NOT NULL,
    email              VARCHAR(254),
    role               VARCHAR(16)  NOT NULL,
    is_active          BOOLEAN      NOT NULL,
    password_hash      VARCHAR(512) NOT NULL,
    -- Access tokens issued before this instant are refused (logout-all, deactivation, ...).
    tokens_valid_after BIGINT,
    created_at         BIGINT       NOT NULL,
    updated_at         BIGINT       NOT NULL,
    CONSTRAINT auth_users_username_key_unique UNIQUE (username_key)
);

CREATE TABLE auth_refresh_tokens (
    -- SHA-256 of the token; the token itself is never stored.
    digest     BYTEA        PRIMARY KEY,
    user_id    BIGINT       NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    family_id  BYTEA        NOT NULL,
    parent     BYTEA,
    created_at BIGINT       NOT NULL,
    expires_at BIGINT       NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    ip         VARCHAR(45),
    user_agent VARCHAR(256)
);

CREATE INDEX auth_refresh_tokens_user ON auth_refresh_tokens (user_id);
CREATE INDEX auth_refresh_tokens_family ON auth_refresh_tokens (family_id);
CREATE INDEX auth_refresh_tokens_expires ON auth_refresh_tokens (expires_at);
