//! Encoding negotiation and the cache's generations: newer forgets older, older neither reads
//! nor fills, the byte budget holds.

use std::io::Read;
use std::sync::Arc;

use axum::http::HeaderValue;

use super::*;
use crate::rbac::tests::{NOBODY, bruce, caller, eline};
use crate::store::units::Snapshot;

fn admin() -> crate::rbac::Caller {
    caller(true, false, Some(NOBODY))
}

/// JSON shaped like the unit list, `units` records with uuid-like hex that compresses as
/// poorly as real uuids do.
pub(crate) fn list_like(units: u32) -> Vec<u8> {
    (0..units)
        .flat_map(|i| {
            format!(
                r#"{{"uuid":"{:032x}","name":"Enhed {i}"}},"#,
                i.wrapping_mul(2_654_435_761)
            )
            .into_bytes()
        })
        .collect()
}

fn preferred(value: &str) -> Encoding {
    Encoding::preferred(Some(&HeaderValue::from_str(value).unwrap()))
}

#[test]
fn zstd_then_brotli_then_gzip_then_none_and_q0_refuses() {
    assert_eq!(Encoding::preferred(None), Encoding::Identity);
    assert_eq!(preferred("gzip, deflate, br, zstd"), Encoding::Zstd);
    assert_eq!(preferred("ZSTD;q=0.1"), Encoding::Zstd);
    assert_eq!(preferred("gzip, deflate, br, zstd;q=0"), Encoding::Brotli);
    assert_eq!(preferred("gzip, deflate, br"), Encoding::Brotli);
    assert_eq!(preferred("gzip"), Encoding::Gzip);
    assert_eq!(preferred("GZIP;q=0.5, identity"), Encoding::Gzip);
    assert_eq!(preferred("br;q=0, gzip"), Encoding::Gzip);
    assert_eq!(preferred("br; q=0.0, gzip;q=0"), Encoding::Identity);
    assert_eq!(preferred("*"), Encoding::Brotli, "zstd only when named");
    assert_eq!(preferred("br;q=0, *"), Encoding::Gzip);
    assert_eq!(preferred("deflate"), Encoding::Identity);
    assert_eq!(preferred(""), Encoding::Identity);
}

#[test]
fn bodies_decode_to_the_json() {
    let json = br#"[{"uuid":"x","name":"Enhed"}]"#.repeat(50);
    assert_eq!(Encoding::Identity.encode(&json), json);
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&Encoding::Gzip.encode(&json)[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, json);
    for encoding in [
        Encoding::Zstd,
        Encoding::Brotli,
        Encoding::Gzip,
        Encoding::Identity,
    ] {
        for body in [encoding.encode(&json), encoding.polished(&json)] {
            assert_eq!(encoding.decode(&body).unwrap(), json, "{encoding:?}");
        }
    }
    assert!(Encoding::Zstd.decode(b"not zstd").is_err());
    for brotli in [
        Encoding::Brotli.encode(&json),
        Encoding::Brotli.polished(&json),
    ] {
        assert!(brotli.len() < json.len() / 10, "{}", brotli.len());
        let mut out = Vec::new();
        brotli::Decompressor::new(&brotli[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, json);
    }
}

#[test]
fn zstd_bodies_decode_within_the_8_mib_window_browsers_allow() {
    // Larger than 8 MiB, so a frame could ask for more than browsers decode (RFC 9659).
    let json = list_like(400_000);
    assert!(json.len() > 8 << 20, "{}", json.len());
    for zstd in [Encoding::Zstd.encode(&json), Encoding::Zstd.polished(&json)] {
        assert!(zstd.len() < json.len() / 4, "{}", zstd.len());
        let mut decoder = zstd::stream::read::Decoder::new(&zstd[..]).unwrap();
        decoder.window_log_max(23).unwrap();
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).unwrap();
        assert_eq!(out, json);
    }
    assert!(Encoding::Zstd.polishes() && Encoding::Brotli.polishes());
    assert!(!Encoding::Gzip.polishes() && !Encoding::Identity.polishes());
}

