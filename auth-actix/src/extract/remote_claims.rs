use actix_web::{FromRequest, HttpRequest, dev::Payload, web::Data};
use auth_core::{AccessClaims, RemoteKeySet, http::ErrorResponse, http::require_bearer};

use super::{ExtractorFuture, authorization, in_argument_order};
use crate::ApiError;

/// The verified claims of the request's access token, checked against an issuer's
/// published keys ([`RemoteKeySet`]): the extractor of a resource server, which has neither
/// the issuer's secret nor its store. The app provides the key set as
/// `web::Data<RemoteKeySet>`.
///
/// Fails with 401 (`not_authenticated` without a bearer, `invalid_token` for a bad one), or
/// 503 `keys_unavailable` with `Retry-After` while no key set could be fetched yet. Like
/// [`Claims`](crate::Claims), it sees no revocation: a token stays good until it expires.
///
/// ```no_run
/// use actix_web::{App, HttpServer, middleware::from_fn, web};
/// use auth_actix::{RemoteClaims, api_errors};
/// use auth_core::RemoteKeySet;
///
/// async fn whoami(RemoteClaims(claims): RemoteClaims) -> String {
///     format!("{} ({})", claims.username, claims.role)
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let keys = web::Data::new(
///     RemoteKeySet::builder(
///         "https://auth.example.com/.well-known/jwks.json",
///         "https://auth.example.com",
///         "task-api",
///     )
///     .build()?,
/// );
/// HttpServer::new(move || {
///     App::new()
///         .app_data(keys.clone())
///         .wrap(from_fn(api_errors))
///         .route("/whoami", web::get().to(whoami))
/// })
/// .bind("127.0.0.1:8001")?
/// .run()
/// .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RemoteClaims(pub AccessClaims);

impl FromRequest for RemoteClaims {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move {
            let keys = req.app_data::<Data<RemoteKeySet>>().cloned().ok_or_else(|| {
                tracing::error!(
                    "web::Data<RemoteKeySet> is missing: register it with \
                     `App::new().app_data(web::Data::new(key_set))`"
                );
                ApiError::from(ErrorResponse::internal())
            })?;
            let token = require_bearer(authorization(&req))?;
            Ok(Self(keys.verify(token).await?))
        })
    }
}
