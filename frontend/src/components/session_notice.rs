//! The notices shown when the IdP ended the session or another tab signed out, and the "Sign in
//! again" button the session notices use.

use leptos::prelude::*;

use crate::{
    auth::{Session, SessionStatus},
    routes,
};

/// The notices' "Sign in again" button: a sign-in that returns to this page, and why it could not
/// start (shown after the button) if it failed.
#[component]
pub fn SignInAgainButton(session: Session) -> impl IntoView {
    let failure = RwSignal::new(None::<String>);
    let sign_in_again = move |_| {
        if let Err(err) = session.sign_in(&routes::after_sign_in()) {
            failure.set(Some(err.to_string()));
        }
    };
    view! {
        <button type="button" class="button button--primary" on:click=sign_in_again>
            "Sign in again"
        </button>
        {move || failure.get().map(|message| view! { <p>{message}</p> })}
    }
}

/// Visible only while the session status is `Ended` or `SignedOutElsewhere`.
#[component]
pub fn SessionEndedNotice() -> impl IntoView {
    let Some(session) = use_context::<Session>() else {
        return ().into_any();
    };
    let status = session.status();
    let notice = move || {
        let (test_id, headline, detail) = match status.get() {
            SessionStatus::Ended => (
                "session-ended",
                "Your session has ended.",
                " You were signed out by the sign-in server (for example after a long break or a \
                 sign-out elsewhere). Sign in again to continue where you were.",
            ),
            SessionStatus::SignedOutElsewhere => (
                "signed-out-elsewhere",
                "You signed out in another tab.",
                " This tab is signed out too. Sign in again to continue where you were.",
            ),
            _ => return None,
        };
        Some(view! {
            <section class="notice" role="alert" data-testid=test_id>
                <div class="notice__inner">
                    <p><strong>{headline}</strong>{detail}</p>
                    <SignInAgainButton session=session.clone() />
                </div>
            </section>
        })
    };
    notice.into_any()
}
