//! `/units/:uuid`: one unit — breadcrumb from the root, its sub-units and owners, and the
//! controls to change it, each enabled only when the unit's `permissions` allow it.

mod actions;
mod controls;
pub mod form;
mod move_form;
mod state;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use self::{
    controls::{ChildrenSection, ControlsSection, OwnersSection},
    form::FormState,
    state::{Loaded, Page, READ_ONLY_NOTICE_ID},
};
use crate::{
    auth::ApiClient,
    components::{error_panel::ErrorPanel, loading::Loading, notices::Notices},
    org::rules,
    routes,
};

/// The protected unit page.
#[component]
pub fn UnitPage() -> impl IntoView {
    let params = use_params_map();
    let uuid = Memo::new(move |_| params.with(|p| p.get("uuid").and_then(|s| s.parse().ok())));
    let page = Page {
        uuid,
        data: RwSignal::new(None),
        loading: RwSignal::new(true),
        load_error: RwSignal::new(None),
        rename: FormState::new(),
        create: FormState::new(),
        move_to: FormState::new(),
        delete: FormState::new(),
        add_owner: FormState::new(),
        remove_owner_error: RwSignal::new(None),
        notices: use_context::<Notices>(),
        api: StoredValue::new(expect_context::<ApiClient>()),
    };
    // Another unit: a fresh page (forms closed), then load it.
    Effect::new(move |_| {
        if uuid.get().is_some() {
            page.forms().iter().for_each(FormState::close);
            page.remove_owner_error.set(None);
            page.data.set(None);
            page.reload();
        }
    });

    move || {
        if uuid.get().is_none() {
            return view! {
                <section class="card">
                    <h1>"No such unit"</h1>
                    <p>"This address does not name an organisation unit."</p>
                    <A href=routes::UNITS attr:class="button button--primary">"Go to the organisation"</A>
                </section>
            }
            .into_any();
        }
        match (page.data.get(), page.load_error.get()) {
            (None, Some(message)) => view! {
                <ErrorPanel
                    title="The unit could not be loaded"
                    message
                    on_retry=move || page.reload()
                />
            }
            .into_any(),
            (None, None) => view! { <Loading label="Loading the unit…" /> }.into_any(),
            (Some(loaded), error) => view! { <UnitView loaded page error /> }.into_any(),
        }
    }
}

#[component]
fn UnitView(loaded: Loaded, page: Page, error: Option<String>) -> impl IntoView {
    let unit = loaded.unit.clone();
    let ownership = loaded.tree.ownership(unit.uuid, loaded.org.me.uuid);
    let read_only = rules::read_only_notice(&loaded.org.me.access);
    view! {
        <Breadcrumb loaded=loaded.clone() />
        <div class="page-heading">
            <h1 id="unit-title" data-testid="unit-name">{unit.name.clone()}</h1>
            {ownership.badge().map(|text| view! { <span class="own-badge" data-testid="own-badge">{text}</span> })}
        </div>
        {read_only.map(|notice| view! {
            <div id=READ_ONLY_NOTICE_ID class="inline-alert inline-alert--info" role="note" data-testid="read-only-notice">
                <p>{notice}</p>
            </div>
        })}
        {move || page.loading.get().then(|| view! { <Loading label="Reloading…" /> })}
        {error.map(|message| {
            view! {
                <div class="inline-alert inline-alert--error" role="alert">
                    <p>"The unit could not be reloaded: " {message}</p>
                </div>
            }
        })}
        <div class="unit-grid">
            <ChildrenSection loaded=loaded.clone() page />
            <OwnersSection loaded=loaded.clone() page />
        </div>
        <ControlsSection loaded page />
    }
}

/// The path from the root to the unit; the unit itself is the current page.
#[component]
fn Breadcrumb(loaded: Loaded) -> impl IntoView {
    let ancestors = loaded
        .unit
        .path
        .clone()
        .unwrap_or_else(|| loaded.tree.ancestors(loaded.unit.uuid));
    view! {
        <nav aria-label="Breadcrumb" class="breadcrumb" data-testid="breadcrumb">
            <ol>
                <li>
                    <A href=routes::UNITS>"Organisation"</A>
                </li>
                {ancestors
                    .into_iter()
                    .map(|ancestor| {
                        let name = loaded
                            .tree
                            .get(ancestor)
                            .map_or_else(|| ancestor.to_string(), |unit| unit.name.clone());
                        view! {
                            <li>
                                <A href=routes::unit(ancestor)>{name}</A>
                            </li>
                        }
                    })
                    .collect_view()}
                <li aria-current="page">{loaded.unit.name.clone()}</li>
            </ol>
        </nav>
    }
}
