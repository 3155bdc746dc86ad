//! Checking access tokens: stateless ([`Auth::verify_access`]) and store-checked
//! ([`Auth::current_user`], [`Auth::authenticate`]).

use super::Auth;
use crate::{AccessClaims, AuthError, FamilyId, Result, TokenRejection, User, UserId};

impl Auth {
    /// Verifies an access token's signature and claims. No I/O: revocation is not seen
    /// here; use [`Auth::authenticate`] where it matters.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`].
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims> {
        self.inner.tokens.verify(token)
    }

    /// The user behind verified claims, checked against the store (through a cache of at
    /// most [`AuthBuilder::user_cache_ttl`](crate::AuthBuilder::user_cache_ttl), which every
    /// change made through this service bypasses at once): the user exists, is
    /// active, still has the role the token claims (a role change ends old tokens), and the
    /// token was issued after their revocation stamp (logout-all, password change,
    /// deactivation), and the token's session (`sid`) is still open, and the user's (not
    /// logged out or ended; read through a cache of the same time-to-live). A token without
    /// a `sid` is refused: only tokens of a session pass.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] (`UserInactive` or `Revoked`); [`AuthError::Store`].
    pub async fn current_user(&self, claims: &AccessClaims) -> Result<User> {
        let now = self.now();
        let user = match self.inner.users.get(claims.sub, now) {
            Some(cached) => Some(cached),
            None => {
                let generation = self.inner.users.generation();
                let read = self.inner.store.user_by_id(claims.sub).await?;
                if let Some(u) = &read {
                    self.inner.users.put(u.id, u.clone(), now, generation);
                }
                read
            }
        };
        let Some(user) = user.filter(|u| u.is_active) else {
            return Err(AuthError::InvalidToken(TokenRejection::UserInactive));
        };
        if user.role != claims.role {
            return Err(AuthError::InvalidToken(TokenRejection::Revoked));
        }
        if user
            .tokens_valid_after
            .is_some_and(|stamp| claims.iat < crate::token::stamp_second(stamp))
        {
            return Err(AuthError::InvalidToken(TokenRejection::Revoked));
        }
        // A token names the session it was issued in; one that names none (issued by
        // `AccessTokens` directly, or before sessions had ids) has no session to be open.
        let Some(sid) = claims.sid else {
            return Err(AuthError::InvalidToken(TokenRejection::Revoked));
        };
        if !self.session_is_open(user.id, sid, now).await? {
            return Err(AuthError::InvalidToken(TokenRejection::Revoked));
        }
        Ok(user.into())
    }

    /// Whether `user` has session `sid` open, from the cache when it is fresh.
    async fn session_is_open(
        &self,
        user: UserId,
        sid: FamilyId,
        now: time::OffsetDateTime,
    ) -> Result<bool> {
        if let Some(open) = self.inner.sessions.get((user, sid), now) {
            return Ok(open);
        }
        let generation = self.inner.sessions.generation();
        let open = self.inner.store.session_is_live(user, sid, now).await?;
        self.inner.sessions.put((user, sid), open, now, generation);
        Ok(open)
    }

    /// [`verify_access`](Self::verify_access) then [`current_user`](Self::current_user).
    ///
    /// # Errors
    /// As those two.
    pub async fn authenticate(&self, token: &str) -> Result<User> {
        let claims = self.inner.tokens.verify_shared(token)?;
        self.current_user(&claims).await
    }

    /// How the session of `user`'s verified token signed in: the token's `amr`, or, when
    /// the user has a second factor the token does not name, the session's as stored (it
    /// may have proved one since the token was issued: a TOTP enrolment confirmed from it).
    /// Reads the store only in that case.
    ///
    /// # Errors
    /// [`AuthError::Store`](crate::AuthError::Store).
    pub async fn session_methods(
        &self,
        user: &User,
        claims: &crate::AccessClaims,
    ) -> Result<Vec<crate::Amr>> {
        let proved = |amr: &[crate::Amr]| amr.iter().any(|m| m.is_second_factor());
        let Some(sid) = claims.sid.filter(|_| user.mfa_enabled && !proved(&claims.amr)) else {
            return Ok(claims.amr.clone());
        };
        let live = self.inner.store.live_refresh_tokens(claims.sub, self.now()).await?;
        Ok(live
            .into_iter()
            .find(|t| t.family_id == sid)
            .map_or_else(|| claims.amr.clone(), |t| t.amr))
    }

