//! Browser tests of start-up: callbacks that end anonymous go to the right page with a clean
//! address bar, a failed callback never returns to a protected route, the check-sso marker
//! keeps start-up from redirecting in a loop, and check-sso asks the IdP only in a browser that
//! signed in here. (Paths that leave the page are covered end to end.)
#![cfg(target_arch = "wasm32")]

mod support;

use frontend::{
    auth::{
        Session, SessionStatus,
        boot::{OnLoad, Started, start},
        endpoints::Endpoints,
        redirect_state::{self, PendingRedirect, RedirectKind},
        sign_in_hint,
    },
    error::Error,
};
use leptos::prelude::GetUntracked;
use support::{FakeClock, FakeHttp, harness::keycloak};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn session() -> Session {
    Session::new(
        Endpoints::for_this_origin(&keycloak("http://127.0.0.1:8081/")),
        FakeClock::new(),
        FakeHttp::new(),
    )
}

/// Runs `test` with the address bar at `url`, then puts the runner's URL back.
async fn at_url<F: std::future::Future<Output = ()>>(url: &str, test: impl FnOnce() -> F) {
    let window = web_sys::window().expect("window");
    let history = window.history().expect("history");
    let runner_url = window.location().href().expect("href");
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(url))
        .expect("replaceState");
    test().await;
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&runner_url))
        .expect("restore the runner's URL");
}

fn address_bar() -> String {
    redirect_state::current_route()
}

fn pending(kind: RedirectKind, state: &str, return_to: &str) -> PendingRedirect {
    PendingRedirect {
        kind,
        state: state.into(),
        pkce_verifier: Some("verifier".into()),
        nonce: Some("nonce".into()),
        return_to: return_to.into(),
        retried: false,
    }
}

#[wasm_bindgen_test]
fn on_load_settings_parse_like_keycloak_js() {
    assert_eq!(OnLoad::parse("check-sso"), OnLoad::CheckSso);
    assert_eq!(OnLoad::parse("check-sso-always"), OnLoad::CheckSsoAlways);
    assert_eq!(OnLoad::parse("login-required"), OnLoad::LoginRequired);
    assert_eq!(OnLoad::parse("none"), OnLoad::None);
    assert_eq!(
        OnLoad::parse("bogus"),
        OnLoad::CheckSso,
        "unknown: the default"
    );
    assert_eq!(OnLoad::default(), OnLoad::CheckSso);
}

#[wasm_bindgen_test]
fn check_sso_asks_the_idp_unless_this_browser_never_signed_in_here() {
    use RedirectKind::{SignIn, SilentCheck};
    // (mode, signed in here before: yes / no / cannot tell) -> the start-up redirect
    let table = [
        (
            OnLoad::CheckSso,
            [Some(SilentCheck), None, Some(SilentCheck)],
        ),
        (OnLoad::CheckSsoAlways, [Some(SilentCheck); 3]),
        (OnLoad::LoginRequired, [Some(SignIn); 3]),
        (OnLoad::None, [None; 3]),
    ];
    for (mode, expected) in table {
        for (hint, want) in [Some(true), Some(false), None].into_iter().zip(expected) {
            assert_eq!(mode.start_up_redirect(hint), want, "{mode:?} with {hint:?}");
        }
    }
}

