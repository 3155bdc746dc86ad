//! The store contract, second factors: the checks every [`AuthStore`] must pass on TOTP
//! factors, recovery codes and MFA tokens. Run by
//! [`store_contract_tests!`](crate::store_contract_tests).

use std::sync::Arc;

use time::Duration;

use super::store_contract::{t0, user};
use crate::{
    AuthStore, LoginOrigin, MfaToken, MfaTokenRecord, RecoveryCode, SealedSecret, TokenDigest,
    UserId,
};

/// A sealed secret as a store keeps it (the store never opens one).
fn sealed(byte: u8) -> SealedSecret {
    SealedSecret { key_id: "0123456789abcdef".into(), sealed: vec![byte; 60] }
}

fn digests(codes: &[RecoveryCode]) -> Vec<TokenDigest> {
    codes.iter().map(RecoveryCode::digest).collect()
}

/// A user with a confirmed TOTP (last step 1000) and these recovery codes.
async fn enrolled<S: AuthStore + ?Sized>(store: &S, name: &str, codes: &[RecoveryCode]) -> UserId {
    let u = user(store, name).await;
    assert!(store.begin_totp_enrolment(u.id, sealed(1), t0()).await.unwrap());
    assert!(store.confirm_totp(u.id, &sealed(1), 1000, &digests(codes), t0()).await.unwrap());
    u.id
}

fn mfa_token(user: UserId, minutes: i64) -> (MfaToken, MfaTokenRecord) {
    let token = MfaToken::generate();
    let record = MfaTokenRecord {
        digest: token.digest(),
        user_id: user,
        origin: LoginOrigin::TokenEndpoint,
        created_at: t0(),
        expires_at: t0() + Duration::minutes(minutes),
        attempts: 0,
    };
    (token, record)
}

/// An enrolment is pending until confirmed (a new one replaces it), the confirmation takes
/// only the secret that is pending, turns `mfa_enabled` on with the user, and happens once.
pub async fn totp_enrolment_is_pending_until_confirmed<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    assert!(store.totp(u.id).await.unwrap().is_none());
    assert!(store.begin_totp_enrolment(u.id, sealed(1), t0()).await.unwrap());
    let later = t0() + Duration::seconds(5);
    assert!(store.begin_totp_enrolment(u.id, sealed(2), later).await.unwrap(), "replaces");
    let pending = store.totp(u.id).await.unwrap().unwrap();
    assert_eq!((pending.secret, pending.confirmed_at, pending.last_step), (sealed(2), None, None));
    assert_eq!((pending.user_id, pending.created_at), (u.id, later));
    assert!(!store.user_by_id(u.id).await.unwrap().unwrap().mfa_enabled);
    let codes = RecoveryCode::generate_set();
    let stale = store.confirm_totp(u.id, &sealed(1), 7, &digests(&codes), later).await.unwrap();
    assert!(!stale, "the replaced secret cannot be confirmed");
    assert!(store.confirm_totp(u.id, &sealed(2), 7, &digests(&codes), later).await.unwrap());
    let confirmed = store.totp(u.id).await.unwrap().unwrap();
    assert_eq!((confirmed.confirmed_at, confirmed.last_step), (Some(later), Some(7)));
    assert!(store.user_by_id(u.id).await.unwrap().unwrap().mfa_enabled);
    assert_eq!(store.recovery_codes_left(u.id).await.unwrap(), 10);
    assert!(!store.confirm_totp(u.id, &sealed(2), 8, &[], later).await.unwrap(), "once");
    assert!(!store.begin_totp_enrolment(u.id, sealed(3), later).await.unwrap());
    assert_eq!(store.totp(u.id).await.unwrap().unwrap().secret, sealed(2), "kept");
}

