//! Tests of the verified-token cache: alone with an injected clock, and inside the validator with tokens minted at test time.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::*;
use crate::auth::Validator;
use crate::auth::jwks::JwksCache;
use crate::auth::validate::ValidationError;
use crate::settings::Settings;
use crate::test_support::{JwksServer, TestKey, claims, keys, mint, now};

fn key_set(keys: &[&TestKey]) -> KeySet {
    let doc = json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() });
    KeySet::from_jwks(doc.to_string().as_bytes(), &[Algorithm::RS256], 2048).unwrap()
}

fn principal(name: &str) -> Principal {
    Principal::from(crate::auth::principal::Identity {
        sub: None,
        username: Some(name.into()),
        name: None,
        email: None,
        uuid: None,
        realm_roles: Default::default(),
        client_roles: Default::default(),
        azp: Some("mo".into()),
        service_account: false,
    })
}

/// An entry signed by `key` (as the validator would record it).
fn entry(key: &TestKey, exp: u64, nbf: Option<u64>) -> VerifiedToken {
    let set = key_set(&[key]);
    VerifiedToken {
        principal: principal("bruce"),
        kid: Some(key.kid.clone()),
        key_fingerprint: set.find(Some(&key.kid)).unwrap().fingerprint,
        exp,
        nbf,
    }
}

#[test]
fn exp_and_nbf_are_rechecked_on_every_use_with_the_leeway() {
    let k1 = &keys()[0];
    let cache = VerifiedTokens::new(10, 30);
    let d = "token";
    cache.insert(d, entry(k1, 1000, Some(900)), 950, 0, || 0);
    assert_eq!(cache.lookup(d, 950), Some(Ok(principal("bruce"))));
    // jsonwebtoken: expired when exp < now - leeway. 1030 is the last second still accepted.
    assert_eq!(cache.lookup(d, 1030), Some(Ok(principal("bruce"))));
    // A clock that went back before nbf - leeway: not yet valid, and the entry stays.
    assert_eq!(cache.lookup(d, 869), Some(Err(TokenError::NotYetValid)));
    assert_eq!(cache.lookup(d, 870), Some(Ok(principal("bruce"))));
    assert_eq!(cache.lookup(d, 1031), Some(Err(TokenError::Expired)));
    // The entry died at exp (+ leeway): the next lookup is a miss, validated afresh.
    assert_eq!(cache.lookup(d, 1031), None);
    assert!(cache.is_empty());
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses), (5, 1));
}

#[test]
fn bounded_in_size_dropping_expired_then_first_to_expire() {
    let k1 = &keys()[0];
    for capacity in [1, 4, 17, 100] {
        let cache = VerifiedTokens::new(capacity, 0);
        assert_eq!(cache.capacity(), capacity);
        for i in 0..(capacity as u64 * 5) {
            cache.insert(&format!("t{i}"), entry(k1, 10_000 + i, None), 0, 0, || 0);
            assert!(cache.len() <= capacity, "capacity {capacity}");
        }
    }
    // Small caches are one shard: a full cache drops the expired entry first, then the one expiring soonest.
    let cache = VerifiedTokens::new(2, 0);
    cache.insert("late", entry(k1, 5000, None), 0, 0, || 0);
    cache.insert("dead", entry(k1, 50, None), 0, 0, || 0);
    cache.insert("new", entry(k1, 4000, None), 100, 0, || 0);
    assert!(cache.lookup("dead", 100).is_none());
    assert!(cache.lookup("late", 100).is_some());
    cache.insert("newer", entry(k1, 6000, None), 100, 0, || 0);
    assert!(cache.lookup("new", 100).is_none());
    assert!(cache.lookup("late", 100).is_some());
    assert!(cache.lookup("newer", 100).is_some());
}

#[test]
fn capacity_zero_stores_nothing() {
    let k1 = &keys()[0];
    let cache = VerifiedTokens::new(0, 0);
    assert!(!cache.is_enabled());
    cache.insert("t", entry(k1, 10_000, None), 0, 0, || 0);
    assert_eq!(cache.len(), 0);
    assert_eq!(cache.lookup("t", 0), None);
}

