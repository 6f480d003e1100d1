//! The panel that reports a failed request and offers to try it again.

use leptos::prelude::*;

/// An alert with a heading, the reason and a Retry button.
#[component]
pub fn ErrorPanel(
    /// What failed, as a short heading.
    title: &'static str,
    /// Why it failed, in words a user can act on.
    #[prop(into)]
    message: String,
    /// Runs when the user asks to try again.
    on_retry: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <section class="panel panel--error" role="alert">
            <h2 class="panel__title">{title}</h2>
            <p>{message}</p>
            <button type="button" class="button button--primary" on:click=move |_| on_retry()>
                "Retry"
            </button>
        </section>
    }
}
