//! Browser tests of the API client (bearer, one refresh and retry on 401, typed errors) and of a
//! whole sign-in (code exchange, ID token check) leaving no token in web storage; canned HTTP.
#![cfg(target_arch = "wasm32")]

mod support;

use frontend::{
    auth::{
        ApiClient, SessionStatus,
        callback::{CallbackOutcome, CallbackParams, evaluate},
        login::authorization_redirect,
        redirect_state::{self, RedirectKind},
        sign_in_hint,
    },
    error::Error,
};
use leptos::prelude::GetUntracked;
use serde_json::json;
use support::{
    Canned, TestKey, access_token,
    harness::{TOKEN_URL, endpoints, harness},
    web_storage_contents,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const JWKS_URL: &str = "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/certs";
const ME_URL: &str = "/api/v1/me";

fn me_json() -> serde_json::Value {
    json!({
        "username": "eline", "name": "Eline Wedsgaard", "email": null,
        "uuid": "1c571f8f-0e3e-4ffa-9ff0-d35505781924",
        "roles": ["owner"], "client_roles": [], "azp": "mo",
        "service_account": false,
        "access": {"role": "owner", "write": {"verdict": "allowed"},
                   "create_top_level": {"verdict": "refused", "rule": "top_level_admin_only"}},
    })
}

#[wasm_bindgen_test]
async fn api_calls_carry_the_bearer_and_retry_once_after_a_401() {
    let h = harness();
    let api = ApiClient::new(h.session.clone());
    let first = h.sign_in(300, "i1");

    h.http.answer(ME_URL, Canned::Json(200, me_json()));
    let me: api::Me = api.get(ME_URL).await.unwrap();
    assert_eq!(me.username.as_deref(), Some("eline"));
    let sent = h.http.sent_to(ME_URL);
    assert_eq!(sent[0].authorization, Some(format!("Bearer {first}")));
    assert_eq!(h.refreshes(), 0);

    // The server refuses the token (e.g. revoked): one forced refresh, one retry.
    h.http.answer(
        ME_URL,
        Canned::Json(
            401,
            json!({"error": "invalid_token", "description": "expired"}),
        ),
    );
    let second = h.queue_refresh(300, "i2");
    h.http.answer(ME_URL, Canned::Json(200, me_json()));
    let _: api::Me = api.get(ME_URL).await.unwrap();
    assert_eq!(h.refreshes(), 1);
    let sent = h.http.sent_to(ME_URL);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[1].authorization, Some(format!("Bearer {first}")));
    assert_eq!(sent[2].authorization, Some(format!("Bearer {second}")));

    // Refused again after the refresh: a typed 401, no loop.
    h.http.answer(
        ME_URL,
        Canned::Json(401, json!({"error": "invalid_token", "description": "no"})),
    );
    h.queue_refresh(300, "i3");
    h.http.answer(
        ME_URL,
        Canned::Json(401, json!({"error": "invalid_token", "description": "no"})),
    );
    let refused = api.get::<api::Me>(ME_URL).await;
    assert_eq!(refused.unwrap_err(), Error::Unauthorized);
    assert_eq!(h.refreshes(), 2);
    assert_eq!(h.http.sent_to(ME_URL).len(), 5);

    assert!(api.has_realm_role("owner"));
    assert!(!api.has_realm_role("admin"));
    assert!(api.has_resource_role("reader", "mo"));
    assert!(!api.has_resource_role("reader", "account"));
}

#[wasm_bindgen_test]
async fn api_errors_are_typed() {
    let h = harness();
    let api = ApiClient::new(h.session.clone());
    h.sign_in(300, "j1");
    let reason = |description: &str| json!({ "error": "x", "description": description });
    let cases = [
        (
            Canned::Json(
                403,
                json!({ "error": "forbidden", "description": "not_owner: …", "rule": "not_owner" }),
            ),
            Error::Forbidden {
                rule: Some(api::Rule::NotOwner),
                description: "not_owner: …".into(),
            },
        ),
        (
            Canned::Json(403, reason("a proxy refused")),
            Error::Forbidden {
                rule: None,
                description: "a proxy refused".into(),
            },
        ),
        (Canned::Json(404, reason("no such unit")), Error::NotFound),
        (
            Canned::Json(
                409,
                json!({ "error": "would_cycle", "description": "under itself" }),
            ),
            Error::Conflict {
                code: Some(api::ConflictCode::WouldCycle),
                description: "under itself".into(),
            },
        ),
        (
            Canned::Json(409, reason("something else")),
            Error::Conflict {
                code: None,
                description: "something else".into(),
            },
        ),
        (
            Canned::Json(
                422,
                json!({ "error": "validation_failed", "description": "name is empty", "field": "name" }),
            ),
            Error::Unprocessable {
                description: "name is empty".into(),
                field: Some("name".into()),
            },
        ),
        (Canned::Json(503, reason("later")), Error::Status(503)),
        (
            Canned::NetworkError,
            Error::Network("connection refused".into()),
        ),
    ];
    for (answer, expected) in cases {
        h.http.answer(ME_URL, answer);
        assert_eq!(api.get::<api::Me>(ME_URL).await.unwrap_err(), expected);
    }
    assert_eq!(h.refreshes(), 0, "only a 401 refreshes");

    let anonymous = harness();
    let api = ApiClient::new(anonymous.session.clone());
    assert_eq!(
        api.get::<api::Me>(ME_URL).await.unwrap_err(),
        Error::NotSignedIn
    );
    assert!(
        anonymous.http.sent.borrow().is_empty(),
        "no call without a token"
    );
}

