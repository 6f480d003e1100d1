//! The Move form: asks the server where the unit may go (`.../move-destinations`, every
//! destination judged like the PATCH) and offers exactly those, in the tree's order.

use std::collections::HashSet;

use api::{AccountRole, MoveDestinations, Rule, Verdict};
use leptos::{html, prelude::*};
use uuid::Uuid;

use super::{
    actions::{self, TOP_LEVEL_CHOICE},
    form::{ActionForm, Choice, Field},
    state::{Loaded, Page},
};
use crate::{
    components::loading::Loading,
    org::{
        client,
        rules::{self, Action},
    },
};

/// The choices: a prompt, the top level when allowed, then the allowed parents depth-first,
/// indented by depth.
fn choices(loaded: &Loaded, destinations: &MoveDestinations) -> Vec<Choice> {
    let allowed: HashSet<Uuid> = destinations.parents.iter().copied().collect();
    let choice = |value: String, label: String| Choice {
        value,
        label,
        disabled: false,
    };
    let top_level = (destinations.top_level == Some(Verdict::Allowed))
        .then(|| choice(TOP_LEVEL_CHOICE.into(), "Top level (no parent)".into()));
    let parents = loaded
        .tree
        .depth_first()
        .into_iter()
        .filter(|(unit, _)| allowed.contains(unit))
        .filter_map(|(unit, depth)| {
            let name = &loaded.tree.get(unit)?.name;
            let indent = "\u{a0}\u{a0}\u{a0}".repeat(depth);
            Some(choice(unit.to_string(), format!("{indent}{name}")))
        });
    std::iter::once(choice(String::new(), "Choose the new parent…".into()))
        .chain(top_level)
        .chain(parents)
        .collect()
}

/// What the list leaves out, in the user's words.
fn hint(loaded: &Loaded, destinations: &MoveDestinations) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(Verdict::Refused { rule }) = destinations.top_level {
        parts.push(rules::refusal(rule, Action::Move));
    }
    if loaded.org.me.access.role == AccountRole::Owner {
        parts.push(rules::refusal(Rule::NotOwnerOfNewParent, Action::Move));
    }
    if destinations.parents.is_empty() && destinations.top_level != Some(Verdict::Allowed) {
        parts.push(rules::refusal(Rule::NoDestination, Action::Move));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[component]
pub fn MoveForm(loaded: Loaded, page: Page, opener: NodeRef<html::Button>) -> impl IntoView {
    let state = page.move_to;
    let uuid = loaded.unit.uuid;
    let api = page.api();
    let destinations = LocalResource::new(move || {
        let api = api.clone();
        async move { client::move_destinations(&api, uuid).await }
    });
    view! {
        <div data-testid="move-destinations">
            <Transition fallback=|| view! { <Loading label="Finding where it may go…" /> }>
                {move || {
                    let loaded = loaded.clone();
                    Suspend::new(async move {
                        match destinations.await {
                            Ok(found) => view! {
                                <ActionForm
                                    state
                                    id="move"
                                    label="New parent"
                                    submit_label="Move here"
                                    field=Field::Choices(choices(&loaded, &found))
                                    hint=hint(&loaded, &found)
                                    on_submit=Callback::new(move |target| actions::move_to(page, target))
                                    on_reload=Callback::new(move |()| page.reload())
                                    return_focus=opener
                                />
                            }
                            .into_any(),
                            Err(err) => view! {
                                <div class="inline-alert inline-alert--error" role="alert" data-testid="move-destinations-error">
                                    <p>"Where the unit may go could not be loaded: " {err.to_string()}</p>
                                    <button type="button" class="button button--small" on:click=move |_| destinations.refetch()>
                                        "Retry"
                                    </button>
                                </div>
                            }
                            .into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
}
