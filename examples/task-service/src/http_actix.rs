//! The API served by actix-web: the `/auth` scope of `auth-actix`, the task and admin routes,
//! health, OpenAPI and Swagger UI, behind the middleware of the API. The same contract as
//! [`http_axum`](crate::http_axum), from the same shared pieces.
//!
//! The middleware comes from the actix ecosystem where a crate gives the same answers as
//! the axum binary's tower-http layers: request ids from `actix-request-identifier` (the
//! client's `x-request-id`, else a new UUID, echoed on the response), request spans from
//! `tracing-actix-web`, `X-Content-Type-Options` from actix-web's `DefaultHeaders`. Two
//! pieces are written here because no crate does them: the span's fields and its start and
//! finish events ([`RequestSpan`], as tower-http's `TraceLayer` logs them), and the 408 for
//! a request whose body is slower than the timeout (`request_timeout`; actix-web's own
//! `client_request_timeout` covers only the request head).

use std::{future::Future, time::Instant};

use actix_cors::Cors;
use actix_request_identifier::{IdReuse, RequestId, RequestIdentifier};
use actix_web::{
    Error, HttpMessage, HttpResponse, HttpServer,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    error::InternalError,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    middleware::{Condition, DefaultHeaders, Next, from_fn},
    web::{self, Data},
};
use auth_actix::{
    Admin, ApiError, ApiJson, ApiPath, ApiQuery, BodyLimit, Client, CurrentUser, Require,
    api_errors, auth_scope, discovery_routes, get_or_head, no_store,
};
use auth_core::{
    UserId,
    http::{AuthState, UserPatchRequest},
};
use tokio::net::TcpListener;
use tracing::Span;
use tracing_actix_web::{RootSpanBuilder, TracingLogger};

use crate::{
    app::{App, BODY_LIMIT, IdPath, PageQuery, REQUEST_ID_HEADER, StartupError},
    config::CorsPolicy,
    docs,
    front_door::Connections,
    shutdown,
    tasks::{CreateTask, ReadAllTasks, UpdateTask},
};

/// What each actix worker needs to build its `App`: checked once, cloned into each worker.
#[derive(Debug, Clone)]
pub struct AppFactory {
    app: Data<App>,
    auth: Data<AuthState>,
    cors_origins: Vec<String>,
}

impl AppFactory {
    /// Checks the settings the HTTP layer adds to `app` (CORS origins, trusted proxies).
    ///
    /// # Errors
    /// [`StartupError`] for invalid CORS origins or trusted proxies.
    pub fn new(app: App) -> Result<Self, StartupError> {
        let config = app.config.clone();
        let auth = app.auth_state()?;
        let cors_origins: Vec<String> =
            config.cors_allowed_origins()?.into_iter().map(str::to_owned).collect();
        for origin in &cors_origins {
            if origin.parse::<actix_web::http::Uri>().is_err() {
                return Err(StartupError::Other(format!("bad CORS origin {origin:?}")));
            }
        }
        Ok(Self { app: Data::new(app), auth: Data::new(auth), cors_origins })
    }

    /// The whole API as an actix-web `App`, one per worker:
    /// `HttpServer::new(move || factory.clone().build())`.
    pub fn build(
        self,
    ) -> actix_web::App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    > {
        // Innermost first: a timeout (408), CORS when configured, the rewriting of
        // framework-made errors into the API's body, the headers every response carries,
        // the request span, and outermost the request id, which the span reads.
        let cors = (!self.cors_origins.is_empty(), self.cors());
        actix_web::App::new()
            .app_data(self.app)
            .app_data(self.auth)
            .app_data(BodyLimit(BODY_LIMIT))
            .service(web::resource("/health").route(get_or_head().to(health)))
            .configure(discovery_routes)
            .service(web::resource("/openapi.json").route(get_or_head().to(openapi_json)))
            .service(web::resource("/docs").route(get_or_head().to(docs_redirect)))
            .service(web::resource("/docs/{file:.*}").route(get_or_head().to(docs_file)))
            .service(auth_scope())
            .service(
                web::resource("/tasks")
                    .route(get_or_head().to(list_tasks))
                    .route(web::post().to(create_task)),
            )
            .service(
                web::resource("/tasks/{id}")
                    .route(get_or_head().to(get_task))
                    .route(web::patch().to(update_task))
                    .route(web::delete().to(delete_task)),
            )
            .service(web::resource("/admin/users").route(get_or_head().to(admin_users)))
            .service(
                web::resource("/admin/users/{id}")
                    .route(get_or_head().to(admin_get_user))
                    .route(web::patch().to(admin_patch_user)),
            )
            .service(
                web::resource("/admin/users/{id}/sessions")
                    .route(get_or_head().to(admin_user_sessions))
                    .route(web::delete().to(admin_end_user_sessions)),
            )
            .service(
                web::resource("/admin/users/{id}/mfa")
                    .route(web::delete().to(admin_reset_second_factors)),
            )
            .service(web::resource("/admin/tasks").route(get_or_head().to(admin_tasks)))
            .wrap(from_fn(request_timeout))
            .wrap(Condition::new(cors.0, cors.1))
            .wrap(from_fn(api_errors))
            .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
            .wrap(TracingLogger::<RequestSpan>::new())
            .wrap(
                RequestIdentifier::with_uuid()
                    .header(REQUEST_ID_HEADER)
                    .use_incoming_id(IdReuse::UseIncoming),
            )
            .wrap(from_fn(refused_connections))
    }

