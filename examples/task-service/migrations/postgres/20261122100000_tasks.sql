-- Tasks of the example service. Times are BIGINT microseconds since the epoch (UTC), as in
-- the auth tables; `done` is 0/1 so that one query set serves every database.
CREATE TABLE tasks (
    id          BIGSERIAL     PRIMARY KEY,
    owner_id    BIGINT        NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    title       VARCHAR(200)  NOT NULL,
    description VARCHAR(2000),
    done        BIGINT        NOT NULL DEFAULT 0,
    created_at  BIGINT        NOT NULL,
    updated_at  BIGINT        NOT NULL
);
CREATE INDEX tasks_owner ON tasks (owner_id, id);
