-- How and when a session's user authenticated (`amr`, RFC 8176 names separated by spaces;
-- `auth_time`, microseconds since the epoch), kept by every token of the family so that a
-- refresh issues access tokens that say what the login said. Sessions from before are
-- filled in below.
ALTER TABLE auth_refresh_tokens ADD COLUMN amr TEXT;
ALTER TABLE auth_refresh_tokens ADD COLUMN auth_time INTEGER;
-- Sessions from before: a password login, at the family's first token (its login), so a
-- refreshed old session does not claim a fresher login than it had.
UPDATE auth_refresh_tokens SET amr = 'pwd', auth_time = (
    SELECT MIN(f.created_at) FROM auth_refresh_tokens f
    WHERE f.family_id = auth_refresh_tokens.family_id
) WHERE amr IS NULL;
