//! The HTTP contract suite against the actix-web server, on SQLite (always) and PostgreSQL
//! (when `TEST_POSTGRES_URL` is set when the tests are built, as CI does; ignored otherwise).

use auth_sqlx::testing::TestDatabase;

mod sqlite {
    use super::*;

    auth_tests::http_contract_tests!(|| async {
        auth_tests::servers::actix(TestDatabase::sqlite()).await
    });
}

mod postgres {
    use super::*;

    auth_tests::http_contract_tests!(
        [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]]
        || async {
            let db = TestDatabase::postgres().await;
            auth_tests::servers::actix(db).await
        }
    );
}

/// The token cases again on a server that signs with ES256: the same attacks against an
/// asymmetric key (HS/ES confusion with the public key, zero and out-of-range ECDSA
/// signatures, another environment's P-256 key).
mod es256 {
    use super::*;
    use auth_tests::servers::{actix_with, es256};

    mod sqlite {
        use super::*;

        auth_tests::http_contract_tests!(|| async {
            actix_with(TestDatabase::sqlite(), es256).await
        }; tokens);
    }

    mod postgres {
        use super::*;

        auth_tests::http_contract_tests!(
            [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]]
            || async {
            let db = TestDatabase::postgres().await;
            actix_with(db, es256).await
        }; tokens);
    }
}
