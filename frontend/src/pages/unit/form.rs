//! One inline form of the unit page: its state (kept across errors and reloads), how a server
//! error lands in it, and its view — a labelled text field or choice, Save and Cancel, Enter
//! submits, Escape cancels and gives focus back to the control that opened it.

use leptos::{ev, html, prelude::*};

use api::ConflictCode;

use crate::{
    error::Error,
    org::rules::{self, Action},
};

/// Why the last attempt failed, placed where it belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// Next to the field: the form's own check or a 422 naming the field.
    Field(String),
    /// 403: the rule in the user's words, and the server's own words.
    Forbidden {
        reason: String,
        server: String,
    },
    /// 409 `stale_version`: someone else changed the unit (the server's words kept).
    Stale(String),
    /// 409 for another conflict (a cycle, sub-units), in the user's words.
    Conflict(String),
    Other(String),
}

impl FormError {
    /// Sorts an API error by what the server said (its rule or conflict code), never by what the
    /// request was. `action`: what the form does; `field`: its input, matched against a 422's `field`.
    pub fn from_api(err: Error, action: Action, field: &str) -> Self {
        match err {
            Error::Forbidden { rule, description } => Self::Forbidden {
                reason: rule.map_or_else(
                    || "The server gave no rule.".into(),
                    |rule| rules::refusal(rule, action),
                ),
                server: description,
            },
            Error::Conflict {
                code: Some(ConflictCode::StaleVersion),
                description,
            } => Self::Stale(description),
            Error::Conflict {
                code: Some(code), ..
            } => Self::Conflict(rules::conflict(code).into()),
            Error::Conflict {
                code: None,
                description,
            } => Self::Conflict(description),
            Error::Unprocessable {
                description,
                field: Some(at),
            } if at == field => Self::Field(description),
            other => Self::Other(other.to_string()),
        }
    }
}

/// The state of one form; `Copy`, created once per unit page so a reload never clears it.
#[derive(Debug, Clone, Copy)]
pub struct FormState {
    pub open: RwSignal<bool>,
    /// What the user typed or chose (a unit or person uuid for choices).
    pub input: RwSignal<String>,
    pub error: RwSignal<Option<FormError>>,
    pub busy: RwSignal<bool>,
}

impl Default for FormState {
    fn default() -> Self {
        Self::new()
    }
}

