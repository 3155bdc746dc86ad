//! The mail cases of the contract over a real SMTP server: each server sends through SMTP
//! over TCP to `aiosmtpd` on 127.0.0.1, and the suite reads what it received (its Maildir),
//! follows the links and completes the verification, the reset and the address change. On
//! both servers, SQLite and (when `TEST_POSTGRES_URL` is set when the tests are built)
//! PostgreSQL. Without aiosmtpd they skip with a message; under CI its absence fails them.

use auth_sqlx::testing::TestDatabase;
use auth_tests::{
    contract::{Target, email_verification, password_reset},
    servers::{actix_over_smtp, axum_over_smtp},
};

/// Runs the mail cases on `target`.
async fn mail_cases(target: Option<Target>) {
    let Some(t) = target else { return };
    password_reset::forgot_password_mails_a_link_that_resets_once(&t).await;
    email_verification::registration_mails_a_link_that_verifies_the_address_once(&t).await;
    email_verification::an_address_change_waits_for_its_link(&t).await;
    email_verification::notices_go_to_the_verified_address(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_on_sqlite() {
    mail_cases(axum_over_smtp(TestDatabase::sqlite()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_on_sqlite() {
    mail_cases(actix_over_smtp(TestDatabase::sqlite()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]
async fn axum_on_postgres() {
    mail_cases(axum_over_smtp(TestDatabase::postgres().await).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]
async fn actix_on_postgres() {
    mail_cases(actix_over_smtp(TestDatabase::postgres().await).await).await;
}
