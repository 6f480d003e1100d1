//! Fuzz targets (long-running property tests, see `fuzz_support`) for the `Authorization` header,
//! the token parser and validator, the claims, and JWKS documents: any input gives a principal or
//! a clean error, never a panic, and a changed token is never accepted.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderValue, Request};
use jsonwebtoken::{Algorithm, Header};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use super::fuzz_support::{corpus, fuzz, interesting_key, json_value, mutated};
use super::jwks::{JwksCache, KeySet};
use super::principal::{Claims, Principal};
use super::validate::ValidationError;
use super::{RefreshPolicy, TokenError, Unauthorized, Validator, bearer};
use crate::settings::Settings;
use crate::test_support::{JwksServer, b64, claims, keys, mint, mint_with};

const ISSUER: &str = "http://idp.test/realms/mo";

fn validator() -> Validator {
    let mut s = Settings::from_defaults();
    s.keycloak_auth_server_url = "http://idp.test/".into();
    s.keycloak_signing_alg = "RS256,PS256".into();
    Validator::new(&s, &s.resolve().unwrap())
}

fn key_set() -> KeySet {
    let doc = json!({ "keys": [keys()[0].jwk.clone(), keys()[1].jwk.clone()] });
    KeySet::from_jwks(
        doc.to_string().as_bytes(),
        &[Algorithm::RS256, Algorithm::PS256],
        2048,
    )
    .unwrap()
}

/// The validator's whole path without a network: header, key by `kid`, signature, claims.
fn validate(v: &Validator, set: &KeySet, token: &str) -> Result<Principal, TokenError> {
    let (alg, kid) = v.check_header(token)?;
    let key = set
        .find(kid.as_deref())
        .map_err(|_| TokenError::UnknownKey)?;
    v.verify(token, alg, &key)
}

/// Real-shaped tokens that pass: bruce's (keys k1 and k2) and an admin service account's.
fn good_tokens() -> Vec<String> {
    good_tokens_of(ISSUER)
}

fn good_tokens_of(issuer: &str) -> Vec<String> {
    let mut service = claims(issuer);
    service["preferred_username"] = json!("service-account-dipex");
    service["aud"] = json!("mo");
    service["azp"] = json!("dipex");
    service["realm_access"] = json!({"roles": ["admin"]});
    let mut k2 = Header::new(Algorithm::RS256);
    k2.kid = Some(keys()[1].kid.clone());
    vec![
        mint(&keys()[0], &claims(issuer)),
        mint(&keys()[0], &service),
        mint_with(&k2, &keys()[1], &claims(issuer)),
    ]
}

fn parts_with(value: HeaderValue) -> axum::http::request::Parts {
    let mut parts = Request::builder().body(()).unwrap().into_parts().0;
    parts.headers.insert(AUTHORIZATION, value);
    parts
}

#[test]
fn fuzz_authorization_header() {
    let v = validator();
    let set = key_set();
    let mut seeds = corpus("authorization");
    seeds.extend(
        good_tokens()
            .iter()
            .map(|t| format!("Bearer {t}").into_bytes()),
    );
    fuzz(
        "authorization-header",
        256,
        &seeds.clone(),
        mutated(seeds),
        |bytes| {
            // Values hyper would never deliver (CR, LF, NUL) cannot reach the extractor.
            let Ok(value) = HeaderValue::from_bytes(&bytes) else {
                return Ok(());
            };
            match bearer::presented_token(&parts_with(value)) {
                Ok(presented) => {
                    let token = presented.token;
                    prop_assert!(!token.is_empty() && !token.starts_with(' '));
                    let _ = validate(&v, &set, token);
                }
                Err(
                    Unauthorized::MissingToken
                    | Unauthorized::InvalidRequest(_)
                    | Unauthorized::InvalidProof(_),
                ) => {}
                Err(Unauthorized::InvalidToken(e)) => {
                    return Err(TestCaseError::fail(format!(
                        "header parser judged a token: {e}"
                    )));
                }
            }
            Ok(())
        },
    );
}

