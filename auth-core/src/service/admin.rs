//! Administration: role and active-flag changes, listing and deleting users, and the
//! admin bootstrap used at startup.

use super::Auth;
use crate::{
    AuthError, NewUser, Page, Password, RequestContext, Result, Role, User, UserChange,
    UserDeletion, UserId, UserUpdate, Username, audit::audit,
};

/// What [`Auth::bootstrap_admin`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BootstrapOutcome {
    /// The username was free: the admin was created.
    Created,
    /// The user existed with this password and was not an admin: promoted (and made active).
    Promoted,
    /// The user was an admin, but deactivated: reactivated.
    Reactivated,
    /// The user was an active admin already: nothing changed.
    AlreadyAdmin,
}

/// The admin [`Auth::bootstrap_admin`] made sure of, and what it did.
#[derive(Debug, Clone)]
pub struct AdminBootstrap {
    /// The admin.
    pub user: User,
    /// Created, promoted, reactivated, or already an admin.
    pub outcome: BootstrapOutcome,
}

/// An administrator's change to a user (`PATCH /admin/users/{id}`). `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// A new role: built in or declared ([`AuthConfig::roles`](crate::AuthConfig::roles)).
    pub role: Option<Role>,
    /// A new active flag.
    pub is_active: Option<bool>,
}

impl Auth {
    /// Applies an administrator's change to a user.
    ///
    /// A role change ends the user's outstanding access tokens at once for store-checked
    /// requests (their `role` claim no longer matches), while their sessions go on and
    /// refresh into tokens with the new role. A deactivation stamps the user and revokes
    /// every refresh token: every session and access token ends. Admins cannot demote or deactivate themselves, and
    /// the last active admin is never demoted or deactivated, also when two admins change
    /// each other at once (the store decides atomically).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] unless `actor` is an active admin; [`AuthError::Conflict`]
    /// for a change to oneself; [`AuthError::LastAdmin`] when it would leave no active
    /// admin; [`AuthError::NotFound`]; [`AuthError::Store`].
    pub async fn update_user(
        &self,
        actor: &User,
        target: UserId,
        patch: UserPatch,
        ctx: &RequestContext,
    ) -> Result<User> {
        self.require_admin(actor)?;
        if let Some(role) = &patch.role {
            self.check_declared(role)?;
        }
        let store = &self.inner.store;
        let current = store.user_by_id(target).await?.ok_or(AuthError::NotFound)?;
        let role_changes = patch.role.as_ref().is_some_and(|r| *r != current.role);
        let deactivates = patch.is_active == Some(false) && current.is_active;
        if target == actor.id && (role_changes || deactivates) {
            return Err(AuthError::Conflict(
                "administrators cannot demote or deactivate themselves",
            ));
        }
        let update = UserUpdate {
            role: patch.role,
            is_active: patch.is_active,
            tokens_valid_after: deactivates.then(|| self.revocation_stamp()),
            updated_at: Some(self.now()),
            ..Default::default()
        };
        // Through the last-admin rule: two admins demoting each other at once leave one.
        let change = store.update_user_unless_last_admin(target, update).await;
        self.inner.users.forget(target);
        let updated = match change? {
            UserChange::Updated(user) => user,
            UserChange::NotFound => return Err(AuthError::NotFound),
            UserChange::LastAdmin => return Err(AuthError::LastAdmin),
        };
        if deactivates {
            store.revoke_user_tokens(target, self.now()).await?;
            audit!(info, "user_deactivated", ctx, user_id = target.get(), actor = actor.id.get());
        }
        if patch.is_active == Some(true) && !current.is_active {
            audit!(info, "user_activated", ctx, user_id = target.get(), actor = actor.id.get());
        }
        if role_changes {
            audit!(info, "role_changed", ctx, user_id = target.get(), actor = actor.id.get(), from = %current.role, to = %updated.role);
        }
        Ok(updated.into())
    }

    /// Changes a user's role. See [`Auth::update_user`].
    ///
    /// # Errors
    /// As [`Auth::update_user`].
    pub async fn set_role(
        &self,
        actor: &User,
        target: UserId,
        role: Role,
        ctx: &RequestContext,
    ) -> Result<User> {
        self.update_user(actor, target, UserPatch { role: Some(role), is_active: None }, ctx).await
    }

    /// Activates or deactivates a user. See [`Auth::update_user`].
    ///
    /// # Errors
    /// As [`Auth::update_user`].
    pub async fn set_active(
        &self,
        actor: &User,
        target: UserId,
        active: bool,
        ctx: &RequestContext,
    ) -> Result<User> {
        self.update_user(actor, target, UserPatch { role: None, is_active: Some(active) }, ctx)
            .await
    }

