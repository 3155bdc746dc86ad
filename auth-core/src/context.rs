//! What a request knows about its client, for audit events and sessions.

use std::net::IpAddr;

/// The client of a request: IP address and user agent. Framework crates fill it in.
///
/// ```
/// use auth_core::RequestContext;
/// let ctx = RequestContext::new(Some("203.0.113.9".parse().unwrap()), Some("curl/8.5"));
/// assert_eq!(ctx.user_agent(), Some("curl/8.5"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    ip: Option<IpAddr>,
    user_agent: Option<String>,
}

impl RequestContext {
    /// The longest user agent kept, in characters.
    pub const MAX_USER_AGENT_CHARS: usize = 256;

    /// A context; the user agent is cut to 256 characters with control characters removed.
    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        let user_agent = user_agent.map(|ua| {
            ua.chars().filter(|c| !c.is_control()).take(Self::MAX_USER_AGENT_CHARS).collect()
        });
        Self { ip, user_agent }
    }

    /// A context for work that no client asked for (startup, CLI).
    pub fn internal() -> Self {
        Self::default()
    }

    /// The client IP, if known.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The client user agent, if sent.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    pub(crate) fn ip_string(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_is_bounded_and_single_line() {
        let ctx =
            RequestContext::new(None, Some(&format!("evil\r\nfake: line{}", "x".repeat(1000))));
        let ua = ctx.user_agent().unwrap();
        assert!(!ua.contains('\n') && !ua.contains('\r'));
        assert_eq!(ua.chars().count(), 256);
    }
}
