//! Browser tests of the sign-in building blocks: PKCE, endpoint URLs, and the authorization and
//! end-session URLs (the callback and the redirect state: callback.rs).
#![cfg(target_arch = "wasm32")]

mod support;

use frontend::auth::{
    endpoints::Endpoints,
    login::{authorization_redirect, end_session},
    redirect_state::RedirectKind,
};
use oauth2::{PkceCodeChallenge, PkceCodeVerifier, url::Url};
use support::harness::{endpoints, keycloak};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const ISSUER: &str = "http://127.0.0.1:8081/realms/mo";

fn query(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[wasm_bindgen_test]
fn pkce_s256_matches_rfc_7636_appendix_b() {
    let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    assert_eq!(
        challenge.as_str(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(challenge.method().as_str(), "S256");
}

#[wasm_bindgen_test]
fn endpoints_follow_keycloaks_layout_with_and_without_the_legacy_auth_prefix() {
    let current = Endpoints::new(
        &keycloak("http://127.0.0.1:8081/"),
        "http://127.0.0.1:8080/",
    );
    assert_eq!(current.issuer, ISSUER);
    assert_eq!(
        current.authorization,
        "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/auth"
    );
    assert_eq!(
        current.token,
        "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/token"
    );
    assert_eq!(
        current.jwks,
        "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/certs"
    );
    assert_eq!(
        current.end_session,
        "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/logout"
    );
    assert_eq!(current.redirect_uri, "http://127.0.0.1:8080/callback");
    assert_eq!(current.client_id, "mo");

    let legacy = Endpoints::new(&keycloak("https://kc.example/auth/"), "https://mo.example");
    assert_eq!(legacy.issuer, "https://kc.example/auth/realms/mo");
    assert_eq!(
        legacy.token,
        "https://kc.example/auth/realms/mo/protocol/openid-connect/token"
    );
    assert_eq!(
        legacy.end_session,
        "https://kc.example/auth/realms/mo/protocol/openid-connect/logout"
    );
    assert_eq!(legacy.redirect_uri, "https://mo.example/callback");
}

#[wasm_bindgen_test]
fn the_authorization_url_asks_for_code_with_pkce_s256_state_nonce_and_openid_scopes() {
    let redirect =
        authorization_redirect(&endpoints(), RedirectKind::SignIn, "/me".into(), false).unwrap();
    let url = &redirect.url;
    assert!(url.starts_with("http://127.0.0.1:8081/realms/mo/protocol/openid-connect/auth?"));
    assert_eq!(query(url, "response_type").as_deref(), Some("code"));
    assert_eq!(query(url, "client_id").as_deref(), Some("mo"));
    assert_eq!(
        query(url, "redirect_uri").as_deref(),
        Some("http://127.0.0.1:8080/callback")
    );
    assert_eq!(query(url, "scope").as_deref(), Some("openid profile email"));
    assert_eq!(query(url, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(
        query(url, "prompt"),
        None,
        "an interactive sign-in may show the form"
    );

    let pending = &redirect.pending;
    assert_eq!(query(url, "state").as_ref(), Some(&pending.state));
    assert_eq!(query(url, "nonce"), pending.nonce.clone());
    let verifier = PkceCodeVerifier::new(pending.pkce_verifier.clone().unwrap());
    assert_eq!(
        query(url, "code_challenge").as_deref(),
        Some(PkceCodeChallenge::from_code_verifier_sha256(&verifier).as_str()),
        "the challenge is the S256 of the verifier kept for the return"
    );
    assert!(pending.state.len() >= 16 && pending.nonce.as_ref().unwrap().len() >= 16);
    assert_eq!(pending.return_to, "/me");

    let again =
        authorization_redirect(&endpoints(), RedirectKind::SignIn, "/me".into(), false).unwrap();
    assert_ne!(
        again.pending.state, pending.state,
        "state is fresh each time"
    );
    assert_ne!(
        again.pending.nonce, pending.nonce,
        "nonce is fresh each time"
    );
    assert_ne!(again.pending.pkce_verifier, pending.pkce_verifier);
}

#[wasm_bindgen_test]
fn the_silent_check_adds_prompt_none() {
    let redirect =
        authorization_redirect(&endpoints(), RedirectKind::SilentCheck, "/".into(), false).unwrap();
    assert_eq!(query(&redirect.url, "prompt").as_deref(), Some("none"));
    assert_eq!(redirect.pending.kind, RedirectKind::SilentCheck);
}

#[wasm_bindgen_test]
fn the_logout_is_a_form_post_with_the_hint_the_return_address_the_client_and_state() {
    let logout = end_session(&endpoints(), Some("id.token.value")).unwrap();
    assert_eq!(
        logout.action,
        "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/logout"
    );
    let field = |name: &str| {
        logout
            .fields
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    assert_eq!(field("id_token_hint").as_deref(), Some("id.token.value"));
    assert_eq!(
        field("post_logout_redirect_uri").as_deref(),
        Some("http://127.0.0.1:8080/callback")
    );
    assert_eq!(field("client_id").as_deref(), Some("mo"));
    assert_eq!(field("state").as_ref(), Some(&logout.pending.state));
    assert_eq!(logout.pending.kind, RedirectKind::SignOut);
    assert_eq!(logout.pending.pkce_verifier, None);
    // The ID token is never part of a URL.
    assert!(!logout.action.contains("id.token.value"));
}
