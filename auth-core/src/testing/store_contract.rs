//! The store contract: the checks every [`AuthStore`] must pass, one
//! public function each, run by [`store_contract_tests!`](crate::store_contract_tests).

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::{
    AuthStore, Email, FamilyId, NewRefreshToken, NewUser, Page, RefreshToken, Replacement, Role,
    RotateOutcome, StoreErrorKind, StoredHash, UserId, UserRecord, UserUpdate, Username,
};

/// A fixed instant, in whole microseconds (what every SQL database keeps).
fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()
}

fn new_user(name: &str) -> NewUser {
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

async fn user<S: AuthStore + ?Sized>(store: &S, name: &str) -> UserRecord {
    store.create_user(new_user(name)).await.expect("create user")
}

fn session(user: UserId, created: OffsetDateTime) -> (RefreshToken, NewRefreshToken) {
    let token = RefreshToken::generate();
    let new = NewRefreshToken {
        digest: token.digest(),
        user_id: user,
        family_id: FamilyId::generate(),
        created_at: created,
        expires_at: created + Duration::days(30),
        ip: Some("203.0.113.7".into()),
        user_agent: Some("contract/1.0".into()),
    };
    (token, new)
}

fn replacement(at: OffsetDateTime) -> (RefreshToken, Replacement) {
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
        assert_eq!((u.role, u.is_active), (Role::User, true));
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
    assert_eq!((r.role, r.is_active, r.updated_at), (Role::Admin, true, t1));
    let r = store
        .update_user(u.id, UserUpdate { is_active: Some(false), ..Default::default() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.role, r.is_active), (Role::Admin, false));
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

/// An inserted token reads back by digest with every field.
pub async fn inserts_and_reads_refresh_tokens<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let (token, new) = session(u.id, t0());
    let family = new.family_id;
    store.insert_refresh_token(new).await.unwrap();
    let r = store.refresh_token(&token.digest()).await.unwrap().expect("stored");
    assert_eq!(r.digest, token.digest());
    assert_eq!((r.user_id, r.family_id, r.parent), (u.id, family, None));
    assert_eq!((r.created_at, r.expires_at), (t0(), t0() + Duration::days(30)));
    assert_eq!((r.used_at, r.revoked_at), (None, None));
    assert_eq!(
        (r.ip.as_deref(), r.user_agent.as_deref()),
        (Some("203.0.113.7"), Some("contract/1.0"))
    );
    assert!(store.refresh_token(&RefreshToken::generate().digest()).await.unwrap().is_none());
}

/// A live token rotates: it is marked used, and its replacement joins the family with
/// the parent's expiry.
pub async fn rotation_spends_and_replaces<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let (token, new) = session(u.id, t0());
    let family = new.family_id;
    store.insert_refresh_token(new).await.unwrap();
    let at = t0() + Duration::hours(1);
    let (next, repl) = replacement(at);
    let RotateOutcome::Rotated { old, new } =
        store.rotate_refresh_token(&token.digest(), repl, at).await.unwrap()
    else {
        panic!("expected a rotation");
    };
    assert_eq!(old.used_at, Some(at));
    assert_eq!(new.digest, next.digest());
    assert_eq!((new.user_id, new.family_id, new.parent), (u.id, family, Some(token.digest())));
    assert_eq!((new.created_at, new.expires_at), (at, t0() + Duration::days(30)));
    assert_eq!(new.user_agent.as_deref(), Some("ua-2"));
    let stored = store.refresh_token(&next.digest()).await.unwrap().unwrap();
    assert_eq!(stored, *new);
    assert_eq!(store.refresh_token(&token.digest()).await.unwrap().unwrap().used_at, Some(at));
}

