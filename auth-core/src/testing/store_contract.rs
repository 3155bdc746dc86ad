//! The store contract, users: the checks every [`AuthStore`] must pass on users, one public
//! function each, run by [`store_contract_tests!`](crate::store_contract_tests) with those of
//! [`token_contract`](super::token_contract) (refresh tokens and sessions). The fixtures both
//! files use are here.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::{
    Amr, AuthStore, Email, FamilyId, NewRefreshToken, NewUser, Page, RefreshToken, Replacement,
    Role, StoreErrorKind, StoredHash, UserId, UserRecord, UserUpdate, Username,
};

/// A fixed instant, in whole microseconds (what every SQL database keeps).
pub(crate) fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()
}

pub(crate) fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        email: None,
        role: Role::User,
        is_active: true,
        // Hash strings are ASCII (PHC, bcrypt); stores may rely on it.
        password_hash: StoredHash::new(format!(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${}",
            name.bytes().map(|b| format!("{b:02x}")).collect::<String>()
        )),
        created_at: t0(),
    }
}

pub(crate) async fn user<S: AuthStore + ?Sized>(store: &S, name: &str) -> UserRecord {
    store.create_user(new_user(name)).await.expect("create user")
}

pub(crate) fn session(user: UserId, created: OffsetDateTime) -> (RefreshToken, NewRefreshToken) {
    let token = RefreshToken::generate();
    let new = NewRefreshToken {
        digest: token.digest(),
        user_id: user,
        family_id: FamilyId::generate(),
        created_at: created,
        expires_at: created + Duration::days(30),
        ip: Some("203.0.113.7".into()),
        user_agent: Some("contract/1.0".into()),
        amr: vec![Amr::Pwd, Amr::Otp],
        auth_time: created - Duration::seconds(3),
    };
    (token, new)
}

pub(crate) fn replacement(at: OffsetDateTime) -> (RefreshToken, Replacement) {
    let token = RefreshToken::generate();
    let r = Replacement {
        digest: token.digest(),
        created_at: at,
        ip: None,
        user_agent: Some("ua-2".into()),
    };
    (token, r)
}

/// Creation returns the record with an id; it reads back by id and by username in any
/// case, with every field intact.
pub async fn creates_and_reads_users<S: AuthStore + ?Sized>(store: Arc<S>) {
    let mut new = new_user("Alice");
    new.email = Some(Email::parse("alice@example.com").unwrap());
    let created = store.create_user(new).await.unwrap();
    assert_eq!(created.username.as_str(), "Alice");
    assert_eq!(created.tokens_valid_after, None);
    assert_eq!((created.created_at, created.updated_at), (t0(), t0()));
    let by_id = store.user_by_id(created.id).await.unwrap().expect("by id");
    let by_name =
        store.user_by_username(&Username::parse("aLiCe").unwrap()).await.unwrap().expect("by name");
    for u in [&by_id, &by_name] {
        assert_eq!(u.id, created.id);
        assert_eq!(u.username.as_str(), "Alice");
        assert_eq!(u.email.as_ref().map(Email::as_str), Some("alice@example.com"));
        assert_eq!((&u.role, u.is_active), (&Role::User, true));
        assert_eq!(u.password_hash, created.password_hash);
        assert_eq!(u.created_at, t0());
    }
    assert!(store.user_by_id(UserId::new(created.id.get() + 1000)).await.unwrap().is_none());
    assert!(store.user_by_username(&Username::parse("nobody").unwrap()).await.unwrap().is_none());
    let second = user(&*store, "bob1").await;
    assert_ne!(second.id, created.id);
}

/// A second user whose name differs only in case (or NFKC form) is a `Conflict`.
pub async fn usernames_are_unique_case_insensitively<S: AuthStore + ?Sized>(store: Arc<S>) {
    user(&*store, "alice").await;
    for dup in ["alice", "ALICE", "Alice", "ａｌｉｃｅ"] {
        let err = store.create_user(new_user(dup)).await.expect_err(dup);
        assert_eq!(err.kind(), StoreErrorKind::Conflict, "{dup}: {err:?}");
    }
    assert_eq!(store.list_users(Page::default()).await.unwrap().len(), 1);
}

/// 20 concurrent creations of one name (in varying case): exactly one succeeds, the
/// others are conflicts.
pub async fn concurrent_creations_of_one_name_admit_one<S: AuthStore + ?Sized>(store: Arc<S>) {
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let name = if i % 2 == 0 { "racer" } else { "RACER" };
            tokio::spawn(async move { store.create_user(new_user(name)).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.kind(), StoreErrorKind::Conflict, "{e:?}"),
        }
    }
    assert_eq!(ok, 1);
}

/// A role the application declares is kept by its name, up to the longest name allowed,
/// when the user is created and when the role changes; the built-in names read back as the
/// built-in roles.
pub async fn custom_roles_are_kept_by_name<S: AuthStore + ?Sized>(store: Arc<S>) {
    let longest = Role::new(&"r".repeat(Role::MAX_LEN)).unwrap();
    let mut new = new_user("editor1");
    new.role = Role::new("support-lead").unwrap();
    let u = store.create_user(new).await.unwrap();
    assert_eq!(u.role.as_str(), "support-lead");
    let read = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(read.role, Role::new("support-lead").unwrap());
    let update = UserUpdate { role: Some(longest.clone()), ..Default::default() };
    let r = store.update_user(u.id, update).await.unwrap().unwrap();
    assert_eq!(r.role, longest);
    assert_eq!(store.user_by_id(u.id).await.unwrap().unwrap().role, longest);
    let update = UserUpdate { role: Some(Role::new("admin").unwrap()), ..Default::default() };
    store.update_user(u.id, update).await.unwrap();
    assert_eq!(store.user_by_id(u.id).await.unwrap().unwrap().role, Role::Admin);
}

