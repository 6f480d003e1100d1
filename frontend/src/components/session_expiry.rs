//! The notice in the last minute before the session can no longer be refreshed, offering to sign
//! in again and come back to the same page.

use leptos::prelude::*;

use super::session_notice::SignInAgainButton;
use super::timing::{clock_time, ticking_now};
use crate::auth::{Session, SessionStatus};

/// How long before the session's end the notice appears.
pub const WARN_BEFORE_MS: f64 = 60_000.0;
/// How often the notice re-checks the time.
pub const CHECK_EVERY_MS: f64 = 1_000.0;

/// When the session ends if that is within [`WARN_BEFORE_MS`] of `now_ms`.
pub fn ending_soon(ends_at_ms: Option<f64>, now_ms: f64) -> Option<f64> {
    ends_at_ms.filter(|ends| ends - now_ms <= WARN_BEFORE_MS)
}

/// Visible only while signed in and within the last minute of the session.
#[component]
pub fn SessionExpiryNotice() -> impl IntoView {
    let Some(session) = use_context::<Session>() else {
        return ().into_any();
    };
    let now = ticking_now(CHECK_EVERY_MS);
    let status = session.status();
    let ends = {
        let session = session.clone();
        move || {
            let signed_in = matches!(status.get(), SessionStatus::SignedIn(_));
            signed_in
                .then(|| ending_soon(session.session_ends_at_ms(), now.get()))
                .flatten()
        }
    };
    view! {
        {move || {
            ends()
                .map(|ends_at| {
                    // Whole seconds (an integer keeps float formatting out of the bundle).
                    let left = ((ends_at - now.get()) / 1000.0).max(0.0).round() as i64;
                    view! {
                        <section class="notice notice--warning" role="alert" data-testid="session-ending">
                            <div class="notice__inner">
                                <p>
                                    <strong>"Your session ends at " {clock_time(ends_at)} "."</strong>
                                    {format!(" About {left} s left; after that your changes cannot be saved. ")}
                                    "Sign in again to continue on this page."
                                </p>
                                <SignInAgainButton session=session.clone() />
                            </div>
                        </section>
                    }
                })
        }}
    }
    .into_any()
}
