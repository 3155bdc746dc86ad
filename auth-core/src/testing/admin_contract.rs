//! The store contract, the last active admin: of every change that would leave no active
//! admin (a deletion, a demotion, a deactivation), one is refused, also when they race.
//! Run by [`store_contract_tests!`](crate::store_contract_tests).

use std::sync::Arc;

use super::store_contract::{new_user, session, t0, user};
use crate::{AuthStore, Role, UserChange, UserDeletion, UserId, UserUpdate};

async fn admin<S: AuthStore + ?Sized>(store: &S, name: &str) -> UserId {
    let mut new = new_user(name);
    new.role = Role::Admin;
    store.create_user(new).await.unwrap().id
}

fn demotion() -> UserUpdate {
    UserUpdate { role: Some(Role::User), ..Default::default() }
}

fn deactivation() -> UserUpdate {
    UserUpdate { is_active: Some(false), ..Default::default() }
}

/// Deleting unless last admin: users and other admins go (with their tokens), the last
/// active admin stays; an inactive admin does not count as the one that must stay.
pub async fn deletes_users_but_not_the_last_active_admin<S: AuthStore + ?Sized>(store: Arc<S>) {
    let plain = user(&*store, "alice").await;
    let (_, n) = session(plain.id, t0());
    store.insert_refresh_token(n.clone()).await.unwrap();
    assert_eq!(store.delete_user_unless_last_admin(plain.id).await.unwrap(), UserDeletion::Deleted);
    assert!(store.user_by_id(plain.id).await.unwrap().is_none());
    assert!(store.refresh_token(&n.digest).await.unwrap().is_none());
    assert_eq!(
        store.delete_user_unless_last_admin(plain.id).await.unwrap(),
        UserDeletion::NotFound
    );

    let root = admin(&*store, "root").await;
    let off = admin(&*store, "retired").await;
    let update = UserUpdate { is_active: Some(false), ..Default::default() };
    store.update_user(off, update).await.unwrap();
    assert_eq!(store.delete_user_unless_last_admin(root).await.unwrap(), UserDeletion::LastAdmin);
    assert!(store.user_by_id(root).await.unwrap().is_some());
    assert_eq!(store.delete_user_unless_last_admin(off).await.unwrap(), UserDeletion::Deleted);
    let second = admin(&*store, "second").await;
    assert_eq!(store.delete_user_unless_last_admin(root).await.unwrap(), UserDeletion::Deleted);
    assert_eq!(store.delete_user_unless_last_admin(second).await.unwrap(), UserDeletion::LastAdmin);
}

/// Two active admins deleting themselves at once: one goes, the other stays.
pub async fn concurrent_deletions_of_the_last_admins_keep_one<S: AuthStore + ?Sized>(
    store: Arc<S>,
) {
    for round in 0..5 {
        let mut ids = Vec::new();
        for name in [format!("first{round}"), format!("second{round}")] {
            let mut new = new_user(&name);
            new.role = Role::Admin;
            ids.push(store.create_user(new).await.unwrap().id);
        }
        let tasks: Vec<_> = ids
            .iter()
            .map(|&id| {
                let store = store.clone();
                tokio::spawn(async move { store.delete_user_unless_last_admin(id).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap().unwrap());
        }
        outcomes.sort_by_key(|o| *o != UserDeletion::Deleted);
        assert_eq!(outcomes, [UserDeletion::Deleted, UserDeletion::LastAdmin], "round {round}");
        // The survivor goes too (unconditionally), so the next round starts with none.
        for id in ids {
            store.delete_user(id).await.unwrap();
        }
    }
}

/// Demotions and deactivations through `update_user_unless_last_admin`: applied to users
/// and to one of several active admins, refused for the last one (who keeps role and
/// flag), and other changes to the last admin go through.
pub async fn updates_keep_the_last_active_admin<S: AuthStore + ?Sized>(store: Arc<S>) {
    let plain = user(&*store, "alice").await;
    let change = store.update_user_unless_last_admin(plain.id, deactivation()).await.unwrap();
    assert!(matches!(change, UserChange::Updated(u) if !u.is_active));
    let missing = store.update_user_unless_last_admin(UserId::new(i64::MAX), demotion()).await;
    assert!(matches!(missing.unwrap(), UserChange::NotFound));

    let root = admin(&*store, "root").await;
    let second = admin(&*store, "second").await;
    let change = store.update_user_unless_last_admin(second, demotion()).await.unwrap();
    assert!(matches!(change, UserChange::Updated(u) if u.role == Role::User));
    for update in [demotion(), deactivation()] {
        let change = store.update_user_unless_last_admin(root, update).await.unwrap();
        assert!(matches!(change, UserChange::LastAdmin), "{change:?}");
    }
    let kept = store.user_by_id(root).await.unwrap().unwrap();
    assert!(kept.role == Role::Admin && kept.is_active);
    // Changes that leave them an active admin are not refused.
    let stamp = UserUpdate { tokens_valid_after: Some(t0()), ..Default::default() };
    let change = store.update_user_unless_last_admin(root, stamp).await.unwrap();
    assert!(matches!(change, UserChange::Updated(u) if u.tokens_valid_after == Some(t0())));
    let same = UserUpdate { role: Some(Role::Admin), is_active: Some(true), ..Default::default() };
    let change = store.update_user_unless_last_admin(root, same).await.unwrap();
    assert!(matches!(change, UserChange::Updated(_)));
}

/// What one racer does to one of the last two active admins.
#[derive(Debug, Clone, Copy)]
enum Removal {
    Delete,
    Demote,
    Deactivate,
}

async fn remove<S: AuthStore + ?Sized>(store: &S, id: UserId, how: Removal) -> bool {
    let change = match how {
        Removal::Delete => {
            return store.delete_user_unless_last_admin(id).await.unwrap() == UserDeletion::Deleted;
        }
        Removal::Demote => demotion(),
        Removal::Deactivate => deactivation(),
    };
    match store.update_user_unless_last_admin(id, change).await.unwrap() {
        UserChange::Updated(_) => true,
        UserChange::LastAdmin => false,
        UserChange::NotFound => panic!("the admin is there"),
    }
}

/// The last two active admins, each removed at once in another way (deleted, demoted,
/// deactivated, in every pairing): exactly one removal is made, and one active admin
/// remains.
pub async fn concurrent_removals_of_the_last_admins_keep_one<S: AuthStore + ?Sized>(store: Arc<S>) {
    use Removal::*;
    let pairs = [(Delete, Demote), (Demote, Deactivate), (Deactivate, Delete), (Demote, Demote)];
    for round in 0..12 {
        let (first_way, second_way) = pairs[round % pairs.len()];
        let first = admin(&*store, &format!("first{round}")).await;
        let second = admin(&*store, &format!("second{round}")).await;
        let racer = |id, how| {
            let store = store.clone();
            tokio::spawn(async move { remove(&*store, id, how).await })
        };
        let (a, b) = (racer(first, first_way), racer(second, second_way));
        let made = [a.await.unwrap(), b.await.unwrap()];
        assert_eq!(made.iter().filter(|m| **m).count(), 1, "round {round}: {made:?}");
        let mut active = 0;
        for id in [first, second] {
            if let Some(u) = store.user_by_id(id).await.unwrap() {
                active += usize::from(u.role == Role::Admin && u.is_active);
            }
        }
        assert_eq!(active, 1, "round {round} ({first_way:?}, {second_way:?})");
        // Both go (unconditionally), so the next round starts with none.
        for id in [first, second] {
            store.delete_user(id).await.unwrap();
        }
    }
}
