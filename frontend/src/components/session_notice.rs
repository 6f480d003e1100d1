//! The notice shown when the IdP ended the session, with a one-click sign-in back to this page.

use leptos::prelude::*;

use crate::auth::{Session, SessionStatus, redirect_state};

/// Visible only while the session status is `Ended`.
#[component]
pub fn SessionEndedNotice() -> impl IntoView {
    let Some(session) = use_context::<Session>() else {
        return ().into_any();
    };
    let status = session.status();
    let failure = RwSignal::new(None::<String>);
    let sign_in_again = move |_| {
        let here = redirect_state::current_route();
        if let Err(err) = session.sign_in(&here) {
            failure.set(Some(err.to_string()));
        }
    };
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
                        <button
                            type="button"
                            class="button button--primary"
                            on:click=sign_in_again.clone()
                        >
                            "Sign in again"
                        </button>
                        {move || failure.get().map(|message| view! { <p>{message}</p> })}
                    </div>
                </section>
            }
        })
    };
    notice.into_any()
}
