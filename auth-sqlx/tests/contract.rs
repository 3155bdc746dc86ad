//! The core's store and throttle-store contracts, run on every database. Each test gets a
//! database of its own (see `auth_sqlx::testing`). PostgreSQL and MySQL run when
//! `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set (CI sets both), and are ignored otherwise.

use std::sync::Arc;

use auth_sqlx::{MySqlStore, PoolSettings, PostgresStore, SqliteStore, testing::TestDatabase};

mod sqlite {
    use super::*;

    auth_core::store_contract_tests!(|| async {
        let db = TestDatabase::sqlite();
        let store = SqliteStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
        store.migrate().await.unwrap();
        (Arc::new(store), db)
    });

    auth_core::throttle_contract_tests!(|| async {
        let db = TestDatabase::sqlite();
        let store = SqliteStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
        store.migrate().await.unwrap();
        (Arc::new(store), db)
    });
}

mod postgres {
    use super::*;

    auth_core::store_contract_tests!(
        [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]]
        || async {
            let db = TestDatabase::postgres().await;
            let store = PostgresStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
            store.migrate().await.unwrap();
            (Arc::new(store), db)
        }
    );
    auth_core::throttle_contract_tests!(
        [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]]
        || async {
            let db = TestDatabase::postgres().await;
            let store = PostgresStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
            store.migrate().await.unwrap();
            (Arc::new(store), db)
        }
    );
}

mod mysql {
    use super::*;

    auth_core::store_contract_tests!(
        [#[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")]]
        || async {
            let db = TestDatabase::mysql().await;
            let store = MySqlStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
            store.migrate().await.unwrap();
            (Arc::new(store), db)
        }
    );
    auth_core::throttle_contract_tests!(
        [#[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")]]
        || async {
            let db = TestDatabase::mysql().await;
            let store = MySqlStore::connect(db.url(), &PoolSettings::default()).await.unwrap();
            store.migrate().await.unwrap();
            (Arc::new(store), db)
        }
    );
}
