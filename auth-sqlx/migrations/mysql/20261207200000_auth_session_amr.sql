-- How and when a session's user authenticated (`amr`, RFC 8176 names separated by spaces;
-- `auth_time`, microseconds since the epoch), kept by every token of the family so that a
-- refresh issues access tokens that say what the login said. Sessions from before are
-- filled in by 20261207200001. One statement: MySQL commits DDL at once.
ALTER TABLE auth_refresh_tokens
    ADD COLUMN amr VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
    ADD COLUMN auth_time BIGINT;
