//! The `/auth` routes that both framework crates mount (`auth_axum::auth_router`,
//! `auth_actix::auth_scope`): their table, their body limit, and what each does once the
//! framework has read the request. The framework crates only extract and answer.

use super::{
    AuthState, ChangeEmailRequest, ChangePasswordRequest, DeleteAccountRequest, ErrorResponse,
    ForgotPasswordAccepted, ForgotPasswordRequest, LoginRequest, RefreshRequest, RegisterRequest,
    ResetPasswordRequest, VerificationRequested, VerifyEmailRequest, bearer_token,
    check_login_authorization, require_bearer,
};
use crate::{AccessClaims, AuthError, FamilyId, RequestContext, Session, TokenPair, User};

/// The body limit of the `/auth` routes: 16 KiB (a password is at most 1024 bytes). Larger
/// bodies are refused with 413.
pub const AUTH_BODY_LIMIT: usize = 16 * 1024;

/// A route of the `/auth` router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthRoute {
    /// The method (`GET` routes answer `HEAD` too).
    pub method: &'static str,
    /// The path below the mount point.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
}

/// Every route of the `/auth` router, as both framework crates serve it:
///
/// | route | what |
/// |---|---|
/// | `POST /register` | JSON `{username, password, email?, role?}` → 201 user |
/// | `POST /login` | JSON or OAuth2 password form → token pair |
/// | `POST /token` | RFC 6749 token endpoint (`password`, `refresh_token` grants) |
/// | `POST /refresh` | refresh token (JSON, form or bearer) → new pair; rotation |
/// | `POST /logout` | refresh token → 204; ends that session |
/// | `POST /logout-all` | access bearer → 204; ends every session |
/// | `POST /password` | access bearer, JSON `{current_password, new_password}` → new pair |
/// | `POST /forgot-password` | JSON `{email}` or `{username}` → 202; a reset link by mail |
/// | `POST /reset-password` | JSON `{token, new_password}` → 204; ends every session |
/// | `POST /verify-email/request` | access bearer → 202; a verification link by mail |
/// | `POST /verify-email` | JSON `{token}` → user; the address verified |
/// | `GET /me` | access bearer → user |
/// | `PATCH /me` | access bearer, JSON `{email, current_password}` → user; address change |
/// | `DELETE /me` | access bearer, JSON `{current_password}` → 204; deletes the account |
/// | `GET /sessions` | access bearer → the caller's open sessions |
/// | `DELETE /sessions/{id}` | access bearer → 204; ends that session |
/// | `POST /mfa/totp` | access bearer, JSON `{current_password}` → secret, URI, QR code |
/// | `POST /mfa/totp/confirm` | access bearer, JSON `{code}` → recovery codes; TOTP on |
/// | `DELETE /mfa/totp` | access bearer, JSON `{current_password, code}` → 204; TOTP off |
/// | `POST /mfa/recovery-codes` | access bearer, JSON `{current_password, code}` → new codes |
/// | `POST /mfa/verify` | JSON `{mfa_token, code}` or `{mfa_token, recovery_code}` → token pair |
/// | `GET /admin` | admin bearer → greeting |
pub const AUTH_ROUTES: [AuthRoute; 22] = [
    AuthRoute { method: "POST", path: "/register", summary: "create a user" },
    AuthRoute { method: "POST", path: "/login", summary: "password login: a token pair" },
    AuthRoute { method: "POST", path: "/token", summary: "RFC 6749 token endpoint" },
    AuthRoute { method: "POST", path: "/refresh", summary: "rotate a refresh token" },
    AuthRoute { method: "POST", path: "/logout", summary: "end one session" },
    AuthRoute { method: "POST", path: "/logout-all", summary: "end every session" },
    AuthRoute { method: "POST", path: "/password", summary: "change the password" },
    AuthRoute { method: "POST", path: "/forgot-password", summary: "mail a reset link" },
    AuthRoute { method: "POST", path: "/reset-password", summary: "a new password by link" },
    AuthRoute {
        method: "POST",
        path: "/verify-email/request",
        summary: "mail an address verification link",
    },
    AuthRoute { method: "POST", path: "/verify-email", summary: "verify an address by link" },
    AuthRoute { method: "GET", path: "/me", summary: "the current user" },
    AuthRoute { method: "PATCH", path: "/me", summary: "change or remove the address" },
    AuthRoute { method: "DELETE", path: "/me", summary: "delete the account" },
    AuthRoute { method: "GET", path: "/sessions", summary: "the caller's open sessions" },
    AuthRoute { method: "DELETE", path: "/sessions/{id}", summary: "end one of them" },
    AuthRoute { method: "POST", path: "/mfa/totp", summary: "start a TOTP enrolment" },
    AuthRoute { method: "POST", path: "/mfa/totp/confirm", summary: "turn TOTP on with a code" },
    AuthRoute { method: "DELETE", path: "/mfa/totp", summary: "turn the second factor off" },
    AuthRoute { method: "POST", path: "/mfa/recovery-codes", summary: "new recovery codes" },
    AuthRoute { method: "POST", path: "/mfa/verify", summary: "finish a login with a code" },
    AuthRoute { method: "GET", path: "/admin", summary: "the admin greeting" },
];

