-- The tokens of mailed links (password resets, address verifications): SHA-256 digests
-- only, single use (`used_at`), newest only per user and purpose (issuing one spends the
-- others). Times are BIGINT microseconds since the Unix epoch, UTC. One statement: MySQL
-- commits DDL at once, so a migration of several could stop half-way.
CREATE TABLE auth_link_tokens (
    digest     BINARY(32)   NOT NULL PRIMARY KEY,
    user_id    BIGINT       NOT NULL,
    purpose    VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email      VARCHAR(320),
    created_at BIGINT       NOT NULL,
    expires_at BIGINT       NOT NULL,
    used_at    BIGINT,
    CONSTRAINT auth_link_tokens_user_fk FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE,
    INDEX auth_link_tokens_user (user_id, purpose),
    INDEX auth_link_tokens_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