#[test]
fn a_key_leaving_the_set_evicts_the_entries_it_signed() {
    let [k1, k2, k3] = [&keys()[0], &keys()[1], &keys()[2]];
    let cache = VerifiedTokens::new(100, 0);
    for i in 0..10 {
        cache.insert(&format!("k1-{i}"), entry(k1, 10_000, None), 0, 0, || 0);
        cache.insert(&format!("k2-{i}"), entry(k2, 10_000, None), 0, 0, || 0);
    }
    // Same generation: nothing is looked at.
    cache.sync_with(0, || panic!("no key set needed"));
    assert_eq!(cache.len(), 20);
    cache.sync_with(1, || Some(Arc::new(key_set(&[k2, k3]))));
    assert_eq!(cache.len(), 10);
    assert!(cache.lookup("k1-0", 0).is_none());
    assert!(cache.lookup("k2-0", 0).is_some());
    // A kid kept with other key material is another key: its entries go too.
    let k3_as_k2 = {
        let mut jwk = k3.jwk.clone();
        jwk["kid"] = Value::from("k2");
        let doc = json!({ "keys": [jwk] });
        KeySet::from_jwks(doc.to_string().as_bytes(), &[Algorithm::RS256], 2048).unwrap()
    };
    cache.sync_with(2, || Some(Arc::new(k3_as_k2)));
    assert!(cache.is_empty());
}

#[test]
fn a_token_checked_against_an_older_key_set_is_not_stored() {
    let k1 = &keys()[0];
    let cache = VerifiedTokens::new(100, 0);
    // The key set changed after the token was checked (generation 0 → 1).
    cache.insert("a", entry(k1, 10_000, None), 0, 0, || 1);
    // Checked against generation 1, but the entries were not purged for it yet.
    cache.insert("b", entry(k1, 10_000, None), 0, 1, || 1);
    assert!(cache.is_empty());
    cache.sync_with(1, || Some(Arc::new(key_set(&[k1]))));
    cache.insert("c", entry(k1, 10_000, None), 0, 1, || 1);
    assert_eq!(cache.len(), 1);
}

#[test]
fn tokens_whose_hashes_collide_are_told_apart_by_their_bytes() {
    let k1 = &keys()[0];
    let cache = VerifiedTokens::new(100, 0);
    let same_hash = 42;
    cache.insert_by_key(same_hash, "token-a", entry(k1, 10_000, None), 0, 0, || 0);
    assert_eq!(
        cache.lookup_by_key(same_hash, "token-a", 0),
        Some(Ok(principal("bruce")))
    );
    // Another token in the same slot, one byte apart or of another length: never its answer.
    assert_eq!(cache.lookup_by_key(same_hash, "token-b", 0), None);
    assert_eq!(cache.lookup_by_key(same_hash, "token-a2", 0), None);
    assert_eq!(cache.lookup_by_key(same_hash, "token-", 0), None);
    // An expired lookup of another token does not remove the stored one.
    assert_eq!(cache.lookup_by_key(same_hash, "token-b", 20_000), None);
    assert_eq!(cache.len(), 1);
    // The colliding token, once verified, takes the slot; the first is then verified afresh.
    cache.insert_by_key(same_hash, "token-b", entry(k1, 10_000, None), 0, 0, || 0);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.lookup_by_key(same_hash, "token-a", 0), None);
    assert!(cache.lookup_by_key(same_hash, "token-b", 0).is_some());
}

#[test]
fn exact_comparison_sees_every_byte_position() {
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJicnVjZSJ9.c2lnbmF0dXJl";
    assert!(same_token(token, token));
    for i in 0..token.len() {
        let mut changed = token.as_bytes().to_vec();
        changed[i] ^= 1;
        let changed = String::from_utf8(changed).unwrap();
        assert!(!same_token(token, &changed), "byte {i}");
    }
    assert!(!same_token(token, &token[..token.len() - 1]));
    assert!(same_token("", ""));
}

// ---- inside the validator ----

fn validator(settings: &Settings) -> Validator {
    Validator::new(settings).unwrap()
}

fn jwks(server: &JwksServer) -> Arc<JwksCache> {
    let s = server.settings();
    JwksCache::new(
        s.jwks_url().unwrap(),
        vec![Algorithm::RS256],
        s.refresh_policy(),
    )
    .unwrap()
}

fn token(server: &JwksServer, key: &TestKey, changes: Value) -> String {
    let mut c = claims(&server.issuer());
    for (k, v) in changes.as_object().unwrap() {
        c[k] = v.clone();
    }
    mint(key, &c)
}

