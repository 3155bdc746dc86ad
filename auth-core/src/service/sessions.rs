//! Sessions: listing a user's open sessions and ending one (the user's own) or all of them
//! (an admin's). A session is a refresh-token family; ending it revokes its refresh token,
//! and store-checked requests refuse the access tokens that carry its `sid`.

use super::Auth;
use crate::{AuthError, FamilyId, RequestContext, Result, Session, User, UserId, audit::audit};

impl Auth {
    /// The user's open sessions, newest first. `current` is the session of the access token
    /// that asks (its `sid`), marked `current` in the list.
    ///
    /// # Errors
    /// [`AuthError::Store`].
    pub async fn sessions(&self, user: &User, current: Option<FamilyId>) -> Result<Vec<Session>> {
        let records = self.inner.store.sessions(user.id, self.now()).await?;
        Ok(records
            .into_iter()
            .map(|r| {
                let is_current = Some(r.id) == current;
                Session::from_record(r, is_current)
            })
            .collect())
    }

    /// Ends one of the user's own sessions: its refresh token dies at once, and its access
    /// tokens at their next store-checked request ([`Auth::current_user`]).
    ///
    /// # Errors
    /// [`AuthError::NotFound`] when the user has no open session with this id (someone
    /// else's, ended, expired or made up: the answers are alike); [`AuthError::Store`].
    pub async fn end_session(&self, user: &User, id: FamilyId, ctx: &RequestContext) -> Result<()> {
        if !self.inner.store.session_is_live(user.id, id, self.now()).await? {
            return Err(AuthError::NotFound);
        }
        self.end_family(user.id, id).await?;
        audit!(info, "session_ended", ctx, user_id = user.id.get(), family = %id);
        Ok(())
    }

    /// An administrator's view of a user's open sessions (none is `current`).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] unless `actor` is an active admin; [`AuthError::NotFound`]
    /// when there is no such user; [`AuthError::Store`].
    pub async fn user_sessions(&self, actor: &User, target: UserId) -> Result<Vec<Session>> {
        self.require_admin(actor)?;
        let user = self.inner.store.user_by_id(target).await?.ok_or(AuthError::NotFound)?;
        self.sessions(&user.into(), None).await
    }

    /// An administrator ends every session of a user, and with them every access token
    /// issued so far (as [`Auth::logout_all`]).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] unless `actor` is an active admin; [`AuthError::NotFound`]
    /// when there is no such user; [`AuthError::Store`].
    pub async fn end_user_sessions(
        &self,
        actor: &User,
        target: UserId,
        ctx: &RequestContext,
    ) -> Result<()> {
        self.require_admin(actor)?;
        self.inner.store.user_by_id(target).await?.ok_or(AuthError::NotFound)?;
        let revoked = self.revoke_everything(target).await?;
        audit!(
            info,
            "sessions_ended",
            ctx,
            user_id = target.get(),
            actor = actor.id.get(),
            revoked
        );
        Ok(())
    }

    /// Ends every session of `user` but `keep`; returns how many ended.
    pub(super) async fn end_other_sessions(
        &self,
        user: &crate::UserRecord,
        keep: Option<FamilyId>,
    ) -> Result<usize> {
        let open = self.inner.store.sessions(user.id, self.now()).await?;
        let mut ended = 0;
        for session in open.into_iter().filter(|s| Some(s.id) != keep) {
            self.end_family(user.id, session.id).await?;
            ended += 1;
        }
        Ok(ended)
    }

