//! A resource server's copy of an issuer's public keys: [`RemoteKeySet`] fetches the
//! issuer's JWKS, keeps it as long as `Cache-Control` says (within bounds), and verifies
//! access tokens with the same rules as the issuer.

mod builder;
mod fetch;

pub use builder::RemoteKeySetBuilder;

use std::{
    fmt,
    future::Future,
    sync::{Arc, Mutex as StdMutex, RwLock},
    time::Duration,
};

use time::OffsetDateTime;
use tokio::sync::Mutex;

use crate::{
    AccessClaims, AuthError, Clock, Result, TokenRejection,
    token::{Kidless, Verifier, check_published_shape, header_kid},
};

/// The public keys of an issuer, fetched from its JWKS URL, for a service that verifies
/// access tokens without the issuer's secret or store (a resource server).
///
/// - **Same rules as the issuer**: the `at+jwt` type, `iss`, `aud`, `exp`/`nbf` with the
///   leeway, the algorithm pinned to the key the `kid` names (EdDSA, ES256 or RS256; HMAC
///   keys are never published, so HS256 tokens are refused), no `crit`, nothing fetched
///   from a header. Tokens that verified are cached by digest, as on the issuer.
/// - **Cached**: the set stays fresh for the `max-age` of the answer's `Cache-Control`
///   (5 minutes without one), held between a floor and a ceiling (1 minute and 1 hour by
///   default). A stale set goes on verifying while a new one is fetched in the background.
/// - **New keys**: a token whose `kid` is not in the set triggers a fetch, at most once per
///   refetch interval (30 seconds by default) whatever the tokens say, so forged `kid`s
///   cannot make it hammer the issuer.
/// - **Issuer down**: the last set that was fetched keeps serving, for at most a day past its
///   freshness ([`RemoteKeySetBuilder::max_stale`]); without a usable set, verification
///   fails with [`AuthError::KeysUnavailable`] (HTTP 503). An answer without a usable key
///   never replaces a set that has some.
/// - **Before any key**: a token that cannot be the issuer's (malformed, another `typ`,
///   HS256 or another algorithm no published key has) is refused without a fetch. A token
///   without a `kid` verifies only while the set holds one key.
/// - **Transport**: `https://`, or `http://` to a loopback host (never through a proxy);
///   anything else needs [`RemoteKeySetBuilder::allow_insecure_http`]. No redirects,
///   5-second timeout, 64 KiB cap. A fetch runs in a task of its own, so a request that goes
///   away does not cancel it. Private or secret members in a published key are refused.
///
/// Clones share the keys and the cache.
///
/// ```no_run
/// use auth_core::RemoteKeySet;
/// # async fn run(token: &str) -> auth_core::Result<()> {
/// let keys = RemoteKeySet::builder(
///     "https://auth.example.com/.well-known/jwks.json",
///     "https://auth.example.com",
///     "task-api",
/// )
/// .build()?;
/// keys.refresh().await?; // optional: fetch at start instead of at the first request
/// let claims = keys.verify(token).await?;
/// println!("{} ({})", claims.username, claims.role);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemoteKeySet {
    inner: Arc<Inner>,
}

struct Inner {
    url: reqwest::Url,
    /// The URL without its query, for logs and `Debug`.
    shown_url: String,
    issuer: String,
    audience: String,
    leeway: Duration,
    min_cache: Duration,
    max_cache: Duration,
    max_stale: Duration,
    refetch_interval: Duration,
    verified_token_cache: usize,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    /// The last set fetched.
    current: RwLock<Option<Arc<Fetched>>>,
    /// When the last fetch began, readable while a fetch is under way.
    last_attempt: StdMutex<Option<OffsetDateTime>>,
    /// Held while fetching: one fetch at a time.
    fetching: Arc<Mutex<()>>,
}

struct Fetched {
    verifier: Verifier,
    fetched_at: OffsetDateTime,
    fresh_until: OffsetDateTime,
}

impl Fetched {
    /// Fresh at `now` (not if the clock went back past the fetch).
    fn is_fresh(&self, now: OffsetDateTime) -> bool {
        self.fetched_at <= now && now < self.fresh_until
    }
}

/// Why a fetch is wanted, and what makes it unnecessary once the lock is ours.
enum Need {
    /// A fresh set.
    Fresh,
    /// A set with this key id.
    Kid(String),
}

