//! Registration, with the rule that only an admin gives an account a role other than `user`.

use super::Auth;
use crate::{
    AuthError, Email, NewUser, Password, RequestContext, Result, Role, User, Username,
    audit::audit, throttle::Bucket,
};

/// What a client sends to register.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The wanted username (validated by [`Username`]).
    pub username: String,
    /// The password (checked against the [`PasswordPolicy`](crate::PasswordPolicy)).
    pub password: Password,
    /// An optional e-mail address.
    pub email: Option<String>,
    /// The wanted role; `None` means [`Role::User`]. Only an admin may ask for another
    /// one, and it must be declared ([`AuthConfig::roles`](crate::AuthConfig::roles)).
    pub role: Option<Role>,
}

impl Registration {
    /// A registration for an ordinary user without e-mail.
    pub fn new(username: impl Into<String>, password: impl Into<Password>) -> Self {
        Self { username: username.into(), password: password.into(), email: None, role: None }
    }
}

impl Auth {
    /// Registers a user. An address, if given, is unverified: a verification link goes to
    /// it (off the request path) when mail is configured.
    ///
    /// `actor` is the authenticated caller, if any (store-checked, see
    /// [`Auth::authenticate`]): only an active admin may give the account a role other than
    /// `user`.
    ///
    /// # Errors
    /// - [`AuthError::RateLimited`] over the registration limit per client IP (not for an
    ///   admin actor);
    /// - [`AuthError::Validation`] for a role the configuration does not declare;
    /// - [`AuthError::Forbidden`] when asking for a role other than `user` without an admin
    ///   actor;
    /// - [`AuthError::Validation`] for a bad username, e-mail or password, or for no e-mail
    ///   when [logins need a verified one](crate::AuthConfigBuilder::require_verified_email);
    /// - [`AuthError::UsernameTaken`] when the username exists (case-insensitively);
    /// - [`AuthError::Overloaded`] / [`AuthError::Store`].
    pub async fn register(
        &self,
        registration: Registration,
        actor: Option<&User>,
        ctx: &RequestContext,
    ) -> Result<User> {
        let role = registration.role.unwrap_or_default();
        let actor_is_admin = actor.is_some_and(|a| self.require_admin(a).is_ok());
        // Counted before anything else, so invalid attempts count too; an admin creating
        // accounts is not throttled.
        if !actor_is_admin {
            self.inner.throttle.take(Bucket::Register, ctx.ip(), self.now()).await?;
        }
        self.check_declared(&role)?;
        if role != Role::User && !actor_is_admin {
            audit!(warn, "register_denied", ctx, reason = "role requested without an admin", role = %role, actor = ?actor.map(|a| a.id));
            return Err(AuthError::Forbidden);
        }
        let config = &self.inner.config;
        let username = Username::parse_with(&registration.username, config.username_rules())?;
        let email = match registration.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => Some(Email::parse(e)?),
        };
        // Where logins need a verified address, an account needs one to verify.
        if email.is_none() && self.needs_verified_email(&role) {
            return Err(AuthError::validation("email", "is required on this service"));
        }
        let mut inputs = vec![username.as_str()];
        if let Some(e) = &email {
            inputs.push(e.as_str());
        }
        let policy = config.password_policy();
        policy.check_length(&registration.password)?;
        // Saves a hash on the common duplicate; the store's unique key decides races.
        if self.inner.store.user_by_username(&username).await?.is_some() {
            return Err(AuthError::UsernameTaken);
        }
        let password_hash =
            self.inner.hasher.check_and_hash(policy, &registration.password, &inputs).await?;
        let created = self
            .inner
            .store
            .create_user(NewUser {
                username,
                email,
                role,
                is_active: true,
                password_hash,
                created_at: self.now(),
            })
            .await?;
        audit!(info, "user_registered", ctx, user_id = created.id.get(), role = %created.role, actor = ?actor.map(|a| a.id));
        if let Some(to) = created.email.clone() {
            self.send_verification(&created, to);
        }
        Ok(created.into())
    }
}

#[cfg(test)]
mod tests {
    use crate::{service::test_support::*, *};

