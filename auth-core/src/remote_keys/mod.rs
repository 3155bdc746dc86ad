//! A resource server's copy of an issuer's public keys: [`RemoteKeySet`] fetches the
//! issuer's JWKS, keeps it as long as `Cache-Control` says (within bounds), and verifies
//! access tokens with the same rules as the issuer.

mod builder;
mod fetch;

pub use builder::RemoteKeySetBuilder;

use std::{
    fmt,
    sync::{Arc, RwLock},
    time::Duration,
};

use time::OffsetDateTime;
use tokio::sync::Mutex;

use crate::{
    AccessClaims, AuthError, Clock, Result, TokenRejection,
    token::{Kidless, Verifier, header_kid},
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
/// - **Issuer down**: the last set that was fetched keeps serving. Before any set was
///   fetched, verification fails with [`AuthError::KeysUnavailable`] (HTTP 503).
/// - **Transport**: `https://`, or `http://` to a loopback host; anything else needs
///   [`RemoteKeySetBuilder::allow_insecure_http`]. No redirects, 5-second timeout, 64 KiB cap.
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
    issuer: String,
    audience: String,
    leeway: Duration,
    min_cache: Duration,
    max_cache: Duration,
    refetch_interval: Duration,
    verified_token_cache: usize,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    /// The last set fetched.
    current: RwLock<Option<Arc<Fetched>>>,
    /// Held while fetching: one fetch at a time. Holds when the last one began.
    fetching: Arc<Mutex<Option<OffsetDateTime>>>,
}

struct Fetched {
    verifier: Verifier,
    fresh_until: OffsetDateTime,
}

/// Why a fetch is wanted, and what makes it unnecessary once the lock is ours.
enum Need<'a> {
    /// A fresh set.
    Fresh,
    /// A set with this key id.
    Kid(&'a str),
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
    /// refetch interval).
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] with the reason; [`AuthError::KeysUnavailable`] when no
    /// key set could be fetched yet.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let fetched = match inner.snapshot() {
            Some(fetched) if now < fetched.fresh_until => fetched,
            Some(stale) => {
                self.refresh_in_background(now);
                stale
            }
            None => inner.fetch_unless_done(Need::Fresh).await?,
        };
        let verified = fetched.verifier.verify(token, now.unix_timestamp());
        let Err(TokenRejection::UnknownKey) = verified else {
            return verified.map_err(AuthError::InvalidToken);
        };
        let unknown = || AuthError::InvalidToken(TokenRejection::UnknownKey);
        let Some(kid) = header_kid(token).filter(|kid| !fetched.verifier.has_kid(kid)) else {
            return Err(unknown());
        };
        match inner.fetch_unless_done(Need::Kid(&kid)).await {
            Ok(newer) if newer.verifier.has_kid(&kid) => {
                newer.verifier.verify(token, now.unix_timestamp()).map_err(AuthError::InvalidToken)
            }
            _ => Err(unknown()),
        }
    }

    /// Fetches the key set now, whatever the cache says, and returns how many usable keys it
    /// holds. Call it at start to have keys before the first request (a failure is not
    /// fatal: [`verify`](Self::verify) fetches again).
    ///
    /// # Errors
    /// [`AuthError::KeysUnavailable`] when the fetch failed (the cause is logged).
    pub async fn refresh(&self) -> Result<usize> {
        let mut last = self.inner.fetching.lock().await;
        let fetched = self.inner.fetch(&mut last).await?;
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
        let Ok(mut last) = self.inner.fetching.clone().try_lock_owned() else {
            return; // a fetch is under way
        };
        if !self.inner.due(*last, now) {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let _ = inner.fetch(&mut last).await;
        });
    }
}

impl Inner {
    fn snapshot(&self) -> Option<Arc<Fetched>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether a fetch may begin at `now`, the last one having begun at `last`.
    fn due(&self, last: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
        last.is_none_or(|last| now >= last + self.refetch_interval)
    }

    /// Fetches for `need`, unless a fetch that ran while we waited for the lock met it, or
    /// the last fetch began less than a refetch interval ago. Answers the set to use.
    async fn fetch_unless_done(&self, need: Need<'_>) -> Result<Arc<Fetched>> {
        let mut last = self.fetching.lock().await;
        let now = self.clock.now();
        if let Some(current) = self.snapshot() {
            let met = match need {
                Need::Fresh => now < current.fresh_until,
                Need::Kid(kid) => current.verifier.has_kid(kid),
            };
            if met || !self.due(*last, now) {
                return Ok(current);
            }
        } else if let Some(at) = (*last).filter(|at| !self.due(Some(*at), now)) {
            let wait = (at + self.refetch_interval - now).unsigned_abs();
            return Err(AuthError::KeysUnavailable { retry_after: wait });
        }
        // On failure, the set fetched before (if any) keeps serving.
        self.fetch(&mut last).await.or_else(|e| self.snapshot().ok_or(e))
    }

    /// Fetches now and keeps the set it brought.
    async fn fetch(&self, last: &mut Option<OffsetDateTime>) -> Result<Arc<Fetched>> {
        let began = self.clock.now();
        *last = Some(began);
        match fetch::fetch(&self.client, &self.url).await {
            Ok(document) => {
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
                tracing::info!(
                    url = %self.url, kids = ?kids, skipped = document.skipped,
                    fresh_for_secs = fresh_for.as_secs(), "fetched the issuer's key set"
                );
                let fetched = Arc::new(Fetched { verifier, fresh_until: began + fresh_for });
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(fetched.clone());
                Ok(fetched)
            }
            Err(error) => {
                let cached = self.snapshot();
                tracing::warn!(
                    url = %self.url, error = %error, serving_cached_keys = cached.is_some(),
                    "could not fetch the issuer's key set"
                );
                Err(AuthError::KeysUnavailable { retry_after: self.refetch_interval })
            }
        }
    }
}

impl fmt::Debug for RemoteKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeySet")
            .field("url", &self.inner.url.as_str())
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("kids", &self.key_ids())
            .finish()
    }
}

#[cfg(test)]
mod tests;