    /// One page of users, ordered by id.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] unless `actor` is an active admin; [`AuthError::Store`].
    pub async fn list_users(&self, actor: &User, page: Page) -> Result<Vec<User>> {
        self.require_admin(actor)?;
        let users = self.inner.store.list_users(page).await?;
        Ok(users.into_iter().map(User::from).collect())
    }

    /// A user by id.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] unless `actor` is an active admin or the user themselves;
    /// [`AuthError::NotFound`]; [`AuthError::Store`].
    pub async fn get_user(&self, actor: &User, id: UserId) -> Result<User> {
        if actor.id != id {
            self.require_admin(actor)?;
        }
        let user = self.inner.store.user_by_id(id).await?.ok_or(AuthError::NotFound)?;
        Ok(user.into())
    }

    /// Deletes a user and their sessions; never the last active admin (atomically, as
    /// [`Auth::update_user`]).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] unless `actor` is an active admin; [`AuthError::Conflict`]
    /// when deleting oneself; [`AuthError::LastAdmin`] when it would leave no active admin;
    /// [`AuthError::NotFound`]; [`AuthError::Store`].
    pub async fn delete_user(
        &self,
        actor: &User,
        target: UserId,
        ctx: &RequestContext,
    ) -> Result<()> {
        self.require_admin(actor)?;
        if target == actor.id {
            return Err(AuthError::Conflict("administrators cannot delete themselves"));
        }
        let deleted = self.inner.store.delete_user_unless_last_admin(target).await;
        self.inner.users.forget(target);
        match deleted? {
            UserDeletion::Deleted => {}
            UserDeletion::NotFound => return Err(AuthError::NotFound),
            UserDeletion::LastAdmin => return Err(AuthError::LastAdmin),
        }
        audit!(info, "user_deleted", ctx, user_id = target.get(), actor = actor.id.get());
        Ok(())
    }

    /// Makes sure an admin with this username exists, for startup configuration
    /// (`ADMIN_USERNAME` / `ADMIN_PASSWORD`) and the CLI.
    ///
    /// Creates the admin when the username is free. When it exists, the password must
    /// match it: then a user is promoted to admin, and a deactivated one (admin or not) is
    /// reactivated; the startup configuration therefore undoes a deactivation of that admin
    /// made through the API, and says so in the audit log. A matching username with
    /// another password is refused, so that someone who registered the name first cannot
    /// be promoted by the operator's configuration.
    ///
    /// Instances starting together on one database may all bootstrap the same admin: the
    /// ones whose insert loses to another's find the admin it made.
    ///
    /// # Errors
    /// [`AuthError::Validation`] for a bad username or password; [`AuthError::Conflict`]
    /// when the user exists with another password; [`AuthError::Store`].
    pub async fn bootstrap_admin(
        &self,
        username: &str,
        password: &Password,
    ) -> Result<AdminBootstrap> {
        match self.bootstrap_admin_once(username, password).await {
            // Created by another instance between our read and our insert: read it now.
            Err(AuthError::UsernameTaken) => self.bootstrap_admin_once(username, password).await,
            done => done,
        }
    }

    async fn bootstrap_admin_once(
        &self,
        username: &str,
        password: &Password,
    ) -> Result<AdminBootstrap> {
        let ctx = RequestContext::internal();
        let config = &self.inner.config;
        let username = Username::parse_with(username, config.username_rules())?;
        let store = &self.inner.store;
        if let Some(existing) = store.user_by_username(&username).await? {
            if !self.inner.hasher.verify(password, &existing.password_hash).await?.matches {
                return Err(AuthError::Conflict(
                    "a user with this name exists with another password; refusing to promote it",
                ));
            }
            if existing.role == Role::Admin && existing.is_active {
                let user = existing.into();
                return Ok(AdminBootstrap { user, outcome: BootstrapOutcome::AlreadyAdmin });
            }
            let update = UserUpdate {
                role: Some(Role::Admin),
                is_active: Some(true),
                tokens_valid_after: Some(self.revocation_stamp()),
                updated_at: Some(self.now()),
                ..Default::default()
            };
            let outcome = if existing.role == Role::Admin {
                BootstrapOutcome::Reactivated
            } else {
                BootstrapOutcome::Promoted
            };
            let user = self.write_user(existing.id, update).await?.ok_or(AuthError::NotFound)?;
            let user_id = user.id.get();
            // The actor is the operator's configuration, not a user.
            let actor = "bootstrap";
            if existing.role != Role::Admin {
                let (from, to) = (&existing.role, Role::Admin);
                audit!(info, "role_changed", ctx, user_id, actor, from = %from, to = %to);
            }
            if !existing.is_active {
                audit!(warn, "user_activated", ctx, user_id, actor);
            }
            audit!(info, "admin_bootstrapped", ctx, user_id, created = false, outcome = ?outcome);
            return Ok(AdminBootstrap { user: user.into(), outcome });
        }
        let password_hash = self
            .inner
            .hasher
            .check_and_hash(config.password_policy(), password, &[username.as_str()])
            .await?;
        let user = store
            .create_user(NewUser {
                username,
                email: None,
                role: Role::Admin,
                is_active: true,
                password_hash,
                created_at: self.now(),
            })
            .await?;
        audit!(info, "admin_bootstrapped", ctx, user_id = user.id.get(), created = true);
        Ok(AdminBootstrap { user: user.into(), outcome: BootstrapOutcome::Created })
    }
}

