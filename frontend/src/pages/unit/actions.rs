//! What the unit page's forms do: check the input, call the API, and on success close the form,
//! show a notice and reload; on failure keep the input and show the error where it belongs.

use api::OrgUnitPatch;
use leptos::{html, prelude::*};
use leptos_router::{NavigateOptions, hooks::use_navigate};
use uuid::Uuid;

use super::{
    form::{FormError, FormProblem, FormState},
    state::Page,
};
use crate::{
    auth::clock::LocalFuture,
    error::Error,
    org::{
        client,
        rules::{Action, validate_unit_name},
    },
    routes,
};

/// Value of the "top level" choice in the move form.
pub const TOP_LEVEL_CHOICE: &str = "top-level";

/// Runs `write` with the form busy; success closes the form, notices and reloads.
fn submit(
    page: Page,
    state: FormState,
    action: Action,
    field: &'static str,
    write: impl Future<Output = Result<String, Error>> + 'static,
) {
    // Boxed here so the one `run_submit` below serves every form, not one copy per form.
    run_submit(page, state, action, field, Box::pin(write));
}

fn run_submit(
    page: Page,
    state: FormState,
    action: Action,
    field: &'static str,
    write: LocalFuture<'static, Result<String, Error>>,
) {
    let notices = page.notices;
    state.busy.set(true);
    state.error.set(None);
    wasm_bindgen_futures::spawn_local(async move {
        match write.await {
            Ok(message) => {
                state.close();
                if let Some(notices) = notices {
                    notices.show(message);
                }
                page.reload();
            }
            Err(err) => state.fail(FormError::from_api(err, action, field)),
        }
    });
}

pub fn rename(page: Page, input: String) {
    let state = page.rename;
    let name = match validate_unit_name(&input) {
        Ok(name) => name,
        Err(message) => return state.fail(FormError::Field(message)),
    };
    let Some(unit) = page.unit() else { return };
    let api = page.api();
    submit(page, state, Action::Rename, "name", async move {
        let patch = OrgUnitPatch {
            name: Some(name),
            parent: None,
            version: unit.version,
        };
        let renamed = client::patch(&api, unit.uuid, &patch).await?;
        Ok(format!("Renamed to “{}”.", renamed.name))
    });
}

pub fn create(page: Page, input: String) {
    let state = page.create;
    let name = match validate_unit_name(&input) {
        Ok(name) => name,
        Err(message) => return state.fail(FormError::Field(message)),
    };
    let Some(unit) = page.unit() else { return };
    let api = page.api();
    submit(page, state, Action::CreateChild, "name", async move {
        let created = client::create(&api, name, unit.uuid).await?;
        Ok(format!("Created “{}”.", created.name))
    });
}

pub fn move_to(page: Page, input: String) {
    let state = page.move_to;
    let parent = if input == TOP_LEVEL_CHOICE {
        None
    } else if input.is_empty() {
        return state.fail(FormError::Field("Choose the new parent.".into()));
    } else {
        match input.parse::<Uuid>() {
            Ok(parent) => Some(parent),
            Err(_) => return state.fail(FormError::Field("Choose the new parent.".into())),
        }
    };
    let Some(unit) = page.unit() else { return };
    if parent == unit.parent {
        return state.fail(FormError::Field(
            "That is where the unit is now; choose another parent.".into(),
        ));
    }
    let destination = page.data.with_untracked(|data| {
        data.as_ref().map_or_else(String::new, |d| match parent {
            Some(p) => d
                .tree
                .get(p)
                .map_or_else(String::new, |u| format!(" under “{}”", u.name)),
            None => " to the top level".into(),
        })
    });
    let api = page.api();
    submit(page, state, Action::Move, "parent", async move {
        let patch = OrgUnitPatch {
            name: None,
            parent: Some(parent),
            version: unit.version,
        };
        let moved = client::patch(&api, unit.uuid, &patch).await?;
        Ok(format!("Moved “{}”{destination}.", moved.name))
    });
}

pub fn add_owner(page: Page, input: String) {
    let state = page.add_owner;
    let Ok(person) = input.parse::<Uuid>() else {
        return state.fail(FormError::Field("Choose a person.".into()));
    };
    let Some(unit) = page.unit() else { return };
    let name = page.data.with_untracked(|data| {
        data.as_ref()
            .map_or_else(|| person.to_string(), |d| d.org.person_name(person))
    });
    let api = page.api();
    submit(
        page,
        state,
        Action::ManageOwners,
        "person_uuid",
        async move {
            client::set_owner(&api, unit.uuid, person, true).await?;
            Ok(format!("{name} now owns “{}”.", unit.name))
        },
    );
}

pub fn remove_owner(page: Page, person: Uuid, name: String) {
    let Some(unit) = page.unit() else { return };
    let api = page.api();
    let notices = page.notices;
    page.remove_owner_error.set(None);
    wasm_bindgen_futures::spawn_local(async move {
        match client::set_owner(&api, unit.uuid, person, false).await {
            Ok(()) => {
                if let Some(notices) = notices {
                    notices.show(format!("{name} no longer owns “{}”.", unit.name));
                }
                page.reload();
            }
            Err(err) => page.remove_owner_error.set(Some(FormError::from_api(
                err,
                Action::ManageOwners,
                "person_uuid",
            ))),
        }
    });
}

/// "Delete this unit?" with Delete and Cancel; success leads to the parent (or the tree).
#[component]
pub fn DeleteConfirm(page: Page, opener: NodeRef<html::Button>) -> impl IntoView {
    let state = page.delete;
    let navigate = use_navigate();
    let name = page.unit().map(|unit| unit.name).unwrap_or_default();
    // The question gets the focus (autofocus does not apply to inserted elements).
    let confirm_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_button.get() {
            let _ = button.focus();
        }
    });
    let cancel = move || {
        state.close();
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    };
    let confirm = {
        let name = name.clone();
        move |_| {
            let Some(unit) = page.unit() else { return };
            let api = page.api();
            let navigate = navigate.clone();
            let name = name.clone();
            state.busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match client::delete(&api, unit.uuid).await {
                    Ok(()) => {
                        state.close();
                        if let Some(notices) = page.notices {
                            notices.show(format!("Deleted “{name}”."));
                        }
                        let to = unit
                            .parent
                            .map_or_else(|| routes::UNITS.to_owned(), routes::unit);
                        navigate(&to, NavigateOptions::default());
                    }
                    Err(err) => state.fail(FormError::from_api(err, Action::Delete, "uuid")),
                }
            });
        }
    };
    view! {
        <div
            class="confirm"
            role="alertdialog"
            aria-labelledby="delete-title"
            data-testid="delete-confirm"
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    cancel();
                }
            }
        >
            <p id="delete-title">
                <strong>"Delete “" {name} "”?"</strong>
                " This cannot be undone."
            </p>
            <FormProblem state id="delete" on_reload=Callback::new(move |()| page.reload()) />
            <div class="actions">
                <button
                    type="button"
                    class="button button--danger"
                    data-testid="delete-submit"
                    disabled=move || state.busy.get()
                    on:click=confirm
                    node_ref=confirm_button
                >
                    "Delete unit"
                </button>
                <button type="button" class="button" on:click=move |_| cancel()>
                    "Cancel"
                </button>
            </div>
        </div>
    }
}