impl FormState {
    pub fn new() -> Self {
        Self {
            open: RwSignal::new(false),
            input: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Opens the form with `initial` as its input.
    pub fn open_with(&self, initial: String) {
        self.input.set(initial);
        self.error.set(None);
        self.open.set(true);
    }

    pub fn close(&self) {
        self.open.set(false);
        self.error.set(None);
        self.busy.set(false);
    }

    /// A failed attempt: the error is shown, the input stays as typed.
    pub fn fail(&self, error: FormError) {
        self.busy.set(false);
        self.error.set(Some(error));
    }
}

/// One entry of a choice field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub disabled: bool,
}

/// What the form asks for.
pub enum Field {
    Text,
    Choices(Vec<Choice>),
}

/// The form view. `on_submit` gets the input; `on_reload` reloads the unit (offered on a stale write).
#[component]
pub fn ActionForm(
    state: FormState,
    /// Distinguishes the ids and test ids, e.g. `rename`.
    id: &'static str,
    label: &'static str,
    submit_label: &'static str,
    field: Field,
    #[prop(optional_no_strip)] hint: Option<String>,
    on_submit: Callback<String>,
    on_reload: Callback<()>,
    /// The control that opened the form, focused again on cancel.
    return_focus: NodeRef<html::Button>,
) -> impl IntoView {
    let input_id = format!("{id}-input");
    // Focus the field when the form opens (autofocus does not apply to inserted elements).
    let text_ref = NodeRef::<html::Input>::new();
    let choice_ref = NodeRef::<html::Select>::new();
    Effect::new(move |_| {
        if let Some(input) = text_ref.get() {
            let _ = input.focus();
        } else if let Some(select) = choice_ref.get() {
            let _ = select.focus();
        }
    });
    let error_id = format!("{id}-field-error");
    let hint_id = format!("{id}-hint");
    let cancel = move || {
        state.close();
        if let Some(button) = return_focus.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_keydown = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            cancel();
        }
    };
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        if !state.busy.get_untracked() {
            on_submit.run(state.input.get_untracked());
        }
    };
    let field_error = move || match state.error.get() {
        Some(FormError::Field(message)) => Some(message),
        _ => None,
    };
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        let has_hint = hint.is_some();
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if field_error().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    let input = match field {
        Field::Text => view! {
            <input
                id=input_id.clone()
                type="text"
                autocomplete="off"
                data-testid=format!("{id}-input")
                aria-invalid=move || field_error().is_some().to_string()
                aria-describedby=described_by.clone()
                prop:value=move || state.input.get()
                on:input=move |ev| state.input.set(event_target_value(&ev))
                on:keydown=on_keydown
                node_ref=text_ref
            />
        }
        .into_any(),
        Field::Choices(choices) => view! {
            <select
                id=input_id.clone()
                data-testid=format!("{id}-input")
                aria-invalid=move || field_error().is_some().to_string()
                aria-describedby=described_by.clone()
                prop:value=move || state.input.get()
                on:change=move |ev| state.input.set(event_target_value(&ev))
                on:keydown=on_keydown
                node_ref=choice_ref
            >
                {choices
                    .into_iter()
                    .map(|choice| {
                        let selected = state.input.get_untracked() == choice.value;
                        view! {
                            <option value=choice.value disabled=choice.disabled selected=selected>
                                {choice.label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        }
        .into_any(),
    };

    view! {
        <form class="action-form" data-testid=format!("{id}-form") on:submit=submit novalidate>
            <div class="field">
                <label for=input_id>{label}</label>
                {input}
                {hint.map(|hint| view! { <p id=hint_id class="field__hint">{hint}</p> })}
                {move || {
                    field_error()
                        .map(|message| {
                            view! {
                                <p id=error_id.clone() class="field__error" data-testid=format!("{id}-field-error")>
                                    {message}
                                </p>
                            }
                        })
                }}
            </div>
            <FormProblem state id on_reload />
            <div class="actions">
                <button type="submit" class="button button--primary" data-testid=format!("{id}-submit") disabled=move || state.busy.get()>
                    {move || if state.busy.get() { "Saving…" } else { submit_label }}
                </button>
                <button type="button" class="button" on:click=move |_| cancel()>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

/// Errors that are not about the field: the 403 reason, the stale-write offer, anything else.
#[component]
pub fn FormProblem(state: FormState, id: &'static str, on_reload: Callback<()>) -> impl IntoView {
    move || {
        match state.error.get() {
        Some(FormError::Forbidden { reason, server }) => Some(
            view! {
                <div class="inline-alert inline-alert--error" role="alert" data-testid=format!("{id}-error")>
                    <strong>"The server refused this change."</strong>
                    <p>{reason}</p>
                    <p class="inline-alert__detail">"(" {server} ")"</p>
                </div>
            }
            .into_any(),
        ),
        Some(FormError::Stale(reason)) => Some(
            view! {
                <div class="inline-alert inline-alert--warning" role="alert" data-testid=format!("{id}-error")>
                    <strong>{rules::conflict(ConflictCode::StaleVersion)}</strong>
                    <p>"Reload it to see the change; what you typed stays here. (" {reason} ")"</p>
                    <button
                        type="button"
                        class="button button--small"
                        data-testid=format!("{id}-reload")
                        on:click=move |_| on_reload.run(())
                    >
                        "Reload"
                    </button>
                </div>
            }
            .into_any(),
        ),
        Some(FormError::Conflict(reason) | FormError::Other(reason)) => Some(
            view! {
                <div class="inline-alert inline-alert--error" role="alert" data-testid=format!("{id}-error")>
                    <p>{reason}</p>
                </div>
            }
            .into_any(),
        ),
        Some(FormError::Field(_)) | None => None,
    }
    }
}
