//! Browser tests of DPoP: the tab's key (WebCrypto, not extractable), the proofs it signs (checked
//! with WebCrypto's own verify), proofs at the token endpoint and on API calls, and a server nonce.
#![cfg(target_arch = "wasm32")]

mod support;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use frontend::auth::{ApiClient, dpop::DpopKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use support::{
    Canned, access_token,
    harness::{TOKEN_URL, harness_with_dpop},
    settle,
};
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const API_URL: &str = "http://127.0.0.1:8080/api/v1/me";

fn part(jwt: &str, index: usize) -> Value {
    let segment = jwt.split('.').nth(index).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

/// Checks the proof's ES256 signature with WebCrypto, from the `jwk` in its own header.
async fn signature_is_valid(proof: &str) -> bool {
    let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
    let jwk: js_sys::Object = js_sys::JSON::parse(&part(proof, 0)["jwk"].to_string())
        .unwrap()
        .unchecked_into();
    let params: js_sys::Object =
        js_sys::JSON::parse(r#"{"name":"ECDSA","namedCurve":"P-256","hash":"SHA-256"}"#)
            .unwrap()
            .unchecked_into();
    let usages = js_sys::Array::of1(&"verify".into());
    let import = subtle
        .import_key_with_object("jwk", &jwk, &params, true, &usages)
        .unwrap();
    let key: web_sys::CryptoKey = JsFuture::from(import).await.unwrap().unchecked_into();
    let (input, signature) = proof.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let verify = subtle
        .verify_with_object_and_u8_array_and_u8_array(&params, &key, &signature, input.as_bytes())
        .unwrap();
    JsFuture::from(verify).await.unwrap().as_bool() == Some(true)
}

fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token))
}

#[wasm_bindgen_test]
async fn the_tab_key_is_p256_and_cannot_be_read_out() {
    let key = DpopKey::generate().await.unwrap();
    assert!(!key.private_key_is_extractable());
    let proof = key
        .proof(
            "GET",
            "https://mo.example/api/v1/me?x=1#top",
            Some("tok"),
            1_800_000_000,
        )
        .await
        .unwrap();
    let header = part(&proof, 0);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["jwk"]["kty"], "EC");
    assert_eq!(header["jwk"]["crv"], "P-256");
    assert!(
        header["jwk"].get("d").is_none(),
        "no private key in the proof"
    );
    let claims = part(&proof, 1);
    assert_eq!(claims["htm"], "GET");
    assert_eq!(
        claims["htu"], "https://mo.example/api/v1/me",
        "query and fragment dropped"
    );
    assert_eq!(claims["iat"], 1_800_000_000);
    assert_eq!(claims["ath"], hash("tok"));
    assert_eq!(claims["jti"].as_str().unwrap().len(), 43);
    assert!(claims.get("nonce").is_none());
    assert!(signature_is_valid(&proof).await);

    let again = key
        .proof("GET", "https://mo.example/", None, 1)
        .await
        .unwrap();
    assert_ne!(
        part(&again, 1)["jti"],
        claims["jti"],
        "a fresh jti per proof"
    );
    assert!(
        part(&again, 1).get("ath").is_none(),
        "no ath without a token"
    );
    assert_eq!(part(&again, 0), header, "one key per tab");
}

#[wasm_bindgen_test]
async fn a_dpop_session_proves_every_api_call_and_every_refresh() {
    let h = harness_with_dpop().await;
    let token = h.sign_in(300, "p1");
    h.http
        .answer("/api/v1/me", Canned::Json(200, json!({"ok": true})));
    let api = ApiClient::new(h.session.clone());
    let _: Value = api.get("/api/v1/me").await.unwrap();
    let sent = h.http.sent_to("/api/v1/me");
    assert_eq!(sent.len(), 1, "{:?}", h.http.sent.borrow());
    assert_eq!(sent[0].authorization, Some(format!("DPoP {token}")));
    let proof = sent[0].dpop.clone().expect("a proof on the API call");
    let claims = part(&proof, 1);
    assert_eq!(claims["htm"], "GET");
    assert_eq!(claims["htu"], API_URL);
    assert_eq!(claims["ath"], hash(&token));
    assert_eq!(claims["iat"], h.clock.now_seconds());
    assert!(signature_is_valid(&proof).await);

    // The refresh carries a proof without `ath`, for the token endpoint.
    let fresh = access_token(h.clock.now_seconds(), 300, "p2");
    h.http.answer(TOKEN_URL, dpop_token_answer(&fresh));
    h.session.refresh().await.unwrap();
    let refresh = h.http.sent_to(TOKEN_URL);
    let proof = refresh[0]
        .dpop
        .clone()
        .expect("a proof at the token endpoint");
    let claims = part(&proof, 1);
    assert_eq!(
        (claims["htm"].as_str(), claims["htu"].as_str()),
        (Some("POST"), Some(TOKEN_URL))
    );
    assert!(claims.get("ath").is_none());
    assert_eq!(
        refresh[0].authorization, None,
        "a public client sends no credentials"
    );
}

fn dpop_token_answer(access: &str) -> Canned {
    Canned::Json(
        200,
        json!({
            "access_token": access, "token_type": "DPoP", "expires_in": 300,
            "refresh_token": "refresh-2",
        }),
    )
}

#[wasm_bindgen_test]
async fn a_server_nonce_goes_into_the_retry_and_later_proofs() {
    let h = harness_with_dpop().await;
    h.sign_in(300, "n1");
    h.http.answer(
        TOKEN_URL,
        Canned::JsonWithHeaders(
            400,
            json!({"error": "use_dpop_nonce", "error_description": "nonce required"}),
            vec![("DPoP-Nonce", "n-1".into())],
        ),
    );
    let fresh = access_token(h.clock.now_seconds(), 300, "n2");
    h.http.answer(TOKEN_URL, dpop_token_answer(&fresh));
    h.session.refresh().await.unwrap();
    let sent = h.http.sent_to(TOKEN_URL);
    assert_eq!(sent.len(), 2, "one retry with the nonce");
    assert!(
        part(sent[0].dpop.as_ref().unwrap(), 1)
            .get("nonce")
            .is_none()
    );
    assert_eq!(part(sent[1].dpop.as_ref().unwrap(), 1)["nonce"], "n-1");
    assert_ne!(
        part(sent[0].dpop.as_ref().unwrap(), 1)["jti"],
        part(sent[1].dpop.as_ref().unwrap(), 1)["jti"]
    );
    settle().await;
    assert_eq!(h.session.access_token().await.unwrap(), fresh);
}
