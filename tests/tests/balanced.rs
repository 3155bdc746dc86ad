//! The whole HTTP contract suite through HAProxy, round-robin over three instances of each
//! server on one PostgreSQL database (and of the axum server on one MySQL database): every
//! guarantee of the contract holds across instances.

use auth_sqlx::testing::TestDatabase;

mod postgres_axum {
    use super::*;

    auth_tests::http_contract_tests!(
        [#[cfg_attr(not(all(db_postgres, haproxy)), ignore = "needs TEST_POSTGRES_URL and HAProxy")]]
        || async { auth_tests::servers::axum_balanced(TestDatabase::postgres().await).await }
    );
}

mod postgres_actix {
    use super::*;

    auth_tests::http_contract_tests!(
        [#[cfg_attr(not(all(db_postgres, haproxy)), ignore = "needs TEST_POSTGRES_URL and HAProxy")]]
        || async { auth_tests::servers::actix_balanced(TestDatabase::postgres().await).await }
    );
}

mod mysql_axum {
    use super::*;

    auth_tests::http_contract_tests!(
        [#[cfg_attr(not(all(db_mysql, haproxy)), ignore = "needs TEST_MYSQL_URL and HAProxy")]]
        || async { auth_tests::servers::axum_balanced(TestDatabase::mysql().await).await }
    );
}
