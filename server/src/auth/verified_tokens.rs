//! The verified-token cache: a token whose signature was verified once is accepted again by a lookup, time re-checked on every use.
//!
//! - Keyed by the whole token string: found by a seeded 64-bit hash (XXH3 with a per-cache random
//!   seed), then the stored token is compared with the presented one byte for byte, in time that
//!   does not depend on where they differ. A token differing in one byte is never answered from
//!   another's entry and is verified afresh; two tokens whose hashes collide only cost a fresh
//!   verification. XXH3 hashes a 1 KB token in tens of nanoseconds, where SHA-256 took ~570 ns
//!   (BENCHMARKS.md); no cryptographic hash is needed because the comparison is exact.
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

use std::hash::BuildHasher;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::TokenError;
use super::keyset::KeySet;
use super::principal::Principal;

/// At most this many shards (each its own lock), so concurrent requests rarely meet.
const SHARDS: usize = 16;
/// A shard holds at least this many entries (small caches are one shard).
const MIN_SHARD_ENTRIES: usize = 64;

/// Whether two tokens are the same string, in time that depends only on their lengths (token
/// lengths are not secret: the Authorization header's length is visible anyway).
fn same_token(stored: &str, presented: &str) -> bool {
    let (a, b) = (stored.as_bytes(), presented.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut difference = 0u64;
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in a_words.remainder().iter().zip(b_words.remainder()) {
        difference |= u64::from(x ^ y);
    }
    for (x, y) in a_words.zip(b_words) {
        let x = u64::from_ne_bytes(x.try_into().expect("8 bytes"));
        let y = u64::from_ne_bytes(y.try_into().expect("8 bytes"));
        difference |= x ^ y;
    }
    std::hint::black_box(difference) == 0
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

/// The map's hash of a key: the key itself. Keys are already XXH3 outputs (uniform), and only
/// tokens that passed validation get in, so hashing again would only cost time. The top 16 bits
/// choose the shard.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, _bytes: &[u8]) {
        unreachable!("only u64 keys are hashed")
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

/// One remembered token: the whole string (for the exact comparison) and what it proved.
struct Entry {
    token: Box<str>,
    verified: VerifiedToken,
}

type Entries = HashMap<u64, Entry, BuildHasherDefault<KeyHasher>>;

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
    /// XXH3 seed, random per cache, so nobody outside can aim tokens at one slot.
    seed: u64,
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
            seed: std::collections::hash_map::RandomState::new()
                .hash_one(0x6f72_672d_756e_6974_u64),
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

    fn key(&self, token: &str) -> u64 {
        xxh3_64_with_seed(token.as_bytes(), self.seed)
    }

    fn shard(&self, key: u64) -> Option<&Shard> {
        let index = (key >> 48) as usize;
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
                shard.write().retain(|_, e| {
                    keys.still_has(e.verified.kid.as_deref(), &e.verified.key_fingerprint)
                });
            }
        }
        self.synced_generation.store(generation, Ordering::Release);
    }

    /// The answer for `token` if it was seen before, at unix time `now`: `None` when it must be
    /// validated afresh. Call [`Self::sync_with`] first.
    pub fn lookup(&self, token: &str, now: u64) -> Option<Result<Principal, TokenError>> {
        self.lookup_by_key(self.key(token), token, now)
    }

    fn lookup_by_key(
        &self,
        key: u64,
        token: &str,
        now: u64,
    ) -> Option<Result<Principal, TokenError>> {
        let shard = self.shard(key)?;
        let leeway = self.leeway_seconds;
        let answer = match shard.read().get(&key) {
            Some(e) if same_token(&e.token, token) => {
                let e = &e.verified;
                if e.expired(now, leeway) {
                    Some(Err(TokenError::Expired))
                } else if e.immature(now, leeway) {
                    Some(Err(TokenError::NotYetValid))
                } else {
                    Some(Ok(e.principal.clone()))
                }
            }
            _ => None,
        };
        match answer {
            None => {
                shard.misses.fetch_add(1, Ordering::Relaxed);
            }
            Some(Err(TokenError::Expired)) => {
                let mut entries = shard.write();
                if entries
                    .get(&key)
                    .is_some_and(|e| same_token(&e.token, token) && e.verified.expired(now, leeway))
                {
                    entries.remove(&key);
                }
                shard.hits.fetch_add(1, Ordering::Relaxed);
            }
            Some(_) => {
                shard.hits.fetch_add(1, Ordering::Relaxed);
            }
        }
        answer
    }

    /// Remembers `token`, which just passed every check at unix time `now`, with a key of JWKS
    /// key generation `generation`. Stored only while that generation is both the one the
    /// entries were purged against and still `current_generation()`: a key set that changed
    /// meanwhile may have dropped the key, and the purge for it may already have passed. A
    /// token whose hash collides with another's replaces it (the other is verified afresh).
    pub fn insert(
        &self,
        token: &str,
        verified: VerifiedToken,
        now: u64,
        generation: u64,
        current_generation: impl Fn() -> u64,
    ) {
        self.insert_by_key(
            self.key(token),
            token,
            verified,
            now,
            generation,
            current_generation,
        );
    }

    fn insert_by_key(
        &self,
        key: u64,
        token: &str,
        verified: VerifiedToken,
        now: u64,
        generation: u64,
        current_generation: impl Fn() -> u64,
    ) {
        let Some(shard) = self.shard(key) else {
            return;
        };
        let mut entries = shard.write();
        if self.synced_generation.load(Ordering::Acquire) != generation
            || current_generation() != generation
        {
            return;
        }
        if entries.len() >= shard.capacity && !entries.contains_key(&key) {
            let leeway = self.leeway_seconds;
            entries.retain(|_, e| !e.verified.expired(now, leeway));
            if entries.len() >= shard.capacity {
                let first_to_expire = entries
                    .iter()
                    .min_by_key(|(_, e)| e.verified.exp)
                    .map(|(k, _)| *k);
                if let Some(k) = first_to_expire {
                    entries.remove(&k);
                }
            }
        }
        let token = token.into();
        entries.insert(key, Entry { token, verified });
    }
}

#[cfg(test)]
#[path = "verified_tokens_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "verified_tokens_validator_tests.rs"]
mod validator_tests;
