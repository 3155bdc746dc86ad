//! The OpenAPI 3.1 document of the whole API, declared once here (paths with explicit
//! methods, no framework extras) and served unchanged by both binaries. The types below are
//! documentation only: they describe the JSON shapes and their limits.

#![allow(dead_code)]

use utoipa::{
    IntoParams, IntoResponses, Modify, OpenApi, ToSchema,
    openapi::{
        Type,
        schema::ObjectBuilder,
        security::{Flow, OAuth2, Password, Scopes, SecurityScheme},
    },
};

/// The name of the security scheme every protected route requires.
pub const SECURITY_SCHEME: &str = "OAuth2PasswordBearer";

/// Error body of every failure.
#[derive(ToSchema)]
pub struct ErrorBody {
    /// Human message.
    #[schema(example = "username: must be between 4 and 20 characters")]
    detail: String,
    /// Stable machine code.
    #[schema(example = "validation_error")]
    code: String,
    /// `mfa_required` only: the single-use token `POST /auth/mfa/verify` takes with a code.
    mfa_token: Option<String>,
    /// `mfa_required` only: how the login may be finished (`totp`, `recovery_code`).
    methods: Option<Vec<String>>,
}

/// RFC 6749 §5.2 error body of `/auth/token`.
#[derive(ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `temporarily_unavailable`,
    /// `mfa_required` (403).
    #[schema(example = "invalid_grant")]
    error: String,
    /// Human message.
    error_description: String,
    /// `mfa_required` only: the single-use token `POST /auth/mfa/verify` takes with a code.
    mfa_token: Option<String>,
}

/// A role (the schema is replaced by the names of the configuration's roles in
/// [`openapi_json`]).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Role {
    /// Own data only.
    User,
    /// Everything.
    Admin,
}

/// A user (`UserOut`): never a password or hash.
#[derive(ToSchema)]
pub struct UserOut {
    /// Id.
    id: i64,
    /// 4–20 letters, digits, `_`, `-`, `.` (after NFKC; unique case-insensitively).
    #[schema(min_length = 4, max_length = 20, pattern = r"^[\p{L}\p{N}_.\-]+$")]
    username: String,
    /// E-mail address.
    #[schema(format = "email", max_length = 254)]
    email: Option<String>,
    /// Whether `email` is verified (by its link, or by a password reset sent to it).
    email_verified: bool,
    /// An address asked for by `PATCH /auth/me`, waiting for its verification to replace
    /// `email`.
    #[schema(format = "email", max_length = 254)]
    pending_email: Option<String>,
    /// Role.
    role: Role,
    /// Whether the user may log in.
    is_active: bool,
    /// Whether a second factor (TOTP) is on: a password alone then signs nobody in.
    mfa_enabled: bool,
    /// Creation time.
    created_at: time::OffsetDateTime,
}

/// An open session (a login, kept alive by refreshes): `GET /auth/sessions`.
#[derive(ToSchema)]
pub struct Session {
    /// Opaque id, the `sid` claim of the session's access tokens.
    #[schema(example = "0b7e5f7c-2f54-4a8e-9d8e-6d0c2b1f4a21", format = "uuid")]
    id: String,
    /// When the session began (the login).
    created_at: time::OffsetDateTime,
    /// When it last got tokens (the login or the latest refresh).
    last_used_at: time::OffsetDateTime,
    /// When it ends at the latest (the refresh lifetime from the login).
    expires_at: time::OffsetDateTime,
    /// Client IP of the latest login or refresh.
    ip: Option<String>,
    /// Client `User-Agent` of the latest login or refresh (at most 256 characters).
    user_agent: Option<String>,
    /// Whether it is the session of the token that asked (always false for an admin's view).
    current: bool,
}

/// `POST /auth/register`.
#[derive(ToSchema)]
pub struct RegisterBody {
    /// 4–20 letters, digits, `_`, `-`, `.`.
    #[schema(min_length = 4, max_length = 20, pattern = r"^[\p{L}\p{N}_.\-]+$")]
    username: String,
    /// At least 8 characters, at most 1024 bytes, not a common password.
    #[schema(min_length = 8, max_length = 1024, format = "password")]
    password: String,
    /// Optional e-mail address.
    #[schema(format = "email", max_length = 254)]
    email: Option<String>,
    /// Any role but `user` only with an admin bearer.
    role: Option<Role>,
}

