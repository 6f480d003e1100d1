//! Tests of the JWKS cache against a local endpoint that counts fetches and misbehaves on request.

use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::*;
use crate::test_support::{JwksServer, Mode, keys, weak_key};

fn policy(interval_ms: u64) -> RefreshPolicy {
    RefreshPolicy {
        min_refetch_interval: Duration::from_millis(interval_ms),
        max_age: Duration::from_secs(3600),
        fetch_timeout: Duration::from_millis(500),
        ..RefreshPolicy::from_settings(&crate::Settings::from_defaults())
    }
}

fn cache(server: &JwksServer, policy: RefreshPolicy) -> Arc<JwksCache> {
    JwksCache::new(server.url(), vec![Algorithm::RS256], policy).unwrap()
}

#[tokio::test]
async fn fetches_lazily_once_and_then_serves_from_cache() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let cache = cache(&server, policy(60_000));
    assert_eq!(
        server.fetches(),
        0,
        "nothing is fetched before it is needed"
    );
    assert_eq!(
        cache.key_for(Some("k1")).await.unwrap().kid.as_deref(),
        Some("k1")
    );
    for _ in 0..10 {
        cache.key_for(Some("k1")).await.unwrap();
    }
    assert_eq!(server.fetches(), 1);
    assert_eq!(cache.fetch_count(), 1);
    assert!(cache.status().loaded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_share_one_fetch() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    server.set_delay(Duration::from_millis(200));
    let cache = cache(&server, policy(60_000));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.key_for(Some("k1")).await.is_ok() })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(server.fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_unknown_kids_cause_exactly_one_refetch() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let cache = cache(&server, policy(60_000));
    cache.ensure_loaded().await.unwrap();
    server.set_delay(Duration::from_millis(200));
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.key_for(Some(&format!("unknown-{i}"))).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap_err(), KeyError::UnknownKid);
    }
    assert_eq!(
        server.fetches(),
        2,
        "the initial load and exactly one refetch"
    );
}

#[tokio::test]
async fn first_refetch_after_rotation_is_immediate_then_rate_limited() {
    let [k1, k2, k3] = [&keys()[0], &keys()[1], &keys()[2]];
    let server = JwksServer::start(&[k1]).await;
    let cache = cache(&server, policy(400));
    cache.ensure_loaded().await.unwrap();
    // Rotation right after start-up: the new kid is fetched at once.
    server.set_keys(&[k1, k2]);
    let started = Instant::now();
    cache.key_for(Some("k2")).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(server.fetches(), 2);
    // A second rotation within the interval is not fetched (rate limit) ...
    server.set_keys(&[k1, k2, k3]);
    assert_eq!(
        cache.key_for(Some("k3")).await.unwrap_err(),
        KeyError::UnknownKid
    );
    assert_eq!(
        cache.key_for(Some("junk")).await.unwrap_err(),
        KeyError::UnknownKid
    );
    assert_eq!(server.fetches(), 2);
    // ... but once the interval has passed.
    tokio::time::sleep(Duration::from_millis(450)).await;
    cache.key_for(Some("k3")).await.unwrap();
    assert_eq!(server.fetches(), 3);
    // Known keys never cause a fetch.
    cache.key_for(Some("k1")).await.unwrap();
    assert_eq!(server.fetches(), 3);
}

#[tokio::test]
async fn removed_key_is_dropped_on_the_next_refetch() {
    let [k1, k2] = [&keys()[0], &keys()[1]];
    let server = JwksServer::start(&[k1]).await;
    let cache = cache(&server, policy(60_000));
    cache.key_for(Some("k1")).await.unwrap();
    server.set_keys(&[k2]);
    cache.key_for(Some("k2")).await.unwrap();
    assert_eq!(
        cache.key_for(Some("k1")).await.unwrap_err(),
        KeyError::UnknownKid
    );
}

async fn keeps_last_good_set_when(mode: Mode) {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let cache = cache(&server, policy(1));
    cache.ensure_loaded().await.unwrap();
    server.set_mode(mode);
    let started = Instant::now();
    assert_eq!(
        cache.key_for(Some("other")).await.unwrap_err(),
        KeyError::UnknownKid
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{mode:?}: fetch was not bounded"
    );
    assert_eq!(server.fetches(), 2, "{mode:?}: the refetch happened");
    assert!(cache.status().last_error.is_some(), "{mode:?}");
    assert!(
        cache.key_for(Some("k1")).await.is_ok(),
        "{mode:?}: old key lost"
    );
    assert_eq!(cache.status().key_count, 1);
}

#[tokio::test]
async fn failure_500_keeps_last_good_set() {
    keeps_last_good_set_when(Mode::Status500).await;
}

