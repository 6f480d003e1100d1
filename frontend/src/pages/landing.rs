//! The public landing page: what the app is, and the Keycloak realm it signs in with.

use leptos::prelude::*;

use crate::{
    components::{error_panel::ErrorPanel, loading::Loading},
    config::{self, KeycloakJson},
};

/// The start page anyone can see before signing in.
#[component]
pub fn Landing() -> impl IntoView {
    let keycloak = LocalResource::new(config::load);

    view! {
        <section class="hero" aria-labelledby="landing-title">
            <h1 id="landing-title">"Your organisation, unit by unit"</h1>
            <p class="hero__lead">
                "Browse the organisation units of an OS2mo-style organisation: the unit tree, "
                "who owns each unit, and what you may change. You sign in with your "
                "organisation's Keycloak account."
            </p>
        </section>
        <div class="landing__sign-in" aria-live="polite">
            <Suspense fallback=|| view! { <SignInSkeleton /> }>
                {move || Suspend::new(async move {
                    match keycloak.await {
                        Ok(config) => view! { <SignInSettings config /> }.into_any(),
                        Err(err) => {
                            view! {
                                <ErrorPanel
                                    title="Sign-in settings could not be loaded"
                                    message=format!("{err} Check that the server is running, then retry.")
                                    on_retry=move || keycloak.refetch()
                                />
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The sign-in card while `/keycloak.json` is loading.
#[component]
fn SignInSkeleton() -> impl IntoView {
    view! {
        <section class="card" aria-busy="true">
            <Loading label="Loading sign-in settings…" />
            <div class="skeleton skeleton--line" aria-hidden="true"></div>
            <div class="skeleton skeleton--line skeleton--short" aria-hidden="true"></div>
        </section>
    }
}

/// Where sign-in will happen, as read from `/keycloak.json`.
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