    /// Revokes `user`'s family `id` and drops its cached state, so that this instance
    /// refuses the session's access tokens on their next store-checked request.
    pub(super) async fn end_family(&self, user: UserId, id: FamilyId) -> Result<u64> {
        let revoked = self.inner.store.revoke_family(id, self.now()).await;
        self.inner.sessions.forget((user, id));
        Ok(revoked?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{service::test_support::*, *};

    fn refused(r: Result<User>) -> bool {
        matches!(r, Err(AuthError::InvalidToken(TokenRejection::Revoked)))
    }

    #[tokio::test]
    async fn access_tokens_name_their_session_and_the_list_marks_the_current_one() {
        let f = fixture();
        let u = f.user("alice").await;
        let s1 = f.login("alice").await;
        f.clock.advance(Duration::from_secs(5));
        let s2 = f.login("alice").await;
        let c1 = f.auth.verify_access(s1.tokens.access_token.expose()).unwrap();
        let c2 = f.auth.verify_access(s2.tokens.access_token.expose()).unwrap();
        assert!(c1.sid.is_some() && c1.sid != c2.sid);
        let list = f.auth.sessions(&u, c2.sid).await.unwrap();
        assert_eq!(list.iter().map(|s| Some(s.id)).collect::<Vec<_>>(), [c2.sid, c1.sid]);
        assert_eq!(list.iter().map(|s| s.current).collect::<Vec<_>>(), [true, false]);
        assert_eq!(list[0].ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(list[0].user_agent.as_deref(), Some("test-agent"));

        // A refresh keeps the session, its start and its expiry, and moves "last used".
        f.clock.advance(Duration::from_secs(60));
        let r = f.auth.refresh(s1.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        assert_eq!(f.auth.verify_access(r.access_token.expose()).unwrap().sid, c1.sid);
        let after = f.auth.sessions(&u, None).await.unwrap();
        let one = after.iter().find(|s| Some(s.id) == c1.sid).unwrap();
        let before = list.iter().find(|s| Some(s.id) == c1.sid).unwrap();
        assert_eq!((one.created_at, one.expires_at), (before.created_at, before.expires_at));
        assert!(one.last_used_at > before.last_used_at);
        assert!(after.iter().all(|s| !s.current));
    }

    #[tokio::test]
    async fn ending_a_session_ends_its_refresh_and_access_tokens_only() {
        let f = fixture();
        let u = f.user("alice").await;
        let s1 = f.login("alice").await;
        let s2 = f.login("alice").await;
        let (a1, a2) = (s1.tokens.access_token.expose(), s2.tokens.access_token.expose());
        assert!(f.auth.authenticate(a1).await.is_ok(), "cached as open");
        let sid = f.auth.verify_access(a1).unwrap().sid.unwrap();
        f.auth.end_session(&u, sid, &f.ctx).await.unwrap();
        assert!(refused(f.auth.authenticate(a1).await), "at once, despite the cache");
        assert!(f.auth.refresh(s1.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        assert!(f.auth.authenticate(a2).await.is_ok());
        assert_eq!(f.auth.sessions(&u, None).await.unwrap().len(), 1);
        // Ended already, someone else's, or made up: not found.
        let bob = f.user("bobby").await;
        let bobs = f.auth.verify_access(f.login("bobby").await.tokens.access_token.expose());
        for (who, id) in [(&u, sid), (&u, bobs.unwrap().sid.unwrap()), (&bob, FamilyId::generate())]
        {
            assert!(matches!(f.auth.end_session(who, id, &f.ctx).await, Err(AuthError::NotFound)));
        }
    }

    #[tokio::test]
    async fn logout_ends_the_sessions_access_tokens() {
        let f = fixture();
        f.user("alice").await;
        let s = f.login("alice").await;
        let access = s.tokens.access_token.expose();
        assert!(f.auth.authenticate(access).await.is_ok());
        f.auth.logout(s.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        assert!(refused(f.auth.authenticate(access).await));
    }

    #[tokio::test]
    async fn a_session_ended_behind_the_services_back_is_seen_within_the_ttl() {
        let f = fixture();
        f.user("alice").await;
        let s = f.login("alice").await;
        let access = s.tokens.access_token.expose();
        assert!(f.auth.authenticate(access).await.is_ok());
        // Another instance ends the session in the shared store.
        let sid = f.auth.verify_access(access).unwrap().sid.unwrap();
        f.store.revoke_family(sid, f.clock.now()).await.unwrap();
        assert!(f.auth.authenticate(access).await.is_ok(), "still cached");
        f.clock.advance(AuthBuilder::DEFAULT_USER_CACHE_TTL);
        assert!(refused(f.auth.authenticate(access).await), "seen after the TTL");
    }

    #[tokio::test]
    async fn admins_list_and_end_a_users_sessions() {
        let f = fixture();
        let admin = f.admin("root").await;
        let u = f.user("alice").await;
        let s1 = f.login("alice").await;
        let s2 = f.login("alice").await;
        assert!(matches!(f.auth.user_sessions(&u, u.id).await, Err(AuthError::Forbidden)));
        assert!(matches!(
            f.auth.end_user_sessions(&u, u.id, &f.ctx).await,
            Err(AuthError::Forbidden)
        ));
        let listed = f.auth.user_sessions(&admin, u.id).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|s| !s.current));
        let nobody = UserId::new(9999);
        assert!(matches!(f.auth.user_sessions(&admin, nobody).await, Err(AuthError::NotFound)));
        assert!(matches!(
            f.auth.end_user_sessions(&admin, nobody, &f.ctx).await,
            Err(AuthError::NotFound)
        ));
        f.auth.end_user_sessions(&admin, u.id, &f.ctx).await.unwrap();
        assert!(f.auth.user_sessions(&admin, u.id).await.unwrap().is_empty());
        for s in [&s1, &s2] {
            assert!(refused(f.auth.authenticate(s.tokens.access_token.expose()).await));
        }
        assert!(
            f.auth.authenticate(f.login("alice").await.tokens.access_token.expose()).await.is_ok()
        );
    }

    #[tokio::test]
    async fn a_token_must_name_an_open_session_of_its_own_user() {
        let f = fixture();
        f.user("alice").await;
        f.user("bobby").await;
        let alice = f.auth.verify_access(f.login("alice").await.tokens.access_token.expose());
        let bobby = f.auth.verify_access(f.login("bobby").await.tokens.access_token.expose());
        let (alice, bobby) = (alice.unwrap(), bobby.unwrap());
        assert!(f.auth.current_user(&alice).await.is_ok());
        // No session at all (a token made with `AccessTokens` alone): refused.
        let sessionless = AccessClaims { sid: None, ..alice.clone() };
        assert!(refused(f.auth.current_user(&sessionless).await));
        // Another user's open session: refused, though that session is open.
        let borrowed = AccessClaims { sid: bobby.sid, ..alice.clone() };
        assert!(refused(f.auth.current_user(&borrowed).await));
        assert!(f.auth.current_user(&bobby).await.is_ok());
    }
}
