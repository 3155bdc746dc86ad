-- What a correct password earns when a second factor is on: digest only, single use
-- (`used_at`), 5 minutes, at most 5 codes tried (`attempts`, counted before each is checked).
CREATE TABLE auth_mfa_tokens (
    digest     BINARY(32)  NOT NULL PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    origin     VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    used_at    BIGINT,
    CONSTRAINT auth_mfa_tokens_user_fk FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE,
    INDEX auth_mfa_tokens_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
