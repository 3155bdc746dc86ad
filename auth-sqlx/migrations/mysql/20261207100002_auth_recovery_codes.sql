-- Recovery codes: SHA-256 digests, single use (`used_at`).
CREATE TABLE auth_recovery_codes (
    user_id    BIGINT     NOT NULL,
    digest     BINARY(32) NOT NULL,
    created_at BIGINT     NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, digest),
    CONSTRAINT auth_recovery_codes_user_fk FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
