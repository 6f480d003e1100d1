//! JWKS cache: lazy, single-flight, rate-limited fetching of the realm's RSA signing keys (see [`RefreshPolicy`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use url::Url;

pub use super::keyset::{FetchError, KeyError, KeySet, VerifyKey};
use crate::settings::Settings;

/// When the cache talks to the IdP.
///
/// - Keys are fetched lazily, on the first request that needs them (the server starts while the
///   IdP is down).
/// - A token whose `kid` is not in the cached set triggers a refetch. Refetches are single-flight
///   (N concurrent requests wait for one fetch) and rate-limited: at most one unknown-kid refetch
///   per `min_refetch_interval`. The interval counts from the previous *unknown-kid* refetch, not
///   from the initial load, so the first refetch after a rotation happens at once.
/// - While no key set was ever obtained, a fetch is attempted at most once per
///   `min_refetch_interval`; requests in between get "unavailable, retry after ...".
/// - A set older than `max_age` is refreshed in the background (so removed keys stop being
///   trusted); requests keep using the current set meanwhile.
/// - A failed fetch (unreachable, timeout, non-2xx, garbage, no usable key) keeps the last good set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPolicy {
    pub min_refetch_interval: Duration,
    pub max_age: Duration,
    /// Whole request: connect, headers and body.
    pub fetch_timeout: Duration,
    /// A larger JWKS response is garbage.
    pub max_body_bytes: usize,
    /// Smaller RSA moduli are ignored.
    pub min_rsa_bits: usize,
}

/// A larger JWKS response is garbage: a realm's few keys take a few KiB.
const MAX_JWKS_BODY_BYTES: usize = 256 * 1024;
/// RSA keys below 2048 bits are not trusted (NIST SP 800-131A).
const MIN_RSA_BITS: usize = 2048;

impl RefreshPolicy {
    /// The policy the settings describe (their defaults live in `default-settings.toml`), with the
    /// two limits that are not settings.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            min_refetch_interval: Duration::from_secs(settings.jwks_refetch_interval_seconds),
            max_age: Duration::from_secs(settings.jwks_max_age_seconds),
            fetch_timeout: Duration::from_secs(settings.jwks_fetch_timeout_seconds),
            max_body_bytes: MAX_JWKS_BODY_BYTES,
            min_rsa_bits: MIN_RSA_BITS,
        }
    }
}

#[derive(Default)]
struct CacheState {
    keys: Option<Arc<KeySet>>,
    loaded_at: Option<Instant>,
    /// Completed fetch attempts (success or not): a waiter that sees this change uses the result.
    attempts: u64,
    last_attempt: Option<Instant>,
    last_unknown_kid_refetch: Option<Instant>,
    last_error: Option<String>,
    /// Completed attempts that stored no key set.
    failures: u64,
    unknown_kid_refetches: u64,
}

/// What the cache holds, for readiness and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStatus {
    pub loaded: bool,
    pub key_count: usize,
    /// Fetches started.
    pub fetches: u64,
    /// Fetches finished (successfully or not).
    pub completed: u64,
    /// Finished fetches that stored no key set (`completed - failed` succeeded).
    pub failed: u64,
    /// Fetches started for a token whose `kid` was not in the set (rate-limited ones not counted).
    pub unknown_kid_refetches: u64,
    pub last_error: Option<String>,
}

/// The realm's signing keys, fetched from `url` under a [`RefreshPolicy`].
pub struct JwksCache {
    url: Url,
    client: reqwest::Client,
    policy: RefreshPolicy,
    allowed: Vec<Algorithm>,
    state: Mutex<CacheState>,
    fetch_lock: Arc<tokio::sync::Mutex<()>>,
    fetches: AtomicU64,
    /// Bumped whenever a fetch stores a key set whose keys differ from the previous one.
    key_generation: AtomicU64,
    /// Start of this cache's clock for `refresh_due_ms`.
    created: Instant,
    /// Milliseconds after `created` when the set is older than `max_age` (`u64::MAX`: no set):
    /// lets [`JwksCache::note_use`] see staleness without taking the lock.
    refresh_due_ms: AtomicU64,
}

