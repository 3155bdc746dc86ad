//! The ready-made `/auth` router: the routes of `auth_core::http::AUTH_ROUTES`, each a thin
//! handler around the framework-free route in `auth_core::http`.

use auth_core::http::{
    self, AUTH_BODY_LIMIT, AUTH_MOUNT, AUTH_ROUTES, AcceptedBodies, AdminGreeting, AuthRoute,
    AuthState, ChangeEmailRequest, ChangePasswordRequest, CodeRequest, DeleteAccountRequest,
    ForgotPasswordRequest, LoginRequest, MfaVerifyRequest, RefreshRequest, RegisterRequest,
    ResetPasswordRequest, SecondFactorChangeRequest, TokenRequest, TotpEnrolmentRequest,
    VerifyEmailRequest,
};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRef, FromRequest, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{MethodRouter, get, post},
};

use crate::{
    Admin, ApiError, ApiJson, ApiPath, Claims, Client, CurrentUser, JsonOrForm, MaybeUser,
    OptionalJsonOrForm, TokenEndpointError,
    error::no_store,
    extract::{authorization, body_of},
};

/// The `/auth` routes, to add with `.merge(auth_router())`: every route of
/// [`AUTH_ROUTES`](auth_core::http::AUTH_ROUTES) (register, login, the RFC 6749 token
/// endpoint, refresh, logout, logout-all, password, forgot-password, reset-password,
/// verify-email, me, sessions, the second factor's `/mfa/…`, admin). Bodies over
/// [`AUTH_BODY_LIMIT`](auth_core::http::AUTH_BODY_LIMIT) are refused with 413 (no GET
/// route reads one).
///
/// The paths are full (`/auth/login`, …, under [`AUTH_MOUNT`](auth_core::http::AUTH_MOUNT)),
/// as `auth-actix`'s scope serves them: merged, not nested, so that a request is not
/// rewritten and re-routed on its way to the handler. Do not `nest` it: it would serve
/// `/auth/auth/login`.
pub fn auth_router<S>() -> Router<S>
where
    AuthState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    AUTH_ROUTES.iter().fold(Router::new(), |router, route| {
        // The limit on every route but the GETs: a layer costs every request it wraps, and
        // no GET route reads a body (`GET /auth/me` is the hot path).
        let endpoint = match route.method {
            "GET" => handler(route),
            _ => handler(route).layer(DefaultBodyLimit::max(AUTH_BODY_LIMIT)),
        };
        router.route(&format!("{AUTH_MOUNT}{}", route.path), endpoint)
    })
}

/// The handler of a route of the table. The router is built from the table, so it serves
/// exactly the routes the table lists; a route without a handler here fails at once, when
/// the router is built.
fn handler<S>(route: &AuthRoute) -> MethodRouter<S>
where
    AuthState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    match (route.method, route.path) {
        ("POST", "/register") => post(register),
        ("POST", "/login") => post(login),
        ("POST", "/token") => post(token),
        ("POST", "/refresh") => post(refresh),
        ("POST", "/logout") => post(logout),
        ("POST", "/logout-all") => post(logout_all),
        ("POST", "/password") => post(change_password),
        ("POST", "/forgot-password") => post(forgot_password),
        ("POST", "/reset-password") => post(reset_password),
        ("POST", "/verify-email/request") => post(request_email_verification),
        ("POST", "/verify-email") => post(verify_email),
        ("GET", "/me") => get(me),
        ("PATCH", "/me") => axum::routing::patch(change_email),
        ("DELETE", "/me") => axum::routing::delete(delete_account),
        ("GET", "/sessions") => get(sessions),
        ("DELETE", "/sessions/{id}") => axum::routing::delete(end_session),
        ("POST", "/mfa/totp") => post(begin_totp_enrolment),
        ("POST", "/mfa/totp/confirm") => post(confirm_totp_enrolment),
        ("DELETE", "/mfa/totp") => axum::routing::delete(disable_totp),
        ("POST", "/mfa/recovery-codes") => post(regenerate_recovery_codes),
        ("POST", "/mfa/verify") => post(verify_second_factor),
        ("GET", "/admin") => get(admin),
        (method, path) => unreachable!("no handler for {method} /auth{path}"),
    }
}

/// The form of the token endpoint, or why it could not be read (which the endpoint answers
/// in its own error shape).
struct TokenForm(Result<TokenRequest, http::ErrorResponse>);

impl<S: Send + Sync> FromRequest<S> for TokenForm {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(body_of(req, state, AcceptedBodies::Form).await))
    }
}

async fn register(
    State(state): State<AuthState>,
    Client(ctx): Client,
    MaybeUser(actor): MaybeUser,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let (location, user) = http::register(&state, body, actor.as_ref(), &ctx).await?;
    let mut res = (StatusCode::CREATED, Json(user)).into_response();
    if let Some(location) = location.and_then(|l| HeaderValue::try_from(l).ok()) {
        res.headers_mut().insert(header::LOCATION, location);
    }
    Ok(res)
}

async fn login(
    State(state): State<AuthState>,
    Client(ctx): Client,
    headers: HeaderMap,
    JsonOrForm(body): JsonOrForm<LoginRequest>,
) -> Result<Response, ApiError> {
    let pair = http::login(&state, authorization(&headers), body, &ctx).await?;
    Ok((no_store(), Json(pair)).into_response())
}