#[tokio::test]
async fn the_same_token_again_is_a_lookup_with_the_fresh_answer() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let (v, jwks) = (validator(&server.settings()), jwks(&server));
    let t = token(&server, &keys()[0], json!({}));
    let first = v.validate(&jwks, &t).await.unwrap();
    assert_eq!(v.verified_tokens().stats().hits, 0);
    for _ in 0..5 {
        assert_eq!(v.validate(&jwks, &t).await.unwrap(), first);
    }
    // One miss (the first), then lookups only.
    let stats = v.verified_tokens().stats();
    assert_eq!((stats.entries, stats.hits, stats.misses), (1, 5, 1));
    // Exactly what a fresh validation gives.
    let (fresh, _) = v.validate_fresh(&jwks, &t).await.unwrap();
    assert_eq!(fresh, first);
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn a_token_differing_by_one_byte_is_verified_afresh() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let (v, jwks) = (validator(&server.settings()), jwks(&server));
    let t = token(&server, &keys()[0], json!({}));
    v.validate(&jwks, &t).await.unwrap();
    let signature_at = t.rfind('.').unwrap() + 10;
    let payload_at = t.find('.').unwrap() + 10;
    for at in [signature_at, payload_at] {
        let mut bytes = t.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        // A changed payload may no longer parse (refused before the signature); either way it
        // is judged afresh, never answered from the cache.
        let outcome = v.validate(&jwks, &changed).await;
        assert!(
            matches!(
                outcome,
                Err(ValidationError::Token(
                    TokenError::BadSignature | TokenError::BadClaims | TokenError::Malformed
                ))
            ),
            "byte {at}: {outcome:?}"
        );
    }
    let stats = v.verified_tokens().stats();
    assert_eq!((stats.entries, stats.hits, stats.misses), (1, 0, 3));
    assert!(v.validate(&jwks, &t).await.is_ok());
    assert_eq!(v.verified_tokens().stats().hits, 1);
}

#[tokio::test]
async fn an_entry_dies_at_exp() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let mut settings = server.settings();
    settings.clock_leeway_seconds = 0;
    let (v, jwks) = (validator(&settings), jwks(&server));
    let exp = now() + 1;
    let t = token(&server, &keys()[0], json!({ "exp": exp }));
    v.validate(&jwks, &t).await.unwrap();
    v.validate(&jwks, &t).await.unwrap();
    assert_eq!(v.verified_tokens().stats().hits, 1);
    while now() <= exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expired = Err(ValidationError::Token(TokenError::Expired));
    assert_eq!(v.validate(&jwks, &t).await.map(|_| ()), expired);
    assert!(v.verified_tokens().is_empty());
    assert_eq!(v.validate_fresh(&jwks, &t).await.map(|_| ()), expired);
}

#[tokio::test]
async fn a_key_leaving_the_jwks_evicts_its_tokens() {
    let [k1, k2, k3] = [&keys()[0], &keys()[1], &keys()[2]];
    let server = JwksServer::start(&[k1, k2]).await;
    let (v, jwks) = (validator(&server.settings()), jwks(&server));
    let t1 = token(&server, k1, json!({}));
    let t2 = token(&server, k2, json!({}));
    v.validate(&jwks, &t1).await.unwrap();
    v.validate(&jwks, &t2).await.unwrap();
    assert_eq!(v.verified_tokens().len(), 2);
    // Rotation: k1 leaves, k3 arrives; a k3 token makes the server refetch.
    server.set_keys(&[k2, k3]);
    v.validate(&jwks, &token(&server, k3, json!({})))
        .await
        .unwrap();
    assert_eq!(server.fetches(), 2);
    v.validate(&jwks, &t2).await.unwrap();
    assert_eq!(v.verified_tokens().len(), 2, "k2 and k3 tokens remain");
    assert_eq!(
        v.validate(&jwks, &t1).await,
        Err(ValidationError::Token(TokenError::UnknownKey))
    );
    assert_eq!(v.verified_tokens().len(), 2);
}

