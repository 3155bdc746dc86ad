-- auth-sqlx schema (MySQL / MariaDB). Times are BIGINT microseconds since the Unix epoch,
-- UTC (TIMESTAMP ends in 2038; DATETIME carries no zone).
CREATE TABLE auth_users (
    id                 BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username           VARCHAR(64)  NOT NULL,
    -- NFKC + lower-case form of the username: the identity, unique. Binary collation: the
    -- default *_ci collations would also fold accents (café = cafe) and widths.
    username_key       VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    email              VARCHAR(254),
    role               VARCHAR(16)  NOT NULL,
    is_active          BOOLEAN      NOT NULL,
    password_hash      VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    tokens_valid_after BIGINT,
    created_at         BIGINT       NOT NULL,
    updated_at         BIGINT       NOT NULL,
    CONSTRAINT auth_users_username_key_unique UNIQUE (username_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE auth_refresh_tokens (
    digest     BINARY(32)   NOT NULL PRIMARY KEY,
    user_id    BIGINT       NOT NULL,
    family_id  BINARY(16)   NOT NULL,
    parent     BINARY(32),
    created_at BIGINT       NOT NULL,
    expires_at BIGINT       NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    ip         VARCHAR(45),
    user_agent VARCHAR(256),
    CONSTRAINT auth_refresh_tokens_user_fk FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE,
    INDEX auth_refresh_tokens_user (user_id),
    INDEX auth_refresh_tokens_family (family_id),
    INDEX auth_refresh_tokens_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
