//! The HTTP contract of `docs/API.md` as a reusable suite, free of any web framework: every case
//! talks plain HTTP (reqwest, or a raw socket where a client library would not cooperate) to
//! a running server.
//!
//! A server crate runs the whole suite with one macro call in a test file:
//!
//! ```no_run
//! // tests/contract.rs of a server crate: a fresh server and database per test.
//! use auth_sqlx::testing::TestDatabase;
//!
//! mod sqlite {
//!     use super::*;
//!     auth_tests::http_contract_tests!(|| async {
//!         auth_tests::servers::axum(TestDatabase::sqlite()).await
//!     });
//! }
//!
//! // Attributes in brackets go on every generated test: here, ignored (with the reason)
//! // when the crate's build script did not find `TEST_POSTGRES_URL`.
//! mod postgres {
//!     use super::*;
//!     auth_tests::http_contract_tests!(
//!         [#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]]
//!         || async { auth_tests::servers::axum(TestDatabase::postgres().await).await }
//!     );
//! }
//! # fn main() {}
//! ```
//!
//! The closure returns the running [`Target`]; a case that cannot reach it fails.
//!
//! The macro generates one `#[tokio::test]` per case, in a module `http_contract` with one
//! submodule per file below (`http_contract::tokens::alg_none_is_refused`, …). Each test
//! calls the spawn closure itself, so every case gets a fresh server and database and cases
//! can run in parallel. Names used by the closure are imported from the module of the macro
//! call. The calling crate needs `tokio` with the `macros` and `rt-multi-thread` features.
//! Every case is also a public async function here, for a custom harness.

pub mod account;
pub mod admin;
pub mod auth;
pub mod bad_input;
pub mod client;
pub mod conventions;
pub mod discovery;
pub mod email_verification;
pub mod outbox;
pub mod password_reset;
pub mod raw;
pub mod second_factor;
pub mod session_list;
pub mod sessions;
pub mod tasks;
pub mod throttling;
pub mod tokens;

/// The key a server signs access tokens with, so the suite can forge the tokens it must
/// accept and the near misses it must refuse.
#[derive(Clone)]
pub enum ServerKey {
    /// HS256 keyed with the UTF-8 bytes of this `SECRET_KEY`.
    Hs256(String),
    /// ES256 with a P-256 key.
    Es256 {
        /// The PKCS#8 PEM private key.
        private_pem: String,
        /// Its public key in PEM (what an HS/ES confusion attack would use as an HMAC key).
        public_pem: String,
    },
    /// EdDSA with an Ed25519 key.
    EdDsa {
        /// The PKCS#8 PEM private key.
        private_pem: String,
        /// Its public key in PEM.
        public_pem: String,
    },
}

