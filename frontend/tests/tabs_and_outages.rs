//! Browser tests of what other tabs say and of an IdP that does not answer: a sign-out elsewhere
//! signs this tab out with no request of its own; a session ended elsewhere makes it check; a tab
//! that wakes up asks the IdP; sign-in waits on the app's own page while the IdP is down.
#![cfg(target_arch = "wasm32")]

mod support;

use frontend::auth::{
    IdpReachability, SessionStatus, TabMessage,
    session::{PROBE_RETRY_FIRST_MS, PROBE_TIMEOUT_MS, WAKE_CHECK_AFTER_MS},
};
use frontend::{auth::clock::Clock as _, error::Error};
use leptos::prelude::GetUntracked;
use serde_json::json;
use support::{
    Canned,
    harness::{TOKEN_URL, endpoints, harness},
    settle,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_sign_out_in_another_tab_signs_this_one_out_without_a_request() {
    let h = harness();
    h.sign_in(300, "t1");
    h.session.hear_from_another_tab(TabMessage::SignedOut);
    assert_eq!(
        h.session.status().get_untracked(),
        SessionStatus::SignedOutElsewhere
    );
    assert_eq!(h.session.access_token().await, Err(Error::NotSignedIn));
    h.clock.advance(600_000.0).await;
    assert!(
        h.http.sent.borrow().is_empty(),
        "{:?}",
        h.http.sent.borrow()
    );
    // A second message changes nothing.
    h.session.hear_from_another_tab(TabMessage::SignedOut);
    assert_eq!(
        h.session.status().get_untracked(),
        SessionStatus::SignedOutElsewhere
    );
}

#[wasm_bindgen_test]
async fn a_session_ended_elsewhere_makes_this_tab_ask_the_idp() {
    let h = harness();
    h.sign_in(300, "t2");
    h.http.answer(
        TOKEN_URL,
        Canned::Json(
            400,
            json!({"error": "invalid_grant", "error_description": "Session not active"}),
        ),
    );
    h.session.hear_from_another_tab(TabMessage::SessionEnded);
    settle().await;
    assert_eq!(h.refreshes(), 1);
    assert_eq!(h.session.status().get_untracked(), SessionStatus::Ended);
}

#[wasm_bindgen_test]
async fn messages_are_bare_words() {
    for message in [
        TabMessage::SignedIn,
        TabMessage::SignedOut,
        TabMessage::SessionEnded,
    ] {
        assert_eq!(TabMessage::parse(message.as_str()), Some(message));
        assert!(!message.as_str().contains('.'), "nothing token-like");
    }
    assert_eq!(TabMessage::parse("eyJhbGciOi.x.y"), None);
}

#[wasm_bindgen_test]
async fn a_tab_that_wakes_up_asks_the_idp_unless_its_tokens_are_fresh() {
    let h = harness();
    h.sign_in(300, "w1");
    h.clock.jump(WAKE_CHECK_AFTER_MS - 1_000.0);
    h.session.check_now();
    settle().await;
    assert_eq!(h.refreshes(), 0, "tokens a few seconds old: no request");
    h.clock.jump(2_000.0);
    h.queue_refresh(300, "w2");
    h.session.check_now();
    settle().await;
    assert_eq!(
        h.refreshes(),
        1,
        "older than the wake-check age: the IdP is asked"
    );
}

#[wasm_bindgen_test]
async fn the_idp_is_probed_with_a_timeout() {
    let h = harness();
    let jwks = endpoints().jwks;
    h.http.answer(&jwks, Canned::Json(200, json!({"keys": []})));
    assert!(h.session.idp_answers().await);
    h.http.answer(&jwks, Canned::NetworkError);
    assert!(!h.session.idp_answers().await);
    h.http.answer(&jwks, Canned::Json(503, json!({})));
    assert!(!h.session.idp_answers().await);
    // No answer at all: given up after the timeout.
    h.http.hold();
    h.http.answer(&jwks, Canned::Json(200, json!({"keys": []})));
    let probe = h.session.idp_answers();
    let advance = h.clock.advance(PROBE_TIMEOUT_MS);
    let (answered, ()) = futures::join!(probe, advance);
    assert!(!answered);
    h.http.release();
}

#[wasm_bindgen_test]
async fn sign_in_waits_on_the_app_while_the_idp_does_not_answer() {
    let h = harness();
    let jwks = endpoints().jwks;
    h.session.set_anonymous(None);
    h.http.answer(&jwks, Canned::NetworkError);
    h.session.sign_in("/units").unwrap();
    settle().await;
    let IdpReachability::NotAnswering { next_try_at_ms } =
        h.session.idp_reachability().get_untracked()
    else {
        panic!("the IdP did not answer, so the app must say so");
    };
    assert_eq!(next_try_at_ms, h.clock.now_ms() + PROBE_RETRY_FIRST_MS);
    // It tries again by itself, with backoff.
    h.http.answer(&jwks, Canned::NetworkError);
    h.clock.advance(PROBE_RETRY_FIRST_MS).await;
    assert_eq!(h.http.sent_to(&jwks).len(), 2);
    let IdpReachability::NotAnswering { next_try_at_ms } =
        h.session.idp_reachability().get_untracked()
    else {
        panic!("still not answering");
    };
    assert_eq!(
        next_try_at_ms,
        h.clock.now_ms() + 2.0 * PROBE_RETRY_FIRST_MS
    );
    assert_eq!(h.session.status().get_untracked(), SessionStatus::Anonymous);
}
