//! The JSON (and form) shapes of the `/auth` routes' requests and of the admin greeting, as
//! the API reference (`docs/API.md`) has them. Responses that are core types (a [`User`], a
//! [`TokenPair`](crate::TokenPair)) serialize themselves.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ForgottenAccount, Password, Registration, Result, Role, User, UserPatch};

/// The body of `POST /auth/register`.
#[derive(Debug, Clone, Deserialize)]
pub struct RegisterRequest {
    /// Wanted username.
    pub username: String,
    /// Password.
    pub password: Password,
    /// Optional e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// `"user"` (default) or `"admin"` (only with an admin bearer).
    #[serde(default)]
    pub role: Option<String>,
}

impl RegisterRequest {
    /// The registration this asks for.
    ///
    /// # Errors
    /// [`AuthError::Validation`](crate::AuthError::Validation) for an unknown role.
    pub fn into_registration(self) -> Result<Registration> {
        let role = self.role.as_deref().map(str::parse::<Role>).transpose()?;
        Ok(Registration {
            username: self.username,
            password: self.password,
            email: self.email,
            role,
        })
    }
}

/// The body of `POST /auth/login`, as JSON or as the OAuth2 password form (whose other
/// fields, `grant_type`, `scope`, `client_id`, are accepted and ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    pub password: Password,
}

/// The body of `POST /auth/password`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChangePasswordRequest {
    /// The password the account has now.
    pub current_password: Password,
    /// The one it should have.
    pub new_password: Password,
}

/// The body of `DELETE /auth/me`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeleteAccountRequest {
    /// The password the account has now.
    pub current_password: Password,
}

/// The body of `POST /auth/forgot-password`: `{"email"}` or `{"username"}`. `Debug` says
/// which was given, not its value.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    /// The account's address.
    #[serde(default)]
    pub email: Option<String>,
    /// The account's username.
    #[serde(default)]
    pub username: Option<String>,
}

impl ForgotPasswordRequest {
    /// The account this names.
    ///
    /// # Errors
    /// [`AuthError::Validation`](crate::AuthError::Validation) unless exactly one of the
    /// two is given.
    pub fn into_account(self) -> Result<ForgottenAccount> {
        match (self.email, self.username) {
            (Some(email), None) => Ok(ForgottenAccount::Email(email)),
            (None, Some(username)) => Ok(ForgottenAccount::Username(username)),
            _ => Err(crate::AuthError::validation("email", "give either email or username")),
        }
    }
}

impl fmt::Debug for ForgotPasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let given = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("ForgotPasswordRequest")
            .field("email", &given(&self.email))
            .field("username", &given(&self.username))
            .finish()
    }
}

/// The answer to `POST /auth/forgot-password` (`202`), the same for every account and none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgotPasswordAccepted {
    /// [`ForgotPasswordAccepted::DETAIL`].
    pub detail: String,
}

impl ForgotPasswordAccepted {
    /// The words of the answer.
    pub const DETAIL: &'static str =
        "If the account exists and has an address, a message is on its way.";
}

impl Default for ForgotPasswordAccepted {
    fn default() -> Self {
        Self { detail: Self::DETAIL.to_owned() }
    }
}

/// The body of `POST /auth/reset-password`. `Debug` prints `[redacted]` for the token.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The token of the mailed link.
    pub token: String,
    /// The new password.
    pub new_password: Password,
}

impl fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetPasswordRequest").field("token", &"[redacted]").finish_non_exhaustive()
    }
}

/// A refresh token in a JSON or form body (`/auth/refresh`, `/auth/logout`). `Debug`
/// prints `[redacted]` for the token.
#[derive(Clone, Deserialize)]
pub struct RefreshRequest {
    /// The refresh token.
    pub refresh_token: String,
}

impl fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRequest").field("refresh_token", &"[redacted]").finish()
    }
}

/// The body of `PATCH /admin/users/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatchRequest {
    /// A new role: `"user"` or `"admin"`.
    pub role: Option<String>,
    /// A new active flag.
    pub is_active: Option<bool>,
}

impl UserPatchRequest {
    /// The patch this asks for.
    ///
    /// # Errors
    /// [`AuthError::Validation`](crate::AuthError::Validation) for an unknown role.
    pub fn into_patch(self) -> Result<UserPatch> {
        let role = self.role.as_deref().map(str::parse::<Role>).transpose()?;
        Ok(UserPatch { role, is_active: self.is_active })
    }
}

/// The body of `GET /auth/admin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminGreeting {
    /// `"Welcome, admin <username>"`.
    pub msg: String,
}

impl AdminGreeting {
    /// The greeting for an admin.
    pub fn for_user(user: &User) -> Self {
        Self { msg: format!("Welcome, admin {}", user.username) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_token_or_password() {
        let refresh = RefreshRequest { refresh_token: "live-refresh-token-value".into() };
        assert!(!format!("{refresh:?}").contains("live-refresh"));
        let login = LoginRequest { username: "alice".into(), password: "hunter2hunter2".into() };
        assert!(!format!("{login:?}").contains("hunter2"));
        let change = ChangePasswordRequest {
            current_password: "hunter2hunter2".into(),
            new_password: "swordfish-swordfish".into(),
        };
        assert!(!format!("{change:?}").contains("hunter2"));
        assert!(!format!("{change:?}").contains("swordfish"));
    }
}