/// A step is accepted once, and only after the last accepted one; an unconfirmed factor
/// accepts nothing.
pub async fn totp_steps_are_accepted_once_and_in_order<S: AuthStore + ?Sized>(store: Arc<S>) {
    let id = enrolled(&*store, "alice", &[]).await;
    assert!(
        !store.accept_totp_step(id, &sealed(1), 1000).await.unwrap(),
        "the confirming code's step"
    );
    assert!(!store.accept_totp_step(id, &sealed(1), 999).await.unwrap());
    assert!(store.accept_totp_step(id, &sealed(1), 1001).await.unwrap());
    assert!(!store.accept_totp_step(id, &sealed(1), 1001).await.unwrap(), "a replay");
    assert!(store.accept_totp_step(id, &sealed(1), 1003).await.unwrap());
    assert!(
        !store.accept_totp_step(id, &sealed(1), 1002).await.unwrap(),
        "an earlier step after a later"
    );
    assert_eq!(store.totp(id).await.unwrap().unwrap().last_step, Some(1003));
    // A step checked against another secret (one removed and enrolled again meanwhile).
    assert!(!store.accept_totp_step(id, &sealed(2), 1004).await.unwrap());
    let pending = user(&*store, "bob1").await;
    store.begin_totp_enrolment(pending.id, sealed(1), t0()).await.unwrap();
    assert!(!store.accept_totp_step(pending.id, &sealed(1), 5000).await.unwrap());
    let none = user(&*store, "carol").await;
    assert!(!store.accept_totp_step(none.id, &sealed(1), 5000).await.unwrap());
}

/// The same code (step) submitted ten times at once: exactly one is accepted.
pub async fn concurrent_acceptances_of_one_step_admit_one<S: AuthStore + ?Sized>(store: Arc<S>) {
    let id = enrolled(&*store, "alice", &[]).await;
    for step in [1001_u64, 1002, 1010] {
        let tries: Vec<_> = (0..10)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.accept_totp_step(id, &sealed(1), step).await })
            })
            .collect();
        let mut won = 0;
        for t in tries {
            won += usize::from(t.await.unwrap().unwrap());
        }
        assert_eq!(won, 1, "step {step}");
    }
}

/// A recovery code is spent once, by its user, and says how many are left; a new set
/// replaces the old.
pub async fn recovery_codes_are_spent_once<S: AuthStore + ?Sized>(store: Arc<S>) {
    let codes = RecoveryCode::generate_set();
    let id = enrolled(&*store, "alice", &codes[..3]).await;
    let other = enrolled(&*store, "bob1", &codes[3..4]).await;
    let at = t0();
    assert_eq!(store.recovery_codes_left(id).await.unwrap(), 3);
    assert_eq!(store.spend_recovery_code(id, &codes[0].digest(), at).await.unwrap(), Some(2));
    assert_eq!(store.spend_recovery_code(id, &codes[0].digest(), at).await.unwrap(), None);
    assert_eq!(store.spend_recovery_code(id, &codes[3].digest(), at).await.unwrap(), None);
    assert_eq!(store.spend_recovery_code(other, &codes[1].digest(), at).await.unwrap(), None);
    assert_eq!(store.recovery_codes_left(id).await.unwrap(), 2);
    let fresh = RecoveryCode::generate_set();
    assert!(store.replace_recovery_codes(id, &digests(&fresh), at).await.unwrap());
    assert_eq!(store.recovery_codes_left(id).await.unwrap(), 10);
    assert_eq!(store.spend_recovery_code(id, &codes[1].digest(), at).await.unwrap(), None);
    assert_eq!(store.spend_recovery_code(id, &fresh[9].digest(), at).await.unwrap(), Some(9));
    assert_eq!(store.recovery_codes_left(other).await.unwrap(), 1, "the other user's stay");
    let pending = user(&*store, "carol").await;
    assert!(!store.replace_recovery_codes(pending.id, &digests(&fresh), at).await.unwrap());
    assert_eq!(store.recovery_codes_left(pending.id).await.unwrap(), 0);
}

/// One recovery code spent ten times at once: exactly one succeeds.
pub async fn concurrent_spends_of_a_recovery_code_admit_one<S: AuthStore + ?Sized>(store: Arc<S>) {
    let codes = RecoveryCode::generate_set();
    let id = enrolled(&*store, "alice", &codes).await;
    for code in &codes[..3] {
        let tries: Vec<_> = (0..10)
            .map(|_| {
                let (store, digest) = (store.clone(), code.digest());
                tokio::spawn(async move { store.spend_recovery_code(id, &digest, t0()).await })
            })
            .collect();
        let mut won = 0;
        for t in tries {
            won += usize::from(t.await.unwrap().unwrap().is_some());
        }
        assert_eq!(won, 1);
    }
    assert_eq!(store.recovery_codes_left(id).await.unwrap(), 7);
}

