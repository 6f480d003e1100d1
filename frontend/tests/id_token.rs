//! Browser tests of the ID token checks with a real RSA key from WebCrypto: a good token passes,
//! and a bad signature, another issuer or audience, another nonce, `alg: none`, an unknown key
//! and an expired token are all refused.
#![cfg(target_arch = "wasm32")]

mod support;

use frontend::{
    auth::id_token::{CLOCK_LEEWAY_SECONDS, Expected, Jwks, verify},
    error::Error,
};
use serde_json::{Value, json};
use support::{TestKey, b64};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const ISSUER: &str = "http://127.0.0.1:8081/realms/mo";
const NOW: i64 = 1_800_000_000;

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        client_id: "mo",
        nonce: Some("n-456"),
        subject: None,
        now_seconds: NOW,
    }
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": "mo",
        "azp": "mo",
        "sub": "1c571f8f-0e3e-4ffa-9ff0-d35505781924",
        "iat": NOW,
        "exp": NOW + 300,
        "nonce": "n-456",
    })
}

fn header(key: &TestKey) -> Value {
    json!({ "alg": "RS256", "typ": "JWT", "kid": key.kid() })
}

async fn refused(token: &str, jwks: &Jwks, why: &str) {
    match verify(token, jwks, expected()).await {
        Err(Error::IdToken(reason)) => assert!(
            reason.contains(why),
            "refused for `{reason}`, expected a reason containing `{why}`"
        ),
        other => panic!("expected a refusal containing `{why}`, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn a_well_formed_token_from_the_realm_key_is_accepted() {
    let key = TestKey::generate("k1").await;
    let token = key.sign(&header(&key), &claims()).await;
    let sub = verify(&token, &key.jwks(), expected())
        .await
        .expect("a valid ID token");
    assert_eq!(sub, "1c571f8f-0e3e-4ffa-9ff0-d35505781924");

    // An audience list naming the client, with azp, is fine too.
    let mut listed = claims();
    listed["aud"] = json!(["mo", "account"]);
    let token = key.sign(&header(&key), &listed).await;
    verify(&token, &key.jwks(), expected())
        .await
        .expect("aud list with azp");
}

#[wasm_bindgen_test]
async fn a_bad_signature_is_refused() {
    let key = TestKey::generate("k1").await;
    let impostor = TestKey::generate("k1").await;
    let forged = impostor.sign(&header(&impostor), &claims()).await;
    refused(&forged, &key.jwks(), "signature").await;

    // A genuine signature over other claims.
    let token = key.sign(&header(&key), &claims()).await;
    let parts: Vec<&str> = token.split('.').collect();
    let mut changed = claims();
    changed["sub"] = "someone-else".into();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(changed.to_string().as_bytes()),
        parts[2]
    );
    refused(&tampered, &key.jwks(), "signature").await;
}

#[wasm_bindgen_test]
async fn another_issuer_is_refused() {
    let key = TestKey::generate("k1").await;
    let mut other = claims();
    other["iss"] = "http://127.0.0.1:8081/realms/other".into();
    let token = key.sign(&header(&key), &other).await;
    refused(&token, &key.jwks(), "issued by").await;
}

#[wasm_bindgen_test]
async fn another_audience_is_refused() {
    let key = TestKey::generate("k1").await;
    let mut other = claims();
    other["aud"] = "dipex".into();
    let token = key.sign(&header(&key), &other).await;
    refused(&token, &key.jwks(), "another client").await;

    let mut several = claims();
    several["aud"] = json!(["mo", "dipex"]);
    several["azp"] = "dipex".into();
    let token = key.sign(&header(&key), &several).await;
    refused(&token, &key.jwks(), "another client").await;
}

#[wasm_bindgen_test]
async fn another_nonce_or_none_is_refused() {
    let key = TestKey::generate("k1").await;
    let mut other = claims();
    other["nonce"] = "replayed".into();
    let token = key.sign(&header(&key), &other).await;
    refused(&token, &key.jwks(), "nonce").await;

    let mut missing = claims();
    missing.as_object_mut().unwrap().remove("nonce");
    let token = key.sign(&header(&key), &missing).await;
    refused(&token, &key.jwks(), "nonce").await;
}

#[wasm_bindgen_test]
async fn alg_none_and_hmac_are_refused() {
    let key = TestKey::generate("k1").await;
    let unsigned = format!(
        "{}.{}.",
        b64(json!({ "alg": "none", "typ": "JWT" })
            .to_string()
            .as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    refused(&unsigned, &key.jwks(), "only RS256").await;

    let hmac = format!(
        "{}.{}.c2ln",
        b64(json!({ "alg": "HS256", "kid": "k1" })
            .to_string()
            .as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    refused(&hmac, &key.jwks(), "only RS256").await;
}

#[wasm_bindgen_test]
async fn an_unknown_key_id_is_refused() {
    let key = TestKey::generate("k1").await;
    let token = key
        .sign(&json!({ "alg": "RS256", "kid": "rotated-away" }), &claims())
        .await;
    refused(&token, &key.jwks(), "key id").await;
}

#[wasm_bindgen_test]
async fn an_expired_token_is_refused() {
    let key = TestKey::generate("k1").await;
    let mut old = claims();
    old["iat"] = (NOW - 600).into();
    old["exp"] = (NOW - CLOCK_LEEWAY_SECONDS - 1).into();
    let token = key.sign(&header(&key), &old).await;
    refused(&token, &key.jwks(), "expired").await;

    // Within the leeway it still passes (clocks differ a little).
    let mut recent = claims();
    recent["exp"] = (NOW - CLOCK_LEEWAY_SECONDS + 5).into();
    let token = key.sign(&header(&key), &recent).await;
    verify(&token, &key.jwks(), expected())
        .await
        .expect("inside the leeway");
}

#[wasm_bindgen_test]
async fn garbage_is_refused() {
    let key = TestKey::generate("k1").await;
    refused("not-a-jwt", &key.jwks(), "compact JWT").await;
    refused("a.b.c.d", &key.jwks(), "compact JWT").await;
}

#[wasm_bindgen_test]
async fn a_missing_sub_or_another_azp_is_refused() {
    let key = TestKey::generate("k1").await;
    let mut no_sub = claims();
    no_sub.as_object_mut().unwrap().remove("sub");
    let token = key.sign(&header(&key), &no_sub).await;
    refused(&token, &key.jwks(), "no user").await;

    // A single audience naming the client, but issued to another party.
    let mut other_azp = claims();
    other_azp["azp"] = "dipex".into();
    let token = key.sign(&header(&key), &other_azp).await;
    refused(&token, &key.jwks(), "another client").await;
}

#[wasm_bindgen_test]
async fn a_refreshed_id_token_needs_no_nonce_but_the_same_user() {
    let key = TestKey::generate("k1").await;
    let refreshed = Expected {
        nonce: None,
        subject: Some("1c571f8f-0e3e-4ffa-9ff0-d35505781924"),
        ..expected()
    };
    let mut without_nonce = claims();
    without_nonce.as_object_mut().unwrap().remove("nonce");
    let token = key.sign(&header(&key), &without_nonce).await;
    verify(&token, &key.jwks(), refreshed)
        .await
        .expect("same user, no nonce");

    let mut someone_else = without_nonce.clone();
    someone_else["sub"] = "c420894f-36ba-4cd5-b4f8-1b24bd8c53db".into();
    let token = key.sign(&header(&key), &someone_else).await;
    match verify(&token, &key.jwks(), refreshed).await {
        Err(Error::IdToken(reason)) => assert!(reason.contains("another user"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