#[cfg(test)]
mod tests {
    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn deactivation_ends_access_and_refresh_at_once() {
        let f = fixture();
        let admin = f.admin("root").await;
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        let updated = f.auth.set_active(&admin, u.id, false, &f.ctx).await.unwrap();
        assert!(!updated.is_active);
        assert!(matches!(
            f.auth.authenticate(s.tokens.access_token.expose()).await,
            Err(AuthError::InvalidToken(_))
        ));
        assert!(f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        // Reactivated: old tokens stay dead, a new login works.
        f.auth.set_active(&admin, u.id, true, &f.ctx).await.unwrap();
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_err());
        let s2 = f.login("alice").await;
        assert!(f.auth.authenticate(s2.tokens.access_token.expose()).await.is_ok());
    }

    #[tokio::test]
    async fn declared_roles_are_assigned_and_others_refused() {
        let f = fixture_with_roles();
        let admin = f.admin("root").await;
        let u = f.user("alice").await;
        let editor = Role::new("editor").unwrap();
        let changed = f.auth.set_role(&admin, u.id, editor.clone(), &f.ctx).await.unwrap();
        assert_eq!(changed.role, editor);
        assert!(
            f.auth.authorize(&changed, &Permission::new("notes:write").unwrap().into()).is_ok()
        );
        assert!(f.auth.require_admin(&changed).is_err());
        let ghost = Role::new("ghost").unwrap();
        let err = f.auth.set_role(&admin, u.id, ghost, &f.ctx).await.unwrap_err();
        assert_eq!(err.code(), "validation_error");
        let kept = f.store.user_by_id(u.id).await.unwrap().unwrap();
        assert_eq!(kept.role, editor);
        // An editor is not an admin: the admin API stays closed to them.
        let err = f.auth.set_role(&changed, admin.id, Role::User, &f.ctx).await.unwrap_err();
        assert!(matches!(err, AuthError::Forbidden));
    }