/// Removing the factors removes the TOTP (pending or confirmed), the codes and the MFA
/// tokens and turns `mfa_enabled` off; it says whether a confirmed factor was there. A
/// deleted user's factors go with them.
pub async fn second_factors_are_removed_together<S: AuthStore + ?Sized>(store: Arc<S>) {
    let codes = RecoveryCode::generate_set();
    let id = enrolled(&*store, "alice", &codes).await;
    let (token, record) = mfa_token(id, 5);
    store.issue_mfa_token(record).await.unwrap();
    assert!(store.remove_second_factors(id).await.unwrap());
    assert!(store.totp(id).await.unwrap().is_none());
    assert_eq!(store.recovery_codes_left(id).await.unwrap(), 0);
    assert!(store.attempt_mfa_token(&token.digest(), t0()).await.unwrap().is_none());
    assert!(!store.user_by_id(id).await.unwrap().unwrap().mfa_enabled);
    assert!(!store.remove_second_factors(id).await.unwrap(), "nothing left");
    let pending = user(&*store, "bob1").await;
    store.begin_totp_enrolment(pending.id, sealed(1), t0()).await.unwrap();
    assert!(!store.remove_second_factors(pending.id).await.unwrap(), "pending only");
    assert!(store.totp(pending.id).await.unwrap().is_none());
    let gone = enrolled(&*store, "carol", &codes).await;
    let (token, record) = mfa_token(gone, 5);
    store.issue_mfa_token(record).await.unwrap();
    assert!(store.delete_user(gone).await.unwrap());
    assert!(store.totp(gone).await.unwrap().is_none());
    assert_eq!(store.recovery_codes_left(gone).await.unwrap(), 0);
    assert!(store.attempt_mfa_token(&token.digest(), t0()).await.unwrap().is_none());
}

/// An MFA token admits five attempts (each counted before its code is checked, returned
/// with the count), is spent once (also after its fifth attempt), dies when it expires, and
/// expired ones are purged.
pub async fn mfa_tokens_admit_five_attempts_and_are_spent_once<S: AuthStore + ?Sized>(
    store: Arc<S>,
) {
    let u = user(&*store, "alice").await;
    let (token, record) = mfa_token(u.id, 5);
    store.issue_mfa_token(record.clone()).await.unwrap();
    let digest = token.digest();
    for n in 1..=MfaToken::MAX_ATTEMPTS {
        let admitted = store.attempt_mfa_token(&digest, t0()).await.unwrap().expect("admitted");
        assert_eq!(admitted, MfaTokenRecord { attempts: n, ..record.clone() });
    }
    assert!(store.attempt_mfa_token(&digest, t0()).await.unwrap().is_none(), "a sixth");
    // The fifth attempt's code may be right: the token still spends, once.
    let spent = store.spend_mfa_token(&digest, t0()).await.unwrap().unwrap();
    assert_eq!(
        (spent.user_id, spent.origin, spent.attempts),
        (u.id, LoginOrigin::TokenEndpoint, 5)
    );
    assert!(store.spend_mfa_token(&digest, t0()).await.unwrap().is_none(), "once");
    // A token no attempt was counted for does not spend; a spent token admits no attempt.
    let (token, record) = mfa_token(u.id, 5);
    store.issue_mfa_token(record).await.unwrap();
    assert!(store.spend_mfa_token(&token.digest(), t0()).await.unwrap().is_none());
    store.attempt_mfa_token(&token.digest(), t0()).await.unwrap().unwrap();
    store.spend_mfa_token(&token.digest(), t0()).await.unwrap().unwrap();
    assert!(store.attempt_mfa_token(&token.digest(), t0()).await.unwrap().is_none());
    // Expiry.
    let (token, record) = mfa_token(u.id, 5);
    store.issue_mfa_token(record).await.unwrap();
    let at_expiry = t0() + Duration::minutes(5);
    assert!(store.attempt_mfa_token(&token.digest(), at_expiry).await.unwrap().is_none());
    assert!(store.spend_mfa_token(&token.digest(), at_expiry).await.unwrap().is_none());
    assert!(store.attempt_mfa_token(&token.digest(), t0()).await.unwrap().is_some(), "before");
    // An unknown token.
    assert!(store.attempt_mfa_token(&MfaToken::generate().digest(), t0()).await.unwrap().is_none());
    // Purge: the three that expired by then go, a later one stays.
    let (late, record) = mfa_token(u.id, 60);
    store.issue_mfa_token(record).await.unwrap();
    let purged = store.purge_mfa_tokens(t0() + Duration::minutes(10)).await.unwrap();
    assert_eq!(purged, 3);
    assert!(store.attempt_mfa_token(&late.digest(), t0()).await.unwrap().is_some());
}