/// How long a set stays fresh when the issuer sends no `Cache-Control`.
const DEFAULT_CACHE: Duration = Duration::from_secs(300);

impl RemoteKeySet {
    /// A key set fetched from `jwks_url`, verifying tokens for `issuer` and `audience`
    /// (the issuer's `JWT_ISSUER` and `JWT_AUDIENCE`).
    pub fn builder(
        jwks_url: impl Into<String>,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> RemoteKeySetBuilder {
        RemoteKeySetBuilder::new(jwks_url.into(), issuer.into(), audience.into())
    }

    /// Verifies an access token and returns its claims. Fetches the key set when there is
    /// none yet, or when the token names a key the set does not hold (at most once per
    /// refetch interval). A token that cannot be one of the issuer's (malformed, another
    /// type, HS256 or another algorithm this crate does not verify) is refused before any
    /// key is needed.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] with the reason; [`AuthError::KeysUnavailable`] when no
    /// usable key set could be fetched (none yet, or the last is older than the staleness
    /// bound), or when the issuer could not be reached for a token naming a new key.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims> {
        check_published_shape(token).map_err(AuthError::InvalidToken)?;
        let inner = &self.inner;
        let now = inner.clock.now();
        let fetched = match inner.usable(now) {
            Some(fetched) if fetched.is_fresh(now) => fetched,
            Some(stale) => {
                self.refresh_in_background(now);
                stale
            }
            None => self.fetch_for(Need::Fresh, now).await?,
        };
        let verified = fetched.verifier.verify(token, now.unix_timestamp());
        let Err(TokenRejection::UnknownKey) = verified else {
            return verified.map_err(AuthError::InvalidToken);
        };
        let unknown = || AuthError::InvalidToken(TokenRejection::UnknownKey);
        let Some(kid) = header_kid(token).filter(|kid| !fetched.verifier.has_kid(kid)) else {
            return Err(unknown());
        };
        let newer = self.fetch_for(Need::Kid(kid.clone()), now).await?;
        if !newer.verifier.has_kid(&kid) {
            return Err(unknown());
        }
        newer.verifier.verify(token, now.unix_timestamp()).map_err(AuthError::InvalidToken)
    }

    /// Fetches the key set now, whatever the cache says, and returns how many usable keys it
    /// holds. Call it at start to have keys before the first request (a failure is not
    /// fatal: [`verify`](Self::verify) fetches again).
    ///
    /// # Errors
    /// [`AuthError::KeysUnavailable`] when the fetch failed (the cause is logged).
    pub async fn refresh(&self) -> Result<usize> {
        let inner = self.inner.clone();
        let fetched = run_apart(async move {
            let _fetching = inner.fetching.lock().await;
            inner.fetch(inner.clock.now()).await
        })
        .await?;
        Ok(fetched.verifier.kids().count())
    }

    /// The key ids of the set fetched last (empty before the first fetch).
    pub fn key_ids(&self) -> Vec<String> {
        self.inner
            .snapshot()
            .map(|f| f.verifier.kids().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The JWKS URL.
    pub fn url(&self) -> &str {
        self.inner.url.as_str()
    }

    /// Starts a fetch in the background if none is running and one is due.
    fn refresh_in_background(&self, now: OffsetDateTime) {
        if !self.inner.due(now) {
            return;
        }
        let Ok(fetching) = self.inner.fetching.clone().try_lock_owned() else {
            return; // a fetch is under way
        };
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let _fetching = fetching;
            let _ = inner.fetch(inner.clock.now()).await;
        });
    }

    /// The set to use for `need`: fetched now if a fetch is due, else the current one (after
    /// the fetch under way, if any).
    async fn fetch_for(&self, need: Need, now: OffsetDateTime) -> Result<Arc<Fetched>> {
        let inner = &self.inner;
        if !inner.due(now) {
            if inner.fetching.try_lock().is_err() {
                let _done = inner.fetching.lock().await; // a fetch is under way: wait for it
            }
            let now = inner.clock.now();
            return inner
                .usable(now)
                .ok_or(AuthError::KeysUnavailable { retry_after: inner.retry_after(now) });
        }
        let inner = inner.clone();
        run_apart(async move { inner.fetch_unless_done(need).await }).await
    }
}