/// `POST /auth/register`: the new user, and its `Location` when the state names where users
/// are served ([`AuthState::with_users_path`]). `actor` is the caller when the request
/// carried a bearer (store-checked by the extractor).
///
/// # Errors
/// As [`Auth::register`](crate::Auth::register), plus a 422 for an unknown role.
pub async fn register(
    state: &AuthState,
    body: RegisterRequest,
    actor: Option<&User>,
    ctx: &RequestContext,
) -> Result<(Option<String>, User), ErrorResponse> {
    let registration = body.into_registration().map_err(ErrorResponse::from)?;
    let user = state.auth.register(registration, actor, ctx).await.map_err(ErrorResponse::from)?;
    let location = state.users_path().map(|path| format!("{path}/{}", user.id));
    Ok((location, user))
}

/// `POST /auth/login`: a token pair for a correct username and password.
///
/// # Errors
/// 400 for HTTP Basic with client credentials; otherwise as
/// [`Auth::login`](crate::Auth::login).
pub async fn login(
    state: &AuthState,
    authorization: Option<&str>,
    body: LoginRequest,
    ctx: &RequestContext,
) -> Result<TokenPair, ErrorResponse> {
    check_login_authorization(authorization)?;
    let session =
        state.auth.login(&body.username, &body.password, ctx).await.map_err(ErrorResponse::from)?;
    Ok(session.tokens)
}

/// `POST /auth/refresh`: rotates the presented refresh token.
///
/// # Errors
/// 401 `not_authenticated` without a refresh token (in the body or as the bearer); as
/// [`Auth::refresh`](crate::Auth::refresh).
pub async fn refresh(
    state: &AuthState,
    body: Option<RefreshRequest>,
    authorization: Option<&str>,
    ctx: &RequestContext,
) -> Result<TokenPair, ErrorResponse> {
    let presented = presented_refresh_token(body.as_ref(), authorization)?;
    state.auth.refresh(presented, ctx).await.map_err(ErrorResponse::from)
}

/// `POST /auth/logout`: ends the presented refresh token's session.
///
/// # Errors
/// 401 `not_authenticated` without a refresh token (in the body or as the bearer); as
/// [`Auth::logout`](crate::Auth::logout).
pub async fn logout(
    state: &AuthState,
    body: Option<RefreshRequest>,
    authorization: Option<&str>,
    ctx: &RequestContext,
) -> Result<(), ErrorResponse> {
    let presented = presented_refresh_token(body.as_ref(), authorization)?;
    state.auth.logout(presented, ctx).await.map_err(ErrorResponse::from)
}

/// `POST /auth/password`: changes the caller's password; every session ends, and the caller
/// gets a pair in a new one. `claims` are the caller's verified token's (the extractor's),
/// store-checked here.
///
/// # Errors
/// As [`Auth::change_password`](crate::Auth::change_password).
pub async fn change_password(
    state: &AuthState,
    claims: &AccessClaims,
    body: ChangePasswordRequest,
    ctx: &RequestContext,
) -> Result<TokenPair, ErrorResponse> {
    let user = state.auth.current_user(claims).await?;
    let methods = state.auth.session_methods(&user, claims).await?;
    let ChangePasswordRequest { current_password, new_password } = body;
    let signed_in = state
        .auth
        .change_password(user.id, &methods, &current_password, &new_password, ctx)
        .await
        .map_err(ErrorResponse::from)?;
    Ok(signed_in.tokens)
}

/// `POST /auth/forgot-password`: mails a reset link when the account exists (the answer
/// does not say).
///
/// # Errors
/// 422 unless the body names an address or a username; as
/// [`Auth::forgot_password`](crate::Auth::forgot_password).
pub async fn forgot_password(
    state: &AuthState,
    body: ForgotPasswordRequest,
    ctx: &RequestContext,
) -> Result<ForgotPasswordAccepted, ErrorResponse> {
    let account = body.into_account()?;
    state.auth.forgot_password(&account, ctx).await?;
    Ok(ForgotPasswordAccepted::default())
}

