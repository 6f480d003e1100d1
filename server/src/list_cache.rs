//! The org-unit list as sent, kept per data generation: every unit read once per generation, and
//! each body (JSON, gzip, brotli, zstd) encoded once per generation and kind of caller, so loading
//! an unchanged organisation again costs one query and a copy. A large zstd or brotli body is
//! encoded again, smaller, in the background once its generation has lasted a few seconds
//! ([`POLISH_AFTER`]).
//!
//! Correct with several instances: the generation is a row every write adds 1 to in its
//! transaction (`store::units::generation`), read in the same snapshot as the rows, so an instance
//! never answers from rows older than the generation it just read.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderValue;
use uuid::Uuid;

use crate::rbac::Caller;
use crate::store::units::Snapshot;

/// At most this many bytes of bodies are kept (at 20 000 units a caller's four bodies are
/// ~8 MB, its zstd or brotli body ~0.5 MB); past it the oldest body of the generation goes first.
pub const MAX_CACHED_BYTES: usize = 64 * 1024 * 1024;

/// zstd's level and window for the list as first encoded: 1 and 512 KiB (2^19, level 1's own),
/// because the first request after a write waits for it (20 000 units: 490 KB in 8 ms here, the
/// smallest of levels 1 to 15 too).
const ZSTD_LEVEL: i32 = 1;
const ZSTD_WINDOW_LOG: u32 = 19;
/// zstd's level and window when polishing: 16 and 8 MiB (2^23), 456 KB at 20 000 units in about
/// a second (19 is 2 % smaller in twice the time). Browsers decode zstd with windows up to 8 MiB
/// only (RFC 9659), so neither window may grow past 2^23.
const ZSTD_POLISHED_LEVEL: i32 = 16;
const ZSTD_POLISHED_WINDOW_LOG: u32 = 23;
/// Brotli's quality and window for the list as first encoded: 1 and 256 KiB (2^18), the fastest
/// that is about as small as the old 4 with 4 MiB (20 000 units: 546 KB in 16 ms here, against
/// 542 KB in 73 ms), because the first request after a write waits for it.
const BROTLI_QUALITY: u32 = 1;
const BROTLI_WINDOW_BITS: u32 = 18;
/// Brotli's quality and window when polishing: 10 and 4 MiB (2^22, brotli's default), the
/// smallest within seconds (20 000 units: 472 KB in ~2.3 s here; 11 takes ~12× longer for 6 %
/// less).
const POLISHED_QUALITY: u32 = 10;
const POLISHED_WINDOW_BITS: u32 = 22;
/// How long a generation must last before its zstd and brotli bodies are polished: writes in a
/// burst do not each cost a polish.
pub const POLISH_AFTER: Duration = Duration::from_secs(5);
/// Bodies smaller than this are not worth polishing.
pub const POLISH_MIN_BYTES: usize = 64 * 1024;