enum Reason {
    Initial,
    UnknownKid,
}

impl JwksCache {
    pub fn new(
        url: Url,
        allowed: Vec<Algorithm>,
        policy: RefreshPolicy,
    ) -> Result<Arc<Self>, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(policy.fetch_timeout)
            .connect_timeout(policy.fetch_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Arc::new(Self {
            url,
            client,
            policy,
            allowed,
            state: Mutex::new(CacheState::default()),
            fetch_lock: Arc::new(tokio::sync::Mutex::new(())),
            fetches: AtomicU64::new(0),
            key_generation: AtomicU64::new(0),
            created: Instant::now(),
            refresh_due_ms: AtomicU64::new(u64::MAX),
        }))
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn policy(&self) -> &RefreshPolicy {
        &self.policy
    }

    /// Fetches started so far (a metric; tests count with it).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Changes whenever the key set changes (a key added, removed or replaced under its `kid`);
    /// the verified-token cache purges its entries when it sees a new value.
    pub fn key_generation(&self) -> u64 {
        self.key_generation.load(Ordering::Acquire)
    }

    /// The current key set, if one was ever loaded, without fetching; starts the background
    /// refresh of a stale set exactly as [`JwksCache::key_for`] does.
    pub fn current_keys(self: &Arc<Self>) -> Option<Arc<KeySet>> {
        let (keys, stale) = {
            let s = self.lock();
            (s.keys.clone()?, self.is_stale(&s))
        };
        if stale {
            self.refresh_if_stale();
        }
        Some(keys)
    }

    /// For a token answered without [`JwksCache::key_for`] (the verified-token cache): starts the
    /// background refresh of a stale set as `key_for` would. Lock-free unless the set is stale.
    pub fn note_use(self: &Arc<Self>) {
        let due = self.refresh_due_ms.load(Ordering::Relaxed);
        if due != u64::MAX && self.created.elapsed().as_millis() as u64 >= due {
            self.refresh_if_stale();
        }
    }

    fn is_stale(&self, s: &CacheState) -> bool {
        s.loaded_at
            .is_some_and(|t| t.elapsed() >= self.policy.max_age)
    }

