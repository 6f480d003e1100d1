//! "Your account": who the server says you are (`GET /api/v1/me`), with the role badge the server gives.

use api::Me;
use leptos::prelude::*;

use crate::{
    auth::ApiClient,
    components::{error_panel::ErrorPanel, loading::Loading},
    org::{client::ME_PATH, rules},
};

/// The protected account page.
#[component]
pub fn MePage() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let me = LocalResource::new(move || {
        let api = api.clone();
        async move { api.get::<Me>(ME_PATH).await }
    });

    view! {
        <section aria-labelledby="me-title">
            <div class="page-heading">
                <h1 id="me-title">"Your account"</h1>
                <button
                    type="button"
                    class="button"
                    data-testid="me-refresh"
                    on:click=move |_| me.refetch()
                >
                    "Check again"
                </button>
            </div>
            <p class="hero__lead">
                "Who the server says you are, read from the sign-in your browser sent with the request."
            </p>
            <div aria-live="polite">
                <Transition fallback=|| view! { <Loading label="Loading your account…" /> }>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(me) => view! { <AccountDetails me /> }.into_any(),
                            Err(err) => {
                                view! {
                                    <ErrorPanel
                                        title="Your account could not be loaded"
                                        message=err.to_string()
                                        on_retry=move || me.refetch()
                                    />
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Transition>
            </div>
        </section>
    }
}

#[component]
fn AccountDetails(me: Me) -> impl IntoView {
    let role = me.access.role;
    let checked_at = js_sys::Date::new_0()
        .to_locale_time_string("en-GB")
        .as_string()
        .unwrap_or_default();
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".into());
    let roles = if me.roles.is_empty() {
        "none".to_owned()
    } else {
        me.roles.join(", ")
    };
    view! {
        <section class="card" aria-labelledby="account-title">
            <div class="account-card__head">
                <h2 id="account-title" class="card__title" data-testid="me-name">
                    {or_dash(me.name)}
                </h2>
                <span class=rules::role_class(role) data-testid="role-badge">
                    {rules::role_label(role)}
                </span>
            </div>
            <p class="account-card__explanation">{rules::role_explanation(role)}</p>
            <dl class="facts">
                <div class="facts__row">
                    <dt>"Username"</dt>
                    <dd>
                        <code data-testid="me-username">{or_dash(me.username)}</code>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>"Employee UUID"</dt>
                    <dd>
                        <code data-testid="me-uuid">{or_dash(me.uuid.map(|uuid| uuid.to_string()))}</code>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>"Email"</dt>
                    <dd>{or_dash(me.email)}</dd>
                </div>
                <div class="facts__row">
                    <dt>"Realm roles"</dt>
                    <dd data-testid="me-roles">{roles}</dd>
                </div>
            </dl>
            <p class="account-card__checked">
                "Checked with the server at " <time data-testid="me-checked-at">{checked_at}</time> "."
            </p>
        </section>
    }
}
