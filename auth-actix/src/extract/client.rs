use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};
use auth_core::{RequestContext, http::ErrorResponse};

use super::{ExtractorFuture, auth_state, in_argument_order};
use crate::ApiError;

/// The client of a request, for audit events and sessions: its IP (the socket's peer, or
/// from `X-Forwarded-For` when the peer is a trusted proxy) and user agent.
///
/// A request without a peer address (one built by hand in a test without
/// `TestRequest::peer_addr`) fails with a 500 and a log line saying what is missing.
#[derive(Debug, Clone)]
pub struct Client(pub RequestContext);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move {
            let state = auth_state(&req)?;
            let Some(peer) = req.peer_addr() else {
                tracing::error!(
                    "the request has no peer address: serve the app with HttpServer \
                 (or set TestRequest::peer_addr in tests)"
                );
                return Err(ErrorResponse::internal().into());
            };
            let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
            let user_agent = header(header::USER_AGENT.as_str());
            Ok(Self(state.client(peer.ip(), header("x-forwarded-for"), user_agent)))
        })
    }
}