/// `POST /auth/login`, as JSON or as the OAuth2 password form.
#[derive(ToSchema)]
pub struct LoginBody {
    /// Username (case-insensitive).
    #[schema(max_length = 256)]
    username: String,
    /// Password.
    #[schema(max_length = 1024, format = "password")]
    password: String,
}

/// `POST /auth/password`.
#[derive(ToSchema)]
pub struct ChangePasswordBody {
    /// The password the account has now.
    #[schema(max_length = 1024, format = "password")]
    current_password: String,
    /// The new one: the password policy, and not the current one.
    #[schema(min_length = 8, max_length = 1024, format = "password")]
    new_password: String,
}

/// `POST /auth/forgot-password`: exactly one of the two.
#[derive(ToSchema)]
pub struct ForgotPasswordBody {
    /// The account's address (every active account with it gets a link).
    #[schema(max_length = 254)]
    email: Option<String>,
    /// The account's username.
    #[schema(max_length = 256)]
    username: Option<String>,
}

/// The answer of `POST /auth/forgot-password`, the same whoever the body names.
#[derive(ToSchema)]
pub struct ForgotPasswordAccepted {
    /// "If the account exists and has an address, a message is on its way."
    detail: String,
}

/// `POST /auth/reset-password`.
#[derive(ToSchema)]
pub struct ResetPasswordBody {
    /// The token of the mailed link (after `#token=`).
    #[schema(min_length = 43, max_length = 43)]
    token: String,
    /// The new password: the password policy.
    #[schema(min_length = 8, max_length = 1024, format = "password")]
    new_password: String,
}

/// The answer of `POST /auth/verify-email/request`.
#[derive(ToSchema)]
pub struct VerificationRequested {
    /// "If the account has an address to verify, a link is on its way."
    detail: String,
}

/// `POST /auth/verify-email`.
#[derive(ToSchema)]
pub struct VerifyEmailBody {
    /// The token of the mailed link (after `#token=`).
    #[schema(min_length = 43, max_length = 43)]
    token: String,
}

/// `PATCH /auth/me`: `email` is required; `null` removes the address.
#[derive(ToSchema)]
pub struct ChangeEmailBody {
    /// The new address (pending until verified), or `null` to remove the address. Required.
    #[schema(format = "email", max_length = 254, required = true)]
    email: Option<String>,
    /// The password the account has now.
    #[schema(max_length = 1024, format = "password")]
    current_password: String,
}

/// `DELETE /auth/me`.
#[derive(ToSchema)]
pub struct DeleteAccountBody {
    /// The password the account has now.
    #[schema(max_length = 1024, format = "password")]
    current_password: String,
}

/// A JWK set (RFC 7517).
#[derive(ToSchema)]
pub struct JwkSet {
    /// The keys: each with `kid`, `alg`, `use` (`sig`) and its public parameters.
    keys: Vec<serde_json::Value>,
}

/// RFC 8414 authorization server metadata.
#[derive(ToSchema)]
pub struct AuthorizationServerMetadata {
    /// The `iss` of every access token (`JWT_ISSUER`).
    issuer: String,
    /// `PUBLIC_URL/auth/token`.
    token_endpoint: String,
    /// `PUBLIC_URL/.well-known/jwks.json`.
    jwks_uri: String,
    /// `["password", "refresh_token"]`.
    grant_types_supported: Vec<String>,
    /// `["none"]`: public clients.
    token_endpoint_auth_methods_supported: Vec<String>,
    /// `[]`: no authorization endpoint.
    response_types_supported: Vec<String>,
}

/// `POST /auth/mfa/totp`.
#[derive(ToSchema)]
pub struct TotpEnrolmentBody {
    /// The password the account has now.
    #[schema(max_length = 1024, format = "password")]
    current_password: String,
}

/// A started TOTP enrolment, shown once.
#[derive(ToSchema)]
pub struct TotpEnrolment {
    /// The 160-bit secret in base32, to type into the authenticator app.
    secret: String,
    /// `otpauth://totp/ISSUER:USER?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    otpauth_uri: String,
    /// The URI as a QR code (an SVG document).
    qr_svg: String,
}

