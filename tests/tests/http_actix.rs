//! The HTTP contract suite against the actix-web server, on SQLite (always) and PostgreSQL
//! (when `TEST_POSTGRES_URL` is set; required under CI).

use auth_sqlx::testing::TestDatabase;

mod sqlite {
    use super::*;

    auth_tests::http_contract_tests!(|| async {
        Some(auth_tests::servers::actix(TestDatabase::sqlite()).await)
    });
}

mod postgres {
    use super::*;

    auth_tests::http_contract_tests!(|| async {
        let db = TestDatabase::postgres().await?;
        Some(auth_tests::servers::actix(db).await)
    });
}
