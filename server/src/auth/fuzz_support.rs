//! Long-running property tests ("fuzzing" without cargo-fuzz): the case budget, the seed corpus in
//! server/fuzz-corpus/, byte-level mutations of its entries, and interesting JSON values.
//!
//! Every target runs its corpus first, then generated cases. Default: a few dozen cases per target
//! (a few seconds in `cargo test`). `FUZZ_CASES=N` sets the cases of one round; `FUZZ_SECONDS=S`
//! repeats rounds with fresh seeds until S seconds have passed (e.g. `FUZZ_SECONDS=600` for ten
//! minutes per target). A failure prints the minimal input and the round's seed; `FUZZ_SEED=HEX`
//! (64 hex digits) replays that round.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseResult, TestRng, TestRunner};
use serde_json::{Value, json};

/// The committed seed corpus of `target`: every file in server/fuzz-corpus/{target}/, by name.
pub fn corpus(target: &str) -> Vec<Vec<u8>> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz-corpus")
        .join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", folder.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "corpus {} is empty", folder.display());
    paths
        .iter()
        .map(|path| std::fs::read(path).expect("corpus file"))
        .collect()
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")),
    )
}

fn round_seed(round: u64) -> [u8; 32] {
    if let Ok(hex) = std::env::var("FUZZ_SEED") {
        let hex = hex.trim();
        assert!(hex.len() == 64, "FUZZ_SEED must be 64 hex digits");
        let mut seed = [0u8; 32];
        for (i, byte) in seed.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("FUZZ_SEED is hex");
        }
        return seed;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(&nanos.to_le_bytes());
    seed[16..24].copy_from_slice(&round.to_le_bytes());
    seed[24..].copy_from_slice(&u64::from(std::process::id()).to_le_bytes());
    seed
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `check` on every `corpus` entry, then on generated cases: `FUZZ_CASES` (default
/// `default_cases`) per round, rounds repeated until `FUZZ_SECONDS` have passed (default: one
/// round). A panic or a returned failure fails the test with the (shrunk) input and the seed.
pub fn fuzz<S>(
    name: &str,
    default_cases: u32,
    corpus: &[S::Value],
    strategy: S,
    check: impl Fn(S::Value) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Clone + std::fmt::Debug,
{
    for (i, entry) in corpus.iter().enumerate() {
        if let Err(e) = check(entry.clone()) {
            panic!("fuzz {name}: corpus entry {i} {entry:?} failed: {e}");
        }
    }
    let cases = env_number("FUZZ_CASES").map_or(default_cases, |n| n.max(1) as u32);
    let budget = env_number("FUZZ_SECONDS").map(Duration::from_secs);
    let started = Instant::now();
    let mut total = 0u64;
    for round in 0.. {
        let seed = round_seed(round);
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        if let Err(e) = runner.run(&strategy, &check) {
            panic!("fuzz {name}: {e}\nreplay with FUZZ_SEED={}", hex(&seed));
        }
        total += u64::from(cases);
        let done = budget.is_none_or(|b| started.elapsed() >= b);
        if done || std::env::var("FUZZ_SEED").is_ok() {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {} corpus entries + {total} generated cases in {:.1?}",
        corpus.len(),
        started.elapsed()
    );
}

/// One byte-level change.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, byte: u8 },
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

/// Bytes that matter to JWTs, JSON, TOML and HTTP headers.
const INTERESTING_BYTES: &[u8] = b".\"{}[]:,=\\/ \t\r\n\x00\x7f\xff-_+0eE";

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        3 => proptest::sample::select(INTERESTING_BYTES),
        1 => any::<u8>(),
    ];
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        3 => (any::<usize>(), byte).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        2 => (any::<usize>(), 1usize..16).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// Applies `mutations` to `bytes` (positions wrap around the current length).
pub fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match *m {
            Mutation::Flip { at, bit } if len > 0 => bytes[at % len] ^= 1 << bit,
            Mutation::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
            Mutation::Delete { at, len: n } if len > 0 => {
                let start = at % len;
                bytes.drain(start..(start + n).min(len));
            }
            Mutation::Duplicate { at, len: n } if len > 0 => {
                let start = at % len;
                let piece = bytes[start..(start + n).min(len)].to_vec();
                bytes.splice(start..start, piece);
            }
            Mutation::Truncate { at } => bytes.truncate(at % (len + 1)),
            _ => {}
        }
    }
    bytes
}

/// One of `seeds`, changed by up to eight byte-level mutations.
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(seeds),
        proptest::collection::vec(mutation(), 0..8),
    )
        .prop_map(|(seed, mutations)| apply(seed, &mutations))
}

/// Strings a parser may trip over: empty, huge, control characters, numbers as text, escapes.
pub fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("mo".to_owned()),
        Just("RS256".to_owned()),
        Just("c420894f-36ba-4cd5-b4f8-1b24bd8c53db".to_owned()),
        Just("T4kgxLo21Uy0+BskvYxT2w==".to_owned()),
        Just("\u{0}\u{ffff}\u{1F600}".to_owned()),
        Just("x".repeat(5000)),
        "[ -~]{0,40}",
        any::<String>(),
    ]
}

/// JSON keys that the token and settings code reads, plus random ones.
pub fn interesting_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(&[
            "alg", "kid", "typ", "crit", "jku", "x5u", "iss", "aud", "azp", "exp", "nbf", "iat",
            "sub", "uuid", "realm_access", "resource_access", "roles", "mo", "client_id",
            "clientId", "preferred_username", "name", "email", "keys", "kty", "use", "n", "e",
            "realm", "auth-server-url", "resource", "public-client", "ssl-required",
        ][..]).prop_map(str::to_owned),
        1 => "[a-z_]{1,12}",
    ]
}

/// Any JSON value, biased to the shapes claims have (numbers of every kind, strings, arrays, objects).
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(1e300)),
        Just(json!(-1)),
        Just(json!(4102444800u64)),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((interesting_key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}
