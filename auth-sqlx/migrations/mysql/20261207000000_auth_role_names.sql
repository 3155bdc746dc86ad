-- Roles an application declares: names of up to 32 bytes (`Role::MAX_LEN`), stored as text
-- like the built-in `user` and `admin`.
ALTER TABLE auth_users MODIFY role VARCHAR(32) NOT NULL;
