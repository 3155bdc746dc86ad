-- Sessions. Store-checked requests ask whether a family has a live token of its user, and
-- the session list reads when each family began; a family keeps every token it rotated
-- through until it expires, so both need more than the family id to avoid reading them all.
CREATE INDEX auth_refresh_tokens_family_live ON auth_refresh_tokens (family_id, used_at, revoked_at);
CREATE INDEX auth_refresh_tokens_family_start ON auth_refresh_tokens (family_id, created_at);
DROP INDEX auth_refresh_tokens_family ON auth_refresh_tokens;