    /// CORS for the configured origins (unused when there are none).
    fn cors(&self) -> Cors {
        let cors = self.cors_origins.iter().fold(Cors::default(), |c, o| c.allowed_origin(o));
        cors.allowed_methods(CorsPolicy::METHODS)
            .allowed_headers(CorsPolicy::ALLOW_HEADERS)
            .expose_headers(CorsPolicy::EXPOSE_HEADERS)
            .max_age(usize::try_from(CorsPolicy::MAX_AGE.as_secs()).unwrap_or(usize::MAX))
            .block_on_origin_mismatch(false)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains open requests.
///
/// # Errors
/// [`StartupError`] when the app cannot be built or the server fails.
pub async fn serve_until(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let door = app.config.front_door();
    let factory = AppFactory::new(app)?;
    let io = |e: std::io::Error| StartupError::Other(format!("server: {e}"));
    let listener = listener.into_std().map_err(io)?;
    listener.set_nonblocking(true).map_err(io)?;
    let connections = Connections::new(door.max_connections);
    let server = HttpServer::new(move || factory.clone().build())
        // The front door: a request head that trickles in is cut off by actix itself
        // (bodies by the `request_timeout` middleware), an idle connection closed, and a
        // connection over the cap answered 503 and closed in `on_connect`. (actix's own
        // `max_connections` is per worker and queues the excess: its default, far above,
        // leaves the cap to the shared count.)
        .client_request_timeout(door.header_read_timeout)
        .keep_alive(door.keep_alive_timeout)
        .on_connect(move |connection, extensions| {
            let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
                tracing::error!("a connection that is not TCP is not counted");
                return;
            };
            match connections.admit() {
                // Kept with the connection, and given back when it closes.
                Some(slot) => {
                    extensions.insert(slot);
                }
                None => {
                    connections.refuse(stream);
                    // What the socket had already received is still read: marked, so that
                    // no request of it reaches the app.
                    extensions.insert(Refused);
                }
            }
        })
        .disable_signals()
        // Drain open connections for at most DRAIN_TIMEOUT after the signal (actix waits
        // 30 s by default, idle keep-alive connections included).
        .shutdown_timeout(shutdown::DRAIN_TIMEOUT.as_secs());
    let served = shutdown::drain_bounded(shutdown, |drain| {
        // The builder is not `Send`: it is consumed here, outside the future.
        let running = server.shutdown_signal(drain).listen(listener).map(|s| s.run());
        async move { running?.await }
    });
    match served.await {
        Some(result) => result.map_err(io),
        None => Ok(()),
    }
}

/// Serves `app` on `listener` until SIGINT or SIGTERM.
///
/// # Errors
/// As [`serve_until`].
pub async fn serve(app: App, listener: TcpListener) -> Result<(), StartupError> {
    serve_until(app, listener, shutdown::signal()).await
}

/// The request's span, with the fields of the axum binary's (`method`, the path without
/// its query string, which could carry a secret, and `request_id`), and the events
/// tower-http's `TraceLayer` logs: the start, then the finish with the latency and status,
/// or an error for a 5xx.
pub struct RequestSpan;

/// When the request began, for the latency of its finish event.
struct Started(Instant);

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
        let id = req.extensions().get::<RequestId>().map(|id| id.header_value().clone());
        let id = id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
        req.extensions_mut().insert(Started(Instant::now()));
        let span = tracing::info_span!(
            "request",
            method = %req.method(),
            path = %req.path(),
            request_id = %id,
        );
        span.in_scope(|| tracing::debug!("started processing request"));
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _entered = span.enter();
        // An error (the 408) comes without its request, so without its start time.
        let (status, started) = match outcome {
            Ok(res) => (res.status(), res.request().extensions().get::<Started>().map(|s| s.0)),
            Err(e) => (e.as_response_error().status_code(), None),
        };
        let latency =
            started.map_or_else(|| "-".to_owned(), |s| format!("{} ms", s.elapsed().as_millis()));
        if status.is_server_error() {
            let classification = format!("Status code: {status}");
            tracing::error!(%classification, %latency, "response failed");
        } else {
            tracing::debug!(%latency, status = status.as_u16(), "finished processing request");
        }
    }
}

