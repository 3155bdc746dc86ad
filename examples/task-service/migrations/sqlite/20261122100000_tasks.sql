-- Tasks of the example service. Times are INTEGER microseconds since the epoch (UTC).
CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    INTEGER NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    description TEXT,
    done        INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX tasks_owner ON tasks (owner_id, id);