    pub fn status(&self) -> CacheStatus {
        let s = self.lock();
        CacheStatus {
            loaded: s.keys.is_some(),
            key_count: s.keys.as_ref().map_or(0, |k| k.len()),
            fetches: self.fetch_count(),
            completed: s.attempts,
            failed: s.failures,
            unknown_kid_refetches: s.unknown_kid_refetches,
            last_error: s.last_error.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key for a token's `kid`, fetching or refetching as the policy allows.
    pub async fn key_for(self: &Arc<Self>, kid: Option<&str>) -> Result<Arc<VerifyKey>, KeyError> {
        let (seen_attempts, keys) = {
            let s = self.lock();
            (s.attempts, s.keys.clone())
        };
        let reason = match keys {
            Some(keys) => {
                self.refresh_if_stale();
                match keys.find(kid) {
                    Err(KeyError::UnknownKid) => Reason::UnknownKid,
                    found => return found,
                }
            }
            None => Reason::Initial,
        };
        self.refetch(reason, seen_attempts).await;
        self.lookup(kid)
    }

    /// Loads the keys if none are loaded yet (as the policy allows); the number of keys.
    pub async fn ensure_loaded(self: &Arc<Self>) -> Result<usize, KeyError> {
        let (seen_attempts, loaded) = {
            let s = self.lock();
            (s.attempts, s.keys.as_ref().map(|k| k.len()))
        };
        if let Some(n) = loaded {
            self.refresh_if_stale();
            return Ok(n);
        }
        self.refetch(Reason::Initial, seen_attempts).await;
        let s = self.lock();
        match &s.keys {
            Some(k) => Ok(k.len()),
            None => Err(self.unavailable(&s)),
        }
    }

    fn lookup(&self, kid: Option<&str>) -> Result<Arc<VerifyKey>, KeyError> {
        let s = self.lock();
        match &s.keys {
            Some(keys) => keys.find(kid),
            None => Err(self.unavailable(&s)),
        }
    }

    fn unavailable(&self, s: &CacheState) -> KeyError {
        let waited = s.last_attempt.map_or(Duration::ZERO, |t| t.elapsed());
        let retry_after = self
            .policy
            .min_refetch_interval
            .saturating_sub(waited)
            .max(Duration::from_secs(1));
        KeyError::Unavailable { retry_after }
    }

    /// Single-flight, rate-limited fetch. Returns once a fetch completed, or at once when the
    /// policy says no. `seen_attempts` is the attempt count the caller based its decision on:
    /// if a fetch completed since, the caller uses that result instead of fetching again.
    async fn refetch(self: &Arc<Self>, reason: Reason, seen_attempts: u64) {
        let guard = self.fetch_lock.clone().lock_owned().await;
        {
            let mut s = self.lock();
            if s.attempts != seen_attempts {
                return;
            }
            let now = Instant::now();
            let within = |t: Option<Instant>| {
                t.is_some_and(|t| now.duration_since(t) < self.policy.min_refetch_interval)
            };
            match reason {
                Reason::Initial if s.keys.is_some() => return,
                Reason::Initial if within(s.last_attempt) => return,
                Reason::Initial => {}
                Reason::UnknownKid if within(s.last_unknown_kid_refetch) => return,
                Reason::UnknownKid => {
                    s.last_unknown_kid_refetch = Some(now);
                    s.unknown_kid_refetches += 1;
                }
            }
        }
        // The fetch runs in its own task holding the lock: a caller that goes away (client
        // disconnect) neither cancels it nor lets a second fetch start beside it.
        let this = self.clone();
        let task = tokio::spawn(async move {
            this.fetch_and_store().await;
            drop(guard);
        });
        let _ = task.await;
    }

    /// Starts a background refresh when the set is older than `max_age` (at most one at a time,
    /// no more often than `min_refetch_interval`).
    fn refresh_if_stale(self: &Arc<Self>) {
        {
            let s = self.lock();
            let stale = self.is_stale(&s);
            let recently_tried = s
                .last_attempt
                .is_some_and(|t| t.elapsed() < self.policy.min_refetch_interval);
            if !stale || recently_tried {
                return;
            }
        }
        let Ok(guard) = self.fetch_lock.clone().try_lock_owned() else {
            return;
        };
        let this = self.clone();
        tokio::spawn(async move {
            this.fetch_and_store().await;
            drop(guard);
        });
    }

    async fn fetch_and_store(&self) {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let result = match tokio::time::timeout(self.policy.fetch_timeout, self.fetch()).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout),
        };
        let mut s = self.lock();
        let now = Instant::now();
        s.attempts += 1;
        s.last_attempt = Some(now);
        match result {
            Ok(set) => {
                tracing::info!(url = %self.url, keys = ?set.kids(), "loaded signing keys");
                if s.keys.as_ref().is_some_and(|old| !old.same_keys(&set)) {
                    self.key_generation.fetch_add(1, Ordering::AcqRel);
                }
                s.keys = Some(Arc::new(set));
                s.loaded_at = Some(now);
                let due = now.duration_since(self.created) + self.policy.max_age;
                self.refresh_due_ms
                    .store(due.as_millis() as u64, Ordering::Relaxed);
                s.last_error = None;
            }
            Err(error) => {
                tracing::warn!(
                    url = %self.url,
                    %error,
                    keeping_previous_keys = s.keys.is_some(),
                    "fetching signing keys failed"
                );
                s.last_error = Some(error.to_string());
                s.failures += 1;
            }
        }
    }

    async fn fetch(&self) -> Result<KeySet, FetchError> {
        let mut response = self
            .client
            .get(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status()));
        }
        let limit = self.policy.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(FetchError::TooLarge(limit));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                return Err(FetchError::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        KeySet::from_jwks(&body, &self.allowed, self.policy.min_rsa_bits)
    }
}

#[cfg(test)]
#[path = "jwks_tests.rs"]
mod tests;