    #[tokio::test]
    async fn role_change_ends_access_tokens_but_refresh_picks_up_the_new_role() {
        let f = fixture();
        let admin = f.admin("root").await;
        let u = f.user("alice").await;
        let s = f.login("alice").await;
        f.auth.set_role(&admin, u.id, Role::Admin, &f.ctx).await.unwrap();
        assert!(f.auth.authenticate(s.tokens.access_token.expose()).await.is_err());
        let r = f.auth.refresh(s.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        let claims = f.auth.verify_access(r.access_token.expose()).unwrap();
        assert_eq!(claims.role, Role::Admin);
        assert!(f.auth.authenticate(r.access_token.expose()).await.is_ok());
    }

    #[tokio::test]
    async fn only_active_admins_administer() {
        let f = fixture();
        let user = f.user("alice").await;
        let other = f.user("bob1").await;
        let page = Page::default();
        assert!(matches!(f.auth.list_users(&user, page).await, Err(AuthError::Forbidden)));
        assert!(matches!(
            f.auth.set_role(&user, other.id, Role::Admin, &f.ctx).await,
            Err(AuthError::Forbidden)
        ));
        assert!(matches!(
            f.auth.delete_user(&user, other.id, &f.ctx).await,
            Err(AuthError::Forbidden)
        ));
        assert!(matches!(f.auth.get_user(&user, other.id).await, Err(AuthError::Forbidden)));
        assert_eq!(f.auth.get_user(&user, user.id).await.unwrap().id, user.id);
        let admin = f.admin("root").await;
        assert_eq!(f.auth.list_users(&admin, page).await.unwrap().len(), 3);
        assert!(matches!(
            f.auth.set_active(&admin, UserId::new(999), false, &f.ctx).await,
            Err(AuthError::NotFound)
        ));
    }

    #[tokio::test]
    async fn admins_cannot_lock_themselves_out() {
        let f = fixture();
        let admin = f.admin("root").await;
        for patch in [
            UserPatch { role: Some(Role::User), is_active: None },
            UserPatch { role: None, is_active: Some(false) },
        ] {
            let err = f.auth.update_user(&admin, admin.id, patch, &f.ctx).await.unwrap_err();
            assert_eq!(err.code(), "conflict");
        }
        assert_eq!(
            f.auth.delete_user(&admin, admin.id, &f.ctx).await.unwrap_err().code(),
            "conflict"
        );
        // A no-op patch on oneself is fine.
        let same = UserPatch { role: Some(Role::Admin), is_active: Some(true) };
        assert!(f.auth.update_user(&admin, admin.id, same, &f.ctx).await.is_ok());
    }

    #[tokio::test]
    async fn two_admins_removing_each_other_leave_one() {
        let f = fixture();
        let a = f.admin("root").await;
        let b = f.admin("second").await;
        let off = UserPatch { role: None, is_active: Some(false) };
        f.auth.update_user(&a, b.id, off.clone(), &f.ctx).await.unwrap();
        // `b`'s token still says admin until the next store check; the store refuses anyway.
        let err = f.auth.update_user(&b, a.id, off, &f.ctx).await.unwrap_err();
        assert_eq!(err.code(), "last_admin");
        let err = f.auth.delete_user(&b, a.id, &f.ctx).await.unwrap_err();
        assert_eq!(err.code(), "last_admin");
        let kept = f.store.user_by_id(a.id).await.unwrap().unwrap();
        assert!(kept.is_active && kept.role == Role::Admin);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn instances_bootstrapping_together_all_find_the_admin() {
        let auth = fixture().auth;
        let password = Password::new(PASSWORD);
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let (auth, password) = (auth.clone(), password.clone());
                tokio::spawn(async move { auth.bootstrap_admin("rootadmin", &password).await })
            })
            .collect();
        let mut created = 0;
        for run in runs {
            match run.await.unwrap().expect("every instance starts").outcome {
                BootstrapOutcome::Created => created += 1,
                outcome => assert_eq!(outcome, BootstrapOutcome::AlreadyAdmin),
            }
        }
        assert_eq!(created, 1);
    }

    #[tokio::test]
    async fn bootstrap_creates_promotes_or_refuses() {
        let f = fixture();
        let password = Password::new(PASSWORD);
        let created = f.auth.bootstrap_admin("root", &password).await.unwrap();
        assert_eq!(
            (&created.user.role, created.outcome),
            (&Role::Admin, BootstrapOutcome::Created)
        );
        // Idempotent.
        let again = f.auth.bootstrap_admin("root", &password).await.unwrap();
        assert_eq!(
            (again.user.id, again.outcome),
            (created.user.id, BootstrapOutcome::AlreadyAdmin)
        );
        // Promotes an existing user whose password matches.
        let u = f.user("alice").await;
        let promoted = f.auth.bootstrap_admin("Alice", &password).await.unwrap();
        assert_eq!((promoted.user.id, promoted.outcome), (u.id, BootstrapOutcome::Promoted));
        assert_eq!(f.store.user_by_id(u.id).await.unwrap().unwrap().role, Role::Admin);
        // Reactivates a deactivated admin (and says so).
        let off = UserPatch { role: None, is_active: Some(false) };
        f.auth.update_user(&created.user, u.id, off, &f.ctx).await.unwrap();
        let back = f.auth.bootstrap_admin("alice", &password).await.unwrap();
        assert_eq!((back.user.id, back.outcome), (u.id, BootstrapOutcome::Reactivated));
        assert!(back.user.is_active && f.store.user_by_id(u.id).await.unwrap().unwrap().is_active);
        // Refuses a squatter with another password.
        f.auth
            .register(Registration::new("operator", "squatter's own passphrase"), None, &f.ctx)
            .await
            .unwrap();
        let err = f.auth.bootstrap_admin("operator", &Password::new(PASSWORD)).await.unwrap_err();
        assert_eq!(err.code(), "conflict");
        // Weak passwords are refused for new admins too.
        assert!(f.auth.bootstrap_admin("admin2", &Password::new("password")).await.is_err());
    }
}
