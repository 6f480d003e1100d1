//! Guards a route: signed-in users see it, anonymous ones are sent to sign in and brought back.

use leptos::prelude::*;

use crate::{
    auth::{IdpReachability, Session, SessionStatus},
    components::loading::Loading,
    routes,
};

/// What the guard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Page,
    Ended,
    Leaving,
    Redirecting,
}

/// Renders `children` only for a signed-in user. An anonymous visitor is redirected to the IdP
/// with this route (path and query) as the place to return to; after an ended session the
/// notice above offers that instead, so nobody is sent away without asking.
#[component]
pub fn Protected(children: ChildrenFn) -> impl IntoView {
    let session = expect_context::<Session>();
    let status = session.status();
    let idp = session.idp_reachability();
    let failure = RwSignal::new(None::<String>);

    let redirect_status = status.clone();
    Effect::new(move |_| {
        if redirect_status.get() == SessionStatus::Anonymous
            && let Err(err) = session.sign_in(&routes::after_sign_in())
        {
            failure.set(Some(err.to_string()));
        }
    });

    // What the guard shows depends on the kind of status only: a token refresh sets `SignedIn`
    // again (with the new token's user), and the page must not be built anew for it (its forms
    // would lose what was typed, and it would load everything again).
    let shown = Memo::new(move |_| match status.get() {
        SessionStatus::SignedIn(_) => Shown::Page,
        SessionStatus::Ended | SessionStatus::SignedOutElsewhere => Shown::Ended,
        SessionStatus::Leaving => Shown::Leaving,
        SessionStatus::Anonymous | SessionStatus::Starting => Shown::Redirecting,
    });
    move || match (shown.get(), failure.get()) {
        (Shown::Page, _) => children().into_any(),
        (_, Some(message)) => view! {
            <section class="panel panel--error" role="alert">
                <h2 class="panel__title">"Sign-in could not start"</h2>
                <p>{message}</p>
            </section>
        }
        .into_any(),
        (Shown::Ended, None) => view! {
            <section class="card">
                <h1>"Signed out"</h1>
                <p>"This page needs you to be signed in. Use " <strong>"Sign in again"</strong>
                    " above to come straight back here."</p>
            </section>
        }
        .into_any(),
        (Shown::Leaving, None) => view! { <Loading label="Signing out…" /> }.into_any(),
        (Shown::Redirecting, None) => match idp.get() {
            IdpReachability::Answering => {
                view! { <Loading label="Redirecting to sign-in…" /> }.into_any()
            }
            // The notice above says why; the page waits here, not on a dead sign-in page.
            IdpReachability::NotAnswering { .. } => {
                view! { <Loading label="Waiting for the sign-in service…" /> }.into_any()
            }
        },
    }
}
