-- The username key is compared byte for byte. `utf8mb4_bin` pads with spaces when it
-- compares, so `alice ` found `alice`: the lookup then disagreed with the key the login
-- backoff counts under (and with SQLite and PostgreSQL). VARBINARY compares without padding.
-- 1020 bytes hold the 255 characters of four bytes the column held before.
ALTER TABLE auth_users MODIFY username_key VARBINARY(1020) NOT NULL;
