//! The one fact the app keeps in localStorage: this browser has signed in here and not signed out
//! since — a flag, never a token. It lets check-sso skip the round trip to the IdP for a browser
//! that never signed in (Auth0's SPA SDK keeps the same hint, in a cookie); keycloak-js makes that
//! round trip on every load.

use web_sys::Storage;

/// localStorage key of the hint; its value is always `1`.
pub const KEY: &str = "org-browser.signed-in";

fn local_storage() -> Option<Storage> {
    web_sys::window().and_then(|window| window.local_storage().ok().flatten())
}

/// Whether this browser has signed in here and not signed out since; `None` when localStorage
/// cannot be read (blocked, or a private window that refuses it): then nobody knows.
pub fn recorded() -> Option<bool> {
    let stored = local_storage()?.get_item(KEY).ok()?;
    Some(stored.is_some())
}

/// Notes a completed sign-in (best effort: without the note, start-up checks as keycloak-js does).
pub fn remember() {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(KEY, "1");
    }
}

/// Forgets the note: the user signed out, or the IdP said it has no session for this browser.
pub fn forget() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(KEY);
    }
}
