use actix_web::{HttpRequest, web};
use auth_core::{
    Auth,
    http::{ErrorResponse, TrustedProxies},
};

use crate::ApiError;

/// What the extractors and the `/auth` routes need from the application: the [`Auth`]
/// service and the proxies whose `X-Forwarded-For` is trusted. Cheap to clone.
///
/// Register it as `web::Data` on the `App`; the extractors fail with a 500 (and log what is
/// missing) without it:
///
/// ```
/// # use std::sync::Arc;
/// # use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, SigningKey};
/// use actix_web::{App, web};
/// use auth_actix::AuthState;
///
/// # fn demo(auth: Auth) {
/// let state = web::Data::new(AuthState::new(auth));
/// let app = App::new().app_data(state);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AuthState {
    /// The service.
    pub auth: Auth,
    /// Proxies whose `X-Forwarded-For` is believed. Defaults to none.
    pub trusted_proxies: TrustedProxies,
}

impl AuthState {
    /// State for `auth` with no trusted proxies.
    pub fn new(auth: Auth) -> Self {
        Self { auth, trusted_proxies: TrustedProxies::none() }
    }

    /// Trusts `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The state registered on the app, or a 500 (logged) when there is none.
    pub(crate) fn of(req: &HttpRequest) -> Result<web::Data<AuthState>, ApiError> {
        req.app_data::<web::Data<AuthState>>().cloned().ok_or_else(|| {
            tracing::error!(
                "web::Data<AuthState> is missing: register it with \
                 `App::new().app_data(web::Data::new(AuthState::new(auth)))`"
            );
            ErrorResponse::internal().into()
        })
    }
}
