use std::net::SocketAddr;

use auth_core::{
    RequestContext,
    http::{AuthState, ErrorResponse},
};
use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::{header, request::Parts},
};

use crate::ApiError;

/// The client of a request, for audit events and sessions: its IP (the socket's peer, or
/// from `X-Forwarded-For` when the peer is a trusted proxy) and user agent.
///
/// Needs the server to run with `into_make_service_with_connect_info::<SocketAddr>()`;
/// without it the extractor fails with a 500 and logs what is missing.
#[derive(Debug, Clone)]
pub struct Client(pub RequestContext);

impl<S> FromRequestParts<S> for Client
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            tracing::error!(
                "ConnectInfo<SocketAddr> is missing: serve the router with \
                 `into_make_service_with_connect_info::<SocketAddr>()`"
            );
            return Err(ErrorResponse::internal().into());
        };
        let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let state = AuthState::from_ref(state);
        Ok(Self(state.client(
            peer.ip(),
            header("x-forwarded-for"),
            header(header::USER_AGENT.as_str()),
        )))
    }
}
