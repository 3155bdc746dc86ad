//! The core's store and throttle-store contracts, run on every database. Each test gets a
//! database of its own (see `auth_sqlx::testing`). PostgreSQL and MySQL run when
//! `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set (CI sets both), and are ignored otherwise.

use std::sync::Arc;

use auth_sqlx::{
    MySqlStore, PoolSettings, PostgresStore, SqliteStore, Store, portable::Portable,
    testing::TestDatabase,
};

/// A migrated store on `db`, with the database kept alive beside it for the test.
async fn migrated<DB: Portable>(db: TestDatabase) -> (Arc<Store<DB>>, TestDatabase) {
    let store = Store::<DB>::connect(db.url(), &PoolSettings::default()).await.unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store), db)
}

mod sqlite {
    use super::*;

    async fn fixture() -> (Arc<SqliteStore>, TestDatabase) {
        migrated(TestDatabase::sqlite()).await
    }

    auth_core::store_contract_tests!(fixture);
    auth_core::throttle_contract_tests!(fixture);
}

mod postgres {
    use super::*;

    async fn fixture() -> (Arc<PostgresStore>, TestDatabase) {
        migrated(TestDatabase::postgres().await).await
    }

    auth_core::store_contract_tests!(
        [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]] fixture
    );
    auth_core::throttle_contract_tests!(
        [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]] fixture
    );
}

mod mysql {
    use super::*;

    async fn fixture() -> (Arc<MySqlStore>, TestDatabase) {
        migrated(TestDatabase::mysql().await).await
    }

    auth_core::store_contract_tests!([#[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")]] fixture);
    auth_core::throttle_contract_tests!(
        [#[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")]] fixture
    );
}
