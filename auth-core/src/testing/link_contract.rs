//! The store contract, link tokens: the checks every [`AuthStore`] must pass on the tokens
//! of mailed links (password resets, address verifications). Run by
//! [`store_contract_tests!`](crate::store_contract_tests).

use std::sync::Arc;

use time::Duration;

use super::store_contract::{t0, user};
use crate::{AuthStore, Email, LinkPurpose, LinkToken, LinkTokenRecord, UserId};

fn link(user: UserId, purpose: LinkPurpose, minutes: i64) -> (LinkToken, LinkTokenRecord) {
    let token = LinkToken::generate();
    let new = LinkTokenRecord {
        digest: token.digest(),
        user_id: user,
        purpose,
        email: Some(Email::parse("alice@example.com").unwrap()),
        created_at: t0(),
        expires_at: t0() + Duration::minutes(minutes),
    };
    (token, new)
}

/// A token is spent once, with its purpose, before it expires; the record comes back as
/// stored.
pub async fn link_tokens_are_spent_once_with_their_purpose<S: AuthStore + ?Sized>(store: Arc<S>) {
    use LinkPurpose::*;
    let u = user(&*store, "alice").await;
    let (token, new) = link(u.id, PasswordReset, 60);
    store.issue_link_token(new).await.unwrap();
    let digest = token.digest();
    let live = store.live_link_token(&digest, PasswordReset, t0()).await.unwrap();
    assert_eq!(live.map(|t| t.user_id), Some(u.id), "a read does not spend");
    assert!(store.live_link_token(&digest, EmailVerification, t0()).await.unwrap().is_none());
    let wrong_kind = store.spend_link_token(&digest, EmailVerification, t0()).await.unwrap();
    assert!(wrong_kind.is_none(), "a reset token is no verification token");
    let spent = store.spend_link_token(&digest, PasswordReset, t0()).await.unwrap().unwrap();
    assert_eq!((spent.user_id, spent.purpose, spent.digest), (u.id, PasswordReset, digest));
    assert_eq!(spent.email.as_ref().map(Email::as_str), Some("alice@example.com"));
    assert_eq!(spent.expires_at, t0() + Duration::minutes(60));
    assert!(store.spend_link_token(&digest, PasswordReset, t0()).await.unwrap().is_none());
    assert!(store.live_link_token(&digest, PasswordReset, t0()).await.unwrap().is_none());

    let (late, new) = link(u.id, EmailVerification, 10);
    store.issue_link_token(new).await.unwrap();
    let at_expiry = t0() + Duration::minutes(10);
    assert!(
        store
            .spend_link_token(&late.digest(), EmailVerification, at_expiry)
            .await
            .unwrap()
            .is_none()
    );
    let unknown = LinkToken::generate().digest();
    assert!(store.spend_link_token(&unknown, PasswordReset, t0()).await.unwrap().is_none());
}

/// Only the newest token of a user and purpose works; other purposes and users keep theirs.
pub async fn only_the_newest_link_token_works<S: AuthStore + ?Sized>(store: Arc<S>) {
    use LinkPurpose::*;
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bobby").await;
    let (first, new) = link(alice.id, PasswordReset, 60);
    store.issue_link_token(new).await.unwrap();
    let (verify, new) = link(alice.id, EmailVerification, 60);
    store.issue_link_token(new).await.unwrap();
    let (bobs, new) = link(bob.id, PasswordReset, 60);
    store.issue_link_token(new).await.unwrap();
    let (second, new) = link(alice.id, PasswordReset, 60);
    store.issue_link_token(new).await.unwrap();
    assert!(store.spend_link_token(&first.digest(), PasswordReset, t0()).await.unwrap().is_none());
    assert!(store.spend_link_token(&second.digest(), PasswordReset, t0()).await.unwrap().is_some());
    assert!(
        store.spend_link_token(&verify.digest(), EmailVerification, t0()).await.unwrap().is_some()
    );
    assert!(store.spend_link_token(&bobs.digest(), PasswordReset, t0()).await.unwrap().is_some());
}

/// Ten concurrent spends of one token: exactly one gets it.
pub async fn concurrent_spends_of_a_link_token_admit_one<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    for round in 0..3 {
        let (token, new) = link(u.id, LinkPurpose::PasswordReset, 60);
        store.issue_link_token(new).await.unwrap();
        let spends: Vec<_> = (0..10)
            .map(|_| {
                let (store, digest) = (store.clone(), token.digest());
                tokio::spawn(async move {
                    store.spend_link_token(&digest, LinkPurpose::PasswordReset, t0()).await
                })
            })
            .collect();
        let mut won = 0;
        for spend in spends {
            won += usize::from(spend.await.unwrap().unwrap().is_some());
        }
        assert_eq!(won, 1, "round {round}");
    }
}

/// Ten tokens issued at once for one user and purpose: only one of them works.
pub async fn concurrent_issues_leave_one_link_token<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    for round in 0..3 {
        let issued: Vec<_> = (0..10)
            .map(|_| {
                let store = store.clone();
                let (token, new) = link(u.id, LinkPurpose::PasswordReset, 60);
                tokio::spawn(async move { store.issue_link_token(new).await.map(|()| token) })
            })
            .collect();
        let mut tokens = Vec::new();
        for issue in issued {
            tokens.push(issue.await.unwrap().unwrap());
        }
        let mut live = 0;
        for token in &tokens {
            let digest = token.digest();
            let found = store.live_link_token(&digest, LinkPurpose::PasswordReset, t0()).await;
            live += usize::from(found.unwrap().is_some());
        }
        assert_eq!(live, 1, "round {round}");
    }
}

/// A user's link tokens go with the user; expired ones are purged.
pub async fn link_tokens_go_with_their_user_and_expire<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let (gone, new) = link(u.id, LinkPurpose::PasswordReset, 60);
    store.issue_link_token(new).await.unwrap();
    store.delete_user(u.id).await.unwrap();
    let u = user(&*store, "alice").await;
    assert!(
        store
            .spend_link_token(&gone.digest(), LinkPurpose::PasswordReset, t0())
            .await
            .unwrap()
            .is_none()
    );
    let (old, new) = link(u.id, LinkPurpose::EmailVerification, 1);
    store.issue_link_token(new).await.unwrap();
    let (young, new) = link(u.id, LinkPurpose::PasswordReset, 120);
    store.issue_link_token(new).await.unwrap();
    assert_eq!(store.purge_link_tokens(t0() + Duration::minutes(60)).await.unwrap(), 1);
    assert!(
        store
            .spend_link_token(&old.digest(), LinkPurpose::EmailVerification, t0())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .spend_link_token(&young.digest(), LinkPurpose::PasswordReset, t0())
            .await
            .unwrap()
            .is_some()
    );
}