/// A spent token reports `Replayed`; a revoked or expired one `Inactive`; an unknown one
/// `Unknown`; and none of them inserts the replacement.
pub async fn rotation_reports_replay_inactive_and_unknown<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let (token, new) = session(u.id, t0());
    store.insert_refresh_token(new).await.unwrap();
    let at = t0() + Duration::minutes(1);
    let (_, repl) = replacement(at);
    assert!(matches!(
        store.rotate_refresh_token(&token.digest(), repl, at).await.unwrap(),
        RotateOutcome::Rotated { .. }
    ));
    let (lost, repl) = replacement(at);
    assert!(
        matches!(store.rotate_refresh_token(&token.digest(), repl, at).await.unwrap(), RotateOutcome::Replayed(r) if r.digest == token.digest())
    );
    assert!(store.refresh_token(&lost.digest()).await.unwrap().is_none());

    let (revoked, new) = session(u.id, t0());
    let family = new.family_id;
    store.insert_refresh_token(new).await.unwrap();
    store.revoke_family(family, at).await.unwrap();
    let (lost, repl) = replacement(at);
    assert!(matches!(
        store.rotate_refresh_token(&revoked.digest(), repl, at).await.unwrap(),
        RotateOutcome::Inactive(_)
    ));
    assert!(store.refresh_token(&lost.digest()).await.unwrap().is_none());

    let (expired, new) = session(u.id, t0());
    store.insert_refresh_token(new).await.unwrap();
    let late = t0() + Duration::days(30);
    let (_, repl) = replacement(late);
    assert!(matches!(
        store.rotate_refresh_token(&expired.digest(), repl, late).await.unwrap(),
        RotateOutcome::Inactive(_)
    ));

    let (_, repl) = replacement(at);
    let unknown = RefreshToken::generate().digest();
    assert_eq!(
        store.rotate_refresh_token(&unknown, repl, at).await.unwrap(),
        RotateOutcome::Unknown
    );
}

