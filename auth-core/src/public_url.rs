//! [`PublicUrl`]: the service's address as its users and other services reach it, which
//! mailed links and discovery documents start with.

use std::{fmt, sync::Arc};

use crate::AuthError;

/// The service's public address: `http://` or `https://`, a host, an optional path, no
/// user information, query or fragment, without a trailing `/`.
///
/// ```
/// use auth_core::PublicUrl;
///
/// assert_eq!(PublicUrl::parse("https://tasks.example/")?.as_str(), "https://tasks.example");
/// assert!(PublicUrl::parse("tasks.example").is_err());
/// assert!(PublicUrl::parse("https://tasks.example/?x=1").is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PublicUrl(Arc<str>);

impl PublicUrl {
    /// Checks and normalises a public URL.
    ///
    /// # Errors
    /// [`AuthError::Config`] for a URL of another form.
    pub fn parse(url: &str) -> Result<Self, AuthError> {
        let url = url.trim_end_matches('/');
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        let valid = rest.is_some_and(|r| {
            !r.is_empty()
                && !r.starts_with('/')
                && !r.chars().any(|c| matches!(c, '?' | '#') || c.is_whitespace() || c.is_control())
                // No `user:password@`: the URL is published.
                && !r.split('/').next().is_some_and(|authority| authority.contains('@'))
        });
        if !valid {
            return Err(AuthError::Config(
                "the public URL must be http:// or https:// with a host and no query or fragment"
                    .into(),
            ));
        }
        Ok(Self(url.into()))
    }

    /// The URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of `path` (which starts with `/`) on this service.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

impl fmt::Debug for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicUrl").field(&self.0).finish()
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a URL's host (as `url` writes it: IPv6 in brackets) is `localhost` or a
/// loopback address: where plain `http://` and `smtp://` are allowed.
#[cfg_attr(not(any(feature = "mail", feature = "remote-keys")), allow(dead_code))]
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let ip = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || ip.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_accepted_and_refused() {
        for (given, kept) in [
            ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
            ("https://a.example/base/", "https://a.example/base"),
        ] {
            assert_eq!(PublicUrl::parse(given).unwrap().as_str(), kept);
        }
        for bad in [
            "",
            "https://",
            "https:///x",
            "ftp://a",
            "https://a b",
            "https://a#f",
            "a",
            "https://u:p@a",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(PublicUrl::parse("https://a").unwrap().join("/x"), "https://a/x");
    }
}
