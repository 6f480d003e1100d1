//! Browser tests of the session with a controllable clock and canned HTTP: when refreshes happen,
//! clock skew, that concurrent callers share one refresh, what `invalid_grant` and network
//! failures do, and the check when a tab becomes visible.
#![cfg(target_arch = "wasm32")]

mod support;

use std::{cell::RefCell, rc::Rc};

use frontend::{auth::SessionStatus, error::Error};
use leptos::prelude::GetUntracked;
use serde_json::json;
use support::{
    Canned, TestKey, access_token,
    harness::{TOKEN_URL, endpoints, harness},
    settle,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn fifteen_second_tokens_refresh_once_per_lifetime_at_three_quarters() {
    let h = harness();
    h.sign_in(15, "a1");
    assert_eq!(h.session.refresh_due_in_ms(), Some(11_250.0));

    h.clock.advance(11_000.0).await;
    assert_eq!(
        h.refreshes(),
        0,
        "not before a quarter of the lifetime remains"
    );
    h.queue_refresh(15, "a2");
    h.clock.advance(250.0).await;
    assert_eq!(h.refreshes(), 1, "the timer refreshed once");
    let sent = &h.http.sent_to(TOKEN_URL)[0];
    assert_eq!(sent.form("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(sent.form("refresh_token").as_deref(), Some("refresh-1"));
    assert_eq!(sent.form("client_id").as_deref(), Some("mo"));

    // One refresh per lifetime: 60 s of use costs 5 (every 11.25 s), never more.
    for n in 3..=7 {
        h.queue_refresh(15, &format!("a{n}"));
    }
    h.clock.advance(60_000.0 - 11_250.0).await;
    assert_eq!(h.refreshes(), 5, "60 s with 15 s tokens");
    assert!(matches!(
        h.session.status().get_untracked(),
        SessionStatus::SignedIn(_)
    ));
}

#[wasm_bindgen_test]
async fn five_minute_tokens_refresh_thirty_seconds_before_expiry() {
    let h = harness();
    h.sign_in(300, "b1");
    assert_eq!(h.session.refresh_due_in_ms(), Some(270_000.0));
    h.clock.advance(269_000.0).await;
    assert_eq!(h.refreshes(), 0);
    h.queue_refresh(300, "b2");
    h.clock.advance(1_000.0).await;
    assert_eq!(h.refreshes(), 1);
}

#[wasm_bindgen_test]
async fn clock_skew_is_taken_from_iat_at_receipt() {
    let h = harness();
    // The IdP's clock is two minutes behind the browser's: iat looks old, exp looks near.
    let iat = h.clock.now_seconds() - 120;
    let token = access_token(iat, 300, "c1");
    h.session.accept(frontend::auth::login::TokenSet {
        access_token: token,
        refresh_token: Some("refresh-1".into()),
        id_token: None,
        expires_in_seconds: Some(300),
        refresh_expires_in_seconds: None,
        dpop_bound: false,
    });
    assert_eq!(
        h.session.refresh_due_in_ms(),
        Some(270_000.0),
        "the token's full lifetime counts from receipt, not from the skewed iat"
    );
}

#[wasm_bindgen_test]
async fn concurrent_callers_await_one_single_flight_refresh() {
    let h = harness();
    let old = h.sign_in(15, "d1");
    assert_eq!(
        h.session.access_token().await.unwrap(),
        old,
        "fresh: no refresh"
    );
    assert_eq!(h.refreshes(), 0);

    // The timer is late (a throttled tab): three API calls want a token at once.
    h.clock.jump(12_000.0);
    let new = h.queue_refresh(15, "d2");
    h.http.hold();
    let results = Rc::new(RefCell::new(Vec::new()));
    for _ in 0..3 {
        let session = h.session.clone();
        let results = results.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let token = session.access_token().await;
            results.borrow_mut().push(token);
        });
    }
    settle().await;
    assert_eq!(h.refreshes(), 1, "one request in flight for all three");
    assert!(results.borrow().is_empty(), "everyone waits for it");
    h.http.release();
    settle().await;
    let results = results.borrow();
    assert_eq!(results.len(), 3);
    assert!(
        results
            .iter()
            .all(|token| token.as_deref() == Ok(new.as_str()))
    );
    assert_eq!(h.refreshes(), 1);
}

#[wasm_bindgen_test]
async fn invalid_grant_ends_the_session_with_a_notice() {
    let h = harness();
    h.sign_in(15, "e1");
    h.http.answer(
        TOKEN_URL,
        Canned::Json(
            400,
            json!({ "error": "invalid_grant", "error_description": "Session not active" }),
        ),
    );
    h.clock.advance(11_250.0).await;
    assert_eq!(h.refreshes(), 1);
    assert_eq!(h.session.status().get_untracked(), SessionStatus::Ended);
    assert_eq!(h.session.user(), None, "the tokens are gone");
    assert_eq!(h.session.access_token().await, Err(Error::SessionEnded));
    h.clock.advance(60_000.0).await;
    assert_eq!(h.refreshes(), 1, "no timer keeps trying");
}

#[wasm_bindgen_test]
async fn network_failures_are_retried_with_backoff_while_the_token_is_valid() {
    let h = harness();
    h.sign_in(300, "f1");
    h.http.answer(TOKEN_URL, Canned::NetworkError);
    h.http.answer(TOKEN_URL, Canned::NetworkError);
    let second = h.queue_refresh(300, "f2");

    h.clock.advance(270_000.0).await;
    assert_eq!(h.refreshes(), 1, "the timer tried and failed");
    assert!(matches!(
        h.session.status().get_untracked(),
        SessionStatus::SignedIn(_)
    ));
    h.clock.advance(1_000.0).await;
    assert_eq!(h.refreshes(), 2, "first retry after 1 s");
    h.clock.advance(1_999.0).await;
    assert_eq!(h.refreshes(), 2, "the next waits 2 s");
    h.clock.advance(1.0).await;
    assert_eq!(h.refreshes(), 3, "second retry after 2 s succeeds");
    assert_eq!(h.session.access_token().await.unwrap(), second);
    assert_eq!(h.refreshes(), 3);
    assert_eq!(h.session.refresh_due_in_ms(), Some(270_000.0));
}

#[wasm_bindgen_test]
async fn network_failures_stop_when_the_token_has_expired() {
    let h = harness();
    h.sign_in(15, "g1");
    for _ in 0..4 {
        h.http.answer(TOKEN_URL, Canned::NetworkError);
    }
    // Due at 11.25 s, expires at 15 s: tries at 11.25, 12.25, 14.25, and one last at 15.
    h.clock.advance(30_000.0).await;
    let tries = h.refreshes();
    assert!((3..=4).contains(&tries), "{tries} tries");
    h.clock.advance(60_000.0).await;
    assert_eq!(h.refreshes(), tries, "no retries once the token is dead");
    // The next API call tries again and reports the network.
    h.http.answer(TOKEN_URL, Canned::NetworkError);
    assert!(matches!(
        h.session.access_token().await,
        Err(Error::Network(_))
    ));
}

#[wasm_bindgen_test]
async fn a_tab_that_becomes_visible_checks_its_token_at_once() {
    let h = harness();
    h.sign_in(15, "h1");
    // Hidden for a minute: the browser never ran the timer.
    h.clock.jump(60_000.0);
    let fresh = h.queue_refresh(15, "h2");
    h.session.check_now();
    settle().await;
    assert_eq!(h.refreshes(), 1);
    assert_eq!(h.session.access_token().await.unwrap(), fresh);
    assert_eq!(h.refreshes(), 1);
}

/// A token answer of a refresh that also carries `id_token`.
fn refresh_with_id_token(access: &str, id_token: &str) -> Canned {
    Canned::Json(
        200,
        json!({
            "access_token": access, "token_type": "Bearer", "expires_in": 15,
            "refresh_token": "refresh-2", "id_token": id_token,
        }),
    )
}

#[wasm_bindgen_test]
async fn an_id_token_from_a_refresh_is_verified_before_it_is_kept() {
    let realm_key = TestKey::generate("realm").await;
    let attacker = TestKey::generate("realm").await;
    let endpoints = endpoints();
    let claims = |now: i64| {
        json!({"iss": endpoints.issuer, "aud": "mo", "azp": "mo", "sub": "eline-sub",
               "iat": now, "exp": now + 300})
    };
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "realm"});

    // A good one replaces the old (it becomes the logout hint).
    let h = harness();
    h.sign_in(15, "g1");
    let good = realm_key
        .sign(&header, &claims(h.clock.now_seconds()))
        .await;
    let access = access_token(h.clock.now_seconds(), 15, "g2");
    h.http
        .answer(TOKEN_URL, refresh_with_id_token(&access, &good));
    h.http
        .answer(&endpoints.jwks, Canned::Json(200, realm_key.jwks_json()));
    h.clock.advance(11_250.0).await;
    assert!(matches!(
        h.session.status().get_untracked(),
        SessionStatus::SignedIn(_)
    ));
    assert_eq!(
        h.session.access_token().await.as_deref(),
        Ok(access.as_str())
    );

    // One signed by a key the realm does not publish ends the session; its tokens are not kept.
    let h = harness();
    h.sign_in(15, "h1");
    let forged = attacker.sign(&header, &claims(h.clock.now_seconds())).await;
    let access = access_token(h.clock.now_seconds(), 15, "h2");
    h.http
        .answer(TOKEN_URL, refresh_with_id_token(&access, &forged));
    h.http
        .answer(&endpoints.jwks, Canned::Json(200, realm_key.jwks_json()));
    h.clock.advance(11_250.0).await;
    assert_eq!(h.session.status().get_untracked(), SessionStatus::Ended);
    assert_eq!(h.session.user(), None, "the refreshed tokens were not kept");
}
