//! The verified-token cache: a token whose signature was verified once is accepted again by a lookup, time re-checked on every use.
//!
//! - Keyed by SHA-256 of the whole token string: a token differing in one byte has another key
//!   and is verified afresh.
//! - Only successes are stored, with the principal they produced, the token's `exp`/`nbf` and
//!   the identity (`kid` + fingerprint) of the key that verified the signature.
//! - Every hit re-checks `exp` and `nbf` with the clock leeway exactly as jsonwebtoken does, so a
//!   hit answers what a fresh validation would: the principal, `Expired` or `NotYetValid`. An
//!   entry past `exp` + leeway is removed when seen.
//! - Bounded: at most `capacity` entries (split over shards); a full shard drops its expired
//!   entries, then the entry that expires first.
//! - A key leaving the JWKS (or replaced under its `kid`) evicts the entries it signed: when the
//!   JWKS cache's key generation changes, [`VerifiedTokens::sync_with`] drops every entry whose
//!   key the new set lacks before any lookup is answered, and an entry verified with a key of an
//!   older generation is never stored. So every entry a lookup sees was signed by a current key,
//!   and a hit touches neither the JWKS lock nor the key set.
//! - Hits take a shard's read lock only: concurrent requests with the same token do not wait.
//!
//! One cache belongs to one [`super::Validator`] (one set of settings), so a token accepted for
//! one issuer/audience is never answered from the cache under another.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use sha2::{Digest, Sha256};

use super::TokenError;
use super::keyset::KeySet;
use super::principal::Principal;

/// SHA-256 of a whole token.
pub type TokenDigest = [u8; 32];

/// At most this many shards (each its own lock), so concurrent requests rarely meet.
const SHARDS: usize = 16;
/// A shard holds at least this many entries (small caches are one shard).
const MIN_SHARD_ENTRIES: usize = 64;

pub fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// A token that passed every check, as remembered.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub principal: Principal,
    /// The `kid` of the token's header (`None` when it had none).
    pub kid: Option<String>,
    /// Fingerprint of the key that verified the signature.
    pub key_fingerprint: [u8; 32],
    pub exp: u64,
    pub nbf: Option<u64>,
}

impl VerifiedToken {
    /// jsonwebtoken's rule: expired when `exp < now - leeway`.
    fn expired(&self, now: u64, leeway: u64) -> bool {
        self.exp < now.saturating_sub(leeway)
    }

    /// jsonwebtoken's rule: not yet valid when `nbf > now + leeway`.
    fn immature(&self, now: u64, leeway: u64) -> bool {
        self.nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway))
    }
}

/// Counters, for tests and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    /// Lookups answered from the cache (a principal or a time refusal).
    pub hits: u64,
    /// Lookups that found nothing (never seen, evicted, or purged with its key).
    pub misses: u64,
}

/// The map's hash of a digest: bytes 8..16 of it. A SHA-256 output is already uniform (and only
/// tokens that passed validation get in), so hashing it again would only cost time. Bytes 0..2
/// choose the shard.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        if let Some(chunk) = bytes.get(8..16) {
            self.0 = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        }
    }
}

type Entries = HashMap<TokenDigest, VerifiedToken, BuildHasherDefault<DigestHasher>>;

