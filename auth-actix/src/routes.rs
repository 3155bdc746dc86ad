//! The ready-made `/auth` scope: the routes of `auth_core::http::AUTH_ROUTES`, each a thin
//! handler around the framework-free route in `auth_core::http`.

use std::future::{Ready, ready};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, Route, Scope,
    dev::Payload,
    guard,
    http::header,
    web::{self, Data},
};
use auth_core::http::{
    self, AUTH_BODY_LIMIT, AUTH_MOUNT, AUTH_ROUTES, AcceptedBodies, AdminGreeting, AuthRoute,
    AuthState, ChangeEmailRequest, ChangePasswordRequest, CodeRequest, DeleteAccountRequest,
    ErrorResponse, ForgotPasswordRequest, LoginRequest, MfaVerifyRequest, RefreshRequest,
    RegisterRequest, ResetPasswordRequest, SecondFactorChangeRequest, TokenRequest,
    TotpEnrolmentRequest, VerifyEmailRequest,
};

use crate::{
    Admin, ApiError, ApiJson, ApiPath, BodyLimit, Claims, Client, CurrentUser, JsonOrForm,
    MaybeUser, OptionalJsonOrForm, TokenEndpointError,
    error::no_store,
    extract::{ExtractorFuture, auth_state, authorization, body_of, in_argument_order},
};

/// The `/auth` routes, to mount with `App::new().service(auth_scope())`: every route of
/// [`AUTH_ROUTES`](auth_core::http::AUTH_ROUTES) (register, login, the RFC 6749 token
/// endpoint, refresh, logout, logout-all, password, forgot-password, reset-password,
/// verify-email, me, sessions, the second factor's `/mfa/…`, admin). Bodies over
/// [`AUTH_BODY_LIMIT`](auth_core::http::AUTH_BODY_LIMIT) are refused with 413. The app needs
/// `web::Data<AuthState>`.
pub fn auth_scope() -> Scope {
    // One resource per path, with a route per method (a second resource for the same path
    // would never be reached: the first answers 405 to the methods it lacks).
    let mut paths: Vec<&str> = Vec::new();
    for route in &AUTH_ROUTES {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    paths.into_iter().fold(
        web::scope(AUTH_MOUNT).app_data(BodyLimit(AUTH_BODY_LIMIT)),
        |scope, path| {
            let routes = AUTH_ROUTES.iter().filter(|r| r.path == path);
            scope.service(routes.fold(web::resource(path), |res, route| res.route(handler(route))))
        },
    )
}

/// The handler of a route of the table. The scope is built from the table, so it serves
/// exactly the routes the table lists; a route without a handler here fails at once, when
/// the scope is built.
fn handler(route: &AuthRoute) -> Route {
    match (route.method, route.path) {
        ("POST", "/register") => web::post().to(register),
        ("POST", "/login") => web::post().to(login),
        ("POST", "/token") => web::post().to(token),
        ("POST", "/refresh") => web::post().to(refresh),
        ("POST", "/logout") => web::post().to(logout),
        ("POST", "/logout-all") => web::post().to(logout_all),
        ("POST", "/password") => web::post().to(change_password),
        ("POST", "/forgot-password") => web::post().to(forgot_password),
        ("POST", "/reset-password") => web::post().to(reset_password),
        ("POST", "/verify-email/request") => web::post().to(request_email_verification),
        ("POST", "/verify-email") => web::post().to(verify_email),
        ("GET", "/me") => get_or_head().to(me),
        ("PATCH", "/me") => web::patch().to(change_email),
        ("DELETE", "/me") => web::delete().to(delete_account),
        ("GET", "/sessions") => get_or_head().to(sessions),
        ("DELETE", "/sessions/{id}") => web::delete().to(end_session),
        ("POST", "/mfa/totp") => web::post().to(begin_totp_enrolment),
        ("POST", "/mfa/totp/confirm") => web::post().to(confirm_totp_enrolment),
        ("DELETE", "/mfa/totp") => web::delete().to(disable_totp),
        ("POST", "/mfa/recovery-codes") => web::post().to(regenerate_recovery_codes),
        ("POST", "/mfa/verify") => web::post().to(verify_second_factor),
        ("GET", "/admin") => get_or_head().to(admin),
        (method, path) => unreachable!("no handler for {method} /auth{path}"),
    }
}

/// A `GET` route that answers `HEAD` too (without a body), as axum's `get` does.
pub fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The [`AuthState`] of the app, or a 500 (logged) when it is missing.
struct State(Data<AuthState>);

impl FromRequest for State {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(auth_state(req).map(Self))
    }
}

/// The form of the token endpoint, or why it could not be read (which the endpoint answers
/// in its own error shape).
struct TokenForm(Result<TokenRequest, ErrorResponse>);

impl FromRequest for TokenForm {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = payload.take();
        in_argument_order(req, move |req| async move {
            Ok(Self(body_of(&req, payload, AcceptedBodies::Form).await))
        })
    }
}

fn with_no_store() -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    for h in no_store() {
        res.insert_header(h);
    }
    res
}

