-- Address verification. `pending_email` is an address the user asked to change to, until
-- its link is followed. `verified_email_key` is the ASCII-lower-case form of `email` while
-- it is verified, NULL otherwise: its unique constraint lets one user only verify an address
-- (NULLs do not collide), and concurrent verifications cannot both win.
ALTER TABLE auth_users ADD COLUMN pending_email VARCHAR(254);
ALTER TABLE auth_users ADD COLUMN verified_email_key VARCHAR(254);
ALTER TABLE auth_users ADD CONSTRAINT auth_users_verified_email_unique UNIQUE (verified_email_key);
