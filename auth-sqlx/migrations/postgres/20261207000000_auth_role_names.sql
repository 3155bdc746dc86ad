-- Roles an application declares: names of up to 32 bytes (`Role::MAX_LEN`), stored as text
-- like the built-in `user` and `admin`. Widening a VARCHAR rewrites nothing.
ALTER TABLE auth_users ALTER COLUMN role TYPE VARCHAR(32);
