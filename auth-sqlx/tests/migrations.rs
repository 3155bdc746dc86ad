//! Migrations: running them twice is a no-op, a database migrated once and one migrated
//! twice have the same schema, the indexes the queries need exist, and the auth migrations
//! live beside an application's own.

use auth_sqlx::{MySqlStore, PoolSettings, PostgresStore, SqliteStore, testing::TestDatabase};

const TABLES: [&str; 2] = ["auth_users", "auth_refresh_tokens"];

async fn sqlite_schema(store: &SqliteStore) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn postgres_schema(store: &PostgresStore) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
        )
        .fetch_all(store.pool())
        .await
        .unwrap(),
    );
    rows
}

async fn mysql_schema(store: &MySqlStore) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(
        "SELECT CONCAT(table_name, '.', column_name, ' ', column_type, ' ', is_nullable, ' ', COALESCE(collation_name, '')) \
         FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT CONCAT(table_name, ' ', index_name, ' ', column_name, ' unique=', 1 - non_unique) \
             FROM information_schema.statistics WHERE table_schema = DATABASE() ORDER BY 1",
        )
        .fetch_all(store.pool())
        .await
        .unwrap(),
    );
    rows
}

fn assert_has_indexes(schema: &[String]) {
    let text = schema.join("\n");
    for table in TABLES {
        assert!(text.contains(table), "missing {table}:\n{text}");
    }
    for index in [
        "auth_users_username_key_unique",
        "auth_refresh_tokens_user",
        "auth_refresh_tokens_family_live",
        "auth_refresh_tokens_family_start",
        "auth_refresh_tokens_expires",
    ] {
        assert!(text.contains(index), "missing index {index}:\n{text}");
    }
}

#[tokio::test]
async fn sqlite_migrations_are_idempotent_and_stable() {
    let (a, b) = (TestDatabase::sqlite(), TestDatabase::sqlite());
    let once = SqliteStore::connect(a.url(), &PoolSettings::default()).await.unwrap();
    once.migrate().await.unwrap();
    let twice = SqliteStore::connect(b.url(), &PoolSettings::default()).await.unwrap();
    twice.migrate().await.unwrap();
    let before = sqlite_schema(&twice).await;
    twice.migrate().await.unwrap();
    assert_eq!(sqlite_schema(&twice).await, before, "second run changed the schema");
    assert_eq!(sqlite_schema(&once).await, before, "fresh and re-migrated differ");
    assert_has_indexes(&before);
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _auth_sqlx_migrations")
        .fetch_one(twice.pool())
        .await
        .unwrap();
    assert_eq!(applied, SqliteStore::migrator().iter().count() as i64);
}

#[tokio::test]
#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]
async fn postgres_migrations_are_idempotent_and_stable() {
    let (a, b) = (TestDatabase::postgres().await, TestDatabase::postgres().await);
    let once = PostgresStore::connect(a.url(), &PoolSettings::default()).await.unwrap();
    once.migrate().await.unwrap();
    let twice = PostgresStore::connect(b.url(), &PoolSettings::default()).await.unwrap();
    twice.migrate().await.unwrap();
    let before = postgres_schema(&twice).await;
    twice.migrate().await.unwrap();
    assert_eq!(postgres_schema(&twice).await, before);
    assert_eq!(postgres_schema(&once).await, before);
    assert_has_indexes(&before);
    drop((once, twice));
}

#[tokio::test]
#[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")]
async fn mysql_migrations_are_idempotent_and_stable() {
    let (a, b) = (TestDatabase::mysql().await, TestDatabase::mysql().await);
    let once = MySqlStore::connect(a.url(), &PoolSettings::default()).await.unwrap();
    once.migrate().await.unwrap();
    let twice = MySqlStore::connect(b.url(), &PoolSettings::default()).await.unwrap();
    twice.migrate().await.unwrap();
    let before = mysql_schema(&twice).await;
    twice.migrate().await.unwrap();
    assert_eq!(mysql_schema(&twice).await, before);
    assert_eq!(mysql_schema(&once).await, before);
    assert_has_indexes(&before);
    // The username key compares bytes, not a case- or accent-folding collation.
    assert!(
        before
            .iter()
            .any(|c| c.starts_with("auth_users.username_key") && c.ends_with("utf8mb4_bin")),
        "{before:#?}"
    );
    drop((once, twice));
}

/// An application's own migrations (in sqlx's default `_sqlx_migrations`) and ours (in
/// `_auth_sqlx_migrations`) do not see each other, even with the same version numbers.
#[tokio::test]
async fn auth_migrations_live_beside_the_applications() {
    let db = TestDatabase::sqlite();
    let store = SqliteStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("20261122000000_app.sql"),
        "CREATE TABLE app_things (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    let app = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
    app.run(store.pool()).await.unwrap();
    store.migrate().await.unwrap();
    app.run(store.pool()).await.unwrap();
    store.migrate().await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(store.pool())
            .await
            .unwrap();
    for t in [
        "_auth_sqlx_migrations",
        "_sqlx_migrations",
        "app_things",
        "auth_users",
        "auth_refresh_tokens",
    ] {
        assert!(tables.iter().any(|n| n == t), "{t} missing from {tables:?}");
    }
}
