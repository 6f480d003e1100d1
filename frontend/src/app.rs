//! The router and the layout every route shares: skip link, header bar and main landmark.

use leptos::{ev, html, prelude::*};
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

use crate::pages::{landing::Landing, not_found::NotFound};

/// The product name shown in the header (and in `index.html`'s `<title>`).
pub const APP_NAME: &str = "Org Browser";

/// The whole app: every page renders inside this layout.
#[component]
pub fn App() -> impl IntoView {
    let main = NodeRef::<html::Main>::new();
    // The router would turn `#main` into a navigation; move focus to the content instead.
    let skip_to_main = move |ev: ev::MouseEvent| {
        ev.prevent_default();
        if let Some(main) = main.get() {
            let _ = main.focus();
        }
    };

    view! {
        <Router>
            <a class="skip-link" href="#main" on:click=skip_to_main>
                "Skip to content"
            </a>
            <header class="app-header">
                <div class="app-header__inner">
                    <A href="/" attr:class="brand">
                        <img class="brand__mark" src="/logo.svg" alt="" width="28" height="28" />
                        {APP_NAME}
                    </A>
                </div>
            </header>
            <main id="main" class="app-main" tabindex="-1" node_ref=main>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=Landing />
                </Routes>
            </main>
        </Router>
    }
}
