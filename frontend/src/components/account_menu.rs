//! The header's account area: who is signed in with a Log out button, or a Log in button.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::{Session, SessionStatus, redirect_state};

/// Renders nothing until the session exists (while `/keycloak.json` loads).
#[component]
pub fn AccountMenu() -> impl IntoView {
    let Some(session) = use_context::<Session>() else {
        return ().into_any();
    };
    let status = session.status();
    let failure = RwSignal::new(None::<String>);
    let sign_in = {
        let session = session.clone();
        move |_| {
            // From the landing page, signing in leads to the account page.
            let return_to = match redirect_state::current_route() {
                landing if landing == "/" => "/me".to_owned(),
                other => other,
            };
            if let Err(err) = session.sign_in(&return_to) {
                failure.set(Some(err.to_string()));
            }
        }
    };
    let sign_out = move |_| {
        if let Err(err) = session.sign_out() {
            failure.set(Some(err.to_string()));
        }
    };

    view! {
        <nav class="account" aria-label="Account">
            {move || match status.get() {
                SessionStatus::SignedIn(user) => {
                    view! {
                        <A href="/me" attr:class="account__name" attr:data-testid="account-name">
                            {user.display_name()}
                        </A>
                        <button
                            type="button"
                            class="button button--header"
                            data-testid="log-out"
                            on:click=sign_out.clone()
                        >
                            "Log out"
                        </button>
                    }
                        .into_any()
                }
                SessionStatus::Starting | SessionStatus::Leaving => ().into_any(),
                SessionStatus::Anonymous | SessionStatus::Ended => {
                    view! {
                        <button
                            type="button"
                            class="button button--header"
                            data-testid="header-log-in"
                            on:click=sign_in.clone()
                        >
                            "Log in"
                        </button>
                    }
                        .into_any()
                }
            }}
            {move || failure.get().map(|message| view! { <p class="account__error" role="alert">{message}</p> })}
        </nav>
    }
    .into_any()
}
