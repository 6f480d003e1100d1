//! The unit page's sections: sub-units (and creating one), owners (adding and removing), and the
//! unit's own changes (rename, move, delete). Each control shows the server's verdict: a refused
//! one is disabled with the rule's reason beside it, or, when the whole account is read-only,
//! pointing at the page's one notice.

use leptos::{html, prelude::*};
use leptos_router::components::A;

use super::{
    actions,
    form::{ActionForm, Choice, Field, FormProblem, FormState},
    move_form::MoveForm,
    state::{Loaded, Page, READ_ONLY_NOTICE_ID},
};
use crate::{
    org::rules::{self, Action},
    routes,
};

/// A control's verdict as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    Allowed,
    /// Refused, with the reason beside the control.
    Refused(String),
    /// Refused because the account may change nothing: the page's notice says so once.
    ReadOnlyAccount,
}

impl Shown {
    fn of(loaded: &Loaded, action: Action) -> Self {
        match action.verdict(&loaded.unit.permissions).refusal() {
            None => Self::Allowed,
            Some(_) if loaded.org.me.access.write.refusal().is_some() => Self::ReadOnlyAccount,
            Some(rule) => Self::Refused(rules::refusal(rule, action)),
        }
    }

    fn allowed(&self) -> bool {
        *self == Self::Allowed
    }
}

/// A button that opens a form, disabled with the reason shown when the action is refused.
#[component]
fn ControlButton(
    id: &'static str,
    label: &'static str,
    shown: Shown,
    node_ref: NodeRef<html::Button>,
    state: FormState,
    on_open: Callback<()>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    let reason_id = format!("{id}-reason");
    let described_by = match &shown {
        Shown::Allowed => None,
        Shown::Refused(_) => Some(reason_id.clone()),
        Shown::ReadOnlyAccount => Some(READ_ONLY_NOTICE_ID.to_owned()),
    };
    let disabled = !shown.allowed();
    let reason = match shown {
        Shown::Refused(reason) => Some(reason),
        Shown::Allowed | Shown::ReadOnlyAccount => None,
    };
    view! {
        <div class="control">
            <button
                type="button"
                class="button"
                class:button--danger=danger
                data-testid=format!("{id}-open")
                node_ref=node_ref
                disabled=disabled
                aria-describedby=described_by
                aria-expanded=move || state.open.get().to_string()
                on:click=move |_| on_open.run(())
            >
                {label}
            </button>
            {reason.map(|reason| view! { <p id=reason_id class="reason" data-testid=format!("{id}-reason")>{reason}</p> })}
        </div>
    }
}