#[derive(Default)]
struct Shard {
    entries: RwLock<Entries>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Shard {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Tokens verified before; see the module documentation.
pub struct VerifiedTokens {
    shards: Vec<Shard>,
    leeway_seconds: u64,
    /// The JWKS key generation the entries were last purged against.
    synced_generation: AtomicU64,
    /// One purge at a time; `synced_generation` moves only once a purge has finished.
    purge_lock: Mutex<()>,
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl VerifiedTokens {
    /// A cache of at most `capacity` tokens (0 = disabled: nothing is ever stored).
    pub fn new(capacity: usize, leeway_seconds: u64) -> Self {
        let shard_count = match capacity {
            0 => 0,
            _ => (capacity / MIN_SHARD_ENTRIES).clamp(1, SHARDS),
        };
        let shards = (0..shard_count)
            .map(|i| Shard {
                // Split exactly: the first `capacity % shard_count` shards take one more.
                capacity: capacity / shard_count + usize::from(i < capacity % shard_count),
                ..Shard::default()
            })
            .collect();
        Self {
            shards,
            leeway_seconds,
            synced_generation: AtomicU64::new(0),
            purge_lock: Mutex::new(()),
        }
    }

    pub fn is_enabled(&self) -> bool {
        !self.shards.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.shards.iter().map(|s| s.capacity).sum()
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> CacheStats {
        let mut stats = CacheStats::default();
        for s in &self.shards {
            stats.entries += s.read().len();
            stats.hits += s.hits.load(Ordering::Relaxed);
            stats.misses += s.misses.load(Ordering::Relaxed);
        }
        stats
    }

    fn shard(&self, digest: &TokenDigest) -> Option<&Shard> {
        let index = usize::from(u16::from_le_bytes([digest[0], digest[1]]));
        self.shards.get(index % self.shards.len().max(1))
    }

    /// Brings the entries in line with JWKS key generation `generation`: when it differs from
    /// the last one seen, drops every entry whose key `current_keys` (the set of that
    /// generation) no longer holds under its `kid`. Returns once no entry of a removed key is
    /// left; cheap (two atomic loads) when nothing changed.
    pub fn sync_with(&self, generation: u64, current_keys: impl FnOnce() -> Option<Arc<KeySet>>) {
        if self.synced_generation.load(Ordering::Acquire) == generation {
            return;
        }
        let _purging = self.purge_lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.synced_generation.load(Ordering::Acquire) == generation {
            return;
        }
        if let Some(keys) = current_keys() {
            for shard in &self.shards {
                shard
                    .write()
                    .retain(|_, e| keys.still_has(e.kid.as_deref(), &e.key_fingerprint));
            }
        }
        self.synced_generation.store(generation, Ordering::Release);
    }

    /// The answer for a token seen before, at unix time `now`: `None` when it must be validated
    /// afresh. Call [`Self::sync_with`] first.
    pub fn lookup(&self, digest: &TokenDigest, now: u64) -> Option<Result<Principal, TokenError>> {
        let shard = self.shard(digest)?;
        let leeway = self.leeway_seconds;
        let answer = match shard.read().get(digest) {
            None => None,
            Some(e) if e.expired(now, leeway) => Some(Err(TokenError::Expired)),
            Some(e) if e.immature(now, leeway) => Some(Err(TokenError::NotYetValid)),
            Some(e) => Some(Ok(e.principal.clone())),
        };
        match answer {
            None => {
                shard.misses.fetch_add(1, Ordering::Relaxed);
            }
            Some(Err(TokenError::Expired)) => {
                let mut entries = shard.write();
                if entries.get(digest).is_some_and(|e| e.expired(now, leeway)) {
                    entries.remove(digest);
                }
                shard.hits.fetch_add(1, Ordering::Relaxed);
            }
            Some(_) => {
                shard.hits.fetch_add(1, Ordering::Relaxed);
            }
        }
        answer
    }

    /// Remembers a token that just passed every check at unix time `now`, with a key of JWKS
    /// key generation `generation`. Stored only while that generation is both the one the
    /// entries were purged against and still `current_generation()`: a key set that changed
    /// meanwhile may have dropped the key, and the purge for it may already have passed.
    pub fn insert(
        &self,
        digest: TokenDigest,
        token: VerifiedToken,
        now: u64,
        generation: u64,
        current_generation: impl Fn() -> u64,
    ) {
        let Some(shard) = self.shard(&digest) else {
            return;
        };
        let mut entries = shard.write();
        if self.synced_generation.load(Ordering::Acquire) != generation
            || current_generation() != generation
        {
            return;
        }
        if entries.len() >= shard.capacity && !entries.contains_key(&digest) {
            let leeway = self.leeway_seconds;
            entries.retain(|_, e| !e.expired(now, leeway));
            if entries.len() >= shard.capacity {
                let first_to_expire = entries.iter().min_by_key(|(_, e)| e.exp).map(|(d, _)| *d);
                if let Some(d) = first_to_expire {
                    entries.remove(&d);
                }
            }
        }
        entries.insert(digest, token);
    }
}

#[cfg(test)]
#[path = "verified_tokens_tests.rs"]
mod tests;
