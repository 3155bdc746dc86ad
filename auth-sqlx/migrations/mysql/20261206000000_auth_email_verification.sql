-- Address verification. `pending_email` is an address the user asked to change to, until
-- its link is followed. `verified_email_key` is the ASCII-lower-case form of `email` while
-- it is verified, NULL otherwise: its unique index lets one user only verify an address
-- (NULLs do not collide), and concurrent verifications cannot both win. Binary collation:
-- the default *_ci collations would fold accents too (émile = emile); its trailing-space
-- padding cannot matter, as an address holds no spaces.
-- One statement: MySQL commits each DDL statement on its own, and a migration stopped
-- halfway could not run again.
ALTER TABLE auth_users
    ADD COLUMN pending_email VARCHAR(254),
    ADD COLUMN verified_email_key VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    ADD UNIQUE INDEX auth_users_verified_email_unique (verified_email_key);