/// Runs a fetch in a task of its own: a caller that goes away (a client that disconnects, a
/// timeout) does not cancel it half-way, which would spend the refetch interval for nothing.
async fn run_apart(
    fetch: impl Future<Output = Result<Arc<Fetched>>> + Send + 'static,
) -> Result<Arc<Fetched>> {
    tokio::spawn(fetch).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "fetching the issuer's key set failed");
        Err(AuthError::KeysUnavailable { retry_after: Duration::from_secs(1) })
    })
}

impl Inner {
    fn snapshot(&self) -> Option<Arc<Fetched>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The current set, unless it has been stale for longer than `max_stale`.
    fn usable(&self, now: OffsetDateTime) -> Option<Arc<Fetched>> {
        self.snapshot().filter(|f| now < f.fresh_until + self.max_stale)
    }

    fn last_attempt(&self) -> Option<OffsetDateTime> {
        *self.last_attempt.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a fetch may begin at `now`: a refetch interval after the last one began (or
    /// at once if the clock went back).
    fn due(&self, now: OffsetDateTime) -> bool {
        self.last_attempt().is_none_or(|last| now < last || now >= last + self.refetch_interval)
    }

    /// How long until a fetch is due, at most the refetch interval.
    fn retry_after(&self, now: OffsetDateTime) -> Duration {
        let wait = self
            .last_attempt()
            .map_or(time::Duration::ZERO, |last| last + self.refetch_interval - now);
        Duration::try_from(wait).unwrap_or_default().min(self.refetch_interval)
    }

    /// Fetches for `need`, unless a fetch that ran while we waited for the lock met it, or
    /// none is due. Answers the set to use.
    async fn fetch_unless_done(&self, need: Need) -> Result<Arc<Fetched>> {
        let _fetching = self.fetching.lock().await;
        let now = self.clock.now();
        if let Some(current) = self.usable(now) {
            let met = match &need {
                Need::Fresh => current.is_fresh(now),
                Need::Kid(kid) => current.verifier.has_kid(kid),
            };
            if met || !self.due(now) {
                return Ok(current);
            }
        } else if !self.due(now) {
            return Err(AuthError::KeysUnavailable { retry_after: self.retry_after(now) });
        }
        self.fetch(now).await
    }

    /// Fetches now and keeps the set it brought. The caller holds `fetching`.
    async fn fetch(&self, began: OffsetDateTime) -> Result<Arc<Fetched>> {
        *self.last_attempt.lock().unwrap_or_else(|p| p.into_inner()) = Some(began);
        let failed = |error: &dyn fmt::Display| {
            tracing::warn!(
                url = %self.shown_url, error = %error,
                serving_cached_keys = self.usable(self.clock.now()).is_some(),
                "could not fetch the issuer's key set"
            );
            AuthError::KeysUnavailable { retry_after: self.refetch_interval }
        };
        let document = match fetch::fetch(&self.client, &self.url).await {
            Ok(document) => document,
            Err(error) => return Err(failed(&error)),
        };
        if document.keys.is_empty()
            && self.snapshot().is_some_and(|f| f.verifier.kids().count() > 0)
        {
            // A bad deploy, a proxy's page: keep the keys that worked rather than refuse all.
            return Err(failed(&"the key set holds no usable key; keeping the previous one"));
        }
        let fresh_for =
            document.max_age.unwrap_or(DEFAULT_CACHE).clamp(self.min_cache, self.max_cache);
        let verifier = Verifier::new(
            document.keys,
            Kidless::OnlyKey,
            &self.issuer,
            &self.audience,
            self.leeway,
            self.verified_token_cache,
        );
        let kids: Vec<&str> = verifier.kids().collect();
        if kids.is_empty() {
            tracing::error!(
                url = %self.shown_url,
                "the issuer publishes no key this crate verifies with (an HS256 issuer \
                 publishes none): every token is refused"
            );
        } else {
            tracing::info!(
                url = %self.shown_url, kids = ?kids, skipped = document.skipped,
                fresh_for_secs = fresh_for.as_secs(), "fetched the issuer's key set"
            );
        }
        let fetched =
            Arc::new(Fetched { verifier, fetched_at: began, fresh_until: began + fresh_for });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(fetched.clone());
        Ok(fetched)
    }
}

impl fmt::Debug for RemoteKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeySet")
            .field("url", &self.inner.shown_url)
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("kids", &self.key_ids())
            .finish()
    }
}

#[cfg(test)]
mod tests;