/// `POST /auth/mfa/totp/confirm`.
#[derive(ToSchema)]
pub struct TotpCodeBody {
    /// The six digits the app shows (spaces ignored).
    #[schema(example = "123456")]
    code: String,
}

/// `DELETE /auth/mfa/totp`, `POST /auth/mfa/recovery-codes`.
#[derive(ToSchema)]
pub struct SecondFactorChangeBody {
    /// The password the account has now.
    #[schema(max_length = 1024, format = "password")]
    current_password: String,
    /// Six digits from the app, or a recovery code (`xxxx-xxxx-xxxx-xxxx`).
    code: String,
}

/// Ten recovery codes, shown once (stored only as digests); each signs in once.
#[derive(ToSchema)]
pub struct RecoveryCodes {
    /// `xxxx-xxxx-xxxx-xxxx`, 80 random bits each.
    recovery_codes: Vec<String>,
}

/// `POST /auth/mfa/verify`: the MFA token and exactly one of `code` and `recovery_code`.
#[derive(ToSchema)]
pub struct MfaVerifyBody {
    /// The token of the `403 mfa_required` answer (5 minutes, 5 codes, single use).
    mfa_token: String,
    /// Six digits from the app.
    code: Option<String>,
    /// A recovery code.
    recovery_code: Option<String>,
}

/// The grant of `POST /auth/token`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum GrantType {
    /// Username and password.
    Password,
    /// A refresh token.
    RefreshToken,
}

/// `POST /auth/token` (form).
#[derive(ToSchema)]
pub struct TokenForm {
    /// The grant.
    grant_type: GrantType,
    /// For `password`.
    username: Option<String>,
    /// For `password`.
    #[schema(max_length = 1024, format = "password")]
    password: Option<String>,
    /// For `refresh_token`.
    #[schema(min_length = 43, max_length = 43)]
    refresh_token: Option<String>,
}

/// A refresh token (`/auth/refresh`, `/auth/logout`), as JSON or form; or send it as
/// `Authorization: Bearer`.
#[derive(ToSchema)]
pub struct RefreshBody {
    /// 43 base64url characters.
    #[schema(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    refresh_token: String,
}

/// A token pair. Sent with `Cache-Control: no-store`.
#[derive(ToSchema)]
pub struct TokenPair {
    /// JWT access token (`typ: at+jwt`).
    access_token: String,
    /// Always `bearer`.
    #[schema(example = "bearer")]
    token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    expires_in: u64,
    /// Opaque refresh token: single use, rotated on refresh.
    refresh_token: String,
}

/// `GET /auth/admin`.
#[derive(ToSchema)]
pub struct AdminGreeting {
    /// `Welcome, admin <username>`.
    msg: String,
}

/// A task.
#[derive(ToSchema)]
pub struct Task {
    /// Id.
    id: i64,
    /// The owner (always the creator).
    owner_id: i64,
    /// 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// Done or not.
    done: bool,
    /// Creation time.
    created_at: time::OffsetDateTime,
    /// Last change.
    updated_at: time::OffsetDateTime,
}

/// `POST /tasks`.
#[derive(ToSchema)]
pub struct CreateTaskBody {
    /// 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    description: Option<String>,
}

/// `PATCH /tasks/{id}`: any of the fields; `description: null` clears it.
#[derive(ToSchema)]
pub struct UpdateTaskBody {
    /// 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    title: Option<String>,
    /// At most 2000 characters, or null.
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// Done or not.
    done: Option<bool>,
}

/// `PATCH /admin/users/{id}`.
#[derive(ToSchema)]
pub struct UserPatchBody {
    /// A new role (ends the user's access tokens).
    role: Option<Role>,
    /// `false` deactivates: ends every session and access token at once.
    is_active: Option<bool>,
}

/// `GET /health`.
#[derive(ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    #[schema(example = "ok")]
    status: String,
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    database: String,
}

/// Paging of the list routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<u64>,
}

