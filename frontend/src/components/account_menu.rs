//! The header's account area: the app's sections, who is signed in with the role badge the server
//! gives them (`GET /api/v1/me`) and a Log out button, or a Log in button.

use api::{AccountRole, Me};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    auth::{ApiClient, Session, SessionStatus, clock::LocalFuture},
    org::{client::ME_PATH, rules},
    routes,
    split::part,
};

/// The account's role as the server gives it (`GET /api/v1/me`), asked once per sign-in: a token
/// refresh (which sets the status again) does not ask again. `None` while signed out or loading,
/// and when it cannot be asked (the pages report their own errors).
fn role_of_account(status: ArcRwSignal<SessionStatus>) -> LocalResource<Option<AccountRole>> {
    let signed_in = Memo::new(move |_| matches!(status.get(), SessionStatus::SignedIn(_)));
    let api = use_context::<ApiClient>();
    LocalResource::new(move || {
        let api = api.clone().filter(|_| signed_in.get());
        async move { role_from_server(api?).await.ok()?.await }
    })
}

part! {
    /// `GET /api/v1/me`'s role: a part of its own (crate::split), as only a signed-in user asks.
    fn role_from_server(api: ApiClient) -> LocalFuture<'static, Option<AccountRole>> {
        Box::pin(async move { Some(api.get::<Me>(ME_PATH).await.ok()?.access.role) })
    }
}

/// The role badge, once the server has said what the account may do.
#[component]
fn RoleBadge(role: LocalResource<Option<AccountRole>>) -> impl IntoView {
    move || {
        role.get().flatten().map(|role| {
            view! {
                <span class=rules::role_class(role) data-testid="header-role" title=rules::role_explanation(role)>
                    {rules::role_label(role)}
                </span>
            }
        })
    }
}

/// The app's sections, beside the brand; only for a signed-in user.
#[component]
pub fn MainNav() -> impl IntoView {
    let status = use_context::<Session>().map(|session| session.status());
    move || {
        let signed_in = status
            .as_ref()
            .is_some_and(|status| matches!(status.get(), SessionStatus::SignedIn(_)));
        signed_in.then(|| {
            view! {
                <nav class="main-nav" aria-label="Sections">
                    <A href=routes::UNITS attr:class="main-nav__link" attr:data-testid="nav-units">
                        "Organisation"
                    </A>
                </nav>
            }
        })
    }
}

/// Renders nothing until the session exists (while `/keycloak.json` loads).
#[component]
pub fn AccountMenu() -> impl IntoView {
    let Some(session) = use_context::<Session>() else {
        return ().into_any();
    };
    let status = session.status();
    let role = role_of_account(status.clone());
    let failure = RwSignal::new(None::<String>);
    let sign_in = {
        let session = session.clone();
        move |_| {
            if let Err(err) = session.sign_in(&routes::after_sign_in()) {
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
                        <span class="account__who">
                            <A href=routes::ME attr:class="account__name" attr:data-testid="account-name">
                                {user.display_name()}
                            </A>
                            <RoleBadge role />
                        </span>
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
                SessionStatus::Anonymous
                | SessionStatus::Ended
                | SessionStatus::SignedOutElsewhere => {
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