#[wasm_bindgen_test]
async fn a_browser_that_never_signed_in_here_shows_the_page_without_asking_the_idp() {
    at_url("/me?tab=roles", || async {
        redirect_state::take();
        sign_in_hint::forget();
        let session = session();
        assert_eq!(start(&session, OnLoad::CheckSso).await, Started::Ready);
        assert_eq!(session.status().get_untracked(), SessionStatus::Anonymous);
        assert_eq!(session.notice().get_untracked(), None);
        assert_eq!(address_bar(), "/me?tab=roles");
        assert_eq!(redirect_state::take(), None, "no redirect was prepared");
        assert!(!redirect_state::take_sso_check_marker());
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_check_that_never_came_back_does_not_redirect_again() {
    at_url("/me", || async {
        redirect_state::take();
        redirect_state::mark_sso_check().unwrap();
        sign_in_hint::remember();
        let session = session();
        assert_eq!(start(&session, OnLoad::CheckSso).await, Started::Ready);
        assert_eq!(session.status().get_untracked(), SessionStatus::Anonymous);
        assert!(
            !redirect_state::take_sso_check_marker(),
            "the marker is spent: the next reload checks again"
        );
        assert_eq!(redirect_state::take(), None, "no redirect was prepared");
    })
    .await;
}

#[wasm_bindgen_test]
async fn login_required_returns_anonymous_to_the_route_with_a_clean_url() {
    at_url(
        "/callback?error=login_required&state=s1&iss=http%3A%2F%2F127.0.0.1%3A8081%2Frealms%2Fmo",
        || async {
            redirect_state::save(&pending(RedirectKind::SilentCheck, "s1", "/me?tab=roles"))
                .unwrap();
            redirect_state::mark_sso_check().unwrap();
            sign_in_hint::remember();
            let session = session();
            assert_eq!(start(&session, OnLoad::CheckSso).await, Started::Ready);
            assert_eq!(session.status().get_untracked(), SessionStatus::Anonymous);
            assert_eq!(session.notice().get_untracked(), None);
            assert_eq!(address_bar(), "/me?tab=roles");
            assert_eq!(
                redirect_state::take(),
                None,
                "the pending redirect was used up"
            );
            assert!(
                !redirect_state::take_sso_check_marker(),
                "the check came back"
            );
            assert_eq!(
                sign_in_hint::recorded(),
                Some(false),
                "no IdP session: the next load does not ask again"
            );
        },
    )
    .await;
}

#[wasm_bindgen_test]
async fn a_forged_callback_lands_on_the_start_page_with_a_message() {
    at_url("/callback?code=stolen&state=forged", || async {
        redirect_state::save(&pending(RedirectKind::SignIn, "s1", "/me")).unwrap();
        let session = session();
        assert_eq!(start(&session, OnLoad::CheckSso).await, Started::Ready);
        assert_eq!(session.status().get_untracked(), SessionStatus::Anonymous);
        assert_eq!(session.notice().get_untracked(), Some(Error::StateMismatch));
        assert_eq!(
            address_bar(),
            "/",
            "not the protected route, which would start another sign-in"
        );
        assert_eq!(redirect_state::take(), None);
    })
    .await;
}

#[wasm_bindgen_test]
async fn access_denied_shows_its_message_on_the_start_page() {
    at_url(
        "/callback?error=access_denied&error_description=Not%20allowed&state=s1",
        || async {
            redirect_state::save(&pending(RedirectKind::SignIn, "s1", "/me")).unwrap();
            let session = session();
            start(&session, OnLoad::None).await;
            assert_eq!(
                session.notice().get_untracked(),
                Some(Error::AccessDenied(": Not allowed".into()))
            );
            assert_eq!(address_bar(), "/");
        },
    )
    .await;
}

#[wasm_bindgen_test]
async fn the_return_from_logout_shows_the_start_page_signed_out() {
    at_url("/callback?state=bye", || async {
        let mut signed_out = pending(RedirectKind::SignOut, "bye", "/");
        signed_out.pkce_verifier = None;
        signed_out.nonce = None;
        redirect_state::save(&signed_out).unwrap();
        let session = session();
        assert_eq!(start(&session, OnLoad::CheckSso).await, Started::Ready);
        assert_eq!(session.status().get_untracked(), SessionStatus::Anonymous);
        assert_eq!(session.notice().get_untracked(), None);
        assert_eq!(address_bar(), "/");
    })
    .await;
}

#[wasm_bindgen_test]
async fn on_load_none_stays_on_the_page_anonymous() {
    at_url("/me", || async {
        redirect_state::take();
        let session = session();
        assert_eq!(start(&session, OnLoad::None).await, Started::Ready);
        assert_eq!(session.status().get_untracked(), SessionStatus::Anonymous);
        assert_eq!(address_bar(), "/me");
        assert_eq!(redirect_state::take(), None);
    })
    .await;
}
