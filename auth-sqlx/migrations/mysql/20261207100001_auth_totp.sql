-- One TOTP factor per user: its secret sealed (XChaCha20-Poly1305; `key_id` names the key),
-- pending until `confirmed_at`, and the last time step a code was accepted for (no code of
-- it or an earlier step works again). Times are BIGINT microseconds since the epoch, UTC.
CREATE TABLE auth_totp (
    user_id      BIGINT         NOT NULL PRIMARY KEY,
    key_id       VARCHAR(32)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    sealed       VARBINARY(128) NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT,
    created_at   BIGINT         NOT NULL,
    CONSTRAINT auth_totp_user_fk FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