/// A body's encoding, from the request's `Accept-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Smaller than brotli and faster to make for this list (uuids are most of its bytes):
    /// Chromium and Firefox accept it.
    Zstd,
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// zstd if the client names it, else brotli, else gzip, else none. A coding with `q=0` is
    /// refused; `*` stands for brotli and gzip when they are not named (a client that does not
    /// name zstd may not know it).
    pub fn preferred(accept_encoding: Option<&HeaderValue>) -> Self {
        let Some(value) = accept_encoding.and_then(|value| value.to_str().ok()) else {
            return Encoding::Identity;
        };
        // (coding, refused) per item
        let items = || {
            value.split(',').map(|item| {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|param| {
                    let param = param.trim().to_ascii_lowercase();
                    param
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (name, refused)
            })
        };
        let accepted = |coding: &str, by_wildcard: bool| match items()
            .find(|(name, _)| name.eq_ignore_ascii_case(coding))
        {
            Some((_, refused)) => !refused,
            None => by_wildcard && items().any(|(name, refused)| name == "*" && !refused),
        };
        if accepted("zstd", false) {
            Encoding::Zstd
        } else if accepted("br", true) {
            Encoding::Brotli
        } else if accepted("gzip", true) {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// The `Content-Encoding` value, none for identity.
    pub fn header(self) -> Option<HeaderValue> {
        match self {
            Encoding::Zstd => Some(HeaderValue::from_static("zstd")),
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Identity => None,
        }
    }

    /// `json` encoded this way.
    pub fn encode(self, json: &[u8]) -> Bytes {
        match self {
            Encoding::Identity => Bytes::copy_from_slice(json),
            Encoding::Gzip => {
                let mut out =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                out.write_all(json).expect("writing to memory");
                Bytes::from(out.finish().expect("writing to memory"))
            }
            Encoding::Zstd => zstd(json, ZSTD_LEVEL, ZSTD_WINDOW_LOG),
            Encoding::Brotli => brotli(json, BROTLI_QUALITY, BROTLI_WINDOW_BITS),
        }
    }

    /// Whether [`Encoding::polished`] makes a smaller body than [`Encoding::encode`].
    pub fn polishes(self) -> bool {
        matches!(self, Encoding::Zstd | Encoding::Brotli)
    }

    /// The JSON of a body encoded this way (at either level).
    pub fn decode(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut json = Vec::with_capacity(body.len() * 8);
        match self {
            Encoding::Zstd => zstd::stream::read::Decoder::new(body)?.read_to_end(&mut json)?,
            Encoding::Brotli => {
                brotli::Decompressor::new(body, 64 * 1024).read_to_end(&mut json)?
            }
            Encoding::Gzip => flate2::read::GzDecoder::new(body).read_to_end(&mut json)?,
            Encoding::Identity => return Ok(body.to_vec()),
        };
        Ok(json)
    }

    /// `json` encoded this way at the polished level: smaller, and a second or two for a large
    /// organisation; as [`Encoding::encode`] for the encodings that do not polish.
    pub fn polished(self, json: &[u8]) -> Bytes {
        match self {
            Encoding::Zstd => zstd(json, ZSTD_POLISHED_LEVEL, ZSTD_POLISHED_WINDOW_LOG),
            Encoding::Brotli => brotli(json, POLISHED_QUALITY, POLISHED_WINDOW_BITS),
            Encoding::Gzip | Encoding::Identity => self.encode(json),
        }
    }
}

fn zstd(json: &[u8], level: i32, window_log: u32) -> Bytes {
    let compressed = zstd::bulk::Compressor::new(level)
        .and_then(|mut compressor| {
            compressor.set_parameter(zstd::zstd_safe::CParameter::WindowLog(window_log))?;
            compressor.compress(json)
        })
        .expect("zstd compresses into memory at a valid level and window");
    Bytes::from(compressed)
}

fn brotli(json: &[u8], quality: u32, window_bits: u32) -> Bytes {
    let mut out = Vec::with_capacity(json.len() / 8);
    let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, window_bits);
    writer.write_all(json).expect("writing to memory");
    drop(writer);
    Bytes::from(out)
}

/// What the list's verdicts depend on in a caller: its role and, for an owner, the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccessKey {
    role: api::AccountRole,
    person: Option<Uuid>,
}

impl AccessKey {
    pub fn of(caller: &Caller) -> Self {
        Self {
            role: caller.role(),
            person: caller.owning_person(),
        }
    }
}

