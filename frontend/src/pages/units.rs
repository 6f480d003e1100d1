//! `/units`: the organisation tree — expand and collapse, a name filter that keeps the ancestors
//! of every match visible, owners by name, and a badge on the units the user owns. The tree is a
//! flat list of the rows it shows (depth first, indented by depth), and only the rows near the
//! screen are in the page: a keystroke or "Expand all" costs the filter and one walk of the rows
//! shown, never the DOM of the whole organisation.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use crate::{
    auth::ApiClient,
    components::{error_panel::ErrorPanel, loading::Loading, row_window::rows_near_screen},
    org::{
        client::Organisation,
        tree::{FilterResult, OrgTree},
    },
    routes,
};

/// The height of a row in CSS pixels: every row is one line this high (`--tree-row` in the
/// style sheet comes from here), so a row's place in the list is its index times this. The
/// rows' geometry is set property by property (`style:…`, the CSS object model): the server's
/// Content-Security-Policy (`style-src 'self'`) makes the browser ignore `style` attributes.
pub const ROW_PX: usize = 40;

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

/// The tree of `org`'s units with its filter and buttons (public for the browser tests).
#[component]
pub fn Tree(org: Organisation) -> impl IntoView {
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
    let rows = {
        let tree = tree.clone();
        Memo::new(move |_| {
            filter.with(|filter| expanded.with(|open| tree.rows(open, filter.as_ref())))
        })
    };
    let context = TreeContext {
        tree: tree.clone(),
        org: std::sync::Arc::new(org),
        expanded,
        filter,
    };
    // Every unit open: walked when asked for, not on every mount.
    let expand_all = {
        let tree = tree.clone();
        move |_| expanded.set(tree.depth_first().into_iter().map(|(u, _)| u).collect())
    };
    let total = tree.len();
    // Counts only: the result's sets are read in place, never cloned.
    let matched = Memo::new(move |_| filter.with(|f| f.as_ref().map(|r| r.matches.len())));
    let summary = move || match matched.get() {
        Some(0) => String::new(),
        Some(matches) => format!("{matches} of {total} units match."),
        None => format!("{total} units."),
    };

    // The scrolled list: where it is scrolled to and how high the window is (an upper bound of
    // the list's own height, which the style sheet keeps below the window's).
    let list = NodeRef::<leptos::html::Div>::new();
    let scroll_top = RwSignal::new(0.0);
    let viewport = RwSignal::new(window_height());
    let resized = window_event_listener(leptos::ev::resize, move |_| viewport.set(window_height()));
    on_cleanup(move || resized.remove());
    let near = Memo::new(move |_| {
        rows_near_screen(
            scroll_top.get(),
            viewport.get(),
            ROW_PX as f64,
            rows.with(Vec::len),
        )
    });
    let shown = move || {
        let range = near.get();
        rows.with(|rows| rows[range].to_vec())
    };
    let first = Memo::new(move |_| near.get().start);
    let set_size = Memo::new(move |_| rows.with(Vec::len));
    let back_to_top = move || {
        if let Some(list) = list.get_untracked() {
            list.set_scroll_top(0);
        }
        scroll_top.set(0.0);
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
                    on:input=move |ev| {
                        back_to_top();
                        query.set(event_target_value(&ev));
                    }
                />
            </div>
            <div class="tree-tools__buttons">
                <button type="button" class="button button--small" on:click=expand_all>
                    "Expand all"
                </button>
                <button
                    type="button"
                    class="button button--small"
                    on:click=move |_| {
                        back_to_top();
                        expanded.set(HashSet::new());
                    }
                >
                    "Collapse all"
                </button>
            </div>
        </div>
        <p class="muted" data-testid="tree-summary" aria-live="polite">{summary}</p>
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
        <div
            class="tree"
            class:tree--empty=move || set_size.get() == 0
            data-testid="tree"
            node_ref=list
            on:scroll=move |_| {
                if let Some(list) = list.get_untracked() {
                    scroll_top.set(f64::from(list.scroll_top()));
                }
            }
        >
            <ul
                class="tree__rows"
                aria-label="Organisation units"
                style:--tree-row=format!("{ROW_PX}px")
                style:height=move || format!("{}px", set_size.get() * ROW_PX)
                style:padding-top=move || format!("{}px", first.get() * ROW_PX)
            >
                <ForEnumerate
                    each=shown
                    key=|(uuid, _)| *uuid
                    children=move |index, (uuid, depth)| {
                        view! { <TreeRow uuid depth index first set_size context=context.clone() /> }
                    }
                />
            </ul>
        </div>
    }
}

/// The browser window's inner height in CSS pixels (0 outside a browser).
fn window_height() -> f64 {
    window()
        .inner_height()
        .ok()
        .and_then(|height| height.as_f64())
        .unwrap_or(0.0)
}

/// One row: the unit's toggle (when it has sub-units), its name as a link, badge and owners;
/// its place in the list is `first` (the first row rendered) + `index` (its place among those).
#[component]
fn TreeRow(
    uuid: Uuid,
    depth: usize,
    index: ReadSignal<usize>,
    first: Memo<usize>,
    set_size: Memo<usize>,
    context: TreeContext,
) -> AnyView {
    let Some(unit) = context.tree.get(uuid).cloned() else {
        return ().into_any();
    };
    let has_children = !context.tree.children(uuid).is_empty();
    let expanded = context.expanded;
    let filter = context.filter;
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
    let toggle = move |_| {
        expanded.update(|open| {
            if !open.remove(&uuid) {
                open.insert(uuid);
            }
        })
    };
    let owners = unit
        .owners
        .iter()
        .map(|person| context.org.person_name(*person))
        .collect::<Vec<_>>()
        .join(", ");
    let badge = context.tree.ownership(uuid, context.org.me.uuid).badge();
    let name = unit.name.clone();
    let title = name.clone();
    let toggle_label = {
        let name = name.clone();
        move || {
            if open.get() {
                format!("Collapse {name}")
            } else {
                format!("Expand {name}")
            }
        }
    };

    view! {
        <li
            class="tree__item"
            style:--depth=depth.to_string()
            aria-posinset=move || (first.get() + index.get() + 1).to_string()
            aria-setsize=move || set_size.get().to_string()
            data-unit=uuid.to_string()
        >
            <div class="tree__row" class:tree__row--match=move || is_match.get()>
                {if has_children {
                    view! {
                        <button
                            type="button"
                            class="tree__toggle"
                            aria-expanded=move || open.get().to_string()
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
                    <A href=routes::unit(uuid) attr:class="tree__name" attr:data-testid="tree-unit" attr:title=title>
                        {name}
                    </A>
                    {badge.map(|text| view! { <span class="own-badge" data-testid="own-badge">{text}</span> })}
                    {(!owners.is_empty())
                        .then(|| {
                            view! {
                                <span class="tree__owners" title=format!("Owners: {owners}")>
                                    "Owners: " {owners.clone()}
                                </span>
                            }
                        })}
                </div>
            </div>
        </li>
    }
    // Leptos has no `aria-level` attribute of its own: the row's level in the tree, set by name.
    .attr("aria-level", (depth + 1).to_string())
    .into_any()
}