#[tokio::test]
async fn one_cache_per_settings_never_skips_issuer_or_audience() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let jwks = jwks(&server);
    let t = token(&server, &keys()[0], json!({}));
    let ours = validator(&server.settings());
    ours.validate(&jwks, &t).await.unwrap();
    ours.validate(&jwks, &t).await.unwrap();
    let mut other_client = server.settings();
    other_client.keycloak_mo_client = "other".into();
    assert_eq!(
        validator(&other_client).validate(&jwks, &t).await,
        Err(ValidationError::Token(TokenError::WrongAudience))
    );
    let mut other_realm = server.settings();
    other_realm.keycloak_realm = "other".into();
    assert_eq!(
        validator(&other_realm).validate(&jwks, &t).await,
        Err(ValidationError::Token(TokenError::WrongIssuer))
    );
    // Clones share the cache (one validator per AppState).
    let clone = ours.clone();
    clone.validate(&jwks, &t).await.unwrap();
    assert_eq!(ours.verified_tokens().stats().hits, 2);
}

#[tokio::test]
async fn disabled_cache_verifies_every_time() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let mut settings = server.settings();
    settings.verified_token_cache_entries = 0;
    let (v, jwks) = (validator(&settings), jwks(&server));
    let t = token(&server, &keys()[0], json!({}));
    for _ in 0..3 {
        v.validate(&jwks, &t).await.unwrap();
    }
    assert_eq!(v.verified_tokens().stats(), CacheStats::default());
}

#[tokio::test]
async fn hits_still_refresh_a_stale_key_set_and_lose_a_removed_key() {
    let [k1, k2] = [&keys()[0], &keys()[1]];
    let server = JwksServer::start(&[k1, k2]).await;
    let policy = crate::auth::RefreshPolicy {
        min_refetch_interval: Duration::from_millis(100),
        max_age: Duration::from_millis(300),
        ..crate::auth::RefreshPolicy::default()
    };
    let jwks = JwksCache::new(server.url(), vec![Algorithm::RS256], policy).unwrap();
    let v = validator(&server.settings());
    let t1 = token(&server, k1, json!({}));
    v.validate(&jwks, &t1).await.unwrap();
    server.set_keys(&[k2]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // A hit on a stale set starts the background refresh, as a key lookup would.
    v.validate(&jwks, &t1).await.unwrap();
    for _ in 0..50 {
        if jwks.status().completed >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.fetches(), 2);
    assert_eq!(
        v.validate(&jwks, &t1).await,
        Err(ValidationError::Token(TokenError::UnknownKey))
    );
    assert!(v.verified_tokens().is_empty());
}

#[tokio::test]
async fn claims_that_need_no_key_are_refused_before_any_key_lookup() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let (v, jwks) = (validator(&server.settings()), jwks(&server));
    // Forged tokens whose kid is unknown: a key lookup would fetch the JWKS.
    let unknown_kid = |changes: Value| {
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some("nobody-knows".into());
        let mut c = claims(&server.issuer());
        for (k, value) in changes.as_object().unwrap() {
            if value.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = value.clone();
            }
        }
        crate::test_support::mint_with(&header, &keys()[1], &c)
    };
    for (changes, expected) in [
        (json!({"typ": "ID"}), TokenError::WrongType),
        (json!({"typ": null}), TokenError::WrongType),
        (
            json!({"iss": "http://elsewhere/realms/mo"}),
            TokenError::WrongIssuer,
        ),
        (
            json!({"aud": "account", "azp": "other"}),
            TokenError::WrongAudience,
        ),
        (json!({"azp": null}), TokenError::MissingClaim),
        (json!({"exp": 1_000}), TokenError::Expired),
        (json!({"exp": null}), TokenError::MissingClaim),
        (json!({"nbf": now() + 3_600}), TokenError::NotYetValid),
    ] {
        let outcome = v.validate(&jwks, &unknown_kid(changes.clone())).await;
        assert_eq!(outcome, Err(ValidationError::Token(expected)), "{changes}");
    }
    assert_eq!(server.fetches(), 0, "no key was looked up for any of them");
}

#[tokio::test]
async fn over_the_verification_bound_a_fresh_token_is_told_to_retry_and_a_cached_one_passes() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let (v, jwks) = (validator(&server.settings()), jwks(&server));
    let cached = token(&server, &keys()[0], json!({}));
    v.validate(&jwks, &cached).await.unwrap();
    let fresh = token(&server, &keys()[0], json!({"jti": "another"}));

    let slots = v.take_all_verify_slots().await;
    assert_eq!(
        v.validate(&jwks, &fresh).await,
        Err(ValidationError::Overloaded {
            retry_after: Duration::from_secs(1)
        })
    );
    assert!(
        v.validate(&jwks, &cached).await.is_ok(),
        "the cache never waits"
    );
    drop(slots);
    assert!(v.validate(&jwks, &fresh).await.is_ok());
}
