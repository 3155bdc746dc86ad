//! The API served by axum: the `/auth` router of `auth-axum`, the task and admin routes,
//! health, OpenAPI and Swagger UI, behind the tower-http layers the API reference (`docs/API.md`) asks for.

use std::{convert::Infallible, future::Future};

use auth_axum::{
    Admin, ApiError, ApiJson, ApiPath, ApiQuery, Client, CurrentUser, Require, api_errors,
    auth_router, discovery_router, no_store,
};
use auth_core::{
    User, UserId,
    http::{AuthState, UserPatchRequest},
};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRef, Path, Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use tokio::net::TcpListener;
use tower::{Service, ServiceBuilder};
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    app::{App, IdPath, PageQuery, REQUEST_ID_HEADER, StartupError},
    config::{Config, CorsPolicy},
    docs, shutdown,
    tasks::{CreateTask, ReadAllTasks, Task, UpdateTask},
};

pub use crate::app::BODY_LIMIT;

/// The state of the axum router.
#[derive(Debug, Clone)]
struct AppState {
    app: App,
    auth: AuthState,
}

impl FromRef<AppState> for AuthState {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}

impl FromRef<AppState> for App {
    fn from_ref(s: &AppState) -> Self {
        s.app.clone()
    }
}

/// The API's routes as an axum router, without the middleware: [`serve_until`] serves them
/// behind [`with_middleware`].
///
/// # Errors
/// [`StartupError`] for invalid trusted proxies or public URL.
pub fn router(app: App) -> Result<Router, StartupError> {
    let auth = app.auth_state()?;
    let routes = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(|| async { Redirect::to("/docs/") }))
        .route("/docs/", get(|| docs_file(Path(String::new()))))
        .route("/docs/{*file}", get(docs_file))
        .merge(auth_router())
        .merge(discovery_router())
        .route("/tasks", get(list_tasks).post(create_task))
        .route("/tasks/{id}", get(get_task).patch(update_task).delete(delete_task))
        .route("/admin/users", get(admin_users))
        .route("/admin/users/{id}", get(admin_get_user).patch(admin_patch_user))
        .route(
            "/admin/users/{id}/sessions",
            get(admin_user_sessions).delete(admin_end_user_sessions),
        )
        .route("/admin/users/{id}/mfa", axum::routing::delete(admin_reset_second_factors))
        .route("/admin/tasks", get(admin_tasks))
        .with_state(AppState { app, auth });
    Ok(routes)
}

/// Puts `routes` behind the service's middleware, innermost first: a timeout (408), the
/// rewriting of framework-made errors into the API's body, the body limit
/// ([`BODY_LIMIT`]), CORS when configured, `nosniff`, the request id's propagation to the
/// response, the request span, and the request id itself (outermost). Public so that the
/// HTTP benchmark's ceiling runs behind the same stack.
///
/// # Errors
/// [`StartupError`] for invalid CORS origins.
pub fn with_middleware(
    routes: Router,
    config: &Config,
) -> Result<
    impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static,
    StartupError,
> {
    let cors = cors(&config.cors_allowed_origins()?)?;
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let span_request_id = request_id.clone();
    // Around the router as one service, not `Router::layer`: that wraps every route in each
    // layer, and a request then clones and boxes the whole stack of wrappers again.
    Ok(ServiceBuilder::new()
        .map_response(IntoResponse::into_response)
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(move |req: &Request| {
            // The path only: a query string could carry something secret. The fields are
            // read only when the span is enabled.
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = %req
                    .headers()
                    .get(&span_request_id)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-"),
            )
        }))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .option_layer(cors)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(api_errors())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout(),
        ))
        .service(routes))
}

