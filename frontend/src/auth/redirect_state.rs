//! What survives the round trip to the IdP: the PKCE verifier, `state`, `nonce` and the route to
//! return to, in sessionStorage only while the browser is away, removed on return (never a token).
//! Also the one-shot marker that keeps the start-up check-sso redirect from looping.

use serde::{Deserialize, Serialize};
use web_sys::Storage;

use super::endpoints::CALLBACK_PATH;
use crate::error::Error;

/// sessionStorage key of the pending redirect.
pub const PENDING_KEY: &str = "org-browser.pending-redirect";
/// sessionStorage key of the marker set just before a start-up check-sso redirect.
pub const SSO_CHECK_MARKER_KEY: &str = "org-browser.sso-check";

/// Why the browser went to the IdP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RedirectKind {
    /// An interactive sign-in (the IdP may show its form).
    SignIn,
    /// The start-up check with `prompt=none`: signed in silently or `login_required`.
    SilentCheck,
    /// RP-initiated logout at the end-session endpoint.
    SignOut,
}

/// The one-use record of a redirect in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRedirect {
    pub kind: RedirectKind,
    pub state: String,
    /// PKCE code verifier (sign-in kinds only).
    pub pkce_verifier: Option<String>,
    /// OpenID Connect nonce the ID token must echo (sign-in kinds only).
    pub nonce: Option<String>,
    /// Same-origin path (with query) to show after the return.
    pub return_to: String,
    /// Whether this is already the one retry after `authentication_expired`.
    pub retried: bool,
}

fn session_storage() -> Result<Storage, Error> {
    web_sys::window()
        .and_then(|window| window.session_storage().ok().flatten())
        .ok_or_else(|| Error::Browser("sessionStorage is not available".into()))
}

/// Stores `pending` for the return trip (replacing any older one).
pub fn save(pending: &PendingRedirect) -> Result<(), Error> {
    let json = serde_json::to_string(pending).map_err(|err| Error::Browser(err.to_string()))?;
    session_storage()?
        .set_item(PENDING_KEY, &json)
        .map_err(|_| Error::Browser("sessionStorage refused the sign-in state".into()))
}

/// Reads and removes the pending redirect: each one can be used once.
pub fn take() -> Option<PendingRedirect> {
    let storage = session_storage().ok()?;
    let json = storage.get_item(PENDING_KEY).ok().flatten();
    let _ = storage.remove_item(PENDING_KEY);
    serde_json::from_str(&json?).ok()
}

/// Sets the marker right before a start-up check-sso redirect.
pub fn mark_sso_check() -> Result<(), Error> {
    session_storage()?
        .set_item(SSO_CHECK_MARKER_KEY, "1")
        .map_err(|_| Error::Browser("sessionStorage refused the check marker".into()))
}

/// Removes the marker and says whether it was there (a check left and never came back).
pub fn take_sso_check_marker() -> bool {
    let Ok(storage) = session_storage() else {
        return false;
    };
    let present = storage
        .get_item(SSO_CHECK_MARKER_KEY)
        .ok()
        .flatten()
        .is_some();
    let _ = storage.remove_item(SSO_CHECK_MARKER_KEY);
    present
}

/// `candidate` when it is a path on this origin, else `/`. Refuses absolute URLs, protocol-relative
/// `//host` (and `/\host`, which browsers treat alike), control characters (browsers drop tabs and
/// newlines, turning `/\t/host` into `//host`) and the callback path itself.
pub fn safe_return_path(candidate: &str) -> String {
    let bytes = candidate.as_bytes();
    let same_origin_path = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !candidate.chars().any(|c| c.is_control() || c == '\\');
    let path_only = candidate.split(['?', '#']).next().unwrap_or_default();
    if same_origin_path && path_only != CALLBACK_PATH {
        candidate.to_owned()
    } else {
        "/".to_owned()
    }
}

/// The page's own path, query and fragment, e.g. `/me?tab=roles`, to come back to after sign-in.
pub fn current_route() -> String {
    web_sys::window()
        .map(|window| {
            let location = window.location();
            format!(
                "{}{}{}",
                location.pathname().unwrap_or_default(),
                location.search().unwrap_or_default(),
                location.hash().unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "/".into())
}
