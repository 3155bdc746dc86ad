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

/// The token cases again on a server that signs with ES256: the same attacks against an
/// asymmetric key (HS/ES confusion with the public key, zero and out-of-range ECDSA
/// signatures, another environment's P-256 key).
mod es256 {
    use super::*;
    use auth_tests::servers::{actix_with, es256};

    mod sqlite {
        use super::*;

        auth_tests::http_contract_tests!(|| async {
            Some(actix_with(TestDatabase::sqlite(), es256).await)
        }; tokens);
    }

    mod postgres {
        use super::*;

        auth_tests::http_contract_tests!(|| async {
            let db = TestDatabase::postgres().await?;
            Some(actix_with(db, es256).await)
        }; tokens);
    }
}