async fn token(
    State(state): State<AuthState>,
    Client(ctx): Client,
    TokenForm(form): TokenForm,
) -> Result<Response, TokenEndpointError> {
    let pair = http::token_grant(&state.auth, form, &ctx).await.map_err(TokenEndpointError)?;
    Ok((no_store(), Json(pair)).into_response())
}

async fn refresh(
    State(state): State<AuthState>,
    Client(ctx): Client,
    headers: HeaderMap,
    OptionalJsonOrForm(body): OptionalJsonOrForm<RefreshRequest>,
) -> Result<Response, ApiError> {
    let pair = http::refresh(&state, body, authorization(&headers), &ctx).await?;
    Ok((no_store(), Json(pair)).into_response())
}

async fn logout(
    State(state): State<AuthState>,
    Client(ctx): Client,
    headers: HeaderMap,
    OptionalJsonOrForm(body): OptionalJsonOrForm<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    http::logout(&state, body, authorization(&headers), &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn logout_all(
    State(state): State<AuthState>,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
) -> Result<StatusCode, ApiError> {
    state.auth.logout_all(user.id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(CurrentUser(user): CurrentUser) -> Response {
    (no_store(), Json(user)).into_response()
}

async fn change_password(
    State(state): State<AuthState>,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<Response, ApiError> {
    let pair = http::change_password(&state, &claims, body, &ctx).await?;
    Ok((no_store(), Json(pair)).into_response())
}

async fn forgot_password(
    State(state): State<AuthState>,
    Client(ctx): Client,
    ApiJson(body): ApiJson<ForgotPasswordRequest>,
) -> Result<Response, ApiError> {
    let accepted = http::forgot_password(&state, body, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

async fn reset_password(
    State(state): State<AuthState>,
    Client(ctx): Client,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    http::reset_password(&state, body, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn request_email_verification(
    State(state): State<AuthState>,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
) -> Result<Response, ApiError> {
    let accepted = http::request_email_verification(&state, &user, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

async fn verify_email(
    State(state): State<AuthState>,
    Client(ctx): Client,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> Result<Response, ApiError> {
    let user = http::verify_email(&state, body, &ctx).await?;
    Ok((no_store(), Json(user)).into_response())
}

async fn change_email(
    State(state): State<AuthState>,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<ChangeEmailRequest>,
) -> Result<Response, ApiError> {
    let user = http::change_email(&state, &user, body, &ctx).await?;
    Ok((no_store(), Json(user)).into_response())
}

async fn delete_account(
    State(state): State<AuthState>,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<DeleteAccountRequest>,
) -> Result<StatusCode, ApiError> {
    http::delete_account(&state, &user, body, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sessions(
    State(state): State<AuthState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let sessions = http::sessions(&state, authorization(&headers)).await?;
    Ok((no_store(), Json(sessions)).into_response())
}

async fn end_session(
    State(state): State<AuthState>,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    http::end_session(&state, &user, &id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn begin_totp_enrolment(
    State(state): State<AuthState>,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<TotpEnrolmentRequest>,
) -> Result<Response, ApiError> {
    let enrolment = http::begin_totp_enrolment(&state, &claims, body, &ctx).await?;
    Ok((no_store(), Json(enrolment)).into_response())
}

async fn confirm_totp_enrolment(
    State(state): State<AuthState>,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Response, ApiError> {
    let codes = http::confirm_totp_enrolment(&state, &claims, body, &ctx).await?;
    Ok((no_store(), Json(codes)).into_response())
}

async fn disable_totp(
    State(state): State<AuthState>,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<SecondFactorChangeRequest>,
) -> Result<StatusCode, ApiError> {
    http::disable_totp(&state, &claims, body, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn regenerate_recovery_codes(
    State(state): State<AuthState>,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<SecondFactorChangeRequest>,
) -> Result<Response, ApiError> {
    let codes = http::regenerate_recovery_codes(&state, &claims, body, &ctx);
    Ok((no_store(), Json(codes.await?)).into_response())
}

async fn verify_second_factor(
    State(state): State<AuthState>,
    Client(ctx): Client,
    ApiJson(body): ApiJson<MfaVerifyRequest>,
) -> Result<Response, ApiError> {
    let step = http::verify_second_factor(&state, body, &ctx).await?;
    Ok((no_store(), Json(step.signed_in.tokens)).into_response())
}

async fn admin(admin: Admin) -> Json<AdminGreeting> {
    Json(AdminGreeting::for_user(&admin))
}

/// The discovery documents other services read, to mount at the root with
/// `.merge(discovery_router())`: `GET /.well-known/jwks.json` (the public keys that verify
/// access tokens; empty with HS256) and `GET /.well-known/oauth-authorization-server` (RFC
/// 8414; a 404 unless the state has a [public
/// URL](auth_core::http::AuthState::with_public_url)). Both may be cached five minutes.
pub fn discovery_router<S>() -> Router<S>
where
    AuthState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new().route(http::JWKS_PATH, get(jwks)).route(http::METADATA_PATH, get(metadata))
}

fn cacheable() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static(http::DISCOVERY_CACHE_CONTROL))]
}

async fn jwks(State(state): State<AuthState>) -> Response {
    (cacheable(), Json(http::jwks(&state))).into_response()
}

async fn metadata(State(state): State<AuthState>) -> Result<Response, ApiError> {
    Ok((cacheable(), Json(http::metadata(&state)?)).into_response())
}
