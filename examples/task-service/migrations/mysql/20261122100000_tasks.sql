-- Tasks of the example service. Times are BIGINT microseconds since the epoch (UTC).
CREATE TABLE tasks (
    id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    owner_id    BIGINT        NOT NULL,
    title       VARCHAR(200)  NOT NULL,
    description VARCHAR(2000),
    done        BIGINT        NOT NULL DEFAULT 0,
    created_at  BIGINT        NOT NULL,
    updated_at  BIGINT        NOT NULL,
    CONSTRAINT tasks_owner_fk FOREIGN KEY (owner_id) REFERENCES auth_users (id) ON DELETE CASCADE,
    INDEX tasks_owner (owner_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