/// A connection refused over the cap (see `serve_until`).
#[derive(Debug, Clone, Copy)]
struct Refused;

/// The outermost middleware: a request on a refused connection gets `503 overloaded` and
/// never reaches the app.
async fn refused_connections(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.conn_data::<Refused>().is_some() {
        use actix_web::ResponseError;
        let retry_after = std::time::Duration::from_secs(1);
        let busy = ApiError::from(auth_core::AuthError::Overloaded { retry_after });
        return Err(
            InternalError::from_response("over MAX_CONNECTIONS", busy.error_response()).into()
        );
    }
    next.call(req).await
}

/// 408 when a request (its body included) takes longer than the configured timeout. The
/// answer is an error, which the middleware outside this one passes by: it carries the
/// request id and `nosniff` itself.
async fn request_timeout(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let limit = req.app_data::<Data<App>>().map(|app| app.config.request_timeout());
    let id = req.extensions().get::<RequestId>().map(|id| id.header_value().clone());
    let call = next.call(req);
    let Some(limit) = limit else { return call.await };
    match tokio::time::timeout(limit, call).await {
        Ok(done) => done,
        Err(_) => {
            let mut res = HttpResponse::RequestTimeout();
            if let Some(id) = id {
                res.insert_header((REQUEST_ID_HEADER, id));
            }
            res.insert_header((
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ));
            Err(InternalError::from_response("request timed out", res.finish()).into())
        }
    }
}

async fn health(app: Data<App>) -> HttpResponse {
    let (status, body) = app.health().await;
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE))
        .json(body)
}

async fn openapi_json(app: Data<App>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(app.openapi_json().to_owned())
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, "/docs/")).finish()
}

async fn docs_file(ApiPath(file): ApiPath<String>) -> Result<HttpResponse, ApiError> {
    match docs::swagger_file(&file) {
        Some((content_type, bytes)) => {
            Ok(HttpResponse::Ok().content_type(content_type).body(bytes.into_owned()))
        }
        None => Err(auth_core::AuthError::NotFound.into()),
    }
}

async fn list_tasks(
    app: Data<App>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(app.tasks.list_own(&user, q.page()?).await?))
}

async fn create_task(
    app: Data<App>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<HttpResponse, ApiError> {
    let task = app.tasks.create(&user, body).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, task.location())).json(task))
}

async fn get_task(
    app: Data<App>,
    CurrentUser(user): CurrentUser,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(app.tasks.get(&user, id).await?))
}

async fn update_task(
    app: Data<App>,
    CurrentUser(user): CurrentUser,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(patch): ApiJson<UpdateTask>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(app.tasks.update(&user, id, patch).await?))
}

async fn delete_task(
    app: Data<App>,
    CurrentUser(user): CurrentUser,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<HttpResponse, ApiError> {
    app.tasks.delete(&user, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn admin_users(
    app: Data<App>,
    admin: Admin,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(app.list_users(&admin, q.page()?).await?))
}

async fn admin_get_user(
    app: Data<App>,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(app.auth.get_user(&admin, UserId::new(id)).await?))
}

async fn admin_patch_user(
    app: Data<App>,
    Client(ctx): Client,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<UserPatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_patch()?;
    Ok(HttpResponse::Ok().json(app.auth.update_user(&admin, UserId::new(id), patch, &ctx).await?))
}

async fn admin_user_sessions(
    app: Data<App>,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<HttpResponse, ApiError> {
    let sessions = app.auth.user_sessions(&admin, UserId::new(id)).await?;
    let mut res = HttpResponse::Ok();
    for h in no_store() {
        res.insert_header(h);
    }
    Ok(res.json(sessions))
}

async fn admin_end_user_sessions(
    app: Data<App>,
    Client(ctx): Client,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<HttpResponse, ApiError> {
    app.auth.end_user_sessions(&admin, UserId::new(id), &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn admin_reset_second_factors(
    app: Data<App>,
    Client(ctx): Client,
    admin: Admin,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<HttpResponse, ApiError> {
    app.auth.reset_second_factors(&admin, UserId::new(id), &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn admin_tasks(
    app: Data<App>,
    Require(reader): Require<ReadAllTasks>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(app.tasks.list_all(&reader, q.page()?).await?))
}
