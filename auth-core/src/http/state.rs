//! [`AuthState`]: what the extractors and the `/auth` routes of both framework crates need.

use std::{net::IpAddr, sync::Arc};

use super::TrustedProxies;
use crate::{Auth, RequestContext};

/// What the extractors and the `/auth` routes need from an application: the [`Auth`]
/// service and the proxies whose `X-Forwarded-For` is trusted. Cheap to clone.
///
/// With axum it is the router's state, or a part of it through `FromRef`; with actix-web
/// it is registered as `web::Data<AuthState>`.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{Auth, AuthConfig, KeySet, MemoryStore, SigningKey, http::AuthState};
///
/// let keys = KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes")?);
/// let auth = Auth::new(AuthConfig::builder(keys).build()?, Arc::new(MemoryStore::new()));
/// let state = AuthState::new(auth).with_trusted_proxies("10.0.0.0/8".parse()?);
/// let ctx = state.client("10.0.0.2".parse().unwrap(), Some("198.51.100.7"), Some("curl/8.5"));
/// assert_eq!(ctx.ip(), Some("198.51.100.7".parse().unwrap()));
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuthState {
    /// The service.
    pub auth: Auth,
    /// Proxies whose `X-Forwarded-For` is believed. Defaults to none.
    pub trusted_proxies: TrustedProxies,
    /// Where the application serves a user by id, for the `Location` of a registration:
    /// `{users_path}/{id}`. Defaults to none (no `Location`): the `/auth` routes do not
    /// serve users by id themselves.
    pub users_path: Option<Arc<str>>,
}

impl AuthState {
    /// State for `auth` with no trusted proxies.
    pub fn new(auth: Auth) -> Self {
        Self { auth, trusted_proxies: TrustedProxies::none(), users_path: None }
    }

    /// Trusts `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Gives registrations a `Location` of `{path}/{id}`, where the application serves a
    /// user by id (the task service: `/admin/users`).
    pub fn with_users_path(mut self, path: &str) -> Self {
        self.users_path = Some(path.trim_end_matches('/').into());
        self
    }

    /// The client of a request from the socket's `peer` with these `X-Forwarded-For` and
    /// `User-Agent` headers: the forwarded address only when the peer is a trusted proxy.
    pub fn client(
        &self,
        peer: IpAddr,
        x_forwarded_for: Option<&str>,
        user_agent: Option<&str>,
    ) -> RequestContext {
        let ip = self.trusted_proxies.client_ip(peer, x_forwarded_for);
        RequestContext::new(Some(ip), user_agent)
    }
}
