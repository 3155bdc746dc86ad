//! The store contract, refresh tokens and sessions: the checks every [`AuthStore`] must pass
//! on them, one public function each, run by
//! [`store_contract_tests!`](crate::store_contract_tests).

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::store_contract::{replacement, session, t0, user};
use crate::{Amr, AuthStore, FamilyId, RefreshToken, RotateOutcome, UserId};

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
    assert_eq!((&r.amr, r.auth_time), (&vec![Amr::Pwd, Amr::Otp], t0() - Duration::seconds(3)));
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
    // The family's login, not the rotation: how and when the user authenticated.
    assert_eq!((&new.amr, new.auth_time), (&vec![Amr::Pwd, Amr::Otp], t0() - Duration::seconds(3)));
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
    let b = user(&*store, "bob1").await;
    let live = |who: UserId, family: FamilyId, at: OffsetDateTime| {
        let store = store.clone();
        async move { store.session_is_live(who, family, at).await.unwrap() }
    };
    assert!(live(a.id, family, t0()).await);
    assert!(!live(b.id, family, t0()).await, "another user's session");
    let (_, repl) = replacement(t0() + Duration::minutes(1));
    let at = t0() + Duration::minutes(1);
    let outcome = store.rotate_refresh_token(&token.digest(), repl, at).await.unwrap();
    assert!(matches!(outcome, RotateOutcome::Rotated { .. }), "{outcome:?}");
    assert!(!store.refresh_token(&token.digest()).await.unwrap().unwrap().is_live(at));
    assert!(live(a.id, family, at).await, "live through its successor");
    assert!(!live(a.id, family, t0() + Duration::days(30)).await, "expired");
    assert!(!live(a.id, FamilyId::generate(), t0()).await, "unknown");
    store.revoke_family(family, t0() + Duration::minutes(2)).await.unwrap();
    assert!(!live(a.id, family, t0() + Duration::minutes(2)).await);
}

/// Revoking a family while it is being rotated leaves no live token in it: of revocations
/// and rotations racing, the session always ends up ended.
pub async fn revocation_racing_a_rotation_ends_the_session<S: AuthStore + ?Sized>(store: Arc<S>) {
    let a = user(&*store, "alice").await;
    for round in 0..20 {
        let (token, n) = session(a.id, t0());
        let family = n.family_id;
        store.insert_refresh_token(n).await.unwrap();
        let at = t0() + Duration::seconds(round + 1);
        let (_, repl) = replacement(at);
        let (s1, s2) = (store.clone(), store.clone());
        let rotation =
            tokio::spawn(async move { s1.rotate_refresh_token(&token.digest(), repl, at).await });
        let revocation = tokio::spawn(async move { s2.revoke_family(family, at).await });
        rotation.await.unwrap().unwrap();
        revocation.await.unwrap().unwrap();
        assert!(!store.session_is_live(a.id, family, at).await.unwrap(), "round {round}");
    }
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

/// Client history: whether a user signed in before outside the session named (spent and
/// revoked tokens count), and whether from this IP and user agent, compared byte for byte
/// (an absent value equals an empty one); another user's tokens are not theirs.
pub async fn tells_a_known_client_from_a_new_one<S: AuthStore + ?Sized>(store: Arc<S>) {
    use crate::KnownClient;
    let a = user(&*store, "alice").await;
    let b = user(&*store, "bob1").await;
    let client = |ip: Option<&str>, ua: Option<&str>| KnownClient {
        ip: ip.map(str::to_owned),
        user_agent: ua.map(str::to_owned),
    };
    let history = |user, except, c: KnownClient| {
        let store = store.clone();
        async move {
            let h = store.client_history(user, except, &c).await.unwrap();
            (h.signed_in_before, h.from_this_client)
        }
    };
    let known = client(Some("203.0.113.7"), Some("contract/1.0"));
    let (first, n) = session(a.id, t0());
    let first_family = n.family_id;
    store.insert_refresh_token(n).await.unwrap();
    // The session itself is no history.
    assert_eq!(history(a.id, first_family, known.clone()).await, (false, false));
    // A rotation from a client without an IP, then the family revoked: both still count.
    let (_, repl) = replacement(t0() + Duration::minutes(1));
    store.rotate_refresh_token(&first.digest(), repl, t0() + Duration::minutes(1)).await.unwrap();
    store.revoke_family(first_family, t0() + Duration::minutes(2)).await.unwrap();
    let (_, n) = session(a.id, t0() + Duration::minutes(3));
    let second = n.family_id;
    store.insert_refresh_token(n).await.unwrap();
    let (_, mut other) = session(b.id, t0());
    other.ip = Some("198.51.100.9".into());
    other.user_agent = Some("Other/1.0".into());
    store.insert_refresh_token(other).await.unwrap();

    assert_eq!(history(a.id, second, known.clone()).await, (true, true));
    assert_eq!(history(a.id, second, client(None, Some("ua-2"))).await, (true, true));
    assert_eq!(history(a.id, second, client(Some(""), Some("ua-2"))).await, (true, true));
    // Case and any other difference make another client.
    assert_eq!(
        history(a.id, second, client(Some("203.0.113.7"), Some("CONTRACT/1.0"))).await,
        (true, false)
    );
    assert_eq!(
        history(a.id, second, client(Some("203.0.113.8"), Some("contract/1.0"))).await,
        (true, false)
    );
    assert_eq!(history(a.id, second, client(Some("203.0.113.7"), None)).await, (true, false));
    // Another user's client is not theirs.
    assert_eq!(
        history(a.id, second, client(Some("198.51.100.9"), Some("Other/1.0"))).await,
        (true, false)
    );
    assert_eq!(history(b.id, FamilyId::generate(), known).await, (true, false));
}

/// A session's methods are set on its unrevoked tokens (so rotation carries them on), and
/// on nothing of another session or user.
pub async fn sets_a_sessions_methods<S: AuthStore + ?Sized>(store: Arc<S>) {
    let u = user(&*store, "alice").await;
    let other_user = user(&*store, "bob1").await;
    let (token, mut new) = session(u.id, t0());
    new.amr = vec![Amr::Pwd];
    let family = new.family_id;
    store.insert_refresh_token(new).await.unwrap();
    let (other, mut other_new) = session(u.id, t0());
    other_new.amr = vec![Amr::Pwd];
    store.insert_refresh_token(other_new).await.unwrap();
    let both = [Amr::Pwd, Amr::Otp];
    // Another user's id with this family changes nothing.
    assert_eq!(store.set_session_amr(other_user.id, family, &both).await.unwrap(), 0);
    assert_eq!(store.set_session_amr(u.id, family, &both).await.unwrap(), 1);
    assert_eq!(store.set_session_amr(u.id, family, &both).await.unwrap(), 0, "already so");
    assert_eq!(store.refresh_token(&token.digest()).await.unwrap().unwrap().amr, both);
    assert_eq!(store.refresh_token(&other.digest()).await.unwrap().unwrap().amr, [Amr::Pwd]);
    let at = t0() + Duration::minutes(1);
    let (next, repl) = replacement(at);
    store.rotate_refresh_token(&token.digest(), repl, at).await.unwrap();
    assert_eq!(store.refresh_token(&next.digest()).await.unwrap().unwrap().amr, both);
}
