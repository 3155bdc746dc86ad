//! Migrations: running them twice is a no-op, a database migrated once and one migrated
//! twice have the same schema, the indexes the queries need exist, and the auth migrations
//! live beside an application's own.

use auth_sqlx::{
    MySqlStore, PoolSettings, PostgresStore, SqliteStore,
    portable::{Arg, On, Statement},
    testing::TestDatabase,
};

const TABLES: [&str; 3] = ["auth_users", "auth_refresh_tokens", "auth_link_tokens"];

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

/// The identifiers a schema listing names (so that `auth_refresh_tokens_family` is not
/// found inside `auth_refresh_tokens_family_live`).
fn names(schema: &[String]) -> std::collections::BTreeSet<&str> {
    schema
        .iter()
        .flat_map(|line| line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|word| !word.is_empty())
        .collect()
}

fn assert_has_indexes(schema: &[String]) {
    let names = names(schema);
    let text = schema.join("\n");
    for table in TABLES {
        assert!(names.contains(table), "missing {table}:\n{text}");
    }
    for index in [
        "auth_users_username_key_unique",
        "auth_users_active_admins",
        "auth_users_verified_email_unique",
        "auth_refresh_tokens_user",
        "auth_refresh_tokens_family_live",
        "auth_refresh_tokens_family_start",
        "auth_refresh_tokens_expires",
        "auth_link_tokens_user",
        "auth_link_tokens_expires",
    ] {
        assert!(names.contains(index), "missing index {index}:\n{text}");
    }
    // Replaced by the two family indexes.
    assert!(!names.contains("auth_refresh_tokens_family"), "old index left:\n{text}");
}

