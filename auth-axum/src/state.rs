use auth_core::{Auth, http::TrustedProxies};

/// What the extractors and the `/auth` router need from the application state: the [`Auth`]
/// service and the proxies whose `X-Forwarded-For` is trusted. Cheap to clone.
///
/// Put it in your state and implement `FromRef` (or use it as the state itself):
///
/// ```
/// use axum::extract::FromRef;
/// use auth_axum::AuthState;
///
/// #[derive(Clone)]
/// struct AppState {
///     auth: AuthState,
///     // … your own fields
/// }
///
/// impl FromRef<AppState> for AuthState {
///     fn from_ref(state: &AppState) -> Self {
///         state.auth.clone()
///     }
/// }
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
}