impl ServerKey {
    /// The algorithm, as in a token's `alg` header.
    pub fn algorithm(&self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Hs256(_) => jsonwebtoken::Algorithm::HS256,
            Self::Es256 { .. } => jsonwebtoken::Algorithm::ES256,
            Self::EdDsa { .. } => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// The key to forge accepted tokens with.
    ///
    /// # Panics
    /// When the PEM is not an EC private key.
    pub fn encoding_key(&self) -> jsonwebtoken::EncodingKey {
        match self {
            Self::Hs256(secret) => jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            Self::Es256 { private_pem, .. } => {
                jsonwebtoken::EncodingKey::from_ec_pem(private_pem.as_bytes())
                    .expect("an ES256 private key")
            }
            Self::EdDsa { private_pem, .. } => {
                jsonwebtoken::EncodingKey::from_ed_pem(private_pem.as_bytes())
                    .expect("an Ed25519 private key")
            }
        }
    }

    /// A key of the same algorithm that is not the server's (another environment's key).
    ///
    /// # Panics
    /// Never for the built-in keys.
    pub fn foreign_encoding_key(&self) -> jsonwebtoken::EncodingKey {
        match self {
            Self::Hs256(_) => jsonwebtoken::EncodingKey::from_secret(
                b"not-the-server-secret-but-long-enough-0123456789",
            ),
            Self::Es256 { .. } => jsonwebtoken::EncodingKey::from_ec_pem(include_bytes!(
                "../../../auth-core/tests/keys/es256-other.pem"
            ))
            .expect("an ES256 private key"),
            Self::EdDsa { .. } => jsonwebtoken::EncodingKey::from_ed_pem(include_bytes!(
                "../../../auth-core/tests/keys/ed25519-other.pem"
            ))
            .expect("an Ed25519 private key"),
        }
    }

    /// The bytes a verifier that trusts the `alg` header would take as an HMAC key: the
    /// secret itself for HS256, the public key's PEM for ES256 (the HS/ES confusion).
    pub fn public_or_secret_bytes(&self) -> &[u8] {
        match self {
            Self::Hs256(secret) => secret.as_bytes(),
            Self::Es256 { public_pem, .. } | Self::EdDsa { public_pem, .. } => {
                public_pem.as_bytes()
            }
        }
    }

    /// The length of a signature of this algorithm, in bytes.
    pub fn signature_len(&self) -> usize {
        match self {
            Self::Hs256(_) => 32,
            Self::Es256 { .. } | Self::EdDsa { .. } => 64,
        }
    }
}

/// A running server under test, with what the suite needs to know about its configuration.
pub struct Target {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    /// The key the server signs access tokens with.
    pub key: ServerKey,
    /// The JWT `iss` the server issues and requires.
    pub issuer: String,
    /// The JWT `aud` the server issues and requires.
    pub audience: String,
    /// An admin bootstrapped at start.
    pub admin_username: String,
    /// The bootstrapped admin's password.
    pub admin_password: String,
    /// The access token lifetime (`expires_in`).
    pub access_ttl_secs: u64,
    /// The server's request/body timeout.
    pub request_timeout_secs: u64,
    /// The server's throttling limits.
    pub rate_limits: auth_core::throttle::RateLimits,
    /// The clock-skew leeway the server allows on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// The absolute lifetime of a session (refresh-token family), from login.
    pub refresh_ttl_secs: u64,
    /// Moves the server's clock forward, when the server lets the suite do that; the cases
    /// that need it (lifetimes measured in days) fail when it is `None`.
    pub advance_clock: Option<Box<dyn Fn(std::time::Duration) + Send + Sync>>,
    /// Where the suite reads the server's mail, one message a file: its outbox directory
    /// (`.eml` files), or the Maildir of the SMTP server it sends to. The cases that follow
    /// a mailed link fail when it is `None`.
    pub outbox: Option<std::path::PathBuf>,
    /// Keeps the server and its database alive for the test; never touched by the suite.
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

/// Generates one `#[tokio::test]` per contract case, each on a fresh server from `$spawn`,
/// a closure `|| async { ... }` returning a [`Target`].
///
/// `http_contract_tests!(spawn)` runs every group; `http_contract_tests!(spawn; tokens)`
/// only the groups named (for a server variant, such as another signing algorithm, where
/// the other groups would only repeat themselves). Attributes in brackets before `spawn` go
/// on every test: `[#[cfg_attr(not(db_postgres), ignore = "needs TEST_POSTGRES_URL")]]` for a
/// server on PostgreSQL.
#[macro_export]
macro_rules! http_contract_tests {
    (@group auth [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; auth {
            register_returns_user_out,
            register_stores_valid_email_and_rejects_invalid,
            register_rejects_duplicates_case_insensitively,
            register_validates_username,
            register_rejects_weak_passwords,
            register_admin_role_needs_admin_bearer,
            register_rejects_unknown_role,
            concurrent_registrations_admit_one,
            unicode_usernames_collide_after_normalization,
            login_returns_token_pair_for_json,
            login_accepts_oauth2_form,
            login_rejects_other_content_types,
            login_ignores_empty_basic_credentials,
            login_failures_are_indistinguishable,
            me_returns_the_caller,
            me_requires_a_token,
            admin_route_welcomes_admins_only,
            token_endpoint_grants_password_and_refresh,
            token_endpoint_refuses_bad_grants,
            token_endpoint_refuses_malformed_requests,
        });
    };
    (@group sessions [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; sessions {
            refresh_accepts_json_form_and_bearer,
            refresh_requires_a_token,
            refresh_replay_revokes_the_family,
            concurrent_refreshes_admit_one,
            refresh_refuses_access_tokens,
            logout_revokes_the_session,
            logout_accepts_unknown_tokens,
            logout_refuses_malformed_tokens,
            logout_with_another_users_token_ends_only_that_session,
            refresh_after_the_absolute_lifetime_is_refused,
            logout_all_revokes_every_session,
            deactivation_cuts_access_at_once,
            role_change_revokes_access_and_refresh_carries_it,
        });
    };
    (@group account [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; account {
            password_change_ends_every_session_and_returns_a_new_pair,
            password_change_refuses_a_wrong_current_password,
            password_change_validates_the_new_password,
            account_deletion_needs_the_password_and_takes_everything,
            the_last_admin_cannot_delete_their_account,
        });
    };
    (@group password_reset [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; password_reset {
            forgot_password_mails_a_link_that_resets_once,
            forgot_password_answers_alike_for_every_account,
            forgot_password_refuses_bad_bodies,
            reset_password_refuses_bad_tokens,
            forgot_password_is_throttled_per_account,
        });
    };
    (@group email_verification [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; email_verification {
            registration_mails_a_link_that_verifies_the_address_once,
            verification_requests_mail_the_newest_link,
            verification_refuses_bad_tokens,
            a_verified_address_belongs_to_one_account,
            a_reset_verifies_the_address,
            an_address_change_waits_for_its_link,
            an_address_change_refuses_bad_requests,
            notices_go_to_the_verified_address,
        });
    };
    (@group mail_timing [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; password_reset {
            forgot_password_takes_as_long_for_every_account,
        });
    };
    (@group required_verification [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; email_verification {
            unverified_accounts_sign_in_once_verified,
        });
    };
    (@group session_list [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; session_list {
            sessions_lists_the_callers_open_sessions,
            refresh_keeps_the_session,
            ending_a_session_ends_its_tokens,
            logout_ends_the_sessions_access_tokens,
            admin_lists_and_ends_a_users_sessions,
        });
    };
    (@group tokens [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; tokens {
            crafted_token_is_accepted,
            access_tokens_carry_amr_and_auth_time,
            foreign_secret_is_refused,
            alg_none_is_refused,
            typ_jwt_is_refused,
            expired_token_is_refused,
            wrong_issuer_is_refused,
            wrong_audience_is_refused,
            missing_exp_is_refused,
            string_exp_is_refused,
            refresh_token_as_bearer_is_refused,
            tampered_payload_is_refused,
            lowercase_scheme_is_accepted,
            query_string_token_is_ignored,
            huge_authorization_header_is_harmless,
            null_exp_is_refused,
            float_exp_is_refused,
            negative_exp_is_refused,
            exp_at_the_leeway_boundary,
            future_nbf_is_refused,
            missing_issuer_or_audience_is_refused,
            kid_tricks_are_refused,
            key_url_headers_are_never_fetched,
            algorithm_confusion_is_refused,
            zero_signature_is_refused,
        });
    };
    (@group tasks [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; tasks {
            create_task_ignores_owner_id_in_body,
            list_tasks_shows_own_oldest_first,
            list_tasks_pages,
            list_tasks_validates_limit,
            foreign_tasks_look_nonexistent,
            admin_reads_any_task,
            patch_task_changes_only_given_fields,
            delete_task_then_gone,
            task_fields_are_length_checked,
            admin_lists_all_tasks,
            task_ids_are_validated,
            tasks_require_a_token,
        });
    };
    (@group admin [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; admin {
            admin_lists_users_with_paging,
            admin_list_validates_limit,
            admin_routes_refuse_users,
            admin_reads_a_user_by_id,
            admin_patch_of_unknown_user_is_404,
            admin_patch_with_an_unknown_role_is_422,
            admin_cannot_demote_itself,
            admin_reactivation_restores_login,
        });
    };
    (@group conventions [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; conventions {
            request_id_and_nosniff_on_every_response,
            request_id_is_echoed,
            unknown_route_is_404_json,
            wrong_method_is_405,
            health_reports_ok,
            openapi_lists_every_route,
            openapi_declares_oauth2_password_flow,
            docs_serve_swagger_without_cdn,
            cors_is_off_by_default,
        });
    };
    (@group throttling [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; throttling {
            login_over_the_ip_limit_is_429_with_retry_after,
            token_endpoint_password_grant_counts_as_login,
            account_backs_off_after_failures_but_others_do_not,
            registration_over_the_ip_limit_is_429_but_admins_are_exempt,
            refresh_over_the_ip_limit_is_429,
        });
    };
    (@group discovery [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; discovery {
            jwks_publishes_the_verifying_keys,
            metadata_names_the_endpoints,
        });
    };
    (@group second_factor [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; second_factor {
            totp_enrolment_then_two_step_login,
            codes_one_step_off_pass_and_two_steps_off_fail,
            recovery_codes_sign_in_once,
            wrong_codes_end_the_mfa_token,
            enrolment_ends_the_other_sessions,
            disabling_and_new_recovery_codes_need_password_and_code,
            admin_resets_a_lost_device,
            second_factor_routes_refuse_bad_input,
        });
    };
    (@group bad_input [$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@cases [$($attr)*] $spawn; bad_input {
            malformed_json_is_400,
            text_plain_register_is_415,
            wrong_field_types_are_422,
            oversized_body_is_413,
            ten_megabyte_body_is_413,
            overlong_password_is_422,
            deeply_nested_json_is_refused,
            control_characters_in_username_are_422,
            slow_body_times_out_with_408,
        });
    };
    (@cases $attrs:tt $spawn:expr; $module:ident { $($case:ident),+ $(,)? }) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $($crate::http_contract_tests!(@case $attrs $spawn; $module $case);)+
        }
    };
    (@case [$($attr:tt)*] $spawn:expr; $module:ident $case:ident) => {
        $($attr)*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let target = ($spawn)().await;
            $crate::contract::$module::$case(&target).await;
            drop(target);
        }
    };
    (@suite $attrs:tt $spawn:expr; $($group:ident),+) => {
        /// The HTTP contract suite, one submodule per group of cases.
        mod http_contract {
            #[allow(unused_imports)]
            use super::*;
            $($crate::http_contract_tests!(@group $group $attrs $spawn);)+
        }
    };
    ([$($attr:tt)*] $spawn:expr) => {
        $crate::http_contract_tests!(@suite [$($attr)*] $spawn;
            auth, sessions, session_list, account, password_reset, email_verification,
            second_factor, tokens, discovery, tasks, admin, conventions, throttling, bad_input
        );
    };
    ([$($attr:tt)*] $spawn:expr; $($group:ident),+ $(,)?) => {
        $crate::http_contract_tests!(@suite [$($attr)*] $spawn; $($group),+);
    };
    ($spawn:expr) => {
        $crate::http_contract_tests!([] $spawn);
    };
    ($spawn:expr; $($group:ident),+ $(,)?) => {
        $crate::http_contract_tests!([] $spawn; $($group),+);
    };
}

#[cfg(test)]
impl Target {
    /// A target for the suite's own unit tests: a base URL and made-up settings.
    pub(crate) fn for_unit_tests(base_url: String) -> Self {
        Self {
            base_url,
            key: ServerKey::Hs256("unit-test-secret-key-of-at-least-32-bytes".into()),
            issuer: "unit-issuer".into(),
            audience: "unit-audience".into(),
            admin_username: "admin".into(),
            admin_password: "correct horse battery staple".into(),
            access_ttl_secs: 900,
            request_timeout_secs: 2,
            rate_limits: auth_core::throttle::RateLimits::default(),
            leeway_secs: 30,
            refresh_ttl_secs: 30 * 24 * 3600,
            advance_clock: None,
            outbox: None,
            guard: Box::new(()),
        }
    }
}
