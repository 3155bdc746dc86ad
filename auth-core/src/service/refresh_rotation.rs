//! Refresh-token rotation: spend the presented token and issue its replacement in one
//! atomic store step; a replay of a spent token revokes its whole family.

use super::{Auth, SignedInWith};
use crate::{
    AuthError, RefreshToken, Replacement, RequestContext, Result, RotateOutcome, TokenPair,
    TokenRejection, audit::audit, throttle::Bucket,
};

impl Auth {
    /// Exchanges a refresh token for a new pair. The presented token is spent; its
    /// replacement belongs to the same session and expires with it.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] when the token is malformed, unknown, expired, revoked or
    /// already spent (in which case the whole session is revoked), or its user is gone or
    /// inactive; [`AuthError::RateLimited`] over the refresh limit per client IP;
    /// [`AuthError::Store`].
    pub async fn refresh(&self, presented: &str, ctx: &RequestContext) -> Result<TokenPair> {
        let now = self.now();
        self.inner.throttle.take(Bucket::Refresh, ctx.ip(), now).await?;
        let token = RefreshToken::parse(presented).map_err(AuthError::InvalidToken)?;
        let next = RefreshToken::generate();
        let replacement = Replacement {
            digest: next.digest(),
            created_at: now,
            ip: ctx.ip_string(),
            user_agent: ctx.user_agent().map(str::to_owned),
        };
        let store = &self.inner.store;
        match store.rotate_refresh_token(&token.digest(), replacement, now).await? {
            RotateOutcome::Rotated { old, new } => {
                let user = store.user_by_id(old.user_id).await?;
                // A token created before the user's revocation stamp belongs to a revoked
                // generation, even if the bulk revocation has not reached it yet.
                let revoked_by_stamp = |u: &crate::UserRecord| {
                    u.tokens_valid_after.is_some_and(|stamp| old.created_at < stamp)
                };
                // A session that never proved a second factor ends once the user has one
                // (one begun on the password alone before the factor was confirmed).
                let lacks_second_factor = |u: &crate::UserRecord| {
                    u.mfa_enabled && !new.amr.iter().any(|m| m.is_second_factor())
                };
                match user {
                    Some(user)
                        if user.is_active
                            && !revoked_by_stamp(&user)
                            && !lacks_second_factor(&user) =>
                    {
                        audit!(info, "token_refreshed", ctx, user_id = user.id.get(), family = %old.family_id);
                        // The session's login, not this refresh: what the user proved, when.
                        let auth = SignedInWith { amr: new.amr.clone(), at: new.auth_time };
                        self.pair_for(&user, old.family_id, &auth, next)
                    }
                    other => {
                        self.end_family(old.user_id, old.family_id).await?;
                        let why = if other.is_some_and(|u| u.is_active) {
                            TokenRejection::Revoked
                        } else {
                            TokenRejection::UserInactive
                        };
                        audit!(info, "refresh_denied", ctx, reason = %why, user_id = old.user_id.get());
                        Err(AuthError::InvalidToken(why))
                    }
                }
            }
            RotateOutcome::Replayed(spent) => {
                let revoked = self.end_family(spent.user_id, spent.family_id).await?;
                audit!(warn, "refresh_reuse_detected", ctx, user_id = spent.user_id.get(), family = %spent.family_id, revoked);
                Err(AuthError::InvalidToken(TokenRejection::RefreshReused))
            }
            RotateOutcome::Inactive(dead) => {
                audit!(
                    info,
                    "refresh_denied",
                    ctx,
                    reason = "expired or revoked",
                    user_id = dead.user_id.get()
                );
                Err(AuthError::InvalidToken(TokenRejection::RefreshExpired))
            }
            RotateOutcome::Unknown => Err(AuthError::InvalidToken(TokenRejection::RefreshUnknown)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{service::test_support::*, *};

    fn rejection(r: Result<TokenPair>) -> TokenRejection {
        match r {
            Err(AuthError::InvalidToken(why)) => why,
            other => panic!("expected invalid_token, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn rotation_spends_the_old_token() {
        let f = fixture();
        f.user("alice").await;
        let s = f.login("alice").await;
        let r1 = f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        assert_ne!(r1.refresh_token.expose(), s.tokens.refresh_token.expose());
        assert!(f.auth.verify_access(r1.access_token.expose()).is_ok());
        let r2 = f.auth.refresh(r1.refresh_token.expose(), &f.ctx).await.unwrap();
        let rec = f.store.refresh_token(&r2.refresh_token.digest()).await.unwrap().unwrap();
        assert_eq!(rec.parent, Some(r1.refresh_token.digest()));
    }

    #[tokio::test]
    async fn replay_revokes_the_whole_family_only() {
        let f = fixture();
        f.user("alice").await;
        let s1 = f.login("alice").await;
        let s2 = f.login("alice").await;
        let r1 = f.auth.refresh(s1.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        assert_eq!(
            rejection(f.auth.refresh(s1.tokens.refresh_token.expose(), &f.ctx).await),
            TokenRejection::RefreshReused
        );
        // The legitimate successor died with the family...
        assert_eq!(
            rejection(f.auth.refresh(r1.refresh_token.expose(), &f.ctx).await),
            TokenRejection::RefreshExpired
        );
        // ...but the other session lives.
        assert!(f.auth.refresh(s2.tokens.refresh_token.expose(), &f.ctx).await.is_ok());
    }

    #[tokio::test]
    async fn expired_refresh_tokens_are_refused_and_rotation_keeps_the_session_expiry() {
        let f = fixture();
        f.user("alice").await;
        let s = f.login("alice").await;
        f.clock.advance(Duration::from_secs(29 * 24 * 3600));
        let r = f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        f.clock.advance(Duration::from_secs(24 * 3600));
        // 30 days after login the session is over, however recently it was refreshed.
        assert_eq!(
            rejection(f.auth.refresh(r.refresh_token.expose(), &f.ctx).await),
            TokenRejection::RefreshExpired
        );
    }

    #[tokio::test]
    async fn token_kinds_never_cross() {
        let f = fixture();
        f.user("alice").await;
        let s = f.login("alice").await;
        assert_eq!(
            rejection(f.auth.refresh(s.tokens.access_token.expose(), &f.ctx).await),
            TokenRejection::Malformed
        );
        assert!(matches!(
            f.auth.verify_access(s.tokens.refresh_token.expose()),
            Err(AuthError::InvalidToken(TokenRejection::Malformed))
        ));
        let unknown = RefreshToken::generate();
        assert_eq!(
            rejection(f.auth.refresh(unknown.expose(), &f.ctx).await),
            TokenRejection::RefreshUnknown
        );
    }

    #[tokio::test]
    async fn deactivated_users_cannot_refresh() {
        let f = fixture();
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        // Bypass the service (which would also revoke): only the active flag changes.
        let update = UserUpdate { is_active: Some(false), ..Default::default() };
        f.store.update_user(u.id, update).await.unwrap();
        assert_eq!(
            rejection(f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await),
            TokenRejection::UserInactive
        );
    }

    /// A session revoked while one of its refreshes was in flight: the stamp is written but
    /// the bulk revocation has not reached the token yet. The token predates the stamp, so
    /// it is refused all the same, and its family dies.
    #[tokio::test]
    async fn tokens_created_before_the_revocation_stamp_are_refused() {
        let f = fixture();
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        f.clock.advance(Duration::from_millis(10));
        let stamp = UserUpdate { tokens_valid_after: Some(f.clock.now()), ..Default::default() };
        f.store.update_user(u.id, stamp).await.unwrap();
        assert_eq!(
            rejection(f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await),
            TokenRejection::Revoked
        );
        assert!(f.store.live_refresh_tokens(u.id, f.clock.now()).await.unwrap().is_empty());
        // A login after the stamp, even within the same second, refreshes fine.
        f.clock.advance(Duration::from_millis(10));
        let again = f.login("alice").await;
        assert!(f.auth.refresh(again.tokens.refresh_token.expose(), &f.ctx).await.is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_refreshes_exactly_one_wins() {
        let f = fixture();
        f.user("alice").await;
        let s = f.login("alice").await;
        let token = s.tokens.refresh_token.expose().to_owned();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (auth, token, ctx) = (f.auth.clone(), token.clone(), f.ctx.clone());
                tokio::spawn(async move { auth.refresh(&token, &ctx).await })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 1);
    }
}
