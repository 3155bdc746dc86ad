//! [`AuthState`]: what the extractors and the `/auth` routes of both framework crates need.

use std::{net::IpAddr, sync::Arc};

use super::TrustedProxies;
use crate::{Auth, PublicUrl, RequestContext};

/// What the extractors and the `/auth` routes need from an application: the [`Auth`]
/// service, the proxies whose `X-Forwarded-For` is trusted, and where the application serves
/// a user by id (the `Location` of a registration, [`with_users_path`](Self::with_users_path)).
/// Cheap to clone.
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
    /// Where the application serves a user by id, validated: see [`Self::with_users_path`].
    users_path: Option<Arc<str>>,
    /// The service's public address, for discovery documents: see [`Self::with_public_url`].
    public_url: Option<PublicUrl>,
}

impl AuthState {
    /// State for `auth` with no trusted proxies.
    pub fn new(auth: Auth) -> Self {
        Self { auth, trusted_proxies: TrustedProxies::none(), users_path: None, public_url: None }
    }

    /// Trusts `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Gives registrations a `Location` of `{path}/{id}`, where the application serves a
    /// user by id (the task service: `/admin/users`). Without it a registration has no
    /// `Location`: the `/auth` routes do not serve users by id themselves. Trailing slashes
    /// are dropped (`"/"` gives `/{id}`).
    ///
    /// # Panics
    /// When `path` is not an absolute path of plain URL characters: it must start with one
    /// `/` (not `//`, which a client reads as another host), and hold only letters, digits
    /// and `/-._~!$&'()*+,;=:@` (no query, fragment, percent sign, space or control
    /// character). It is the application's own constant, like a route path.
    pub fn with_users_path(mut self, path: &str) -> Self {
        let plain = |c: char| c.is_ascii_alphanumeric() || "/-._~!$&'()*+,;=:@".contains(c);
        assert!(
            path.starts_with('/') && !path.starts_with("//") && path.chars().all(plain),
            "users path {path:?}: an absolute path of plain URL characters, like /admin/users"
        );
        self.users_path = Some(path.trim_end_matches('/').into());
        self
    }

    /// The service's public address, which the RFC 8414 metadata
    /// ([`metadata`](super::metadata)) names its endpoints under; without it that document
    /// is a 404.
    pub fn with_public_url(mut self, url: PublicUrl) -> Self {
        self.public_url = Some(url);
        self
    }

    /// The public address, if given ([`Self::with_public_url`]).
    pub fn public_url(&self) -> Option<&PublicUrl> {
        self.public_url.as_ref()
    }

    /// Where the application serves a user by id, if it said ([`Self::with_users_path`]),
    /// without a trailing slash: `""` when it said `"/"`, so that `{path}/{id}` is right.
    pub fn users_path(&self) -> Option<&str> {
        self.users_path.as_deref()
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::AuthState;
    use crate::{Auth, AuthConfig, KeySet, MemoryStore, SigningKey};

    fn state() -> AuthState {
        let keys =
            KeySet::new(SigningKey::hs256(b"a secret of at least thirty-two bytes").unwrap());
        AuthState::new(Auth::new(
            AuthConfig::builder(keys).build().unwrap(),
            Arc::new(MemoryStore::new()),
        ))
    }

    #[test]
    fn users_path_is_trimmed() {
        assert_eq!(state().users_path(), None);
        assert_eq!(state().with_users_path("/admin/users/").users_path(), Some("/admin/users"));
        assert_eq!(state().with_users_path("/").users_path(), Some(""));
    }

    #[test]
    fn users_path_must_be_a_plain_absolute_path() {
        let base = state();
        for good in ["/v1/users:lookup", "/~a/b-c_d.e", "/admin/users"] {
            assert!(base.clone().with_users_path(good).users_path().is_some(), "{good:?}");
        }
        for bad in [
            "",
            "admin/users",
            "//evil.example/users",
            "/x?y",
            "/x#y",
            "/a b",
            "/a\r\nb",
            "/%2e",
            "/é",
        ] {
            let s = base.clone();
            let r =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.with_users_path(bad)));
            let message = r.err().unwrap_or_else(|| panic!("{bad:?} was accepted"));
            let message = message.downcast_ref::<String>().map(String::as_str).unwrap_or("");
            assert!(message.contains("users path"), "{bad:?}: {message}");
        }
    }
}
