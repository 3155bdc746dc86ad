-- Whether a second factor is on (set in the transaction that turns it on or off, so a login
-- reads it with the user). One statement per migration: MySQL commits DDL at once.
ALTER TABLE auth_users ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;