/// A token string: a byte-mutated good or corpus token, or a good token with its header or
/// payload segment replaced by generated JSON (signature kept).
fn token_strategy(good: Vec<String>, seeds: Vec<Vec<u8>>) -> impl Strategy<Value = String> {
    let header = (
        proptest::sample::select(good.clone()),
        prop_oneof![
            proptest::sample::select(
                &[
                    "RS256", "rs256", "PS256", "RS384", "HS256", "none", "ES256", "EdDSA", ""
                ][..]
            )
            .prop_map(|alg| json!(alg)),
            json_value(),
        ],
        prop_oneof![Just(json!("k1")), Just(json!("k2")), json_value()],
        proptest::option::of(json_value()),
    )
        .prop_map(|(token, alg, kid, extra)| {
            let mut header = json!({"typ": "JWT", "alg": alg, "kid": kid});
            if let Some(extra) = extra {
                header["crit"] = extra;
            }
            replace_segment(&token, 0, header.to_string().as_bytes())
        });
    let payload = (proptest::sample::select(good), json_value())
        .prop_map(|(token, payload)| replace_segment(&token, 1, payload.to_string().as_bytes()));
    prop_oneof![
        3 => mutated(seeds).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => header,
        1 => payload,
    ]
}

fn replace_segment(token: &str, index: usize, json: &[u8]) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = b64(json);
    parts.join(".")
}

