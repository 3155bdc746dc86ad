//! The contract every store must meet, as reusable tests (feature `testing`).
//!
//! A backend crate runs the whole suite with one macro call in a test module:
//!
//! ```no_run
//! // In a test module of the store's crate (here the memory store stands in for yours):
//! auth_core::store_contract_tests!(|| async { std::sync::Arc::new(auth_core::MemoryStore::new()) });
//! # fn main() {}
//! ```
//!
//! The factory is called once per test and must return a fresh, empty store, so tests can
//! run in parallel: an `Arc<impl AuthStore>`, or any [`StoreFixture`] — a `(store, guard)`
//! pair keeps a guard (a temporary database) alive for the test. A test whose store needs a
//! server that is not configured is ignored rather than skipped: put
//! `[#[ignore = "needs …"]]` (or a `cfg_attr` of it) before the factory, and it goes on
//! every generated test. The calling crate
//! needs `tokio` with the `macros` and `rt-multi-thread` features as a dev-dependency. Each
//! check is also a public async function in [`store_contract`], [`token_contract`],
//! [`admin_contract`], [`address_contract`], [`link_contract`] (and
//! [`throttle_contract`]),
//! for stores that need a custom harness.

use std::sync::Arc;

pub mod address_contract;
pub mod admin_contract;
pub mod factor_contract;
mod failing_store;
pub mod guard_matrix;
pub mod link_contract;
pub mod store_contract;
pub mod throttle_contract;
pub mod token_contract;

pub use failing_store::FailingStore;

/// What a contract-test factory returns: something that yields the store under test.
pub trait StoreFixture {
    /// The store type.
    type Store: ?Sized;
    /// The store to test.
    fn store(&self) -> Arc<Self::Store>;
}

impl<S: ?Sized> StoreFixture for Arc<S> {
    type Store = S;
    fn store(&self) -> Arc<S> {
        self.clone()
    }
}

impl<S: ?Sized, G> StoreFixture for (Arc<S>, G) {
    type Store = S;
    fn store(&self) -> Arc<S> {
        self.0.clone()
    }
}

/// Generates one `#[tokio::test]` per contract check, each on a fresh store from `$factory`.
/// Attributes in brackets before the factory go on every test
/// (`[#[ignore = "needs a server"]]`, or a `cfg_attr` of it).
#[macro_export]
macro_rules! store_contract_tests {
    ([$($attr:tt)*] $factory:expr) => {
        $crate::__contract_tests!([$($attr)*] store_contract, $factory;
            creates_and_reads_users,
            usernames_are_unique_case_insensitively,
            concurrent_creations_of_one_name_admit_one,
            updates_apply_each_field,
            custom_roles_are_kept_by_name,
            updates_of_unknown_users_return_none,
            lists_users_in_id_order_with_paging,
            deletes_users_with_their_tokens,
            finds_users_by_email,
            ping_answers,
        );
        $crate::__contract_tests!([$($attr)*] admin_contract, $factory;
            deletes_users_but_not_the_last_active_admin,
            concurrent_deletions_of_the_last_admins_keep_one,
            updates_keep_the_last_active_admin,
            concurrent_removals_of_the_last_admins_keep_one,
        );
        $crate::__contract_tests!([$($attr)*] address_contract, $factory;
            addresses_are_written_together,
            verified_addresses_are_unique,
            concurrent_verifications_of_one_address_admit_one,
            conditional_updates_apply_only_to_the_state_expected,
            concurrent_conditional_updates_admit_one,
        );
        $crate::__contract_tests!([$($attr)*] link_contract, $factory;
            link_tokens_are_spent_once_with_their_purpose,
            only_the_newest_link_token_works,
            concurrent_spends_of_a_link_token_admit_one,
            concurrent_issues_leave_one_link_token,
            link_tokens_go_with_their_user_and_expire,
        );
        $crate::__contract_tests!([$($attr)*] factor_contract, $factory;
            totp_enrolment_is_pending_until_confirmed,
            totp_steps_are_accepted_once_and_in_order,
            concurrent_acceptances_of_one_step_admit_one,
            recovery_codes_are_spent_once,
            concurrent_spends_of_a_recovery_code_admit_one,
            second_factors_are_removed_together,
            mfa_tokens_admit_five_attempts_and_are_spent_once,
            concurrent_uses_of_an_mfa_token_are_bounded,
            concurrent_confirmations_admit_one,
            secrets_are_resealed_and_counted_by_key,
        );
        $crate::__contract_tests!([$($attr)*] token_contract, $factory;
            inserts_and_reads_refresh_tokens,
            rotation_spends_and_replaces,
            rotation_reports_replay_inactive_and_unknown,
            concurrent_spends_exactly_one_wins,
            revokes_families_and_users,
            lists_live_sessions_newest_first,
            lists_sessions_with_their_start_and_last_use,
            tells_whether_a_session_is_live,
            revocation_racing_a_rotation_ends_the_session,
            purges_expired_tokens,
            tells_a_known_client_from_a_new_one,
            sets_a_sessions_methods,
        );
    };
    ($factory:expr) => {
        $crate::store_contract_tests!([] $factory);
    };
}

