//! The busy indicator shown while a request is in flight.

use leptos::prelude::*;

/// A spinner with a visible label, announced politely to screen readers.
#[component]
pub fn Loading(
    /// What is being loaded, e.g. "Loading sign-in settings…".
    label: &'static str,
) -> impl IntoView {
    view! {
        <div class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}
