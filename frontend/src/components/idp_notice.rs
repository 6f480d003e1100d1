//! The notice while the sign-in service does not answer: to someone waiting to sign in, that the
//! app stays here and goes on by itself when it answers; to someone signed in, until when they
//! can keep working.

use leptos::prelude::*;

use super::timing::{clock_time, ticking_now};
use crate::auth::{IdpReachability, Session, SessionStatus};

/// How often the notice's countdown is updated.
const TICK_MS: f64 = 1_000.0;

/// Visible only while the last request to the sign-in service got no answer.
#[component]
pub fn IdpUnavailableNotice() -> impl IntoView {
    let Some(session) = use_context::<Session>() else {
        return ().into_any();
    };
    let idp = session.idp_reachability();
    let status = session.status();
    let now = ticking_now(TICK_MS);
    let notice = move || {
        let IdpReachability::NotAnswering { next_try_at_ms } = idp.get() else {
            return None;
        };
        let next_try = ((next_try_at_ms - now.get()) / 1000.0).max(0.0).ceil() as i64;
        let retry = if next_try > 0 {
            format!("Trying again in {next_try} s.")
        } else {
            "Trying again now…".to_owned()
        };
        let signed_in = matches!(status.get(), SessionStatus::SignedIn(_));
        let (headline, detail) = match (signed_in, session.token_expires_at_ms()) {
            (true, Some(expires)) => (
                "The sign-in service is not answering.".to_owned(),
                format!(
                    " You can keep working until {}; your session is renewed as soon as it \
                     answers. ",
                    clock_time(expires)
                ),
            ),
            _ if status.get() == SessionStatus::Leaving => (
                "Signing out is waiting for the sign-in service.".to_owned(),
                " You are signed out of this app; the sign-in service is not answering, so \
                 signing out there finishes as soon as it answers. "
                    .to_owned(),
            ),
            _ => (
                "Sign-in is unavailable right now.".to_owned(),
                " The sign-in service is not answering. You can stay on this page: sign-in \
                 continues by itself as soon as the service is back. "
                    .to_owned(),
            ),
        };
        Some(view! {
            <section class="notice notice--warning" role="alert" data-testid="idp-unavailable">
                <div class="notice__inner">
                    <p><strong>{headline}</strong>{detail}{retry}</p>
                </div>
            </section>
        })
    };
    notice.into_any()
}
