//! The page for any path no route matches.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

/// Names the unknown path and leads back to the start page.
#[component]
pub fn NotFound() -> impl IntoView {
    let pathname = use_location().pathname;
    view! {
        <section class="card" aria-labelledby="not-found-title">
            <h1 id="not-found-title">"Page not found"</h1>
            <p>"There is no page at " <code>{pathname}</code> "."</p>
            <A href="/" attr:class="button button--primary">
                "Go to the start page"
            </A>
        </section>
    }
}