/// The errors any route may answer.
#[derive(IntoResponses)]
pub enum CommonErrors {
    /// Body over 64 KiB (16 KiB on `/auth`).
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The request took too long to arrive.
    #[response(status = 408)]
    Timeout(ErrorBody),
    /// The database or password hashing is unavailable (`Retry-After` is set).
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// The errors of a route that needs a bearer.
#[derive(IntoResponses)]
pub enum BearerErrors {
    /// Missing (`WWW-Authenticate: Bearer`) or refused token (`error="invalid_token"`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
}

/// The errors of a route that needs an admin bearer.
#[derive(IntoResponses)]
pub enum AdminErrors {
    /// Missing or refused token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Not an admin (`WWW-Authenticate: Bearer error="insufficient_scope"`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// Errors of routes with a JSON body.
#[derive(IntoResponses)]
pub enum BodyErrors {
    /// Malformed JSON.
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// Wrong content type.
    #[response(status = 415)]
    Unsupported(ErrorBody),
    /// A field is missing, of the wrong type or out of bounds; `detail` names it.
    #[response(status = 422)]
    Invalid(ErrorBody),
}

/// Adds the OAuth2 password-flow scheme (`tokenUrl: /auth/login`).
struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let flow = Flow::Password(Password::new("/auth/login", Scopes::new()));
        components
            .add_security_scheme(SECURITY_SCHEME, SecurityScheme::OAuth2(OAuth2::new([flow])));
    }
}

mod paths {
    use super::*;

    #[utoipa::path(get, path = "/health", tag = "service", responses((status = 200, body = Health), (status = 503, body = Health)))]
    fn health() {}