    /// [`authenticate`](Self::authenticate), for routes an application marks as needing a
    /// second factor: the token's session must have proved one (its `amr` names `otp`,
    /// `hwk` or `swk`).
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate) first (a refused token is a 401), then
    /// [`AuthError::SecondFactorRequired`](crate::AuthError::SecondFactorRequired).
    pub async fn authenticate_second_factor(&self, token: &str) -> Result<User> {
        let claims = self.inner.tokens.verify_shared(token)?;
        let user = self.current_user(&claims).await?;
        if claims.amr.iter().any(|m| m.is_second_factor()) {
            Ok(user)
        } else {
            Err(crate::AuthError::SecondFactorRequired)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn access_tokens_expire_on_the_clock() {
        let f = fixture();
        f.user("alice").await;
        let s = f.login("alice").await;
        f.clock.advance(Duration::from_secs(900 + 30));
        assert!(f.auth.verify_access(s.tokens.access_token.expose()).is_ok());
        f.clock.advance(Duration::from_secs(1));
        assert!(matches!(
            f.auth.verify_access(s.tokens.access_token.expose()),
            Err(AuthError::InvalidToken(TokenRejection::Expired))
        ));
    }

    #[tokio::test]
    async fn deleted_users_tokens_fail_the_store_check() {
        let f = fixture();
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        f.auth.delete_user(&f.admin("root").await, u.id, &f.ctx).await.unwrap();
        assert!(matches!(
            f.auth.authenticate(s.tokens.access_token.expose()).await,
            Err(AuthError::InvalidToken(TokenRejection::UserInactive))
        ));
    }

    #[tokio::test]
    async fn changes_through_the_service_bypass_the_cache() {
        let f = fixture();
        let admin = f.admin("root").await;
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        // Cached now.
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_ok());
        f.auth.set_active(&admin, u.id, false, &f.ctx).await.unwrap();
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_err(), "at once");
    }

    #[tokio::test]
    async fn changes_behind_the_services_back_are_seen_within_the_ttl() {
        let f = fixture();
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        let token = s.tokens.access_token.expose();
        assert!(f.auth.authenticate(token).await.is_ok());
        // Another instance deactivates the user in the shared store.
        let update = UserUpdate { is_active: Some(false), ..Default::default() };
        f.store.update_user(u.id, update).await.unwrap();
        assert!(f.auth.authenticate(token).await.is_ok(), "still cached");
        f.clock.advance(AuthBuilder::DEFAULT_USER_CACHE_TTL);
        assert!(f.auth.authenticate(token).await.is_err(), "seen after the TTL");
    }

    #[tokio::test]
    async fn a_zero_ttl_reads_the_store_every_time() {
        let keys = KeySet::new(SigningKey::hs256(b"fixture secret, 32 bytes or more!").unwrap());
        let config =
            AuthConfig::builder(keys).hashing(crate::testing::fast_hashing()).build().unwrap();
        let store = std::sync::Arc::new(MemoryStore::new());
        let auth = Auth::builder(config.clone(), store.clone())
            .user_cache_ttl(Duration::ZERO)
            .build()
            .unwrap();
        let ctx = RequestContext::internal();
        let u = auth.register(Registration::new("alice", PASSWORD), None, &ctx).await.unwrap();
        let s = auth.login("alice", &Password::new(PASSWORD), &ctx).await.unwrap();
        let token = s.tokens.access_token.expose();
        assert!(auth.authenticate(token).await.is_ok());
        store
            .update_user(u.id, UserUpdate { is_active: Some(false), ..Default::default() })
            .await
            .unwrap();
        assert!(auth.authenticate(token).await.is_err());
        assert!(
            Auth::builder(config, store).user_cache_ttl(Duration::from_secs(61)).build().is_err()
        );
    }
}
