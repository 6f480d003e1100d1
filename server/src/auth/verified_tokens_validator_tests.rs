//! Tests of the verified-token cache inside the validator, with tokens minted at test time: hits,
//! one-byte differences, expiry, key removal, per-settings caches and the verification bound.

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

fn validator(settings: &Settings) -> Validator {
    Validator::new(settings, &settings.resolve().unwrap())
}

fn jwks(server: &JwksServer) -> Arc<JwksCache> {
    let s = server.settings();
    JwksCache::new(
        s.resolve().unwrap().jwks_url,
        vec![Algorithm::RS256],
        crate::auth::RefreshPolicy::from_settings(&s),
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
        ..crate::auth::RefreshPolicy::from_settings(&crate::Settings::from_defaults())
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
