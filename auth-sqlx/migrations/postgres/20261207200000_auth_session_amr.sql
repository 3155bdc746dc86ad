-- How and when a session's user authenticated (`amr`, RFC 8176 names separated by spaces;
-- `auth_time`, microseconds since the epoch), kept by every token of the family so that a
-- refresh issues access tokens that say what the login said. NULL in sessions from before:
-- read as a password login at the token's issue.
ALTER TABLE auth_refresh_tokens ADD COLUMN amr VARCHAR(64);
ALTER TABLE auth_refresh_tokens ADD COLUMN auth_time BIGINT;
