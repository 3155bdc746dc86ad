//! Which proxies' `X-Forwarded-For` is believed, and the client IP that follows from it.

use std::{net::IpAddr, sync::Arc};

use crate::{AuthError, Result};

/// The proxies whose `X-Forwarded-For` is believed (cheap to clone: extractors take it on
/// every request). Empty by default: the client IP is the socket's peer address, and
/// `X-Forwarded-For` is ignored (anyone can send it).
///
/// ```
/// use auth_core::http::TrustedProxies;
/// let trusted: TrustedProxies = "10.0.0.0/8, 127.0.0.1".parse()?;
/// let peer = "10.1.2.3".parse().unwrap();
/// assert_eq!(trusted.client_ip(peer, Some("198.51.100.7, 10.9.9.9")), "198.51.100.7".parse::<std::net::IpAddr>().unwrap());
/// // An untrusted peer's header is ignored.
/// let stranger = "203.0.113.1".parse().unwrap();
/// assert_eq!(trusted.client_ip(stranger, Some("1.2.3.4")), stranger);
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Arc<[ipnet::IpNet]>);

impl TrustedProxies {
    /// No trusted proxies.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether none are configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's IP: the peer address, unless the peer is a trusted proxy, in which
    /// case the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, x_forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let Some(xff) = x_forwarded_for else { return peer };
        let mut client = peer;
        for hop in xff.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

impl std::str::FromStr for TrustedProxies {
    type Err = AuthError;

    /// A comma-separated list of addresses and CIDR ranges.
    fn from_str(s: &str) -> Result<Self> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        AuthError::Config(format!("not an IP address or CIDR range: {p:?}"))
                    })
            })
            .collect::<Result<Vec<_>>>()
            .map(|nets| Self(nets.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let none = TrustedProxies::none();
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(none.client_ip(peer, Some("1.2.3.4")), peer);
        let t: TrustedProxies = "10.0.0.0/8,::1".parse().unwrap();
        assert_eq!(
            t.client_ip(peer, Some("1.2.3.4, 10.0.0.9")),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        // A client cannot push a forged entry past the first untrusted hop.
        assert_eq!(
            t.client_ip(peer, Some("6.6.6.6, 1.2.3.4")),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(t.client_ip(peer, Some("garbage")), peer);
        assert_eq!(t.client_ip(peer, None), peer);
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }
}
