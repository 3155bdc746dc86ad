use auth_core::{AccessClaims, RemoteKeySet, http::require_bearer};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::ApiError;

/// The verified claims of the request's access token, checked against an issuer's
/// published keys ([`RemoteKeySet`]): the extractor of a resource server, which has neither
/// the issuer's secret nor its store. The state provides the key set (`RemoteKeySet:
/// FromRef<S>`; the key set itself can be the state).
///
/// Fails with 401 (`not_authenticated` without a bearer, `invalid_token` for a bad one), or
/// 503 `keys_unavailable` with `Retry-After` while no key set could be fetched yet. Like
/// [`Claims`](crate::Claims), it sees no revocation: a token stays good until it expires.
///
/// ```no_run
/// use auth_axum::{RemoteClaims, api_errors};
/// use auth_core::RemoteKeySet;
/// use axum::{Router, routing::get};
///
/// async fn whoami(RemoteClaims(claims): RemoteClaims) -> String {
///     format!("{} ({})", claims.username, claims.role)
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let keys = RemoteKeySet::builder(
///     "https://auth.example.com/.well-known/jwks.json",
///     "https://auth.example.com",
///     "task-api",
/// )
/// .build()?;
/// let app: Router = Router::new()
///     .route("/whoami", get(whoami))
///     .layer(api_errors())
///     .with_state(keys);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8001").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RemoteClaims(pub AccessClaims);

impl<S> FromRequestParts<S> for RemoteClaims
where
    RemoteKeySet: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = require_bearer(super::authorization(&parts.headers))?;
        Ok(Self(RemoteKeySet::from_ref(state).verify(token).await?))
    }
}
