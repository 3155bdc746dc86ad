//! [`AuthorizeLayer`]: route-level middleware that lets a request through only for a user
//! who meets a [`Requirement`].

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use auth_core::{Policy, Requirement, http::AuthState};
use axum::{
    extract::{FromRequestParts, Request},
    response::{IntoResponse, Response},
};
use tower::{Layer, Service};

use crate::{ApiError, CurrentUser};

/// Middleware for `route_layer` that runs [`Auth::authorize`](auth_core::Auth::authorize)
/// before the handler: 401 without a valid token, 403 (`forbidden`, `insufficient_scope`)
/// when the user does not meet the requirement; otherwise the handler runs, and a
/// [`CurrentUser`] it extracts reuses the lookup. The requirement is a value, so it can be
/// built at run time; for one named by a type, [`Require`](crate::Require) does the same as
/// an extractor.
///
/// ```
/// use auth_axum::AuthorizeLayer;
/// use auth_core::{Permission, Requirement, Role, http::AuthState};
/// use axum::{Router, routing::{get, post}};
///
/// fn notes(state: AuthState) -> Result<Router<AuthState>, auth_core::AuthError> {
///     let write = Requirement::any_of([
///         Role::new("editor")?.into(),
///         Permission::new("notes:write")?.into(),
///     ]);
///     Ok(Router::new()
///         .route("/notes", post(|| async { "created" }))
///         .route_layer(AuthorizeLayer::new(state, write))
///         .route("/notes", get(|| async { "anyone may read" })))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizeLayer {
    state: AuthState,
    requirement: Arc<Requirement>,
}

impl AuthorizeLayer {
    /// Middleware that requires `requirement`, checked with `state`'s [`Auth`](auth_core::Auth).
    pub fn new(state: AuthState, requirement: impl Into<Requirement>) -> Self {
        Self { state, requirement: Arc::new(requirement.into()) }
    }

    /// Middleware that requires what the policy `P` names.
    pub fn policy<P: Policy>(state: AuthState) -> Self {
        Self::new(state, P::requirement())
    }
}

impl<S> Layer<S> for AuthorizeLayer {
    type Service = Authorize<S>;

    fn layer(&self, inner: S) -> Authorize<S> {
        Authorize { inner, state: self.state.clone(), requirement: self.requirement.clone() }
    }
}

/// The service [`AuthorizeLayer`] wraps around a route.
#[derive(Debug, Clone)]
pub struct Authorize<S> {
    inner: S,
    state: AuthState,
    requirement: Arc<Requirement>,
}

impl<S> Service<Request> for Authorize<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The clone that was polled ready handles this request; the fresh one waits its turn.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let (state, requirement) = (self.state.clone(), self.requirement.clone());
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let checked = async {
                let CurrentUser(user) = CurrentUser::from_request_parts(&mut parts, &state).await?;
                Ok::<_, ApiError>(state.auth.authorize(&user, &requirement)?)
            };
            match checked.await {
                Ok(()) => inner.call(Request::from_parts(parts, body)).await,
                Err(refused) => Ok(refused.into_response()),
            }
        })
    }
}