/// The rows and bodies of one generation (shared by the server's tasks).
#[derive(Default)]
pub struct ListCache {
    kept: Mutex<Kept>,
    /// Held while a body is polished: one at a time, so at most one core works on it.
    polish_turn: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Kept {
    generation: i64,
    snapshot: Option<Arc<Snapshot>>,
    bodies: HashMap<(AccessKey, Encoding), Bytes>,
    /// Keys of `bodies`, oldest first.
    order: Vec<(AccessKey, Encoding)>,
    bytes: usize,
}

impl Kept {
    /// Forgets everything older than `generation`; false when `generation` is older than what
    /// is kept (a reader in an older snapshot: it must neither use nor fill the cache).
    fn at(&mut self, generation: i64) -> bool {
        if generation > self.generation {
            *self = Kept {
                generation,
                ..Kept::default()
            };
        }
        generation == self.generation
    }
}

impl ListCache {
    fn kept(&self) -> MutexGuard<'_, Kept> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The body for this caller and encoding, if encoded at `generation`.
    pub fn body(&self, generation: i64, key: AccessKey, encoding: Encoding) -> Option<Bytes> {
        let mut kept = self.kept();
        if !kept.at(generation) {
            return None;
        }
        kept.bodies.get(&(key, encoding)).cloned()
    }

    /// The rows read at `generation`, if kept.
    pub fn snapshot(&self, generation: i64) -> Option<Arc<Snapshot>> {
        let mut kept = self.kept();
        if !kept.at(generation) {
            return None;
        }
        kept.snapshot.clone()
    }

    /// Keeps the rows read at `generation` (unless a newer generation is kept already).
    pub fn keep_snapshot(&self, generation: i64, snapshot: Arc<Snapshot>) {
        let mut kept = self.kept();
        if kept.at(generation) {
            kept.snapshot = Some(snapshot);
        }
    }

    /// Waits for the turn to polish (one polish at a time); the turn lasts as long as the guard.
    async fn polish_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.polish_turn.lock().await
    }

    /// Once it is this task's turn, encodes the body kept for `key` and `encoding` at
    /// `generation` again at the polished level and keeps that instead; gives up when a newer
    /// generation is kept by then, or `current_generation` (awaited only once the turn has come)
    /// says a write has made one. Waiting holds nothing: the JSON is read back from the body.
    pub async fn polish(
        &self,
        generation: i64,
        key: AccessKey,
        encoding: Encoding,
        current_generation: impl Future<Output = Option<i64>>,
    ) {
        let _turn = self.polish_turn().await;
        let Some(body) = self.body(generation, key, encoding) else {
            return;
        };
        if current_generation.await != Some(generation) {
            return;
        }
        let polished = tokio::task::spawn_blocking(move || {
            encoding.decode(&body).map(|json| encoding.polished(&json))
        })
        .await;
        match polished {
            Ok(Ok(polished)) => {
                self.keep_body(generation, key, encoding, polished);
            }
            Ok(Err(e)) => tracing::warn!("polishing the unit list: reading the kept body: {e}"),
            Err(e) => tracing::warn!("polishing the unit list: {e}"),
        }
    }

    /// Keeps a body encoded at `generation`, dropping the oldest ones past [`MAX_CACHED_BYTES`];
    /// a body larger than that alone is not kept. True when no body was kept for this caller and
    /// encoding at `generation` before (so two requests that both encoded it polish it once).
    pub fn keep_body(
        &self,
        generation: i64,
        key: AccessKey,
        encoding: Encoding,
        body: Bytes,
    ) -> bool {
        let mut kept = self.kept();
        if !kept.at(generation) || body.len() > MAX_CACHED_BYTES {
            return false;
        }
        let id = (key, encoding);
        kept.bytes += body.len();
        let first = match kept.bodies.insert(id, body) {
            Some(old) => {
                kept.bytes -= old.len();
                kept.order.retain(|at| *at != id);
                false
            }
            None => true,
        };
        kept.order.push(id);
        while kept.bytes > MAX_CACHED_BYTES {
            let oldest = kept.order.remove(0);
            if let Some(old) = kept.bodies.remove(&oldest) {
                kept.bytes -= old.len();
            }
        }
        first
    }
}

#[cfg(test)]
#[path = "list_cache_tests.rs"]
pub(crate) mod tests;
