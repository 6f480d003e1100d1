//! The public landing page: what the app is, and the Keycloak realm it signs in with.

use leptos::prelude::*;

use leptos_router::components::A;

use crate::{
    auth::{Session, SessionStatus},
    components::{error_panel::ErrorPanel, loading::Loading},
    config::KeycloakJson,
    routes,
};

/// The start page anyone can see before signing in: what the app is, and signing in with the
/// session's settings (the app mounts it once `/keycloak.json` has loaded).
#[component]
pub fn Landing() -> impl IntoView {
    let config = expect_context::<KeycloakJson>();
    let session = expect_context::<Session>();
    view! {
        <Hero />
        <SignInNotice session=session.clone() />
        <div class="landing__sign-in">
            <SignInActions session />
            <SignInSettings config />
        </div>
    }
}

/// What the app is.
#[component]
fn Hero() -> impl IntoView {
    view! {
        <section class="hero" aria-labelledby="landing-title">
            <h1 id="landing-title">"Your organisation, unit by unit"</h1>
            <p class="hero__lead">
                "Browse the organisation units of an OS2mo-style organisation: the unit tree, "
                "who owns each unit, and what you may change. You sign in with your "
                "organisation's Keycloak account."
            </p>
            <ul class="hero__points">
                <li>"Find any unit by name in the organisation tree."</li>
                <li>"See at a glance which units you own, directly or through a unit above."</li>
                <li>"Rename, move, create and delete units, and manage owners, where your role allows."</li>
            </ul>
        </section>
    }
}

/// Log in, or go to the account page when signed in.
#[component]
fn SignInActions(session: Session) -> impl IntoView {
    let status = session.status();
    let failure = RwSignal::new(None::<String>);
    let log_in = move |_| {
        if let Err(err) = session.sign_in(&routes::after_sign_in()) {
            failure.set(Some(err.to_string()));
        }
    };
    view! {
        <section class="card" aria-labelledby="start-title">
            <h2 id="start-title" class="card__title">"Start"</h2>
            {move || match status.get() {
                SessionStatus::SignedIn(user) => view! {
                    <p>"You are signed in as " <strong>{user.display_name()}</strong> "."</p>
                    <div class="actions">
                        <A href=routes::UNITS attr:class="button button--primary" attr:data-testid="go-to-units">
                            "Open the organisation"
                        </A>
                        <A href=routes::ME attr:class="button" attr:data-testid="go-to-account">
                            "Your account"
                        </A>
                    </div>
                }
                .into_any(),
                // On the way out: no "Log in" that could overtake the logout.
                SessionStatus::Leaving => view! { <Loading label="Signing out…" /> }.into_any(),
                _ => view! {
                    <p>"Sign in with your organisation account to see what you may do."</p>
                    <button
                        type="button"
                        class="button button--primary"
                        data-testid="log-in"
                        on:click=log_in.clone()
                    >
                        "Log in"
                    </button>
                }
                .into_any(),
            }}
            {move || failure.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
        </section>
    }
}

/// Why the last sign-in did not complete, with a way to try again.
#[component]
fn SignInNotice(session: Session) -> impl IntoView {
    let notice = session.notice();
    move || {
        notice.get().map(|err| {
            let session = session.clone();
            let notice = notice.clone();
            view! {
                <ErrorPanel
                    title="Sign-in did not complete"
                    message=err.to_string()
                    on_retry=move || {
                        notice.set(None);
                        if let Err(err) = session.sign_in(&routes::after_sign_in()) {
                            notice.set(Some(err));
                        }
                    }
                />
            }
        })
    }
}

/// The realm, IdP and client this app signs in with.
#[component]
fn SignInSettings(config: KeycloakJson) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="sign-in-title">
            <h2 id="sign-in-title" class="card__title">"Sign-in"</h2>
            <dl class="facts">
                <div class="facts__row">
                    <dt>"Realm"</dt>
                    <dd>
                        <code data-testid="realm">{config.realm}</code>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>"Sign-in server"</dt>
                    <dd>
                        <code data-testid="auth-server-url">{config.auth_server_url}</code>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>"Client"</dt>
                    <dd>
                        <code data-testid="client">{config.resource}</code>
                    </dd>
                </div>
            </dl>
        </section>
    }
}