async fn register(
    State(state): State,
    Client(ctx): Client,
    MaybeUser(actor): MaybeUser,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let (location, user) = http::register(&state, body, actor.as_ref(), &ctx).await?;
    let mut res = HttpResponse::Created();
    if let Some(location) = location {
        res.insert_header((header::LOCATION, location));
    }
    Ok(res.json(user))
}

async fn login(
    State(state): State,
    Client(ctx): Client,
    req: HttpRequest,
    JsonOrForm(body): JsonOrForm<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = http::login(&state, authorization(&req), body, &ctx).await?;
    Ok(with_no_store().json(pair))
}

async fn token(
    State(state): State,
    Client(ctx): Client,
    TokenForm(form): TokenForm,
) -> Result<HttpResponse, TokenEndpointError> {
    let pair = http::token_grant(&state.auth, form, &ctx).await.map_err(TokenEndpointError)?;
    Ok(with_no_store().json(pair))
}

async fn refresh(
    State(state): State,
    Client(ctx): Client,
    req: HttpRequest,
    OptionalJsonOrForm(body): OptionalJsonOrForm<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = http::refresh(&state, body, authorization(&req), &ctx).await?;
    Ok(with_no_store().json(pair))
}

async fn logout(
    State(state): State,
    Client(ctx): Client,
    req: HttpRequest,
    OptionalJsonOrForm(body): OptionalJsonOrForm<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    http::logout(&state, body, authorization(&req), &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn logout_all(
    State(state): State,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
) -> Result<HttpResponse, ApiError> {
    state.auth.logout_all(user.id, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn me(CurrentUser(user): CurrentUser) -> HttpResponse {
    with_no_store().json(user)
}

async fn change_password(
    State(state): State,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = http::change_password(&state, &claims, body, &ctx).await?;
    Ok(with_no_store().json(pair))
}

async fn forgot_password(
    State(state): State,
    Client(ctx): Client,
    ApiJson(body): ApiJson<ForgotPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let accepted = http::forgot_password(&state, body, &ctx).await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

async fn reset_password(
    State(state): State,
    Client(ctx): Client,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    http::reset_password(&state, body, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn request_email_verification(
    State(state): State,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let accepted = http::request_email_verification(&state, &user, &ctx).await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

async fn verify_email(
    State(state): State,
    Client(ctx): Client,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = http::verify_email(&state, body, &ctx).await?;
    Ok(with_no_store().json(user))
}

async fn change_email(
    State(state): State,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<ChangeEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = http::change_email(&state, &user, body, &ctx).await?;
    Ok(with_no_store().json(user))
}

async fn delete_account(
    State(state): State,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    http::delete_account(&state, &user, body, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn sessions(State(state): State, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let sessions = http::sessions(&state, authorization(&req)).await?;
    Ok(with_no_store().json(sessions))
}

async fn end_session(
    State(state): State,
    Client(ctx): Client,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<HttpResponse, ApiError> {
    http::end_session(&state, &user, &id, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn begin_totp_enrolment(
    State(state): State,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<TotpEnrolmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let enrolment = http::begin_totp_enrolment(&state, &claims, body, &ctx).await?;
    Ok(with_no_store().json(enrolment))
}

async fn confirm_totp_enrolment(
    State(state): State,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let codes = http::confirm_totp_enrolment(&state, &claims, body, &ctx).await?;
    Ok(with_no_store().json(codes))
}

async fn disable_totp(
    State(state): State,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<SecondFactorChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    http::disable_totp(&state, &claims, body, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn regenerate_recovery_codes(
    State(state): State,
    Client(ctx): Client,
    Claims(claims): Claims,
    ApiJson(body): ApiJson<SecondFactorChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let codes = http::regenerate_recovery_codes(&state, &claims, body, &ctx).await?;
    Ok(with_no_store().json(codes))
}

async fn verify_second_factor(
    State(state): State,
    Client(ctx): Client,
    ApiJson(body): ApiJson<MfaVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let step = http::verify_second_factor(&state, body, &ctx).await?;
    Ok(with_no_store().json(step.signed_in.tokens))
}

async fn admin(admin: Admin) -> HttpResponse {
    HttpResponse::Ok().json(AdminGreeting::for_user(&admin))
}

/// The discovery documents other services read, registered at the root with
/// `App::new().configure(discovery_routes)`: `GET /.well-known/jwks.json` (the public keys
/// that verify access tokens; empty with HS256) and `GET
/// /.well-known/oauth-authorization-server` (RFC 8414; a 404 unless the state has a [public
/// URL](auth_core::http::AuthState::with_public_url)). Both may be cached five minutes. Two
/// resources, not a `/.well-known` scope, so that the application's own routes there
/// (`security.txt`, ACME challenges) still answer. The app needs `web::Data<AuthState>`.
pub fn discovery_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(http::JWKS_PATH).route(get_or_head().to(jwks)))
        .service(web::resource(http::METADATA_PATH).route(get_or_head().to(metadata)));
}

fn cacheable() -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, http::DISCOVERY_CACHE_CONTROL));
    res
}

async fn jwks(State(state): State) -> HttpResponse {
    cacheable().json(http::jwks(&state))
}

async fn metadata(State(state): State) -> Result<HttpResponse, ApiError> {
    Ok(cacheable().json(http::metadata(&state)?))
}
