//! The ready-made `/auth` router: every `/auth/*` route of `API.md`.

use auth_core::http::{
    self, AdminGreeting, LoginRequest, OAuthErrorResponse, RefreshRequest, RegisterRequest,
    TokenRequest,
};
use axum::{
    Form, Json, Router,
    extract::{DefaultBodyLimit, FromRef, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};

use crate::{
    Admin, ApiError, ApiJson, AuthState, Client, CurrentUser, JsonOrForm, MaybeUser,
    OptionalJsonOrForm, TokenEndpointError, error::no_store,
};

/// The body limit of the `/auth` routes: 16 KiB (a password is at most 1024 bytes).
pub const AUTH_BODY_LIMIT: usize = 16 * 1024;

/// The `/auth` routes, to mount with `.nest("/auth", auth_router())`:
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
/// Bodies over [`AUTH_BODY_LIMIT`] are refused with 413.
pub fn auth_router<S>() -> Router<S>
where
    AuthState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/token", post(token))
        .route("/refresh", post(refresh))
        .route("/logout", post(logout))
        .route("/logout-all", post(logout_all))
        .route("/me", get(me))
        .route("/admin", get(admin))
        .layer(DefaultBodyLimit::max(AUTH_BODY_LIMIT))
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

async fn register(
    State(state): State<AuthState>,
    Client(ctx): Client,
    MaybeUser(actor): MaybeUser,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let user = http::register(&state.auth, body, actor.as_ref(), &ctx).await?;
    let location = http::user_location(&user);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(user)).into_response())
}

async fn login(
    State(state): State<AuthState>,
    Client(ctx): Client,
    headers: HeaderMap,
    JsonOrForm(body): JsonOrForm<LoginRequest>,
) -> Result<Response, ApiError> {
    http::check_login_authorization(authorization(&headers))?;
    let session = state.auth.login(&body.username, &body.password, &ctx).await?;
    Ok((no_store(), Json(session.tokens)).into_response())
}

async fn token(
    State(state): State<AuthState>,
    Client(ctx): Client,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, TokenEndpointError> {
    let Form(request) = form.map_err(|r| {
        TokenEndpointError(OAuthErrorResponse::invalid_request(
            crate::form_rejection(r).body.detail,
        ))
    })?;
    let pair = http::token_grant(&state.auth, request, &ctx).await.map_err(TokenEndpointError)?;
    Ok((no_store(), Json(pair)).into_response())
}

async fn refresh(
    State(state): State<AuthState>,
    Client(ctx): Client,
    headers: HeaderMap,
    OptionalJsonOrForm(body): OptionalJsonOrForm<RefreshRequest>,
) -> Result<Response, ApiError> {
    let body = body.map(|b| b.refresh_token);
    let presented = http::presented_refresh_token(body.as_deref(), authorization(&headers))?;
    let pair = state.auth.refresh(presented, &ctx).await?;
    Ok((no_store(), Json(pair)).into_response())
}

async fn logout(
    State(state): State<AuthState>,
    Client(ctx): Client,
    headers: HeaderMap,
    OptionalJsonOrForm(body): OptionalJsonOrForm<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    let body = body.map(|b| b.refresh_token);
    let presented = http::presented_refresh_token(body.as_deref(), authorization(&headers))?;
    state.auth.logout(presented, &ctx).await?;
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

async fn admin(Admin(user): Admin) -> Json<AdminGreeting> {
    Json(AdminGreeting::for_user(&user))
}