#[test]
fn the_index_check_tells_a_name_from_its_prefix() {
    let schema = ["CREATE INDEX auth_refresh_tokens_family_live ON t (a)".to_owned()];
    assert!(!names(&schema).contains("auth_refresh_tokens_family"));
    assert!(names(&schema).contains("auth_refresh_tokens_family_live"));
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
    // The username key compares bytes: no case- or accent-folding collation, and no
    // padding (`utf8mb4_bin` found `alice` for `alice `).
    assert!(
        before.iter().any(|c| c.starts_with("auth_users.username_key varbinary(1020) NO")),
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

/// The migrations of the first release; every later one must upgrade a database it made.
const FIRST_RELEASE_UNTIL: i64 = 20261203000000;

/// A session row as the first release's code inserted it.
static FIRST_RELEASE_SESSION: Statement = Statement::new(
    "INSERT INTO auth_refresh_tokens \
     (digest, user_id, family_id, created_at, expires_at, ip, user_agent) \
     VALUES (?, ?, ?, ?, ?, ?, ?)",
);

/// A database made by the first release's migrations, with a user, a session and an admin
/// in it, takes the later migrations in place and keeps them all.
async fn upgrades_in_place<DB: auth_sqlx::portable::Portable>(store: &auth_sqlx::Store<DB>) {
    use auth_core::{
        FamilyId, NewRefreshToken, NewUser, RefreshTokenStore, Role, StoredHash, UserStore,
        Username,
    };
    let mut first = auth_sqlx::Store::<DB>::migrator();
    let earlier: Vec<_> =
        first.migrations.iter().filter(|m| m.version < FIRST_RELEASE_UNTIL).cloned().collect();
    assert!(earlier.len() < first.migrations.len(), "nothing to upgrade to");
    first.migrations = earlier.into();
    first.run(store.pool()).await.unwrap();

    // The first release's statements on its own schema.
    let now = time::OffsetDateTime::now_utc();
    let new = |name: &str, role| NewUser {
        username: Username::parse(name).unwrap(),
        email: None,
        role,
        is_active: true,
        password_hash: StoredHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${name}")),
        created_at: now,
    };
    let mut with_address = new("Alice", Role::User);
    with_address.email = Some(auth_core::Email::parse("Alice@Example.com").unwrap());
    let alice = store.create_user(with_address).await.unwrap();
    let root = store.create_user(new("root", Role::Admin)).await.unwrap();
    // A session as the first release wrote it: without `amr` and `auth_time`.
    let token = auth_core::RefreshToken::generate();
    let family = FamilyId::generate();
    let created = now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap();
    let micros = |t: time::OffsetDateTime| i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap();
    let digest = token.digest();
    let old_session = [
        Arg::Bytes(digest.as_bytes()),
        Arg::I64(alice.id.get()),
        Arg::Bytes(family.as_bytes()),
        Arg::I64(micros(created)),
        Arg::I64(micros(created + time::Duration::days(30))),
        Arg::Str("203.0.113.7"),
        Arg::Str("upgrade/1.0"),
    ];
    DB::execute(On::Pool(store.pool()), &FIRST_RELEASE_SESSION, &old_session).await.unwrap();
    // And a token of an older session, rotated an hour after its login.
    let (rotated_family, login) = (FamilyId::generate(), created - time::Duration::days(2));
    let child = auth_core::RefreshToken::generate().digest();
    for (digest, at) in [
        (auth_core::RefreshToken::generate().digest(), login),
        (child, login + time::Duration::hours(1)),
    ] {
        let row = [
            Arg::Bytes(digest.as_bytes()),
            Arg::I64(alice.id.get()),
            Arg::Bytes(rotated_family.as_bytes()),
            Arg::I64(micros(at)),
            Arg::I64(micros(login + time::Duration::days(30))),
            Arg::Str("203.0.113.7"),
            Arg::Str("upgrade/1.0"),
        ];
        DB::execute(On::Pool(store.pool()), &FIRST_RELEASE_SESSION, &row).await.unwrap();
    }

    store.migrate().await.unwrap();

    let found = store.user_by_username(&Username::parse("alice").unwrap()).await.unwrap();
    let found = found.expect("alice");
    assert_eq!(found.id, alice.id);
    // Addresses stored before verification existed are unverified, with nothing pending,
    // and can be verified.
    let address = auth_core::Address::of(&found);
    assert_eq!(address.email.as_ref().map(|e| e.as_str()), Some("Alice@Example.com"));
    assert!(!address.verified && address.pending.is_none());
    let verify = auth_core::UserUpdate {
        address: Some(auth_core::Address { verified: true, ..address }),
        ..Default::default()
    };
    assert!(store.update_user(alice.id, verify).await.unwrap().unwrap().email_verified);
    let kept = store.refresh_token(&token.digest()).await.unwrap().expect("the session");
    assert_eq!(kept.family_id, family);
    // Read as a password login at the session's first token, also after a rotation.
    assert_eq!((kept.amr, kept.auth_time), (vec![auth_core::Amr::Pwd], created));
    let rotated = store.refresh_token(&child).await.unwrap().unwrap();
    assert_eq!((rotated.amr, rotated.auth_time), (vec![auth_core::Amr::Pwd], login));
    let sessions = store.sessions(alice.id, now).await.unwrap();
    let mut ids: Vec<FamilyId> = sessions.iter().map(|s| s.id).collect();
    ids.dedup();
    assert!(ids.contains(&family) && ids.contains(&rotated_family), "{sessions:?}");
    assert!(store.session_is_live(alice.id, family, now).await.unwrap());
    // A session written now keeps both.
    let new_session = NewRefreshToken {
        digest: auth_core::RefreshToken::generate().digest(),
        user_id: alice.id,
        family_id: FamilyId::generate(),
        created_at: created,
        expires_at: created + time::Duration::days(30),
        ip: None,
        user_agent: None,
        amr: vec![auth_core::Amr::Pwd, auth_core::Amr::Otp],
        auth_time: created - time::Duration::seconds(1),
    };
    store.insert_refresh_token(new_session.clone()).await.unwrap();
    let read = store.refresh_token(&new_session.digest).await.unwrap().unwrap();
    assert_eq!((read.amr, read.auth_time), (new_session.amr, new_session.auth_time));
    // The last-admin rule runs on the upgraded schema.
    let demote = auth_core::UserUpdate { role: Some(Role::User), ..Default::default() };
    let change = store.update_user_unless_last_admin(root.id, demote).await.unwrap();
    assert!(matches!(change, auth_core::UserChange::LastAdmin), "{change:?}");
    // No padding or folding: a trailing space is another name.
    let spaced = Username::from_stored("alice ").unwrap();
    assert!(store.user_by_username(&spaced).await.unwrap().is_none());
}

#[tokio::test]
async fn sqlite_upgrades_in_place() {
    let db = TestDatabase::sqlite();
    let store = SqliteStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
    upgrades_in_place(&store).await;
}

#[tokio::test]
#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]
async fn postgres_upgrades_in_place() {
    let db = TestDatabase::postgres().await;
    let store = PostgresStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
    upgrades_in_place(&store).await;
}

#[tokio::test]
#[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")]
async fn mysql_upgrades_in_place() {
    let db = TestDatabase::mysql().await;
    let store = MySqlStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
    upgrades_in_place(&store).await;
}