    #[tokio::test]
    async fn registers_an_ordinary_user() {
        let f = fixture();
        let u = f.user("alice").await;
        assert_eq!((u.username.as_str(), u.role, u.is_active), ("alice", Role::User, true));
        let stored = f.store.user_by_id(u.id).await.unwrap().unwrap();
        assert!(stored.password_hash.as_str().starts_with("$argon2id$"));
    }

    #[tokio::test]
    async fn duplicates_collide_case_insensitively() {
        let f = fixture();
        f.user("alice").await;
        for dup in ["alice", "Alice", "ALICE", "ａｌｉｃｅ"] {
            let err =
                f.auth.register(Registration::new(dup, PASSWORD), None, &f.ctx).await.unwrap_err();
            assert_eq!(err.code(), "username_taken", "{dup}");
        }
    }

    #[tokio::test]
    async fn only_admins_create_admins() {
        let f = fixture();
        let reg =
            Registration { role: Some(Role::Admin), ..Registration::new("mallory", PASSWORD) };
        let err = f.auth.register(reg.clone(), None, &f.ctx).await.unwrap_err();
        assert!(matches!(err, AuthError::Forbidden));
        let user = f.user("bob1").await;
        assert!(matches!(
            f.auth.register(reg.clone(), Some(&user), &f.ctx).await,
            Err(AuthError::Forbidden)
        ));
        let admin = f.admin("root").await;
        let created = f.auth.register(reg, Some(&admin), &f.ctx).await.unwrap();
        assert_eq!(created.role, Role::Admin);
    }

    #[tokio::test]
    async fn only_admins_give_a_declared_role() {
        let f = fixture_with_roles();
        let editor = Role::new("editor").unwrap();
        let reg =
            Registration { role: Some(editor.clone()), ..Registration::new("eve1", PASSWORD) };
        let err = f.auth.register(reg.clone(), None, &f.ctx).await.unwrap_err();
        assert!(matches!(err, AuthError::Forbidden));
        let user = f.user("bob1").await;
        let err = f.auth.register(reg.clone(), Some(&user), &f.ctx).await.unwrap_err();
        assert!(matches!(err, AuthError::Forbidden));
        let admin = f.admin("root").await;
        assert_eq!(f.auth.register(reg, Some(&admin), &f.ctx).await.unwrap().role, editor);
        // A role the configuration does not declare: 422, for an admin too.
        let ghost = Registration {
            role: Some(Role::new("ghost").unwrap()),
            ..Registration::new("carol", PASSWORD)
        };
        let err = f.auth.register(ghost, Some(&admin), &f.ctx).await.unwrap_err();
        assert_eq!((err.code(), err.to_string().contains("role")), ("validation_error", true));
        assert!(
            f.store.user_by_username(&Username::parse("carol").unwrap()).await.unwrap().is_none()
        );
    }

    #[tokio::test]
    async fn validation_errors_name_the_field() {
        let f = fixture();
        let cases = [
            (Registration::new("ab", PASSWORD), "username"),
            (Registration::new("alice", "short"), "password"),
            (Registration::new("alice", "password123"), "password"),
            (Registration::new("alice", "x".repeat(1025)), "password"),
            (
                Registration {
                    email: Some("not-an-email".into()),
                    ..Registration::new("alice", PASSWORD)
                },
                "email",
            ),
        ];
        for (reg, field) in cases {
            match f.auth.register(reg, None, &f.ctx).await {
                Err(AuthError::Validation(e)) => assert_eq!(e.field, field),
                other => panic!("expected a {field} validation error, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_password_built_on_the_username_is_refused() {
        let f = fixture();
        let err = f
            .auth
            .register(Registration::new("zanzibar", "zanzibar1"), None, &f.ctx)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "validation_error");
    }

    #[tokio::test]
    async fn empty_email_means_none() {
        let f = fixture();
        let reg = Registration { email: Some("  ".into()), ..Registration::new("carol", PASSWORD) };
        assert_eq!(f.auth.register(reg, None, &f.ctx).await.unwrap().email, None);
    }
}
