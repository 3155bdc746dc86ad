//! The settings of a [`RemoteKeySet`], checked when it is built.

use std::{
    sync::{Arc, Mutex as StdMutex, RwLock},
    time::Duration,
};

use super::{Inner, RemoteKeySet};
use crate::{AuthConfig, AuthError, Clock, Result, SystemClock, public_url::is_loopback_host};

/// How a [`RemoteKeySet`] fetches, caches and verifies: see [`RemoteKeySet::builder`].
#[derive(Debug)]
pub struct RemoteKeySetBuilder {
    url: String,
    issuer: String,
    audience: String,
    leeway: Duration,
    min_cache: Duration,
    max_cache: Duration,
    max_stale: Duration,
    refetch_interval: Duration,
    fetch_timeout: Duration,
    verified_token_cache: usize,
    allow_insecure_http: bool,
    clock: Arc<dyn Clock>,
}

impl RemoteKeySetBuilder {
    pub(super) fn new(url: String, issuer: String, audience: String) -> Self {
        Self {
            url,
            issuer,
            audience,
            leeway: AuthConfig::DEFAULT_LEEWAY,
            min_cache: Duration::from_secs(60),
            max_cache: Duration::from_secs(3600),
            max_stale: Duration::from_secs(24 * 3600),
            refetch_interval: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(5),
            verified_token_cache: AuthConfig::DEFAULT_VERIFIED_TOKEN_CACHE,
            allow_insecure_http: false,
            clock: Arc::new(SystemClock),
        }
    }

    /// Clock-skew leeway for `exp` and `nbf` (30 seconds; at most 60).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The bounds on how long a fetched set stays fresh, whatever `Cache-Control` says
    /// (1 minute and 1 hour; the ceiling at most a day). The ceiling is how long a key the
    /// issuer withdrew can still verify here while the issuer answers.
    pub fn cache_bounds(mut self, floor: Duration, ceiling: Duration) -> Self {
        self.min_cache = floor;
        self.max_cache = ceiling;
        self
    }

    /// How long a set may serve past its freshness while the issuer cannot be reached
    /// (24 hours; at most 30 days). Past it, verification answers
    /// [`AuthError::KeysUnavailable`] rather than trust keys the issuer may have withdrawn.
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// The shortest time between two fetches that are not due to expiry: for an unknown
    /// `kid`, or again after a failure (30 seconds; 1 second to 1 hour).
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// The timeout of one fetch, connecting included (5 seconds; at most 60).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// How many verified tokens to remember per key set (4096; 0 turns the cache off).
    pub fn verified_token_cache(mut self, tokens: usize) -> Self {
        self.verified_token_cache = tokens;
        self
    }

    /// The clock that time checks and cache ages read (the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Allows fetching keys over plain `http://` from a host that is not a loopback
    /// address. Insecure: whoever sits on the path can serve their own keys and sign any
    /// token. Logged as a warning by [`build`](Self::build).
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_insecure_http = true;
        self
    }

    /// Checks the settings and makes the key set. Fetches nothing yet.
    ///
    /// # Errors
    /// [`AuthError::Config`] for a URL that does not parse, carries credentials or is plain
    /// HTTP to another host without [`allow_insecure_http`](Self::allow_insecure_http); an
    /// empty issuer or audience; a leeway above 60 seconds; a floor above the ceiling; a
    /// setting out of the bounds its method names.
    pub fn build(self) -> Result<RemoteKeySet> {
        let fail = |m: &str| Err(AuthError::Config(format!("remote key set: {m}")));
        let Ok(url) = reqwest::Url::parse(&self.url) else {
            return fail("the JWKS URL does not parse");
        };
        if !url.username().is_empty() || url.password().is_some() {
            return fail("the JWKS URL must not carry credentials");
        }
        match url.scheme() {
            "https" => {}
            "http" if url.host_str().is_some_and(is_loopback_host) => {}
            "http" if self.allow_insecure_http => tracing::warn!(
                url = %url,
                "allow_insecure_http: the issuer's keys are fetched over plain HTTP; \
                 anyone on the path can sign tokens this service accepts"
            ),
            "http" => {
                return fail("the JWKS URL must be https:// (or http:// to a loopback host)");
            }
            _ => return fail("the JWKS URL must be https://"),
        }
        if self.issuer.is_empty() || self.audience.is_empty() {
            return fail("the issuer and the audience must not be empty");
        }
        if self.leeway > AuthConfig::MAX_LEEWAY {
            return fail("the leeway must be at most 60 seconds");
        }
        if self.min_cache > self.max_cache {
            return fail("the cache floor must not be above its ceiling");
        }
        const DAY: Duration = Duration::from_secs(24 * 3600);
        if self.max_cache > DAY || self.max_stale > 30 * DAY {
            return fail("the cache ceiling must be at most a day, the staleness bound 30 days");
        }
        let second = Duration::from_secs(1);
        if !(second..=Duration::from_secs(3600)).contains(&self.refetch_interval) {
            return fail("the refetch interval must be 1 second to 1 hour");
        }
        if self.fetch_timeout.is_zero() || self.fetch_timeout > Duration::from_secs(60) {
            return fail("the fetch timeout must be above zero and at most 60 seconds");
        }
        let mut client = reqwest::Client::builder();
        if url.scheme() == "http" {
            // A proxy named by the environment would see the keys in the clear.
            client = client.no_proxy();
        }
        let client = client
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.fetch_timeout)
            .connect_timeout(self.fetch_timeout)
            .user_agent(concat!("auth-core/", env!("CARGO_PKG_VERSION"), " (remote key set)"))
            .build()
            .map_err(|e| AuthError::Config(format!("remote key set: no HTTP client ({e})")))?;
        Ok(RemoteKeySet {
            inner: Arc::new(Inner {
                shown_url: format!("{}{}", url.origin().ascii_serialization(), url.path()),
                url,
                issuer: self.issuer,
                audience: self.audience,
                leeway: self.leeway,
                min_cache: self.min_cache,
                max_cache: self.max_cache,
                max_stale: self.max_stale,
                refetch_interval: self.refetch_interval,
                verified_token_cache: self.verified_token_cache,
                client,
                clock: self.clock,
                current: RwLock::default(),
                last_attempt: StdMutex::default(),
                fetching: Arc::default(),
            }),
        })
    }
}