    #[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
        responses((status = 201, body = UserOut, headers(("Location" = String))),
            (status = 401, description = "A bearer was sent and refused", body = ErrorBody),
            (status = 403, description = "A role other than user without an admin bearer", body = ErrorBody),
            (status = 409, description = "Username taken (case-insensitive)", body = ErrorBody),
            BodyErrors, CommonErrors))]
    fn register() {}

    #[utoipa::path(post, path = "/auth/login", tag = "auth",
        request_body(content((LoginBody = "application/x-www-form-urlencoded"), (LoginBody = "application/json"))),
        responses((status = 200, body = TokenPair),
            (status = 401, description = "Unknown user, wrong password or inactive user (one answer)", body = ErrorBody),
            (status = 403, description = "Right password, but the service requires a verified address and the account has none (`email_not_verified`), or the account has a second factor (`mfa_required`, with `mfa_token` and `methods`: finish at `/auth/mfa/verify`)", body = ErrorBody),
            (status = 429, description = "Too many attempts (`Retry-After`)", body = ErrorBody),
            BodyErrors, CommonErrors))]
    fn login() {}

    #[utoipa::path(post, path = "/auth/token", tag = "auth",
        request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
        responses((status = 200, body = TokenPair), (status = 400, body = OAuthError),
            (status = 403, description = "Right password of an account with a second factor (`mfa_required`, with `mfa_token`)", body = OAuthError),
            (status = 503, body = OAuthError)))]
    fn token() {}

    #[utoipa::path(post, path = "/auth/refresh", tag = "auth",
        request_body(content((RefreshBody = "application/json"), (RefreshBody = "application/x-www-form-urlencoded"))),
        responses((status = 200, body = TokenPair),
            (status = 401, description = "Missing, unknown, spent (family revoked) or expired refresh token", body = ErrorBody),
            BodyErrors, CommonErrors))]
    fn refresh() {}

    #[utoipa::path(post, path = "/auth/logout", tag = "auth",
        request_body(content((RefreshBody = "application/json"), (RefreshBody = "application/x-www-form-urlencoded"))),
        responses((status = 204, description = "Session ended (idempotent)"),
            (status = 401, description = "Not a refresh token", body = ErrorBody), BodyErrors, CommonErrors))]
    fn logout() {}

    #[utoipa::path(post, path = "/auth/logout-all", tag = "auth", security(("OAuth2PasswordBearer" = [])),
        responses((status = 204, description = "Every session and access token ended"), BearerErrors, CommonErrors))]
    fn logout_all() {}

    #[utoipa::path(get, path = "/auth/me", tag = "auth", security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = UserOut), BearerErrors, CommonErrors))]
    fn me() {}

    #[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = ChangePasswordBody,
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, description = "Changed: every earlier session ended; a pair in a new session", body = TokenPair),
            (status = 403, description = "Wrong current password (`invalid_credentials`), counted in the login backoff; or, with a second factor on, a session that never proved it (`second_factor_required`)", body = ErrorBody),
            (status = 429, description = "The account backs off after failed attempts (`Retry-After`)", body = ErrorBody),
            BodyErrors, BearerErrors, CommonErrors))]
    fn change_password() {}

    #[utoipa::path(post, path = "/auth/forgot-password", tag = "auth", request_body = ForgotPasswordBody,
        responses((status = 202, description = "Accepted, whether or not the account exists; a reset link (1 hour, single use) goes to its address off the request path", body = ForgotPasswordAccepted),
            (status = 429, description = "Over the limit per client IP or per submitted value (`Retry-After`)", body = ErrorBody),
            BodyErrors, CommonErrors))]
    fn forgot_password() {}

    #[utoipa::path(post, path = "/auth/reset-password", tag = "auth", request_body = ResetPasswordBody,
        responses((status = 204, description = "The new password is set; every session of the account ended"),
            (status = 400, description = "Malformed JSON, or a link token that is bad, spent, expired, superseded or of another kind (`invalid_token`)", body = ErrorBody),
            (status = 415, description = "Wrong content type", body = ErrorBody),
            (status = 422, description = "A field is missing, or `new_password` breaks the policy (the link still works)", body = ErrorBody),
            (status = 429, description = "Over the per-IP login limit, which resets share (`Retry-After`)", body = ErrorBody),
            CommonErrors))]
    fn reset_password() {}

    #[utoipa::path(post, path = "/auth/verify-email/request", tag = "auth", security(("OAuth2PasswordBearer" = [])),
        responses((status = 202, description = "A verification link (24 hours, single use) goes to the pending address, else to the unverified one, off the request path; with nothing to verify, nothing is sent", body = VerificationRequested),
            (status = 422, description = "The account has no address", body = ErrorBody),
            (status = 429, description = "Over the mail limit per client IP or per account (`Retry-After`)", body = ErrorBody),
            (status = 503, description = "No mail on this server (`mail_unavailable`), or the database is unavailable", body = ErrorBody),
            BearerErrors, CommonErrors))]
    fn request_email_verification() {}

    #[utoipa::path(post, path = "/auth/verify-email", tag = "auth", request_body = VerifyEmailBody,
        responses((status = 200, description = "The address is verified; a pending one is now the address", body = UserOut),
            (status = 400, description = "Malformed JSON, or a link token that is bad, spent, expired, superseded or of another kind (`invalid_token`)", body = ErrorBody),
            (status = 409, description = "Another account has verified this address (`email_taken`)", body = ErrorBody),
            (status = 415, description = "Wrong content type", body = ErrorBody),
            (status = 422, description = "`token` is missing", body = ErrorBody),
            (status = 429, description = "Over the per-IP login limit, which link tokens share (`Retry-After`)", body = ErrorBody),
            CommonErrors))]
    fn verify_email() {}

    #[utoipa::path(patch, path = "/auth/me", tag = "auth", request_body = ChangeEmailBody,
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, description = "The new address is pending until its link is followed (a notice goes to the old one); or the address is removed", body = UserOut),
            (status = 403, description = "Wrong current password (`invalid_credentials`), counted in the login backoff", body = ErrorBody),
            (status = 429, description = "The account backs off after failed attempts, or over the mail limits (`Retry-After`)", body = ErrorBody),
            (status = 503, description = "No mail on this server to verify a new address (`mail_unavailable`), or the database is unavailable", body = ErrorBody),
            BodyErrors, BearerErrors, CommonErrors))]
    fn change_email() {}

    #[utoipa::path(delete, path = "/auth/me", tag = "auth", request_body = DeleteAccountBody,
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 204, description = "Deleted, with the user's sessions and tasks"),
            (status = 403, description = "Wrong current password (`invalid_credentials`), counted in the login backoff", body = ErrorBody),
            (status = 409, description = "The last active admin (`last_admin`)", body = ErrorBody),
            (status = 429, description = "The account backs off after failed attempts (`Retry-After`)", body = ErrorBody),
            BodyErrors, BearerErrors, CommonErrors))]
    fn delete_account() {}

    #[utoipa::path(get, path = "/auth/sessions", tag = "auth", security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, description = "The caller's open sessions, newest first", body = [Session]),
            BearerErrors, CommonErrors))]
    fn sessions() {}

    #[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "auth",
        params(("id" = String, Path, format = "uuid", description = "Session id, as the list gives it")),
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 204, description = "Session ended: its refresh token, and its access tokens at their next request"),
            (status = 404, description = "No open session of the caller with this id", body = ErrorBody),
            (status = 422, description = "The id is not valid UTF-8 once percent-decoded", body = ErrorBody),
            BearerErrors, CommonErrors))]
    fn end_session() {}

    #[utoipa::path(get, path = "/.well-known/jwks.json", tag = "service",
        responses((status = 200, description = "The public keys that verify access tokens (RFC 7517), verify-only rotated keys included; `{\"keys\": []}` with HS256; `Cache-Control: public, max-age=300`", body = JwkSet)))]
    fn jwks() {}

    #[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "service",
        responses((status = 200, description = "RFC 8414 metadata; `Cache-Control: public, max-age=300`", body = AuthorizationServerMetadata)))]
    fn authorization_server_metadata() {}

    #[utoipa::path(post, path = "/auth/mfa/totp", tag = "auth", request_body = TotpEnrolmentBody,
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, description = "A pending enrolment: not on until confirmed; a new start replaces it", body = TotpEnrolment),
            (status = 403, description = "Wrong current password (`invalid_credentials`), counted in the login backoff", body = ErrorBody),
            (status = 409, description = "A second factor is on already (`conflict`)", body = ErrorBody),
            (status = 429, description = "The account backs off after failed attempts (`Retry-After`)", body = ErrorBody),
            (status = 503, description = "No MFA key on this server (`mfa_unavailable`), or the database is unavailable", body = ErrorBody),
            BodyErrors, BearerErrors, CommonErrors))]
    fn begin_totp_enrolment() {}

    #[utoipa::path(post, path = "/auth/mfa/totp/confirm", tag = "auth", request_body = TotpCodeBody,
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, description = "TOTP is on; the user's other sessions ended; the recovery codes, shown once", body = RecoveryCodes),
            (status = 403, description = "Wrong code (`invalid_credentials`), counted in the login backoff", body = ErrorBody),
            (status = 409, description = "No enrolment is pending (`conflict`)", body = ErrorBody),
            (status = 429, description = "The account backs off after failed attempts (`Retry-After`)", body = ErrorBody),
            BodyErrors, BearerErrors, CommonErrors))]
    fn confirm_totp_enrolment() {}

    #[utoipa::path(delete, path = "/auth/mfa/totp", tag = "auth", request_body = SecondFactorChangeBody,
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 204, description = "TOTP is off, with its recovery codes; the user's other sessions ended"),
            (status = 403, description = "Wrong password or code (`invalid_credentials`), counted in the login backoff", body = ErrorBody),
            (status = 409, description = "No second factor is on (`conflict`)", body = ErrorBody),
            (status = 429, description = "The account backs off after failed attempts (`Retry-After`)", body = ErrorBody),
            BodyErrors, BearerErrors, CommonErrors))]
    fn disable_totp() {}

    #[utoipa::path(post, path = "/auth/mfa/recovery-codes", tag = "auth", request_body = SecondFactorChangeBody,
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, description = "A new set; the old one died; the user's other sessions ended", body = RecoveryCodes),
            (status = 403, description = "Wrong password or code (`invalid_credentials`), counted in the login backoff", body = ErrorBody),
            (status = 409, description = "No second factor is on (`conflict`)", body = ErrorBody),
            (status = 429, description = "The account backs off after failed attempts (`Retry-After`)", body = ErrorBody),
            BodyErrors, BearerErrors, CommonErrors))]
    fn regenerate_recovery_codes() {}

    #[utoipa::path(post, path = "/auth/mfa/verify", tag = "auth", request_body = MfaVerifyBody,
        responses((status = 200, description = "Signed in: a pair whose access tokens carry `amr` `[\"pwd\", \"otp\"]`", body = TokenPair),
            (status = 401, description = "Wrong or spent code (`invalid_credentials`); or an MFA token that is unknown, spent, expired or out of attempts (`invalid_token`)", body = ErrorBody),
            (status = 429, description = "Too many attempts, or the account backs off (`Retry-After`)", body = ErrorBody),
            (status = 503, description = "No MFA key on this server (`mfa_unavailable`), or the database is unavailable", body = ErrorBody),
            BodyErrors, CommonErrors))]
    fn verify_second_factor() {}

    #[utoipa::path(get, path = "/auth/admin", tag = "auth", security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = AdminGreeting), AdminErrors, CommonErrors))]
    fn admin() {}

    #[utoipa::path(get, path = "/tasks", tag = "tasks", params(PageParams), security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = [Task]), (status = 422, body = ErrorBody), BearerErrors, CommonErrors))]
    fn list_tasks() {}

    #[utoipa::path(post, path = "/tasks", tag = "tasks", request_body = CreateTaskBody, security(("OAuth2PasswordBearer" = [])),
        responses((status = 201, body = Task, headers(("Location" = String))), BodyErrors, BearerErrors, CommonErrors))]
    fn create_task() {}

    #[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = Task), (status = 404, description = "No such task, or someone else's", body = ErrorBody),
            (status = 422, description = "Id is not a 64-bit integer", body = ErrorBody), BearerErrors, CommonErrors))]
    fn get_task() {}

    #[utoipa::path(patch, path = "/tasks/{id}", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
        request_body = UpdateTaskBody, security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = Task), (status = 404, body = ErrorBody), BodyErrors, BearerErrors, CommonErrors))]
    fn update_task() {}

    #[utoipa::path(delete, path = "/tasks/{id}", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
            BearerErrors, CommonErrors))]
    fn delete_task() {}

    #[utoipa::path(get, path = "/admin/users", tag = "admin", params(PageParams), security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = [UserOut]), (status = 422, body = ErrorBody), AdminErrors, CommonErrors))]
    fn admin_users() {}

    #[utoipa::path(get, path = "/admin/users/{id}", tag = "admin", params(("id" = i64, Path, description = "User id")),
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = UserOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
            AdminErrors, CommonErrors))]
    fn admin_get_user() {}

    #[utoipa::path(patch, path = "/admin/users/{id}", tag = "admin", params(("id" = i64, Path, description = "User id")),
        request_body = UserPatchBody, security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = UserOut), (status = 404, body = ErrorBody),
            (status = 409, description = "An admin demoting or deactivating themselves (`conflict`), or the last active admin demoted or deactivated (`last_admin`)", body = ErrorBody),
            BodyErrors, AdminErrors, CommonErrors))]
    fn admin_patch_user() {}

    #[utoipa::path(get, path = "/admin/users/{id}/sessions", tag = "admin", params(("id" = i64, Path, description = "User id")),
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, description = "The user's open sessions, newest first", body = [Session]),
            (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), AdminErrors, CommonErrors))]
    fn admin_user_sessions() {}

    #[utoipa::path(delete, path = "/admin/users/{id}/sessions", tag = "admin", params(("id" = i64, Path, description = "User id")),
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 204, description = "Every session of the user ended, with its access tokens"),
            (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), AdminErrors, CommonErrors))]
    fn admin_end_user_sessions() {}

    #[utoipa::path(delete, path = "/admin/users/{id}/mfa", tag = "admin", params(("id" = i64, Path, description = "User id")),
        security(("OAuth2PasswordBearer" = [])),
        responses((status = 204, description = "A lost device: the user's second factors removed and every session ended (audited)"),
            (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), AdminErrors, CommonErrors))]
    fn admin_reset_second_factors() {}

    #[utoipa::path(get, path = "/admin/tasks", tag = "admin", params(PageParams), security(("OAuth2PasswordBearer" = [])),
        responses((status = 200, body = [Task]), (status = 422, body = ErrorBody), AdminErrors, CommonErrors))]
    fn admin_tasks() {}

    /// The OpenAPI document of the API.
    #[derive(OpenApi)]
    #[openapi(
        info(title = "task-service", description = "Register, log in, manage tasks: the ready-made auth API."),
        paths(health, jwks, authorization_server_metadata, register, login, token, refresh, logout, logout_all, change_password, forgot_password, reset_password, request_email_verification, verify_email, me, change_email, delete_account, sessions, end_session,
            begin_totp_enrolment, confirm_totp_enrolment, disable_totp, regenerate_recovery_codes, verify_second_factor, admin,
            list_tasks, create_task, get_task, update_task, delete_task, admin_users, admin_get_user,
            admin_patch_user, admin_user_sessions, admin_end_user_sessions, admin_reset_second_factors, admin_tasks),
        modifiers(&SecurityAddon),
        tags((name = "auth"), (name = "tasks"), (name = "admin"), (name = "service"))
    )]
    pub struct ApiDoc;
}

