//! The store contract, addresses: an address, its verified flag and a pending address are
//! written together, and a verified address belongs to one user only (ASCII case aside),
//! however many race for it.

use std::sync::Arc;

use super::store_contract::{new_user, user};
use crate::{Address, AuthStore, Email, StoreErrorKind, UserId, UserRecord, UserUpdate};

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn set(address: Address) -> UserUpdate {
    UserUpdate { address: Some(address), ..Default::default() }
}

async fn write<S: AuthStore + ?Sized>(store: &S, id: UserId, address: Address) -> UserRecord {
    store.update_user(id, set(address)).await.expect("update").expect("the user exists")
}

/// A new user's address is unverified with nothing pending; the three fields are written
/// together, read back as written, and leave the other fields alone.
pub async fn addresses_are_written_together<S: AuthStore + ?Sized>(store: Arc<S>) {
    let mut new = new_user("alice");
    new.email = Some(email("alice@example.com"));
    let created = store.create_user(new).await.unwrap();
    assert!(!created.email_verified && created.pending_email.is_none());
    let back = store.user_by_id(created.id).await.unwrap().unwrap();
    assert_eq!(Address::of(&back), Address::of(&created));

    let pending = Address {
        email: Some(email("alice@example.com")),
        verified: true,
        pending: Some(email("Alice.New@Example.org")),
    };
    let r = write(&*store, created.id, pending.clone()).await;
    assert_eq!(Address::of(&r), pending);
    let back = store.user_by_id(created.id).await.unwrap().unwrap();
    assert_eq!(Address::of(&back), pending);
    assert_eq!(back.pending_email.as_ref().map(Email::as_str), Some("Alice.New@Example.org"));
    assert_eq!(
        (back.username.as_str(), back.password_hash.clone()),
        ("alice", created.password_hash)
    );

    // Other updates leave the address alone.
    let other = UserUpdate { is_active: Some(false), ..Default::default() };
    let r = store.update_user(created.id, other).await.unwrap().unwrap();
    assert_eq!(Address::of(&r), pending);

    // No address at all: nothing verified, nothing pending.
    let r = write(&*store, created.id, Address::default()).await;
    assert_eq!((r.email.clone(), r.email_verified, r.pending_email.clone()), (None, false, None));
    let back = store.user_by_id(created.id).await.unwrap().unwrap();
    assert_eq!(Address::of(&back), Address::default());
}

/// A verified address is one user's: verifying it for another (in any ASCII case) is a
/// `Conflict` that changes nothing; unverified copies are allowed; a user re-verifying their
/// own is no conflict; once the first user lets it go, the other may verify it.
pub async fn verified_addresses_are_unique<S: AuthStore + ?Sized>(store: Arc<S>) {
    let a = user(&*store, "alice").await;
    let b = user(&*store, "bob1").await;
    let verified = |e: &str| Address { email: Some(email(e)), verified: true, pending: None };
    let unverified = |e: &str| Address { email: Some(email(e)), verified: false, pending: None };
    write(&*store, a.id, verified("Shared@Example.com")).await;
    // The same address, unverified, on another account is allowed.
    write(&*store, b.id, unverified("shared@example.com")).await;
    let err = store.update_user(b.id, set(verified("SHARED@example.COM"))).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Conflict, "{err:?}");
    let back = store.user_by_id(b.id).await.unwrap().unwrap();
    assert_eq!(Address::of(&back), unverified("shared@example.com"), "nothing changed");
    // Nor through the last-admin path.
    let err = store.update_user_unless_last_admin(b.id, set(verified("shared@example.com"))).await;
    assert_eq!(err.unwrap_err().kind(), StoreErrorKind::Conflict);
    // Its owner writes it again without a conflict.
    write(&*store, a.id, verified("shared@example.com")).await;
    // Another address is another address (no accent folding).
    write(&*store, b.id, verified("shäred@example.com")).await;
    // Let go, it can be taken.
    write(&*store, a.id, unverified("shared@example.com")).await;
    write(&*store, b.id, verified("Shared@example.com")).await;
    // Deleting the owner frees it too.
    store.delete_user(b.id).await.unwrap();
    write(&*store, a.id, verified("shared@example.com")).await;
}

