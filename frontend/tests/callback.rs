//! Browser tests of the return from the IdP: callback parsing and the pure decisions of
//! `callback::evaluate` (exchange, refusals, the silent check's answers, logout's state), and the
//! redirect state's storage rules.
#![cfg(target_arch = "wasm32")]

use frontend::{
    auth::{
        callback::{CallbackOutcome, CallbackParams, evaluate},
        redirect_state::{self, PendingRedirect, RedirectKind, safe_return_path},
    },
    error::Error,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const ISSUER: &str = "http://127.0.0.1:8081/realms/mo";

fn pending(kind: RedirectKind) -> PendingRedirect {
    PendingRedirect {
        kind,
        state: "s-123".into(),
        pkce_verifier: Some("verifier".into()),
        nonce: Some("n-456".into()),
        return_to: "/me?tab=roles".into(),
        retried: false,
    }
}

fn params(pairs: &str) -> CallbackParams {
    CallbackParams::from_query(pairs)
}

#[wasm_bindgen_test]
fn callback_parameters_are_parsed_and_unknown_ones_ignored() {
    let parsed = params(
        "?code=abc&state=s-123&session_state=xyz&iss=http%3A%2F%2F127.0.0.1%3A8081%2Frealms%2Fmo",
    );
    assert_eq!(parsed.code.as_deref(), Some("abc"));
    assert_eq!(parsed.state.as_deref(), Some("s-123"));
    assert_eq!(parsed.iss.as_deref(), Some(ISSUER));
    assert_eq!(parsed.error, None);
    let error = params("error=access_denied&error_description=User%20cancelled&state=s");
    assert_eq!(error.error.as_deref(), Some("access_denied"));
    assert_eq!(error.error_description.as_deref(), Some("User cancelled"));
}

#[wasm_bindgen_test]
fn a_matching_code_callback_is_exchanged() {
    let outcome = evaluate(
        &params(&format!("code=abc&state=s-123&iss={ISSUER}")),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert_eq!(
        outcome,
        CallbackOutcome::Exchange {
            code: "abc".into(),
            pending: pending(RedirectKind::SignIn)
        }
    );
}

#[wasm_bindgen_test]
fn a_state_mismatch_or_a_missing_pending_sign_in_is_refused() {
    let wrong = evaluate(
        &params("code=abc&state=someone-elses"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert_eq!(wrong, CallbackOutcome::Failed(Error::StateMismatch));
    let absent = evaluate(
        &params("code=abc"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert_eq!(absent, CallbackOutcome::Failed(Error::StateMismatch));
    let none = evaluate(&params("code=abc&state=s-123"), None, ISSUER, false);
    assert_eq!(none, CallbackOutcome::Failed(Error::NoPendingSignIn));
}

#[wasm_bindgen_test]
fn a_callback_without_a_code_is_refused() {
    let outcome = evaluate(
        &params("state=s-123"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert_eq!(outcome, CallbackOutcome::Failed(Error::MissingCode));
    let empty = evaluate(
        &params("code=&state=s-123"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert_eq!(empty, CallbackOutcome::Failed(Error::MissingCode));
}

#[wasm_bindgen_test]
fn a_callback_from_another_issuer_is_refused() {
    let outcome = evaluate(
        &params("code=abc&state=s-123&iss=https%3A%2F%2Fevil.example%2Frealms%2Fmo"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert_eq!(
        outcome,
        CallbackOutcome::Failed(Error::WrongIssuer("https://evil.example/realms/mo".into()))
    );
}

#[wasm_bindgen_test]
fn a_callback_without_iss_is_refused_when_the_idp_announces_it() {
    let without = evaluate(
        &params("code=abc&state=s-123"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        true,
    );
    assert_eq!(without, CallbackOutcome::Failed(Error::MissingIssuer));
    let with = evaluate(
        &params(&format!("code=abc&state=s-123&iss={ISSUER}")),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        true,
    );
    assert!(matches!(with, CallbackOutcome::Exchange { .. }), "{with:?}");
    // Back from the logout: no `iss` needed (not an authorization response).
    let signed_out = evaluate(
        &params("state=s-123"),
        Some(pending(RedirectKind::SignOut)),
        ISSUER,
        true,
    );
    assert_eq!(signed_out, CallbackOutcome::SignedOut);
}

#[wasm_bindgen_test]
fn login_required_after_the_silent_check_means_anonymous_at_the_same_route() {
    let outcome = evaluate(
        &params("error=login_required&state=s-123"),
        Some(pending(RedirectKind::SilentCheck)),
        ISSUER,
        false,
    );
    assert_eq!(
        outcome,
        CallbackOutcome::Anonymous {
            return_to: "/me?tab=roles".into()
        }
    );
    // After an interactive sign-in the same error is a failure, not a silent "anonymous".
    let interactive = evaluate(
        &params("error=login_required&state=s-123"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert!(matches!(
        interactive,
        CallbackOutcome::Failed(Error::IdentityProvider { .. })
    ));
}

#[wasm_bindgen_test]
fn access_denied_is_a_message() {
    let outcome = evaluate(
        &params("error=access_denied&error_description=User%20cancelled&state=s-123"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    let CallbackOutcome::Failed(err) = outcome else {
        panic!("access_denied must fail, got {outcome:?}")
    };
    assert_eq!(err, Error::AccessDenied(": User cancelled".into()));
    assert_eq!(
        err.to_string(),
        "Sign-in was refused or cancelled: User cancelled."
    );
}

#[wasm_bindgen_test]
fn authentication_expired_retries_the_sign_in_exactly_once() {
    let expired =
        "error=temporarily_unavailable&error_description=authentication_expired&state=s-123";
    let first = evaluate(
        &params(expired),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert_eq!(
        first,
        CallbackOutcome::RetrySignIn {
            pending: pending(RedirectKind::SignIn)
        }
    );
    let retried = PendingRedirect {
        retried: true,
        ..pending(RedirectKind::SignIn)
    };
    let second = evaluate(&params(expired), Some(retried), ISSUER, false);
    assert!(
        matches!(second, CallbackOutcome::Failed(Error::IdentityProvider { ref error, .. }) if error == "temporarily_unavailable"),
        "{second:?}"
    );
    // temporarily_unavailable for another reason is not retried.
    let other = evaluate(
        &params("error=temporarily_unavailable&state=s-123"),
        Some(pending(RedirectKind::SignIn)),
        ISSUER,
        false,
    );
    assert!(matches!(other, CallbackOutcome::Failed(_)));
}

#[wasm_bindgen_test]
fn the_return_from_logout_is_checked_by_state() {
    let back = evaluate(
        &params("state=s-123"),
        Some(pending(RedirectKind::SignOut)),
        ISSUER,
        false,
    );
    assert_eq!(back, CallbackOutcome::SignedOut);
    let forged = evaluate(
        &params("state=forged"),
        Some(pending(RedirectKind::SignOut)),
        ISSUER,
        false,
    );
    assert_eq!(forged, CallbackOutcome::Failed(Error::StateMismatch));
}

#[wasm_bindgen_test]
fn the_pending_redirect_can_be_taken_once_and_the_marker_is_one_shot() {
    redirect_state::save(&pending(RedirectKind::SignIn)).unwrap();
    assert_eq!(redirect_state::take(), Some(pending(RedirectKind::SignIn)));
    assert_eq!(redirect_state::take(), None, "a second take finds nothing");

    assert!(!redirect_state::take_sso_check_marker());
    redirect_state::mark_sso_check().unwrap();
    assert!(redirect_state::take_sso_check_marker());
    assert!(!redirect_state::take_sso_check_marker(), "one shot");
}

#[wasm_bindgen_test]
fn only_same_origin_paths_are_return_routes() {
    for safe in ["/", "/me", "/me?tab=roles#top", "/units/1c57"] {
        assert_eq!(safe_return_path(safe), safe);
    }
    for unsafe_target in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "me",
        "",
        "/callback",
        "/callback?code=x",
    ] {
        assert_eq!(safe_return_path(unsafe_target), "/", "{unsafe_target:?}");
    }
}

#[wasm_bindgen_test]
fn a_sign_in_returns_to_this_page_or_from_the_landing_page_to_the_organisation() {
    use frontend::routes::{UNITS, after_sign_in_from};
    assert_eq!(after_sign_in_from("/"), UNITS);
    assert_eq!(after_sign_in_from("/me?tab=roles"), "/me?tab=roles");
    assert_eq!(after_sign_in_from("/units/7#owners"), "/units/7#owners");
}