fn cors(origins: &[&str]) -> Result<Option<CorsLayer>, StartupError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let values = origins
        .iter()
        .map(|o| {
            HeaderValue::from_str(o)
                .map_err(|_| StartupError::Other(format!("bad CORS origin {o:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(values))
            .allow_methods(
                CorsPolicy::METHODS.map(|m| Method::from_bytes(m.as_bytes()).expect("a method")),
            )
            .allow_headers(CorsPolicy::ALLOW_HEADERS.map(HeaderName::from_static))
            .expose_headers(CorsPolicy::EXPOSE_HEADERS.map(HeaderName::from_static))
            .max_age(CorsPolicy::MAX_AGE),
    ))
}

/// Serves `app` on `listener` until `shutdown` completes, then drains open requests, within
/// the bounds of the configuration's front door.
///
/// # Errors
/// [`StartupError`] when the router cannot be built.
pub async fn serve_until(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let door = app.config.front_door();
    let config = app.config.clone();
    let api = with_middleware(router(app)?, &config)?;
    let served = shutdown::drain_bounded(shutdown, |drain| {
        crate::axum_connections::serve(listener, api, door, drain)
    });
    // `None`: still draining when the bound ran out (logged by `drain_bounded`).
    let _ = served.await;
    Ok(())
}

/// Serves `app` on `listener` until SIGINT or SIGTERM.
///
/// # Errors
/// As [`serve_until`].
pub async fn serve(app: App, listener: TcpListener) -> Result<(), StartupError> {
    serve_until(app, listener, shutdown::signal()).await
}

async fn health(State(app): State<App>) -> Response {
    let (status, body) = app.health().await;
    (StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE), Json(body))
        .into_response()
}

async fn openapi_json(State(app): State<App>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], app.openapi_json().to_owned()).into_response()
}

async fn docs_file(Path(file): Path<String>) -> Response {
    match docs::swagger_file(&file) {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes.into_owned()).into_response()
        }
        None => ApiError::from(auth_core::AuthError::NotFound).into_response(),
    }
}

async fn list_tasks(
    State(app): State<App>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Vec<Task>>, ApiError> {
    Ok(Json(app.tasks.list_own(&user, q.page()?).await?))
}

async fn create_task(
    State(app): State<App>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<Response, ApiError> {
    let task = app.tasks.create(&user, body).await?;
    let location = task.location();
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(task)).into_response())
}

async fn get_task(
    State(app): State<App>,
    CurrentUser(user): CurrentUser,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<Json<Task>, ApiError> {
    Ok(Json(app.tasks.get(&user, id).await?))
}

async fn update_task(
    State(app): State<App>,
    CurrentUser(user): CurrentUser,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(patch): ApiJson<UpdateTask>,
) -> Result<Json<Task>, ApiError> {
    Ok(Json(app.tasks.update(&user, id, patch).await?))
}

async fn delete_task(
    State(app): State<App>,
    CurrentUser(user): CurrentUser,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    app.tasks.delete(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_users(
    State(app): State<App>,
    admin: Admin,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(app.list_users(&admin, q.page()?).await?))
}

async fn admin_get_user(
    State(app): State<App>,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(app.auth.get_user(&admin, UserId::new(id)).await?))
}

async fn admin_patch_user(
    State(app): State<App>,
    Client(ctx): Client,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<UserPatchRequest>,
) -> Result<Json<User>, ApiError> {
    let patch = body.into_patch()?;
    Ok(Json(app.auth.update_user(&admin, UserId::new(id), patch, &ctx).await?))
}

async fn admin_user_sessions(
    State(app): State<App>,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<Response, ApiError> {
    let sessions = app.auth.user_sessions(&admin, UserId::new(id)).await?;
    Ok((no_store(), Json(sessions)).into_response())
}

async fn admin_end_user_sessions(
    State(app): State<App>,
    Client(ctx): Client,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    app.auth.end_user_sessions(&admin, UserId::new(id), &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_reset_second_factors(
    State(app): State<App>,
    Client(ctx): Client,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    app.auth.reset_second_factors(&admin, UserId::new(id), &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_tasks(
    State(app): State<App>,
    Require(reader): Require<ReadAllTasks>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Vec<Task>>, ApiError> {
    Ok(Json(app.tasks.list_all(&reader, q.page()?).await?))
}