/// Ten users verify one address at once: exactly one succeeds, the others are conflicts.
pub async fn concurrent_verifications_of_one_address_admit_one<S: AuthStore + ?Sized>(
    store: Arc<S>,
) {
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(user(&*store, &format!("racer{i}")).await.id);
    }
    let tasks: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let store = store.clone();
            let e = if i % 2 == 0 { "race@example.com" } else { "RACE@example.com" };
            let address = Address { email: Some(email(e)), verified: true, pending: None };
            tokio::spawn(async move { store.update_user(id, set(address)).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(Some(u)) => {
                assert!(u.email_verified);
                won += 1;
            }
            Ok(None) => panic!("the user exists"),
            Err(e) => assert_eq!(e.kind(), StoreErrorKind::Conflict, "{e:?}"),
        }
    }
    assert_eq!(won, 1);
    let mut verified = 0;
    for id in ids {
        verified += usize::from(store.user_by_id(id).await.unwrap().unwrap().email_verified);
    }
    assert_eq!(verified, 1);
}

/// A conditional update ([`UserStore::update_user_if`](crate::UserStore::update_user_if))
/// applies, with everything it carries, only while the user is as expected: a change of the
/// address, the hash, the revocation stamp or the active flag since makes it `Stale`,
/// changing nothing; no user is `NotFound`.
pub async fn conditional_updates_apply_only_to_the_state_expected<S: AuthStore + ?Sized>(
    store: Arc<S>,
) {
    use crate::{ConditionalUpdate, StoredHash, UserSnapshot};
    let u = user(&*store, "alice").await;
    let first = Address { email: Some(email("a@example.com")), verified: false, pending: None };
    let u = write(&*store, u.id, first.clone()).await;
    let verified = Address { verified: true, ..first.clone() };
    let hash = StoredHash::new("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3");
    let change = || UserUpdate {
        address: Some(verified.clone()),
        password_hash: Some(hash.clone()),
        ..Default::default()
    };
    let now = UserSnapshot::of(&u);
    let stale_states = [
        UserSnapshot { address: Address::default(), ..now.clone() },
        UserSnapshot {
            password_hash: StoredHash::new("$argon2id$v=19$m=19456,t=2,p=1$b2xk$b2xk"),
            ..now.clone()
        },
        UserSnapshot { tokens_valid_after: Some(super::store_contract::t0()), ..now.clone() },
        UserSnapshot { is_active: false, ..now.clone() },
    ];
    for expected in &stale_states {
        match store.update_user_if(u.id, expected, change()).await.unwrap() {
            ConditionalUpdate::Stale(current) => assert_eq!(UserSnapshot::of(&current), now),
            other => panic!("expected {expected:?}: {other:?}"),
        }
    }
    let back = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(UserSnapshot::of(&back), now, "nothing changed");
    match store.update_user_if(u.id, &now, change()).await.unwrap() {
        ConditionalUpdate::Applied(r) => {
            assert_eq!(
                (Address::of(&r), r.password_hash.clone()),
                (verified.clone(), hash.clone())
            );
        }
        other => panic!("{other:?}"),
    }
    let back = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!((Address::of(&back), back.password_hash), (verified.clone(), hash.clone()));
    let gone = store.update_user_if(UserId::new(424242), &now, change()).await.unwrap();
    assert!(matches!(gone, ConditionalUpdate::NotFound), "{gone:?}");
}

/// Ten conditional updates expecting one state at once: exactly one applies, the others
/// find the state changed.
pub async fn concurrent_conditional_updates_admit_one<S: AuthStore + ?Sized>(store: Arc<S>) {
    use crate::{ConditionalUpdate, StoredHash, UserSnapshot};
    let u = user(&*store, "alice").await;
    let expected = UserSnapshot::of(&u);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (store, expected) = (store.clone(), expected.clone());
            let hash = StoredHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$racer{i}"));
            let update = UserUpdate { password_hash: Some(hash), ..Default::default() };
            tokio::spawn(async move { store.update_user_if(u.id, &expected, update).await })
        })
        .collect();
    let mut applied = Vec::new();
    for t in tasks {
        match t.await.unwrap().unwrap() {
            ConditionalUpdate::Applied(r) => applied.push(r.password_hash),
            ConditionalUpdate::Stale(_) => {}
            ConditionalUpdate::NotFound => panic!("the user exists"),
        }
    }
    assert_eq!(applied.len(), 1, "{applied:?}");
    let back = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(back.password_hash, applied[0], "the one that applied is the one stored");
}