#[wasm_bindgen_test]
async fn a_whole_sign_in_leaves_no_token_in_web_storage() {
    let h = harness();
    let key = TestKey::generate("kid-1").await;
    redirect_state::take();
    sign_in_hint::forget();

    // Leaving for the IdP: only the redirect state is stored.
    let redirect =
        authorization_redirect(&endpoints(), RedirectKind::SignIn, "/me".into(), false).unwrap();
    redirect_state::save(&redirect.pending).unwrap();
    let pending = redirect.pending.clone();

    // Back with a code: the IdP's tokens, ID token signed by the realm key with our nonce.
    let access = access_token(h.clock.now_seconds(), 15, "k1");
    let id_token = key
        .sign(
            &json!({ "alg": "RS256", "kid": "kid-1" }),
            &json!({
                "iss": "http://127.0.0.1:8081/realms/mo", "aud": "mo", "azp": "mo",
                "sub": "eline", "iat": h.clock.now_seconds(), "exp": h.clock.now_seconds() + 15,
                "nonce": pending.nonce.clone().unwrap(),
            }),
        )
        .await;
    h.http.answer(
        TOKEN_URL,
        Canned::Json(
            200,
            json!({
                "access_token": access, "token_type": "Bearer", "expires_in": 15,
                "refresh_token": "opaque-refresh-token-value", "id_token": id_token,
            }),
        ),
    );
    h.http.answer(JWKS_URL, Canned::Json(200, key.jwks_json()));

    let params = CallbackParams::from_query(&format!("code=the-code&state={}", pending.state));
    let CallbackOutcome::Exchange { code, pending } =
        evaluate(&params, redirect_state::take(), &endpoints().issuer, false)
    else {
        panic!("a matching callback is exchanged");
    };
    h.session.complete_sign_in(code, pending).await.unwrap();

    let exchange = &h.http.sent_to(TOKEN_URL)[0];
    assert_eq!(
        exchange.form("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(exchange.form("code").as_deref(), Some("the-code"));
    assert_eq!(
        exchange.form("code_verifier"),
        redirect.pending.pkce_verifier
    );
    assert_eq!(
        exchange.form("redirect_uri").as_deref(),
        Some("http://127.0.0.1:8080/callback")
    );
    assert!(matches!(
        h.session.status().get_untracked(),
        SessionStatus::SignedIn(ref user) if user.username.as_deref() == Some("eline")
    ));
    assert_eq!(
        sign_in_hint::recorded(),
        Some(true),
        "the next load of this browser checks for the IdP session"
    );

    let stored = web_storage_contents();
    for secret in [
        access.as_str(),
        "opaque-refresh-token-value",
        id_token.as_str(),
        redirect.pending.pkce_verifier.as_deref().unwrap(),
        redirect.pending.state.as_str(),
    ] {
        assert!(
            stored.iter().all(|entry| !entry.contains(secret)),
            "web storage holds a secret: {stored:?}"
        );
    }
    assert!(
        stored.iter().all(|entry| !entry.contains("eyJ")),
        "nothing JWT-like in web storage: {stored:?}"
    );
}

#[wasm_bindgen_test]
async fn a_sign_in_whose_id_token_fails_leaves_the_user_anonymous() {
    let h = harness();
    let key = TestKey::generate("kid-1").await;
    sign_in_hint::forget();
    let redirect =
        authorization_redirect(&endpoints(), RedirectKind::SignIn, "/me".into(), false).unwrap();
    let id_token = key
        .sign(
            &json!({ "alg": "RS256", "kid": "kid-1" }),
            &json!({
                "iss": "http://127.0.0.1:8081/realms/mo", "aud": "mo", "sub": "eline",
                "iat": h.clock.now_seconds(), "exp": h.clock.now_seconds() + 15,
                "nonce": "a-replayed-nonce",
            }),
        )
        .await;
    h.http.answer(
        TOKEN_URL,
        Canned::Json(
            200,
            json!({
                "access_token": access_token(h.clock.now_seconds(), 15, "l1"),
                "token_type": "Bearer", "expires_in": 15,
                "refresh_token": "r", "id_token": id_token,
            }),
        ),
    );
    h.http.answer(JWKS_URL, Canned::Json(200, key.jwks_json()));
    let outcome = h
        .session
        .complete_sign_in("the-code".into(), redirect.pending)
        .await;
    assert!(
        matches!(outcome, Err(Error::IdToken(ref why)) if why.contains("nonce")),
        "{outcome:?}"
    );
    assert_eq!(h.session.user(), None);
    assert_eq!(
        h.session.status().get_untracked(),
        SessionStatus::Starting,
        "not signed in"
    );
    assert_eq!(sign_in_hint::recorded(), Some(false), "nothing noted");
}
