//! The notice shown when the IdP ended the session, and the "Sign in again" button both session notices use.

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

/// Visible only while the session status is `Ended`.
#[component]
pub fn SessionEndedNotice() -> impl IntoView {
    let Some(session) = use_context::<Session>() else {
        return ().into_any();
    };
    let status = session.status();
    let notice = move || {
        (status.get() == SessionStatus::Ended).then(|| {
            view! {
                <section class="notice" role="alert" data-testid="session-ended">
                    <div class="notice__inner">
                        <p>
                            <strong>"Your session has ended."</strong>
                            " You were signed out by the sign-in server (for example after a long "
                            "break or a sign-out elsewhere). Sign in again to continue where you were."
                        </p>
                        <SignInAgainButton session=session.clone() />
                    </div>
                </section>
            }
        })
    };
    notice.into_any()
}
