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
    /// A role of the service: `"user"` (the default), or another one (`"admin"`, or one the
    /// application declares) only with an admin bearer.
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

/// The answer to `POST /auth/verify-email/request` (`202`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRequested {
    /// [`VerificationRequested::DETAIL`].
    pub detail: String,
}

impl VerificationRequested {
    /// The words of the answer.
    pub const DETAIL: &'static str =
        "If the account has an address to verify, a link is on its way.";
}

impl Default for VerificationRequested {
    fn default() -> Self {
        Self { detail: Self::DETAIL.to_owned() }
    }
}

/// The body of `POST /auth/verify-email`. `Debug` prints `[redacted]` for the token.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token of the mailed link.
    pub token: String,
}

impl fmt::Debug for VerifyEmailRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyEmailRequest").field("token", &"[redacted]").finish()
    }
}

/// The body of `PATCH /auth/me`: `{"email": "<new address>", "current_password"}`, or
/// `{"email": null, "current_password"}` to remove the address. `email` must be present.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmailRequest {
    /// The new address, or `null`; `None` when the key is missing.
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    /// The password the account has now.
    pub current_password: Password,
}

impl ChangeEmailRequest {
    /// The address asked for: `Some` to change to it, `None` to remove it.
    ///
    /// # Errors
    /// [`AuthError::Validation`](crate::AuthError::Validation) on `email` when the key is
    /// missing.
    pub fn new_address(&self) -> Result<Option<&str>> {
        match &self.email {
            Some(email) => Ok(email.as_deref()),
            None => Err(crate::AuthError::validation("email", "is required (null removes it)")),
        }
    }
}

/// A key that is present, with a value or `null` (a missing key stays `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
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
    /// A new role: `"user"`, `"admin"`, or one the application declares.
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
        let verify = VerifyEmailRequest { token: "live-link-token-value".into() };
        assert!(!format!("{verify:?}").contains("live-link"));
        let email: ChangeEmailRequest =
            serde_json::from_str(r#"{"email":"a@b.io","current_password":"hunter2hunter2"}"#)
                .unwrap();
        assert!(!format!("{email:?}").contains("hunter2"));
    }

    #[test]
    fn an_address_change_tells_null_from_missing() {
        let parse = |json: &str| serde_json::from_str::<ChangeEmailRequest>(json).unwrap();
        let set = parse(r#"{"email":"a@b.io","current_password":"x"}"#);
        assert_eq!(set.new_address().unwrap(), Some("a@b.io"));
        let removed = parse(r#"{"email":null,"current_password":"x"}"#);
        assert_eq!(removed.new_address().unwrap(), None);
        let missing = parse(r#"{"current_password":"x"}"#);
        assert_eq!(missing.new_address().unwrap_err().code(), "validation_error");
        assert!(serde_json::from_str::<ChangeEmailRequest>(r#"{"email":"a@b.io"}"#).is_err());
    }
}