#[test]
fn fuzz_token_parser_and_validator() {
    let v = validator();
    let set = key_set();
    let good = good_tokens();
    let mut seeds: Vec<Vec<u8>> = good.iter().map(|t| t.clone().into_bytes()).collect();
    seeds.extend(corpus("token"));
    let corpus_tokens: Vec<String> = seeds
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    for token in &good {
        assert!(
            validate(&v, &set, token).is_ok(),
            "the seeds are good tokens"
        );
    }
    fuzz(
        "token",
        256,
        &corpus_tokens,
        token_strategy(good.clone(), seeds),
        |token| {
            let outcome = validate(&v, &set, &token);
            if outcome.is_ok() {
                prop_assert!(
                    good.contains(&token),
                    "a changed token was accepted: {token}"
                );
            }
            if token.len() > 16384 {
                prop_assert_eq!(outcome, Err(TokenError::TooLong));
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_whole_validation_with_jwks_and_cache() {
    // `Validator::validate` as the extractor calls it: the JWKS cache (a local endpoint with k1
    // and k2) and the verified-token cache included.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (server, jwks, v) = runtime.block_on(async {
        let server = JwksServer::start(&[&keys()[0], &keys()[1]]).await;
        let settings = server.settings();
        let jwks = JwksCache::new(
            settings.resolve().unwrap().jwks_url,
            settings.resolve().unwrap().signing_algorithms,
            RefreshPolicy::from_settings(&settings),
        )
        .unwrap();
        (
            server,
            jwks,
            Validator::new(&settings, &settings.resolve().unwrap()),
        )
    });
    let good = good_tokens_of(&server.issuer());
    for token in &good {
        let outcome = runtime.block_on(v.validate(&jwks, token));
        assert!(outcome.is_ok(), "a good token: {outcome:?}");
    }
    let mut seeds: Vec<Vec<u8>> = good.iter().map(|t| t.clone().into_bytes()).collect();
    seeds.extend(corpus("token"));
    fuzz(
        "whole-validation",
        256,
        &good,
        token_strategy(good.clone(), seeds),
        |token| {
            match runtime.block_on(v.validate(&jwks, &token)) {
                Ok(_) => prop_assert!(good.contains(&token), "a changed token passed: {token}"),
                Err(ValidationError::KeysUnavailable { .. }) => {
                    return Err(TestCaseError::fail("keys were loaded; 503 is wrong"));
                }
                Err(ValidationError::Overloaded { .. }) => {
                    return Err(TestCaseError::fail("one caller never exceeds the bound"));
                }
                Err(ValidationError::Token(_)) => {}
            }
            Ok(())
        },
    );
    for token in &good {
        assert!(
            runtime.block_on(v.validate(&jwks, token)).is_ok(),
            "still good"
        );
    }
    drop(server);
}

/// Claims: bruce's, with fields replaced by generated JSON or removed.
fn claims_strategy() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        proptest::sample::select(
            &[
                "iss",
                "aud",
                "azp",
                "exp",
                "nbf",
                "iat",
                "typ",
                "uuid",
                "realm_access",
                "resource_access",
                "preferred_username",
                "client_id",
                "clientId",
                "sub",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z]{1,8}",
    ];
    let change = (field, proptest::option::of(json_value()));
    proptest::collection::vec(change, 1..5).prop_map(|changes| {
        let mut c = claims(ISSUER);
        let object = c.as_object_mut().unwrap();
        for (name, value) in changes {
            match value {
                Some(value) => object.insert(name, value),
                None => object.remove(&name),
            };
        }
        c
    })
}

/// Claims of the corpus, each a JSON object (other corpus files test the parser only).
fn corpus_claims() -> Vec<Value> {
    corpus("claims")
        .iter()
        .filter_map(|b| serde_json::from_slice(b).ok())
        .collect()
}

#[test]
fn fuzz_claims_parsing() {
    // Unsigned: the serde types and the principal, many cases.
    let raw = corpus("claims");
    fuzz("claims-bytes", 512, &raw.clone(), mutated(raw), |bytes| {
        if let Ok(c) = serde_json::from_slice::<Claims>(&bytes) {
            let _ = Principal::from_claims(c, "mo");
        }
        Ok(())
    });
    let values = corpus_claims();
    fuzz("claims-values", 512, &values, claims_strategy(), |value| {
        if let Ok(c) = serde_json::from_value::<Claims>(value)
            && let Ok(p) = Principal::from_claims(c.clone(), "mo")
        {
            prop_assert_eq!(&p.username, &c.preferred_username);
        }
        Ok(())
    });
}

#[test]
fn fuzz_signed_claims_through_the_validator() {
    // Signed with a trusted key, so every claim check runs. RSA signing is slow in debug
    // builds: few cases by default.
    let v = validator();
    let set = key_set();
    fuzz(
        "signed-claims",
        64,
        &corpus_claims(),
        claims_strategy(),
        |value| {
            let token = mint(&keys()[0], &value);
            match validate(&v, &set, &token) {
                Ok(p) => {
                    prop_assert_eq!(value["iss"].as_str(), Some(ISSUER));
                    let aud_ok = match &value["aud"] {
                        Value::String(a) => a == "mo",
                        Value::Array(all) => all.iter().any(|a| a == "mo"),
                        _ => false,
                    };
                    prop_assert!(aud_ok || value["azp"] == "mo", "audience rule: {value}");
                    prop_assert!(value["exp"].is_number(), "exp required: {value}");
                    prop_assert_eq!(p.username.as_deref(), value["preferred_username"].as_str());
                }
                Err(TokenError::BadSignature | TokenError::Malformed) => {
                    return Err(TestCaseError::fail(format!(
                        "a correctly signed token was refused as {:?}: {value}",
                        validate(&v, &set, &token)
                    )));
                }
                Err(_) => {}
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_jwks_documents() {
    let mut seeds = corpus("jwks");
    seeds.push(
        json!({ "keys": [keys()[0].jwk.clone(), keys()[1].jwk.clone()] })
            .to_string()
            .into_bytes(),
    );
    let algorithms = [Algorithm::RS256, Algorithm::PS256];
    fuzz("jwks", 256, &seeds.clone(), mutated(seeds), |bytes| {
        if let Ok(set) = KeySet::from_jwks(&bytes, &algorithms, 2048) {
            let _ = set.find(Some("k1"));
            let _ = set.find(None);
        }
        Ok(())
    });
    let documents = proptest::collection::vec(
        proptest::collection::vec((interesting_key(), json_value()), 0..6)
            .prop_map(|f| Value::Object(f.into_iter().collect())),
        0..4,
    )
    .prop_map(|keys| json!({ "keys": keys }));
    fuzz("jwks-values", 256, &[], documents, |doc| {
        let _ = KeySet::from_jwks(doc.to_string().as_bytes(), &algorithms, 2048);
        Ok(())
    });
}
