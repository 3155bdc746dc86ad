-- The last-admin rule reads (and on PostgreSQL and MySQL locks) the active admins' rows
-- before it removes one; with this index it reads and locks only those rows.
CREATE INDEX auth_users_active_admins ON auth_users (role, is_active);