#[test]
fn each_caller_kind_has_its_body_and_a_newer_generation_forgets_them() {
    let cache = ListCache::default();
    let (a, e) = (AccessKey::of(&admin()), AccessKey::of(&eline()));
    assert_ne!(a, e);
    assert_eq!(AccessKey::of(&bruce()), AccessKey::of(&bruce()));
    cache.keep_body(3, a, Encoding::Brotli, Bytes::from_static(b"admin"));
    cache.keep_body(3, e, Encoding::Brotli, Bytes::from_static(b"eline"));
    assert_eq!(cache.body(3, a, Encoding::Brotli).unwrap(), "admin");
    assert_eq!(cache.body(3, e, Encoding::Brotli).unwrap(), "eline");
    assert!(cache.body(3, a, Encoding::Gzip).is_none());
    cache.keep_snapshot(3, Arc::new(Snapshot::default()));
    assert!(cache.snapshot(3).is_some());
    // A reader in an older snapshot neither sees nor replaces generation 3.
    assert!(cache.body(2, a, Encoding::Brotli).is_none());
    cache.keep_body(2, a, Encoding::Brotli, Bytes::from_static(b"old"));
    cache.keep_snapshot(2, Arc::new(Snapshot::default()));
    assert!(cache.snapshot(2).is_none());
    assert_eq!(cache.body(3, a, Encoding::Brotli).unwrap(), "admin");
    // A write later: nothing of generation 3 is answered any more.
    assert!(cache.body(4, a, Encoding::Brotli).is_none());
    assert!(cache.snapshot(4).is_none());
    assert!(cache.body(3, a, Encoding::Brotli).is_none());
}

#[test]
fn the_byte_budget_drops_the_oldest_body() {
    let cache = ListCache::default();
    let big = || Bytes::from(vec![0u8; MAX_CACHED_BYTES / 2 + 1]);
    let (a, e) = (AccessKey::of(&admin()), AccessKey::of(&eline()));
    cache.keep_body(1, a, Encoding::Identity, big());
    cache.keep_body(1, e, Encoding::Identity, big());
    assert!(
        cache.body(1, a, Encoding::Identity).is_none(),
        "the oldest went"
    );
    assert!(cache.body(1, e, Encoding::Identity).is_some());
    cache.keep_body(
        1,
        a,
        Encoding::Identity,
        Bytes::from(vec![0u8; MAX_CACHED_BYTES + 1]),
    );
    assert!(
        cache.body(1, a, Encoding::Identity).is_none(),
        "too big alone"
    );
    assert!(cache.body(1, e, Encoding::Identity).is_some());
}

#[tokio::test]
async fn one_polish_at_a_time() {
    let cache = ListCache::default();
    let turn = cache.polish_turn().await;
    let wait = std::time::Duration::from_millis(20);
    assert!(
        tokio::time::timeout(wait, cache.polish_turn())
            .await
            .is_err()
    );
    drop(turn);
    assert!(
        tokio::time::timeout(wait, cache.polish_turn())
            .await
            .is_ok()
    );
}

#[test]
fn a_body_is_first_once_per_generation() {
    let cache = ListCache::default();
    let a = AccessKey::of(&admin());
    let body = || Bytes::from_static(b"[]");
    assert!(cache.keep_body(5, a, Encoding::Zstd, body()));
    assert!(!cache.keep_body(5, a, Encoding::Zstd, body()), "again");
    assert!(
        cache.keep_body(5, a, Encoding::Brotli, body()),
        "another encoding"
    );
    assert!(
        !cache.keep_body(4, a, Encoding::Gzip, body()),
        "older: not kept"
    );
    assert!(
        cache.keep_body(6, a, Encoding::Zstd, body()),
        "a newer generation"
    );
}