/// Twenty attempts at once on one MFA token: exactly five are admitted; ten spends at once:
/// exactly one wins.
pub async fn concurrent_uses_of_an_mfa_token_are_bounded<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let (token, record) = mfa_token(u.id, 5);
    store.issue_mfa_token(record).await.unwrap();
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let (store, digest) = (store.clone(), token.digest());
            tokio::spawn(async move { store.attempt_mfa_token(&digest, t0()).await })
        })
        .collect();
    let mut counts = Vec::new();
    for a in attempts {
        if let Some(r) = a.await.unwrap().unwrap() {
            counts.push(r.attempts);
        }
    }
    counts.sort_unstable();
    assert_eq!(counts, [1, 2, 3, 4, 5], "each attempt counted once, five admitted");
    let (token, record) = mfa_token(u.id, 5);
    store.issue_mfa_token(record).await.unwrap();
    store.attempt_mfa_token(&token.digest(), t0()).await.unwrap().unwrap();
    let spends: Vec<_> = (0..10)
        .map(|_| {
            let (store, digest) = (store.clone(), token.digest());
            tokio::spawn(async move { store.spend_mfa_token(&digest, t0()).await })
        })
        .collect();
    let mut won = 0;
    for s in spends {
        won += usize::from(s.await.unwrap().unwrap().is_some());
    }
    assert_eq!(won, 1);
}

/// Ten confirmations of one pending enrolment at once: exactly one succeeds.
pub async fn concurrent_confirmations_admit_one<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    store.begin_totp_enrolment(u.id, sealed(1), t0()).await.unwrap();
    let codes = digests(&RecoveryCode::generate_set());
    let tries: Vec<_> = (0..10u64)
        .map(|n| {
            let (store, codes) = (store.clone(), codes.clone());
            tokio::spawn(async move {
                store.confirm_totp(u.id, &sealed(1), 1000 + n, &codes, t0()).await
            })
        })
        .collect();
    let mut won = 0;
    for t in tries {
        won += usize::from(t.await.unwrap().unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(store.recovery_codes_left(u.id).await.unwrap(), 10);
}

/// A secret sealed again under a new key replaces the old one only while it is still the
/// one stored; the usage by key id counts pending and confirmed secrets alike.
pub async fn secrets_are_resealed_and_counted_by_key<S: AuthStore + ?Sized>(store: Arc<S>) {
    let id = enrolled(&*store, "alice", &[]).await;
    let pending = user(&*store, "bob1").await;
    assert!(store.begin_totp_enrolment(pending.id, sealed(5), t0()).await.unwrap());
    assert_eq!(store.totp_key_usage().await.unwrap(), [("0123456789abcdef".to_owned(), 2)]);
    let new = SealedSecret { key_id: "fedcba9876543210".into(), sealed: vec![9; 60] };
    assert!(!store.reseal_totp(id, &sealed(2), &new).await.unwrap(), "not the stored one");
    assert!(store.reseal_totp(id, &sealed(1), &new).await.unwrap());
    assert!(!store.reseal_totp(id, &sealed(1), &new).await.unwrap(), "once");
    let stored = store.totp(id).await.unwrap().unwrap();
    assert_eq!((stored.secret, stored.last_step), (new.clone(), Some(1000)));
    // The re-sealed secret is the one steps are checked against now.
    assert!(store.accept_totp_step(id, &new, 1001).await.unwrap());
    let usage = store.totp_key_usage().await.unwrap();
    assert_eq!(usage, [("0123456789abcdef".to_owned(), 1), ("fedcba9876543210".to_owned(), 1)]);
}