/// 10 concurrent spends of one token: exactly one rotates; the rest see a replay.
pub async fn concurrent_spends_exactly_one_wins<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let (token, new) = session(u.id, t0());
    store.insert_refresh_token(new).await.unwrap();
    let digest = token.digest();
    let at = t0() + Duration::minutes(5);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let (_, repl) = replacement(at);
                store.rotate_refresh_token(&digest, repl, at).await
            })
        })
        .collect();
    let (mut rotated, mut replayed) = (0, 0);
    for t in tasks {
        match t.await.unwrap().expect("no store error under contention") {
            RotateOutcome::Rotated { .. } => rotated += 1,
            RotateOutcome::Replayed(_) => replayed += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((rotated, replayed), (1, 9));
    let live = store.live_refresh_tokens(u.id, at).await.unwrap();
    assert_eq!(live.len(), 1, "exactly one replacement exists");
}

/// Revoking a family touches only that family; revoking a user only that user; counts
/// are of tokens newly revoked.
pub async fn revokes_families_and_users<S: AuthStore + ?Sized>(store: Arc<S>) {
    let a = user(&*store, "alice").await;
    let b = user(&*store, "bob1").await;
    let (a1, n) = session(a.id, t0());
    let fam = n.family_id;
    store.insert_refresh_token(n).await.unwrap();
    let (a2, n) = session(a.id, t0());
    store.insert_refresh_token(n).await.unwrap();
    let (b1, n) = session(b.id, t0());
    store.insert_refresh_token(n).await.unwrap();
    let at = t0() + Duration::minutes(1);
    assert_eq!(store.revoke_family(fam, at).await.unwrap(), 1);
    assert_eq!(store.revoke_family(fam, at).await.unwrap(), 0);
    assert_eq!(store.refresh_token(&a1.digest()).await.unwrap().unwrap().revoked_at, Some(at));
    assert_eq!(store.refresh_token(&a2.digest()).await.unwrap().unwrap().revoked_at, None);
    assert_eq!(store.revoke_user_tokens(a.id, at).await.unwrap(), 1);
    assert!(store.refresh_token(&a2.digest()).await.unwrap().unwrap().revoked_at.is_some());
    assert_eq!(store.refresh_token(&b1.digest()).await.unwrap().unwrap().revoked_at, None);
}

/// Live sessions: unspent, unrevoked, unexpired tokens of the user, newest first.
pub async fn lists_live_sessions_newest_first<S: AuthStore + ?Sized>(store: Arc<S>) {
    let a = user(&*store, "alice").await;
    let b = user(&*store, "bob1").await;
    let (older, n) = session(a.id, t0());
    store.insert_refresh_token(n).await.unwrap();
    let (newer, n) = session(a.id, t0() + Duration::minutes(1));
    store.insert_refresh_token(n).await.unwrap();
    let (spent, n) = session(a.id, t0());
    store.insert_refresh_token(n).await.unwrap();
    let (_, repl) = replacement(t0() + Duration::minutes(2));
    let RotateOutcome::Rotated { new: successor, .. } = store
        .rotate_refresh_token(&spent.digest(), repl, t0() + Duration::minutes(2))
        .await
        .unwrap()
    else {
        panic!("rotation");
    };
    let (_, n) = session(b.id, t0());
    store.insert_refresh_token(n).await.unwrap();
    let now = t0() + Duration::minutes(3);
    let live: Vec<_> =
        store.live_refresh_tokens(a.id, now).await.unwrap().into_iter().map(|t| t.digest).collect();
    assert_eq!(live, vec![successor.digest, newer.digest(), older.digest()]);
    let late = t0() + Duration::days(31);
    assert!(store.live_refresh_tokens(a.id, late).await.unwrap().is_empty());
}

/// Sessions: one per family with a live token, newest login first, with the family's start,
/// its current token's issue time, IP and user agent, and the family's expiry.
pub async fn lists_sessions_with_their_start_and_last_use<S: AuthStore + ?Sized>(store: Arc<S>) {
    let a = user(&*store, "alice").await;
    let b = user(&*store, "bob1").await;
    let (first, n) = session(a.id, t0());
    let rotated = n.family_id;
    store.insert_refresh_token(n).await.unwrap();
    let (_, n) = session(a.id, t0() + Duration::minutes(1));
    let newer = n.family_id;
    store.insert_refresh_token(n).await.unwrap();
    let (_, n) = session(a.id, t0() + Duration::minutes(2));
    let ended = n.family_id;
    store.insert_refresh_token(n).await.unwrap();
    store.revoke_family(ended, t0() + Duration::minutes(2)).await.unwrap();
    let (_, n) = session(b.id, t0() + Duration::minutes(3));
    store.insert_refresh_token(n).await.unwrap();
    let at = t0() + Duration::minutes(4);
    let (_, repl) = replacement(at);
    let outcome = store.rotate_refresh_token(&first.digest(), repl, at).await.unwrap();
    assert!(matches!(outcome, RotateOutcome::Rotated { .. }));

    let now = t0() + Duration::minutes(5);
    let sessions = store.sessions(a.id, now).await.unwrap();
    assert_eq!(sessions.iter().map(|s| s.id).collect::<Vec<_>>(), [newer, rotated]);
    let [n, r] = &sessions[..] else { unreachable!() };
    assert_eq!(
        (n.user_id, n.created_at, n.last_used_at),
        (a.id, t0() + Duration::minutes(1), t0() + Duration::minutes(1))
    );
    assert_eq!(
        (n.ip.as_deref(), n.user_agent.as_deref()),
        (Some("203.0.113.7"), Some("contract/1.0"))
    );
    assert_eq!(
        (r.created_at, r.last_used_at),
        (t0(), at),
        "began at the login, used at the rotation"
    );
    assert_eq!(r.expires_at, t0() + Duration::days(30));
    assert_eq!((r.ip.as_deref(), r.user_agent.as_deref()), (None, Some("ua-2")));
    assert!(store.sessions(a.id, t0() + Duration::days(31)).await.unwrap().is_empty());
    assert!(store.sessions(UserId::new(i64::MAX), now).await.unwrap().is_empty());
}

/// A session is live while its family has a live token: through rotations, until it is
/// revoked or expires.
pub async fn tells_whether_a_session_is_live<S: AuthStore + ?Sized>(store: Arc<S>) {
    let a = user(&*store, "alice").await;
    let (token, n) = session(a.id, t0());
    let family = n.family_id;
    store.insert_refresh_token(n).await.unwrap();
    assert!(store.session_is_live(family, t0()).await.unwrap());
    let (_, repl) = replacement(t0() + Duration::minutes(1));
    store.rotate_refresh_token(&token.digest(), repl, t0() + Duration::minutes(1)).await.unwrap();
    assert!(store.session_is_live(family, t0() + Duration::minutes(1)).await.unwrap());
    assert!(!store.session_is_live(family, t0() + Duration::days(30)).await.unwrap(), "expired");
    assert!(!store.session_is_live(FamilyId::generate(), t0()).await.unwrap(), "unknown");
    store.revoke_family(family, t0() + Duration::minutes(2)).await.unwrap();
    assert!(!store.session_is_live(family, t0() + Duration::minutes(2)).await.unwrap());
}

/// Purging deletes only tokens that expired before the cut-off.
pub async fn purges_expired_tokens<S: AuthStore + ?Sized>(store: Arc<S>) {
    let a = user(&*store, "alice").await;
    let (old, mut n) = session(a.id, t0());
    n.expires_at = t0() + Duration::days(1);
    store.insert_refresh_token(n).await.unwrap();
    let (fresh, n) = session(a.id, t0());
    store.insert_refresh_token(n).await.unwrap();
    assert_eq!(store.purge_expired(t0() + Duration::days(2)).await.unwrap(), 1);
    assert!(store.refresh_token(&old.digest()).await.unwrap().is_none());
    assert!(store.refresh_token(&fresh.digest()).await.unwrap().is_some());
}

/// A healthy store answers `ping`.
pub async fn ping_answers<S: AuthStore + ?Sized>(store: Arc<S>) {
    store.ping().await.expect("ping");
}