/// `POST /auth/reset-password`: a new password with the token of a reset link.
///
/// # Errors
/// As [`Auth::reset_password`](crate::Auth::reset_password) (400 `invalid_token` for a
/// bad link).
pub async fn reset_password(
    state: &AuthState,
    body: ResetPasswordRequest,
    ctx: &RequestContext,
) -> Result<(), ErrorResponse> {
    Ok(state.auth.reset_password(&body.token, &body.new_password, ctx).await?)
}

/// `POST /auth/verify-email/request`: mails the caller a verification link for their
/// pending or unverified address.
///
/// # Errors
/// As [`Auth::request_email_verification`](crate::Auth::request_email_verification).
pub async fn request_email_verification(
    state: &AuthState,
    user: &User,
    ctx: &RequestContext,
) -> Result<VerificationRequested, ErrorResponse> {
    state.auth.request_email_verification(user.id, ctx).await?;
    Ok(VerificationRequested::default())
}

/// `POST /auth/verify-email`: verifies an address with the token of a mailed link.
///
/// # Errors
/// As [`Auth::verify_email`](crate::Auth::verify_email) (400 `invalid_token` for a bad
/// link, 409 `email_taken`).
pub async fn verify_email(
    state: &AuthState,
    body: VerifyEmailRequest,
    ctx: &RequestContext,
) -> Result<User, ErrorResponse> {
    Ok(state.auth.verify_email(&body.token, ctx).await?)
}

/// `PATCH /auth/me`: changes (pending until verified) or removes the caller's address.
///
/// # Errors
/// 422 when `email` is missing; as [`Auth::change_email`](crate::Auth::change_email).
pub async fn change_email(
    state: &AuthState,
    user: &User,
    body: ChangeEmailRequest,
    ctx: &RequestContext,
) -> Result<User, ErrorResponse> {
    let new = body.new_address()?;
    Ok(state.auth.change_email(user.id, new, &body.current_password, ctx).await?)
}

/// `DELETE /auth/me`: deletes the caller's account.
///
/// # Errors
/// As [`Auth::delete_account`](crate::Auth::delete_account).
pub async fn delete_account(
    state: &AuthState,
    user: &User,
    body: DeleteAccountRequest,
    ctx: &RequestContext,
) -> Result<(), ErrorResponse> {
    Ok(state.auth.delete_account(user, &body.current_password, ctx).await?)
}

/// `GET /auth/sessions`: the caller's open sessions, the one of the presented token marked
/// `current`. `authorization` is the request's `Authorization` header; the token is
/// verified once and store-checked like [`Auth::authenticate`](crate::Auth::authenticate).
///
/// # Errors
/// 401 without a bearer or with a refused one; as [`Auth::sessions`](crate::Auth::sessions).
pub async fn sessions(
    state: &AuthState,
    authorization: Option<&str>,
) -> Result<Vec<Session>, ErrorResponse> {
    let auth = &state.auth;
    let claims = auth.verify_access(require_bearer(authorization)?)?;
    let user = auth.current_user(&claims).await?;
    Ok(auth.sessions(&user, claims.sid).await?)
}

/// `DELETE /auth/sessions/{id}`: ends one of the caller's sessions. `id` is the path
/// parameter as the router matched it.
///
/// # Errors
/// 404 `not_found` when the caller has no open session with that id (a value that is no
/// session id at all included); as [`Auth::end_session`](crate::Auth::end_session).
pub async fn end_session(
    state: &AuthState,
    user: &User,
    id: &str,
    ctx: &RequestContext,
) -> Result<(), ErrorResponse> {
    let id = FamilyId::parse(id).ok_or_else(|| ErrorResponse::from(AuthError::NotFound))?;
    state.auth.end_session(user, id, ctx).await.map_err(ErrorResponse::from)
}

/// The refresh token a request presents: the body's, else the bearer.
///
/// # Errors
/// 401 `not_authenticated` when there is none.
fn presented_refresh_token<'a>(
    body: Option<&'a RefreshRequest>,
    authorization: Option<&'a str>,
) -> Result<&'a str, ErrorResponse> {
    body.map(|b| b.refresh_token.as_str())
        .filter(|t| !t.is_empty())
        .or_else(|| bearer_token(authorization))
        .ok_or_else(|| ErrorResponse::from(AuthError::MissingCredentials))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refresh_token_comes_from_the_body_else_the_bearer() {
        let body = |t: &str| RefreshRequest { refresh_token: t.to_owned() };
        assert_eq!(presented_refresh_token(None, Some("Bearer r")).unwrap(), "r");
        assert_eq!(presented_refresh_token(Some(&body("b")), Some("Bearer r")).unwrap(), "b");
        assert_eq!(presented_refresh_token(Some(&body("")), None).unwrap_err().status, 401);
    }
}