pub use paths::ApiDoc;

/// The document as JSON for a service with `roles`: the `Role` schema lists their names
/// (`user`, `admin`, then those the configuration declares).
pub fn openapi_json(roles: &auth_core::Roles) -> String {
    let mut doc = ApiDoc::openapi();
    let names: Vec<&str> = roles.names().map(auth_core::Role::as_str).collect();
    let role = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .description(Some(
            "A role: `user` (every account has what it grants), `admin` (the admin API, every \
             task), or one the service declares.",
        ))
        .build();
    doc.components.get_or_insert_with(Default::default).schemas.insert("Role".into(), role.into());
    doc.to_pretty_json().expect("the OpenAPI document serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_3_1_with_every_route_and_the_password_flow() {
        let doc: serde_json::Value =
            serde_json::from_str(&openapi_json(&auth_core::Roles::default())).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/health",
            "/auth/register",
            "/auth/login",
            "/auth/token",
            "/auth/refresh",
            "/auth/logout",
            "/auth/logout-all",
            "/auth/password",
            "/auth/forgot-password",
            "/auth/reset-password",
            "/auth/verify-email/request",
            "/auth/verify-email",
            "/auth/me",
            "/auth/sessions",
            "/auth/sessions/{id}",
            "/auth/admin",
            "/tasks",
            "/tasks/{id}",
            "/admin/users",
            "/admin/users/{id}",
            "/admin/users/{id}/sessions",
            "/admin/tasks",
        ] {
            assert!(doc["paths"][path].is_object(), "missing {path}");
        }
        let scheme = &doc["components"]["securitySchemes"][SECURITY_SCHEME];
        assert_eq!(scheme["flows"]["password"]["tokenUrl"], "/auth/login");
        assert_eq!(
            doc["paths"]["/auth/me"]["get"]["security"][0][SECURITY_SCHEME],
            serde_json::json!([])
        );
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    }

    #[test]
    fn an_address_change_requires_email_and_allows_null() {
        let doc: serde_json::Value =
            serde_json::from_str(&openapi_json(&auth_core::Roles::default())).unwrap();
        let body = &doc["components"]["schemas"]["ChangeEmailBody"];
        let required = body["required"].as_array().unwrap();
        assert!(required.iter().any(|f| f == "email"), "{body}");
        assert!(required.iter().any(|f| f == "current_password"), "{body}");
        assert!(body["properties"]["email"]["type"].to_string().contains("null"), "{body}");
        let user = &doc["components"]["schemas"]["UserOut"]["properties"];
        assert!(user["email_verified"].is_object() && user["pending_email"].is_object());
    }

    #[test]
    fn the_role_schema_lists_the_roles_of_the_configuration() {
        let roles = |doc: &str| {
            let doc: serde_json::Value = serde_json::from_str(doc).unwrap();
            doc["components"]["schemas"]["Role"]["enum"].clone()
        };
        let built_in = openapi_json(&auth_core::Roles::default());
        assert_eq!(roles(&built_in), serde_json::json!(["user", "admin"]));
        let keys = auth_core::KeySet::new(
            auth_core::SigningKey::hs256(b"a secret of at least thirty-two bytes").unwrap(),
        );
        let config = auth_core::AuthConfig::builder(keys)
            .role(auth_core::RoleDefinition::new("viewer"))
            .role(auth_core::RoleDefinition::new("editor").includes(["viewer"]))
            .build()
            .unwrap();
        let declared = openapi_json(config.roles());
        assert_eq!(roles(&declared), serde_json::json!(["user", "admin", "viewer", "editor"]));
        let doc: serde_json::Value = serde_json::from_str(&declared).unwrap();
        let user_role = &doc["components"]["schemas"]["UserOut"]["properties"]["role"];
        assert_eq!(user_role["$ref"], "#/components/schemas/Role", "{user_role}");
    }
}