/// Each field of an update applies on its own; the others stay; the revocation stamp
/// never moves backwards.
pub async fn updates_apply_each_field<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let t1 = t0() + Duration::seconds(10);
    let r = store
        .update_user(
            u.id,
            UserUpdate { role: Some(Role::Admin), updated_at: Some(t1), ..Default::default() },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&r.role, r.is_active, r.updated_at), (&Role::Admin, true, t1));
    let r = store
        .update_user(u.id, UserUpdate { is_active: Some(false), ..Default::default() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&r.role, r.is_active), (&Role::Admin, false));
    let hash = StoredHash::new("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3");
    let r = store
        .update_user(u.id, UserUpdate { password_hash: Some(hash.clone()), ..Default::default() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.password_hash, hash);
    let stamp = t0() + Duration::seconds(20);
    let r = store
        .update_user(u.id, UserUpdate { tokens_valid_after: Some(stamp), ..Default::default() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.tokens_valid_after, Some(stamp));
    // An older stamp does not move it back.
    let older = UserUpdate { tokens_valid_after: Some(t0()), ..Default::default() };
    let r = store.update_user(u.id, older).await.unwrap().unwrap();
    assert_eq!(r.tokens_valid_after, Some(stamp), "the revocation stamp moved backwards");
    let back = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(
        (back.role, back.is_active, back.tokens_valid_after),
        (Role::Admin, false, Some(stamp))
    );
    assert_eq!(back.password_hash, hash);
    assert_eq!(back.username.as_str(), "alice");
}

/// Updating a user that does not exist returns `None`.
pub async fn updates_of_unknown_users_return_none<S: AuthStore + ?Sized>(store: Arc<S>) {
    let r = store
        .update_user(
            UserId::new(424242),
            UserUpdate { role: Some(Role::Admin), ..Default::default() },
        )
        .await;
    assert!(r.unwrap().is_none());
}

/// Users list in id order, one page at a time.
pub async fn lists_users_in_id_order_with_paging<S: AuthStore + ?Sized>(store: Arc<S>) {
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(user(&*store, &format!("user{i}")).await.id);
    }
    let all = store.list_users(Page::new(Some(100), None).unwrap()).await.unwrap();
    assert_eq!(all.iter().map(|u| u.id).collect::<Vec<_>>(), ids);
    let page = store.list_users(Page::new(Some(2), Some(1)).unwrap()).await.unwrap();
    assert_eq!(page.iter().map(|u| u.id).collect::<Vec<_>>(), ids[1..3]);
    assert!(store.list_users(Page::new(Some(2), Some(10)).unwrap()).await.unwrap().is_empty());
}

/// Deleting a user removes them and their refresh tokens, frees the name, and reports
/// whether they existed.
pub async fn deletes_users_with_their_tokens<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let (token, new) = session(u.id, t0());
    store.insert_refresh_token(new).await.unwrap();
    assert!(store.delete_user(u.id).await.unwrap());
    assert!(!store.delete_user(u.id).await.unwrap());
    assert!(store.user_by_id(u.id).await.unwrap().is_none());
    assert!(store.refresh_token(&token.digest()).await.unwrap().is_none());
    user(&*store, "alice").await;
}

/// Users are found by address, case-insensitively, by id; several may share one.
pub async fn finds_users_by_email<S: AuthStore + ?Sized>(store: Arc<S>) {
    let with = |name: &str, email: &str| {
        let mut new = new_user(name);
        new.email = Some(Email::parse(email).unwrap());
        new
    };
    let a = store.create_user(with("alice", "Alice@Example.com")).await.unwrap();
    let b = store.create_user(with("alice2", "alice@example.COM")).await.unwrap();
    store.create_user(with("carol", "carol@example.com")).await.unwrap();
    user(&*store, "nomail").await;
    let found = store.users_by_email(&Email::parse("ALICE@example.com").unwrap()).await.unwrap();
    assert_eq!(found.iter().map(|u| u.id).collect::<Vec<_>>(), [a.id, b.id]);
    let none = store.users_by_email(&Email::parse("bob@example.com").unwrap()).await.unwrap();
    assert!(none.is_empty());
    // No accent or Unicode case folding: another address is another address.
    let accented = store.create_user(with("emile", "Émile@example.com")).await.unwrap();
    let found = store.users_by_email(&Email::parse("Émile@EXAMPLE.com").unwrap()).await.unwrap();
    assert_eq!(found.iter().map(|u| u.id).collect::<Vec<_>>(), [accented.id]);
    let other = store.users_by_email(&Email::parse("emile@example.com").unwrap()).await.unwrap();
    assert!(other.is_empty(), "{other:?}");
    let other = store.users_by_email(&Email::parse("alicé@example.com").unwrap()).await.unwrap();
    assert!(other.is_empty(), "{other:?}");
    // A wildcard is a character like any other.
    let like = store.users_by_email(&Email::parse("%@example.com").unwrap()).await.unwrap();
    assert!(like.is_empty());
}

/// A healthy store answers `ping`.
pub async fn ping_answers<S: AuthStore + ?Sized>(store: Arc<S>) {
    store.ping().await.expect("ping");
}
