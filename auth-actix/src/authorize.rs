//! [`Authorize`]: middleware that lets a request through only for a user who meets a
//! [`Requirement`].

use std::{
    future::{Future, Ready, ready},
    pin::Pin,
    rc::Rc,
    sync::Arc,
};

use actix_web::{
    Error,
    body::EitherBody,
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
};
use auth_core::{Policy, Requirement};

use crate::{ApiError, CurrentUser, extract::auth_state};

/// Middleware for `wrap` (on a scope, a resource or the app) that runs
/// [`Auth::authorize`](auth_core::Auth::authorize) before the handler: 401 without a valid
/// token, 403 (`forbidden`, `insufficient_scope`) when the user does not meet the
/// requirement; otherwise the handler runs, and a [`CurrentUser`] it extracts reuses the
/// lookup. The requirement is a value, so it can be built at run time; for one named by a
/// type, [`Require`](crate::Require) does the same as an extractor.
///
/// ```
/// use auth_actix::Authorize;
/// use auth_core::{Permission, Requirement, Role};
/// use actix_web::{App, web};
///
/// # fn main() -> Result<(), auth_core::AuthError> {
/// let write = Requirement::any_of([
///     Role::new("editor")?.into(),
///     Permission::new("notes:write")?.into(),
/// ]);
/// let app = App::new().service(
///     web::scope("/notes")
///         .wrap(Authorize::new(write))
///         .route("", web::post().to(|| async { "created" })),
/// );
/// # let _ = app;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Authorize {
    requirement: Arc<Requirement>,
}

impl Authorize {
    /// Middleware that requires `requirement`.
    pub fn new(requirement: impl Into<Requirement>) -> Self {
        Self { requirement: Arc::new(requirement.into()) }
    }

    /// Middleware that requires what the policy `P` names.
    pub fn policy<P: Policy>() -> Self {
        Self::new(P::requirement())
    }
}

impl<S, B> Transform<S, ServiceRequest> for Authorize
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AuthorizeMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<AuthorizeMiddleware<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthorizeMiddleware {
            service: Rc::new(service),
            requirement: self.requirement.clone(),
        }))
    }
}

/// The service [`Authorize`] wraps around what it guards.
#[derive(Debug)]
pub struct AuthorizeMiddleware<S> {
    service: Rc<S>,
    requirement: Arc<Requirement>,
}

impl<S, B> Service<ServiceRequest> for AuthorizeMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let (service, requirement) = (self.service.clone(), self.requirement.clone());
        Box::pin(async move {
            let checked = async {
                let CurrentUser(user) = CurrentUser::resolve(req.request()).await?;
                let state = auth_state(req.request())?;
                Ok::<_, ApiError>(state.auth.authorize(&user, &requirement)?)
            };
            match checked.await {
                Ok(()) => Ok(service.call(req).await?.map_into_left_body()),
                Err(refused) => Ok(req.error_response(refused).map_into_right_body()),
            }
        })
    }
}