#[tokio::test]
async fn garbage_keeps_last_good_set() {
    keeps_last_good_set_when(Mode::Garbage).await;
}

#[tokio::test]
async fn set_without_usable_keys_keeps_last_good_set() {
    keeps_last_good_set_when(Mode::NoKeys).await;
}

#[tokio::test]
async fn hang_times_out_and_keeps_last_good_set() {
    keeps_last_good_set_when(Mode::Hang).await;
}

#[tokio::test]
async fn oversized_response_keeps_last_good_set() {
    keeps_last_good_set_when(Mode::Huge).await;
}

#[tokio::test]
async fn unreachable_idp_keeps_last_good_set() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let cache = cache(&server, policy(1));
    cache.ensure_loaded().await.unwrap();
    drop(server);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        cache.key_for(Some("other")).await.unwrap_err(),
        KeyError::UnknownKid
    );
    assert!(cache.key_for(Some("k1")).await.is_ok());
}

#[tokio::test]
async fn never_obtained_is_unavailable_with_retry_after_and_recovers() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    server.set_mode(Mode::Status500);
    let cache = cache(&server, policy(300));
    match cache.key_for(Some("k1")).await.unwrap_err() {
        KeyError::Unavailable { retry_after } => assert!(retry_after >= Duration::from_secs(1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.fetches(), 1);
    // Within the interval: no new attempt.
    server.set_mode(Mode::Ok);
    assert!(matches!(
        cache.key_for(Some("k1")).await,
        Err(KeyError::Unavailable { .. })
    ));
    assert!(cache.ensure_loaded().await.is_err());
    assert_eq!(server.fetches(), 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(cache.key_for(Some("k1")).await.is_ok());
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn stale_set_is_refreshed_in_the_background() {
    let [k1, k2] = [&keys()[0], &keys()[1]];
    let server = JwksServer::start(&[k1]).await;
    let policy = RefreshPolicy {
        max_age: Duration::from_millis(200),
        ..policy(100)
    };
    let cache = cache(&server, policy);
    cache.ensure_loaded().await.unwrap();
    server.set_keys(&[k2]);
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Served from the stale set while the refresh runs in the background.
    assert!(cache.key_for(Some("k1")).await.is_ok());
    for _ in 0..200 {
        if cache.status().completed == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.fetches(), 2);
    assert!(
        cache.key_for(Some("k2")).await.is_ok(),
        "the refreshed set is in use"
    );
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn token_without_kid_needs_a_single_key_set() {
    let [k1, k2] = [&keys()[0], &keys()[1]];
    let server = JwksServer::start(&[k1]).await;
    let one = cache(&server, policy(60_000));
    assert!(one.key_for(None).await.is_ok());
    server.set_keys(&[k1, k2]);
    let two = cache(&server, policy(60_000));
    assert_eq!(two.key_for(None).await.unwrap_err(), KeyError::AmbiguousKey);
}

#[test]
fn only_rsa_signing_keys_are_used() {
    let rsa = |extra: serde_json::Value| {
        let mut jwk = keys()[0].jwk.clone();
        for (k, v) in extra.as_object().unwrap() {
            jwk[k] = v.clone();
        }
        jwk
    };
    let doc = json!({ "keys": [
        rsa(json!({"kid": "enc", "use": "enc", "alg": "RSA-OAEP"})),
        rsa(json!({"kid": "ops", "key_ops": ["encrypt"]})),
        rsa(json!({"kid": "rs512", "alg": "RS512"})),
        rsa(json!({"kid": "no-n", "n": null})),
        rsa(json!({"kid": "bad-n", "n": "***"})),
        {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kid": "oct", "kty": "oct", "k": "c2VjcmV0"},
        weak_key().jwk.clone(),
        "not an object",
        rsa(json!({"kid": "good"})),
        rsa(json!({"kid": "no-alg", "alg": null, "use": null})),
        rsa(json!({"kid": "good", "alg": "PS256"})),
    ]});
    let set = KeySet::from_jwks(doc.to_string().as_bytes(), &[Algorithm::RS256], 2048).unwrap();
    assert_eq!(set.kids(), vec!["good", "no-alg"]);
    assert_eq!(
        set.find(Some("good")).unwrap().alg,
        Some(Algorithm::RS256),
        "the first key of a duplicated kid wins"
    );
}

#[test]
fn documents_without_usable_keys_are_errors() {
    for body in [
        &b"garbage"[..],
        b"{}",
        b"{\"keys\": {}}",
        b"{\"keys\": []}",
        b"{\"keys\": [{\"kty\": \"oct\", \"k\": \"AA\"}]}",
    ] {
        assert!(
            KeySet::from_jwks(body, &[Algorithm::RS256], 2048).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}
