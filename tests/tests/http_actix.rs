//! The HTTP contract suite against the actix-web server, on SQLite (always) and PostgreSQL
//! (when `TEST_POSTGRES_URL` is set when the tests are built, as CI does; ignored otherwise),
//! and its account cases on MySQL (`TEST_MYSQL_URL`).

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

/// The account cases on MySQL (when `TEST_MYSQL_URL` is set when the tests are built):
/// what the store contract checks there, through the server.
mod mysql {
    use super::*;

    auth_tests::http_contract_tests!(
        [#[cfg_attr(not(db_mysql), ignore = "needs TEST_MYSQL_URL")]]
        || async {
            let db = TestDatabase::mysql().await;
            auth_tests::servers::actix(db).await
        }; account, password_reset, email_verification, session_list, second_factor
    );
}

/// A server that requires a verified address to sign in (`REQUIRE_VERIFIED_EMAIL=true`).
mod required_verification {
    use super::*;

    auth_tests::http_contract_tests!(|| async {
        let db = TestDatabase::sqlite();
        auth_tests::servers::actix_with(db, auth_tests::servers::require_verified_email).await
    }; required_verification);
}

/// Forgot-password timing, on a server whose mail limits are off so that one account can be
/// asked for 50 times (on SQLite and, when configured, PostgreSQL).
mod mail_timing {
    use super::*;
    use auth_tests::servers::no_mail_limits;

    mod sqlite {
        use super::*;

        auth_tests::http_contract_tests!(|| async {
            auth_tests::servers::actix_with(TestDatabase::sqlite(), no_mail_limits).await
        }; mail_timing);
    }

    mod postgres {
        use super::*;

        auth_tests::http_contract_tests!(
            [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]]
            || async {
                let db = TestDatabase::postgres().await;
                auth_tests::servers::actix_with(db, no_mail_limits).await
            }; mail_timing
        );
    }
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
        }; tokens, discovery);
    }

    mod postgres {
        use super::*;

        auth_tests::http_contract_tests!(
            [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]]
            || async {
            let db = TestDatabase::postgres().await;
            actix_with(db, es256).await
        }; tokens, discovery);
    }
}