/// One `#[tokio::test]` per check of `$crate::testing::$module`, each on a fresh store from
/// `$factory`, with the attributes given. Shared by
/// [`store_contract_tests!`](crate::store_contract_tests) and
/// [`throttle_contract_tests!`](crate::throttle_contract_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_tests {
    ($attrs:tt $module:ident, $factory:expr; $($name:ident),+ $(,)?) => {
        $($crate::__contract_tests!(@one $attrs $module, $factory, $name);)+
    };
    (@one [$($attr:tt)*] $module:ident, $factory:expr, $name:ident) => {
        $($attr)*
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let fixture = ($factory)().await;
            let store = $crate::testing::StoreFixture::store(&fixture);
            $crate::testing::$module::$name(store).await;
            drop(fixture);
        }
    };
}

/// Registers `name` with `password` (as an admin, through
/// [`Auth::bootstrap_admin`](crate::Auth::bootstrap_admin), when `role` is
/// [`Role::Admin`](crate::Role::Admin); with another declared role, by an admin named
/// `role-grantor`, made the same way with a password of its own the first time: that name
/// is taken then, and one more active admin exists), logs in and returns the access token:
/// a signed-in user for HTTP tests in one line.
///
/// # Panics
/// When registering or logging in fails (a test's setup that cannot go on).
pub async fn access_token(
    auth: &crate::Auth,
    name: &str,
    password: &str,
    role: crate::Role,
) -> String {
    let ctx = crate::RequestContext::internal();
    let password = crate::Password::new(password);
    if role == crate::Role::Admin {
        auth.bootstrap_admin(name, &password).await.expect("an admin");
    } else if role == crate::Role::User {
        let registration = crate::Registration::new(name, password.clone());
        auth.register(registration, None, &ctx).await.expect("a user");
    } else {
        let grantor_password = crate::Password::new("the role grantor of auth_core::testing");
        let grantor =
            auth.bootstrap_admin("role-grantor", &grantor_password).await.expect("an admin");
        let registration = crate::Registration {
            role: Some(role),
            ..crate::Registration::new(name, password.clone())
        };
        auth.register(registration, Some(&grantor.user), &ctx).await.expect("a user with the role");
    }
    let session = auth.login(name, &password, &ctx).await.expect("a login");
    session.tokens.access_token.expose().to_owned()
}

/// Argon2 settings that make tests fast (64 KiB, one pass). **Insecure**: tests only.
pub fn fast_hashing() -> crate::HashingConfig {
    let params = crate::Argon2Params::builder()
        .m_cost_kib(64)
        .t_cost(1)
        .allow_insecure_low_cost()
        .build()
        .expect("valid test parameters");
    crate::HashingConfig::builder().params(params).build().expect("valid test hashing config")
}
