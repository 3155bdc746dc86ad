//! The second-factor routes of the `/auth` router (`/mfa/…`): their request and response
//! shapes and what each does once the framework has read the request.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{AuthState, ErrorResponse};
use crate::{
    AccessClaims, FamilyId, Password, RecoveryCode, RequestContext, SecondFactorCode, SecondStep,
    TotpEnrolment, User,
};

/// The body of `POST /auth/mfa/totp`.
#[derive(Debug, Clone, Deserialize)]
pub struct TotpEnrolmentRequest {
    /// The password the account has now.
    pub current_password: Password,
}

/// The answer of `POST /auth/mfa/totp`: `{"secret", "otpauth_uri", "qr_svg"}`. `Debug`
/// shows none of it.
#[derive(Serialize)]
pub struct TotpEnrolmentOut {
    /// The secret in base32, to type into the app.
    pub secret: Zeroizing<String>,
    /// The `otpauth://totp/…` URI the QR code holds.
    pub otpauth_uri: Zeroizing<String>,
    /// The QR code, an SVG document.
    pub qr_svg: Zeroizing<String>,
}

impl fmt::Debug for TotpEnrolmentOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpEnrolmentOut([redacted])")
    }
}

impl From<TotpEnrolment> for TotpEnrolmentOut {
    fn from(e: TotpEnrolment) -> Self {
        Self {
            secret: Zeroizing::new(e.secret().to_owned()),
            otpauth_uri: Zeroizing::new(e.otpauth_uri().to_owned()),
            qr_svg: Zeroizing::new(e.qr_svg().to_owned()),
        }
    }
}

/// The body of `POST /auth/mfa/totp/confirm`.
#[derive(Clone, Deserialize)]
pub struct CodeRequest {
    /// The six digits the authenticator app shows.
    pub code: Zeroizing<String>,
}

impl fmt::Debug for CodeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeRequest([redacted])")
    }
}

/// The body of `DELETE /auth/mfa/totp` and `POST /auth/mfa/recovery-codes`.
#[derive(Clone, Deserialize)]
pub struct SecondFactorChangeRequest {
    /// The password the account has now.
    pub current_password: Password,
    /// A code of the authenticator app, or a recovery code.
    pub code: Zeroizing<String>,
}

impl fmt::Debug for SecondFactorChangeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecondFactorChangeRequest([redacted])")
    }
}

/// The answer of `POST /auth/mfa/totp/confirm` and `POST /auth/mfa/recovery-codes`:
/// `{"recovery_codes": [...]}`, shown once. `Debug` shows none of them.
#[derive(Serialize)]
pub struct RecoveryCodesOut {
    /// Ten codes, `xxxx-xxxx-xxxx-xxxx`.
    pub recovery_codes: Vec<Zeroizing<String>>,
}

impl fmt::Debug for RecoveryCodesOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodesOut([{} redacted])", self.recovery_codes.len())
    }
}

impl From<Vec<RecoveryCode>> for RecoveryCodesOut {
    fn from(codes: Vec<RecoveryCode>) -> Self {
        let recovery_codes = codes.iter().map(|c| Zeroizing::new(c.expose().to_owned())).collect();
        Self { recovery_codes }
    }
}

/// The body of `POST /auth/mfa/verify`: `{"mfa_token", "code"}` or `{"mfa_token",
/// "recovery_code"}`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaVerifyRequest {
    /// The token of the `403 mfa_required` answer.
    pub mfa_token: Zeroizing<String>,
    /// A code of the authenticator app (a recovery code is taken here too).
    #[serde(default)]
    pub code: Option<Zeroizing<String>>,
    /// A recovery code.
    #[serde(default)]
    pub recovery_code: Option<Zeroizing<String>>,
}

impl fmt::Debug for MfaVerifyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MfaVerifyRequest([redacted])")
    }
}

