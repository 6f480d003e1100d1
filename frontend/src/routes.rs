//! The app's routes in one place: their paths, a unit page's address, and where a sign-in
//! returns to. (The router's own table in `app.rs` spells them with `path!`, which needs literals.)

use uuid::Uuid;

use crate::auth::redirect_state;

/// What the app is, and signing in.
pub const LANDING: &str = "/";
/// The organisation tree.
pub const UNITS: &str = "/units";
/// The account as the server sees it.
pub const ME: &str = "/me";

/// The unit page of `uuid`.
pub fn unit(uuid: Uuid) -> String {
    format!("{UNITS}/{uuid}")
}

/// Where a sign-in started now comes back to: this page (path, query and fragment), or the
/// organisation when it starts from the landing page. Every "Log in" / "Sign in again" uses it.
pub fn after_sign_in() -> String {
    after_sign_in_from(&redirect_state::current_route())
}

/// [`after_sign_in`] for a page at `here`.
pub fn after_sign_in_from(here: &str) -> String {
    if here == LANDING {
        UNITS.to_owned()
    } else {
        here.to_owned()
    }
}
