//! `/units`: the organisation tree — expand and collapse, a name filter that keeps the ancestors
//! of every match visible, owners by name, and a badge on the units the user owns. Each row's
//! state is a memo, so a keystroke re-renders only the rows it changes.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use crate::{
    auth::ApiClient,
    components::{error_panel::ErrorPanel, loading::Loading},
    org::{
        client::Organisation,
        tree::{FilterResult, OrgTree},
    },
    routes,
};

/// The tree with what its rows need, shared by every row (cheap to clone).
#[derive(Clone)]
struct TreeContext {
    tree: std::sync::Arc<OrgTree>,
    org: std::sync::Arc<Organisation>,
    expanded: RwSignal<HashSet<Uuid>>,
    filter: Memo<Option<FilterResult>>,
}

/// The protected tree page.
#[component]
pub fn UnitsPage() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let organisation = LocalResource::new(move || {
        let api = api.clone();
        async move { Organisation::load(&api).await }
    });
    view! {
        <section aria-labelledby="units-title">
            <div class="page-heading">
                <h1 id="units-title">"Organisation"</h1>
                <button
                    type="button"
                    class="button"
                    data-testid="units-reload"
                    on:click=move |_| organisation.refetch()
                >
                    "Reload"
                </button>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading the organisation…" /> }>
                {move || Suspend::new(async move {
                    match organisation.await {
                        Ok(org) => view! { <Tree org /> }.into_any(),
                        Err(err) => {
                            view! {
                                <ErrorPanel
                                    title="The organisation could not be loaded"
                                    message=err.to_string()
                                    on_retry=move || organisation.refetch()
                                />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Tree(org: Organisation) -> impl IntoView {
    let tree = std::sync::Arc::new(OrgTree::new(org.units.clone()));
    let query = RwSignal::new(String::new());
    let filter = {
        let tree = tree.clone();
        Memo::new(move |_| query.with(|query| tree.filter(query)))
    };
    // Open at first: the top level, and the units the user owns (so their subtree shows).
    let me = org.me.uuid;
    let owned = org
        .units
        .iter()
        .filter(|unit| me.is_some_and(|me| unit.owners.contains(&me)))
        .map(|unit| unit.uuid);
    let expanded = RwSignal::new(
        tree.roots()
            .iter()
            .copied()
            .chain(owned)
            .collect::<HashSet<Uuid>>(),
    );
    let context = TreeContext {
        tree: tree.clone(),
        org: std::sync::Arc::new(org),
        expanded,
        filter,
    };
    let all: HashSet<Uuid> = tree.depth_first().into_iter().map(|(u, _)| u).collect();
    let roots = tree.roots().to_vec();
    let total = tree.len();
    // Counts only: the result's sets are read in place, never cloned.
    let matched = Memo::new(move |_| filter.with(|f| f.as_ref().map(|r| r.matches.len())));
    let summary = move || match matched.get() {
        Some(0) => String::new(),
        Some(matches) => format!("{matches} of {total} units match."),
        None => format!("{total} units."),
    };

    view! {
        <div class="tree-tools">
            <div class="field field--inline">
                <label for="unit-filter">"Filter by name"</label>
                <input
                    id="unit-filter"
                    type="search"
                    autocomplete="off"
                    data-testid="unit-filter"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </div>
            <div class="tree-tools__buttons">
                <button type="button" class="button button--small" on:click=move |_| expanded.set(all.clone())>
                    "Expand all"
                </button>
                <button type="button" class="button button--small" on:click=move |_| expanded.set(HashSet::new())>
                    "Collapse all"
                </button>
            </div>
        </div>
        <p class="muted" data-testid="tree-summary">{summary}</p>
        {move || {
            (matched.get() == Some(0))
                .then(|| {
                    view! {
                        <p class="empty" data-testid="tree-empty">
                            "No unit matches “" {query.get().trim().to_owned()} "”."
                        </p>
                    }
                })
        }}
        {(total == 0)
            .then(|| view! { <p class="empty" data-testid="tree-empty">"There are no units yet."</p> })}
        <ul class="tree" data-testid="tree">
            {roots
                .into_iter()
                .map(|uuid| view! { <TreeRow uuid context=context.clone() /> })
                .collect_view()}
        </ul>
    }
}

/// One unit and, when open, its sub-units.
#[component]
fn TreeRow(uuid: Uuid, context: TreeContext) -> AnyView {
    let Some(unit) = context.tree.get(uuid).cloned() else {
        return ().into_any();
    };
    let children = context.tree.children(uuid).to_vec();
    let has_children = !children.is_empty();
    let expanded = context.expanded;
    let filter = context.filter;
    // Memos, so a keystroke or "Expand all" touches only the rows whose state changes: each row
    // checks a set, and only the rows that flip update their DOM or build their sub-units.
    let visible = Memo::new(move |_| {
        filter.with(|filter| {
            filter
                .as_ref()
                .is_none_or(|result| result.visible.contains(&uuid))
        })
    });
    let is_match = Memo::new(move |_| {
        filter.with(|filter| {
            filter
                .as_ref()
                .is_some_and(|result| result.matches.contains(&uuid))
        })
    });
    let filtering = Memo::new(move |_| filter.with(Option::is_some));
    // While filtering, the ancestors of the matches are open (so the matches can be seen).
    let open = Memo::new(move |_| {
        filter.with(|filter| match filter {
            Some(result) => result.opened.contains(&uuid),
            None => expanded.with(|open| open.contains(&uuid)),
        })
    });
    let open = move || open.get();
    let toggle = move |_| {
        expanded.update(|open| {
            if !open.remove(&uuid) {
                open.insert(uuid);
            }
        })
    };
    let owners: Vec<String> = unit
        .owners
        .iter()
        .map(|person| context.org.person_name(*person))
        .collect();
    let badge = context.tree.ownership(uuid, context.org.me.uuid).badge();
    let name = unit.name.clone();
    let toggle_label = {
        let name = name.clone();
        move || {
            if open() {
                format!("Collapse {name}")
            } else {
                format!("Expand {name}")
            }
        }
    };
    let child_rows = {
        let context = context.clone();
        move || {
            open().then(|| {
                view! {
                    <ul class="tree__children">
                        {children
                            .iter()
                            .map(|child| view! { <TreeRow uuid=*child context=context.clone() /> })
                            .collect_view()}
                    </ul>
                }
            })
        }
    };

    view! {
        <li class="tree__item" class:tree__item--hidden=move || !visible.get() data-unit=uuid.to_string()>
            <div class="tree__row" class:tree__row--match=move || is_match.get()>
                {if has_children {
                    view! {
                        <button
                            type="button"
                            class="tree__toggle"
                            aria-expanded=move || open().to_string()
                            aria-label=toggle_label
                            disabled=move || filtering.get()
                            on:click=toggle
                        >
                            <span aria-hidden="true" class="tree__chevron"></span>
                        </button>
                    }
                        .into_any()
                } else {
                    view! { <span class="tree__toggle tree__toggle--leaf" aria-hidden="true"></span> }.into_any()
                }}
                <div class="tree__body">
                    <A href=routes::unit(uuid) attr:class="tree__name" attr:data-testid="tree-unit">
                        {name}
                    </A>
                    {badge.map(|text| view! { <span class="own-badge" data-testid="own-badge">{text}</span> })}
                    {(!owners.is_empty())
                        .then(|| {
                            view! {
                                <span class="tree__owners">"Owners: " {owners.join(", ")}</span>
                            }
                        })}
                </div>
            </div>
            {child_rows}
        </li>
    }
    .into_any()
}
