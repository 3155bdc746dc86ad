//! The HTTP rules of the API that do not depend on a web framework (feature `http`), shared
//! by `auth-axum` and `auth-actix` so that both answer byte for byte alike. One file per
//! concern:
//!
//! - `error_response`: every [`AuthError`](crate::AuthError) as a status, a body and headers;
//! - `headers`: the `Authorization`, `Content-Type` and no-store rules;
//! - `decode`, `path_params`: request bytes into typed values, with the API's 400/415/422;
//! - `proxies`: which `X-Forwarded-For` to believe;
//! - `state`: [`AuthState`], what the extractors and routes need;
//! - `wire`: the request and response shapes of the `/auth` routes;
//! - `discovery`: the JWK set and RFC 8414 metadata for other services;
//! - `token_endpoint`: the RFC 6749 token endpoint and its error shape;
//! - `second_factor`: the `/mfa/…` routes, their shapes and what each does;
//! - `routes`: the `/auth` route table and what each route does.
//!
//! Without this feature `auth-core` has no HTTP type and no HTTP dependency.

mod decode;
mod discovery;
mod error_response;
mod headers;
mod path_params;
mod proxies;
mod routes;
mod second_factor;
mod state;
mod token_endpoint;
mod wire;

pub use decode::{decode_body, decode_query};
pub use discovery::{
    AUTH_MOUNT, AuthorizationServerMetadata, DISCOVERY_CACHE_CONTROL, JWKS_PATH, METADATA_PATH,
    jwks, metadata,
};
pub use error_response::{
    ErrorBody, ErrorResponse, MfaRequiredFields, WWW_AUTHENTICATE_INVALID,
    WWW_AUTHENTICATE_MISSING, WWW_AUTHENTICATE_SCOPE, WWW_AUTHENTICATE_STEP_UP,
};
pub(crate) use headers::check_login_authorization;
pub use headers::{
    AcceptedBodies, BodyKind, NO_STORE_HEADERS, bearer_token, has_no_body, require_bearer,
};
pub use path_params::decode_path;
pub use proxies::TrustedProxies;
pub use routes::{
    AUTH_BODY_LIMIT, AUTH_ROUTES, AuthRoute, change_email, change_password, delete_account,
    end_session, forgot_password, login, logout, refresh, register, request_email_verification,
    reset_password, sessions, verify_email,
};
pub use second_factor::{
    CodeRequest, MfaVerifyRequest, RecoveryCodesOut, SecondFactorChangeRequest, TotpEnrolmentOut,
    TotpEnrolmentRequest, begin_totp_enrolment, confirm_totp_enrolment, disable_totp,
    regenerate_recovery_codes, verify_second_factor,
};
pub use state::AuthState;
pub use token_endpoint::{OAuthErrorBody, OAuthErrorResponse, TokenRequest, token_grant};
pub use wire::{
    AdminGreeting, ChangeEmailRequest, ChangePasswordRequest, DeleteAccountRequest,
    ForgotPasswordAccepted, ForgotPasswordRequest, LoginRequest, RefreshRequest, RegisterRequest,
    ResetPasswordRequest, UserPatchRequest, VerificationRequested, VerifyEmailRequest,
};
