//! The ready-made `/auth` scope: every `/auth/*` route of `API.md`.

use std::future::{Ready, ready};
use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, Route, Scope,
    dev::Payload,
    guard,
    http::header,
    web::{self, Data},
};
use auth_core::http::{
    self, AdminGreeting, ErrorResponse, LoginRequest, OAuthErrorResponse, RefreshRequest,
    RegisterRequest, TokenRequest,
};

use crate::{
    Admin, ApiError, ApiJson, AuthState, BodyLimit, Client, CurrentUser, JsonOrForm, MaybeUser,
    OptionalJsonOrForm, TokenEndpointError,
    error::no_store,
    extract::{authorization, body, turn},
};

/// The body limit of the `/auth` routes: 16 KiB (a password is at most 1024 bytes).
pub const AUTH_BODY_LIMIT: usize = 16 * 1024;

/// The `/auth` routes, to mount with `App::new().service(auth_scope())`:
///
/// | route | what |
/// |---|---|
/// | `POST /register` | JSON `{username, password, email?, role?}` → 201 user |
/// | `POST /login` | JSON or OAuth2 password form → token pair |
/// | `POST /token` | RFC 6749 token endpoint (`password`, `refresh_token` grants) |
/// | `POST /refresh` | refresh token (JSON, form or bearer) → new pair; rotation |
/// | `POST /logout` | refresh token → 204; ends that session |
/// | `POST /logout-all` | access bearer → 204; ends every session |
/// | `GET /me` | access bearer → user |
/// | `GET /admin` | admin bearer → greeting |
///
/// Bodies over [`AUTH_BODY_LIMIT`] are refused with 413. The app needs
/// `web::Data<AuthState>`.
pub fn auth_scope() -> Scope {
    web::scope("/auth")
        .app_data(BodyLimit(AUTH_BODY_LIMIT))
        .service(web::resource("/register").route(web::post().to(register)))
        .service(web::resource("/login").route(web::post().to(login)))
        .service(web::resource("/token").route(web::post().to(token)))
        .service(web::resource("/refresh").route(web::post().to(refresh)))
        .service(web::resource("/logout").route(web::post().to(logout)))
        .service(web::resource("/logout-all").route(web::post().to(logout_all)))
        .service(web::resource("/me").route(get_or_head().to(me)))
        .service(web::resource("/admin").route(get_or_head().to(admin)))
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
        ready(AuthState::of(req).map(Self))
    }
}

/// The form of the token endpoint, or why it could not be read.
struct TokenForm(Result<TokenRequest, ErrorResponse>);

impl FromRequest for TokenForm {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let _turn = turn::take(&req).await;
            Ok(Self(body::form(&req, payload).await))
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
    let user = http::register(&state.auth, body, actor.as_ref(), &ctx).await?;
    let location = http::user_location(&user);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(user))
}

async fn login(
    State(state): State,
    Client(ctx): Client,
    req: HttpRequest,
    JsonOrForm(body): JsonOrForm<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    http::check_login_authorization(authorization(&req))?;
    let session = state.auth.login(&body.username, &body.password, &ctx).await?;
    Ok(with_no_store().json(session.tokens))
}

async fn token(
    State(state): State,
    Client(ctx): Client,
    TokenForm(form): TokenForm,
) -> Result<HttpResponse, TokenEndpointError> {
    let request =
        form.map_err(|e| TokenEndpointError(OAuthErrorResponse::invalid_request(e.body.detail)))?;
    let pair = http::token_grant(&state.auth, request, &ctx).await.map_err(TokenEndpointError)?;
    Ok(with_no_store().json(pair))
}

async fn refresh(
    State(state): State,
    Client(ctx): Client,
    req: HttpRequest,
    OptionalJsonOrForm(body): OptionalJsonOrForm<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map(|b| b.refresh_token);
    let presented = http::presented_refresh_token(body.as_deref(), authorization(&req))?;
    let pair = state.auth.refresh(presented, &ctx).await?;
    Ok(with_no_store().json(pair))
}

async fn logout(
    State(state): State,
    Client(ctx): Client,
    req: HttpRequest,
    OptionalJsonOrForm(body): OptionalJsonOrForm<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map(|b| b.refresh_token);
    let presented = http::presented_refresh_token(body.as_deref(), authorization(&req))?;
    state.auth.logout(presented, &ctx).await?;
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

async fn admin(Admin(user): Admin) -> HttpResponse {
    HttpResponse::Ok().json(AdminGreeting::for_user(&user))
}
