//! Tests of the verified-token cache alone, with an injected clock (inside the validator: validator_tests.rs).

use std::sync::Arc;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::*;
use crate::test_support::{TestKey, keys};

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
        dpop_jkt: None,
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
