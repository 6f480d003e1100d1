//! The memory of DPoP proofs already used (their `jti` with the key's thumbprint), each until its
//! proof would be too old anyway; bounded: when full of live entries, new proofs wait (503)
//! rather than go unremembered.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// What remembering a proof found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remembered {
    New,
    /// The same key used this `jti` before, within the window: a replay.
    Seen,
    /// No room: every entry is still within its window.
    Full,
}

type Entry = [u8; 32];

#[derive(Debug, Default)]
struct Entries {
    /// Entry → when it may be forgotten (seconds since the epoch).
    until: HashMap<Entry, u64>,
    /// Entries in the order they came, for forgetting the expired ones.
    order: VecDeque<(u64, Entry)>,
}

/// At most `capacity` proofs, each forgotten once its window is over.
#[derive(Debug)]
pub struct ReplayMemory {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl ReplayMemory {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Proofs remembered now.
    pub fn len(&self) -> usize {
        self.lock().until.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Remembers `jti` of the key `thumbprint` until `until`, unless it is already there.
    pub fn remember(&self, thumbprint: &str, jti: &str, until: u64, now: u64) -> Remembered {
        let entry: Entry = Sha256::new()
            .chain_update(thumbprint.as_bytes())
            .chain_update(b".")
            .chain_update(jti.as_bytes())
            .finalize()
            .into();
        let mut entries = self.lock();
        if entries.until.get(&entry).is_some_and(|&kept| kept >= now) {
            return Remembered::Seen;
        }
        entries.forget_expired(now);
        if entries.until.len() >= self.capacity {
            return Remembered::Full;
        }
        entries.until.insert(entry, until);
        entries.order.push_back((until, entry));
        Remembered::New
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves whole entries behind: keep using them.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Entries {
    /// Drops entries whose window is over. Windows have one length, so arrival order is expiry
    /// order up to clock jitter; an entry that is not yet over stops the sweep.
    fn forget_expired(&mut self, now: u64) {
        while let Some(&(until, entry)) = self.order.front() {
            if until >= now {
                break;
            }
            self.order.pop_front();
            if self.until.get(&entry) == Some(&until) {
                self.until.remove(&entry);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_seen_within_its_window_and_forgotten_after() {
        let memory = ReplayMemory::new(10);
        assert_eq!(memory.remember("k", "a", 130, 100), Remembered::New);
        assert_eq!(memory.remember("k", "a", 130, 120), Remembered::Seen);
        // Another key's `jti` is its own.
        assert_eq!(memory.remember("other", "a", 150, 120), Remembered::New);
        assert_eq!(memory.remember("k", "a", 161, 131), Remembered::New);
        assert_eq!(memory.len(), 2, "the expired entries were dropped");
    }

    #[test]
    fn when_full_of_live_entries_new_proofs_wait() {
        let memory = ReplayMemory::new(2);
        assert_eq!(memory.remember("k", "a", 130, 100), Remembered::New);
        assert_eq!(memory.remember("k", "b", 131, 101), Remembered::New);
        assert_eq!(memory.remember("k", "c", 132, 102), Remembered::Full);
        // A replay is still recognised when full.
        assert_eq!(memory.remember("k", "a", 130, 102), Remembered::Seen);
        // Once the first window is over there is room again.
        assert_eq!(memory.remember("k", "c", 161, 131), Remembered::New);
        assert_eq!(memory.len(), 2);
    }
}