#[component]
pub fn ChildrenSection(loaded: Loaded, page: Page) -> impl IntoView {
    let unit = loaded.unit.clone();
    let children = loaded.tree.children(unit.uuid).to_vec();
    let shown = Shown::of(&loaded, Action::CreateChild);
    let opener = NodeRef::<html::Button>::new();
    let state = page.create;
    view! {
        <section class="card" aria-labelledby="children-title">
            <h2 id="children-title" class="card__title">"Sub-units"</h2>
            {if children.is_empty() {
                view! { <p class="empty" data-testid="no-children">"No sub-units."</p> }.into_any()
            } else {
                view! {
                    <ul class="link-list" data-testid="children">
                        {children
                            .into_iter()
                            .filter_map(|child| loaded.tree.get(child).cloned())
                            .map(|child| view! { <li><A href=routes::unit(child.uuid)>{child.name}</A></li> })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <ControlButton
                id="create"
                label="Add a sub-unit"
                shown
                node_ref=opener
                state
                on_open=Callback::new(move |()| state.open_with(String::new()))
            />
            {move || {
                state.open.get().then(|| {
                    view! {
                        <ActionForm
                            state
                            id="create"
                            label="Name of the new sub-unit"
                            submit_label="Create"
                            field=Field::Text
                            on_submit=Callback::new(move |name| actions::create(page, name))
                            on_reload=Callback::new(move |()| page.reload())
                            return_focus=opener
                        />
                    }
                })
            }}
        </section>
    }
}

#[component]
pub fn OwnersSection(loaded: Loaded, page: Page) -> impl IntoView {
    let unit = loaded.unit.clone();
    let shown = Shown::of(&loaded, Action::ManageOwners);
    let may_manage = shown.allowed();
    let opener = NodeRef::<html::Button>::new();
    let state = page.add_owner;
    let owners: Vec<(uuid::Uuid, String)> = unit
        .owners
        .iter()
        .map(|person| (*person, loaded.org.person_name(*person)))
        .collect();
    let candidates: Vec<Choice> = std::iter::once(Choice {
        value: String::new(),
        label: "Choose a person…".into(),
        disabled: false,
    })
    .chain(
        loaded
            .org
            .employees
            .iter()
            .filter(|employee| !unit.owners.contains(&employee.uuid))
            .map(|employee| Choice {
                value: employee.uuid.to_string(),
                label: format!("{} ({})", employee.name, employee.username),
                disabled: false,
            }),
    )
    .collect();
    let inherited = loaded
        .tree
        .ancestors(unit.uuid)
        .into_iter()
        .any(|ancestor| {
            loaded
                .tree
                .get(ancestor)
                .is_some_and(|u| !u.owners.is_empty())
        });
    view! {
        <section class="card" aria-labelledby="owners-title">
            <h2 id="owners-title" class="card__title">"Owners"</h2>
            {if owners.is_empty() {
                view! {
                    <p class="empty" data-testid="no-owners">
                        "No owners of its own."
                        {inherited.then_some(" Owners of the units above it own it too.")}
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <ul class="owner-list" data-testid="owners">
                        {owners
                            .into_iter()
                            .map(|(person, name)| {
                                let label = format!("Remove {name} as owner");
                                let removed = name.clone();
                                view! {
                                    <li class="owner-list__item">
                                        <span data-testid="owner-name">{name}</span>
                                        <button
                                            type="button"
                                            class="button button--small"
                                            data-testid="remove-owner"
                                            aria-label=label
                                            disabled=!may_manage
                                            on:click=move |_| actions::remove_owner(page, person, removed.clone())
                                        >
                                            "Remove"
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
            {move || {
                page.remove_owner_error.get().map(|error| {
                    let state = FormState::new();
                    state.error.set(Some(error));
                    view! { <FormProblem state id="remove-owner" on_reload=Callback::new(move |()| page.reload()) /> }
                })
            }}
            <ControlButton
                id="add-owner"
                label="Add an owner"
                shown
                node_ref=opener
                state
                on_open=Callback::new(move |()| state.open_with(String::new()))
            />
            {move || {
                let candidates = candidates.clone();
                state.open.get().then(move || {
                    view! {
                        <ActionForm
                            state
                            id="add-owner"
                            label="Person"
                            submit_label="Add owner"
                            field=Field::Choices(candidates)
                            on_submit=Callback::new(move |person| actions::add_owner(page, person))
                            on_reload=Callback::new(move |()| page.reload())
                            return_focus=opener
                        />
                    }
                })
            }}
        </section>
    }
}

/// Rename, move and delete.
#[component]
pub fn ControlsSection(loaded: Loaded, page: Page) -> impl IntoView {
    let (rename_shown, move_shown, delete_shown) = (
        Shown::of(&loaded, Action::Rename),
        Shown::of(&loaded, Action::Move),
        Shown::of(&loaded, Action::Delete),
    );
    let (rename_opener, move_opener, delete_opener) = (
        NodeRef::<html::Button>::new(),
        NodeRef::<html::Button>::new(),
        NodeRef::<html::Button>::new(),
    );
    let name = loaded.unit.name.clone();
    let (rename, move_to, delete) = (page.rename, page.move_to, page.delete);
    view! {
        <section class="card" aria-labelledby="changes-title">
            <h2 id="changes-title" class="card__title">"Change this unit"</h2>
            <div class="controls">
                <ControlButton
                    id="rename"
                    label="Rename"
                    shown=rename_shown
                    node_ref=rename_opener
                    state=rename
                    on_open=Callback::new(move |()| rename.open_with(name.clone()))
                />
                <ControlButton
                    id="move"
                    label="Move"
                    shown=move_shown
                    node_ref=move_opener
                    state=move_to
                    on_open=Callback::new(move |()| move_to.open_with(String::new()))
                />
                <ControlButton
                    id="delete"
                    label="Delete"
                    shown=delete_shown
                    node_ref=delete_opener
                    state=delete
                    danger=true
                    on_open=Callback::new(move |()| delete.open_with(String::new()))
                />
            </div>
            {move || rename.open.get().then(|| view! {
                <ActionForm
                    state=rename
                    id="rename"
                    label="New name"
                    submit_label="Save name"
                    field=Field::Text
                    on_submit=Callback::new(move |name| actions::rename(page, name))
                    on_reload=Callback::new(move |()| page.reload())
                    return_focus=rename_opener
                />
            })}
            {
                let loaded = loaded.clone();
                move || move_to.open.get().then(|| view! { <MoveForm loaded=loaded.clone() page opener=move_opener /> })
            }
            {move || delete.open.get().then(|| view! { <actions::DeleteConfirm page opener=delete_opener /> })}
        </section>
    }
}