impl MfaVerifyRequest {
    /// The code it presents.
    ///
    /// # Errors
    /// 422 unless exactly one of `code` and `recovery_code` is given and it is a code of its
    /// kind.
    pub fn presented_code(&self) -> Result<SecondFactorCode, ErrorResponse> {
        match (&self.code, &self.recovery_code) {
            (Some(code), None) => Ok(SecondFactorCode::parse(code)?),
            (None, Some(code)) => Ok(SecondFactorCode::Recovery(RecoveryCode::parse(code)?)),
            _ => Err(ErrorResponse::validation("code", "give either code or recovery_code")),
        }
    }
}

/// The caller of a second-factor route (`claims` verified by the framework's extractor), store-checked, and the session of their token.
async fn caller(
    state: &AuthState,
    claims: &AccessClaims,
) -> Result<(User, Option<FamilyId>), ErrorResponse> {
    let user = state.auth.current_user(claims).await?;
    Ok((user, claims.sid))
}

/// `POST /auth/mfa/totp`: starts a TOTP enrolment.
///
/// # Errors
/// 401 for a refused token; as [`Auth::begin_totp_enrolment`](crate::Auth::begin_totp_enrolment).
pub async fn begin_totp_enrolment(
    state: &AuthState,
    claims: &AccessClaims,
    body: TotpEnrolmentRequest,
    ctx: &RequestContext,
) -> Result<TotpEnrolmentOut, ErrorResponse> {
    let (user, _) = caller(state, claims).await?;
    let enrolment = state.auth.begin_totp_enrolment(&user, &body.current_password, ctx).await?;
    Ok(enrolment.into())
}

/// `POST /auth/mfa/totp/confirm`: turns TOTP on with a code; the recovery codes, once.
///
/// # Errors
/// 401 for a refused token; as
/// [`Auth::confirm_totp_enrolment`](crate::Auth::confirm_totp_enrolment).
pub async fn confirm_totp_enrolment(
    state: &AuthState,
    claims: &AccessClaims,
    body: CodeRequest,
    ctx: &RequestContext,
) -> Result<RecoveryCodesOut, ErrorResponse> {
    let (user, sid) = caller(state, claims).await?;
    let codes = state.auth.confirm_totp_enrolment(&user, sid, &body.code, ctx).await?;
    Ok(codes.into())
}

/// `DELETE /auth/mfa/totp`: turns the second factor off.
///
/// # Errors
/// 401 for a refused token; as [`Auth::disable_totp`](crate::Auth::disable_totp).
pub async fn disable_totp(
    state: &AuthState,
    claims: &AccessClaims,
    body: SecondFactorChangeRequest,
    ctx: &RequestContext,
) -> Result<(), ErrorResponse> {
    let (user, sid) = caller(state, claims).await?;
    Ok(state.auth.disable_totp(&user, sid, &body.current_password, &body.code, ctx).await?)
}

/// `POST /auth/mfa/recovery-codes`: a new set of recovery codes.
///
/// # Errors
/// 401 for a refused token; as
/// [`Auth::regenerate_recovery_codes`](crate::Auth::regenerate_recovery_codes).
pub async fn regenerate_recovery_codes(
    state: &AuthState,
    claims: &AccessClaims,
    body: SecondFactorChangeRequest,
    ctx: &RequestContext,
) -> Result<RecoveryCodesOut, ErrorResponse> {
    let (user, sid) = caller(state, claims).await?;
    let auth = &state.auth;
    let codes = auth.regenerate_recovery_codes(&user, sid, &body.current_password, &body.code, ctx);
    Ok(codes.await?.into())
}

/// `POST /auth/mfa/verify`: the second step of a login.
///
/// # Errors
/// 422 for a body without exactly one code; as
/// [`Auth::verify_second_factor`](crate::Auth::verify_second_factor).
pub async fn verify_second_factor(
    state: &AuthState,
    body: MfaVerifyRequest,
    ctx: &RequestContext,
) -> Result<SecondStep, ErrorResponse> {
    let code = body.presented_code()?;
    Ok(state.auth.verify_second_factor(&body.mfa_token, &code, ctx).await?)
}
