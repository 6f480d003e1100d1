//! Browser tests of the organisation screens' logic (the tree's own are in org_tree.rs): the name
//! rule's wording, the server's rules and conflicts in the user's words, where server errors land
//! in a form (by the server's codes), a stale save that keeps the typed input through Reload, and
//! the session-end time from `refresh_expires_in`.
#![cfg(target_arch = "wasm32")]

mod support;

use std::{cell::Cell, rc::Rc};

use api::{AccountAccess, AccountRole, ConflictCode, Rule, Verdict};
use frontend::{
    components::session_expiry::{WARN_BEFORE_MS, ending_soon},
    error::Error,
    org::rules::{self, Action, validate_unit_name},
    pages::unit::form::{ActionForm, Field, FormError, FormState},
};
use leptos::{html, mount::mount_to, prelude::*};
use serde_json::json;
use support::{
    Canned, access_token,
    harness::{TOKEN_URL, harness},
    settle,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn unit_names_are_trimmed_and_bounded_before_sending() {
    assert_eq!(
        validate_unit_name("  Vej og Park ").as_deref(),
        Ok("Vej og Park")
    );
    assert_eq!(validate_unit_name(" \t ").unwrap_err(), "Enter a name.");
    let longest = "ø".repeat(model::MAX_UNIT_NAME_CHARS);
    assert_eq!(validate_unit_name(&longest), Ok(longest.clone()));
    let too_long = validate_unit_name(&format!("{longest}x")).unwrap_err();
    assert!(too_long.contains("at most 200"), "{too_long}");
    assert!(validate_unit_name("a\u{0}b").is_err());
    for hidden in [
        "Skole\u{202E}gnidlaB",
        "a\u{2067}b",
        "a\u{200B}b",
        "\u{FEFF}Skoler",
    ] {
        let refusal = validate_unit_name(hidden).unwrap_err();
        assert!(refusal.contains("text-direction"), "{hidden:?}: {refusal}");
    }
}

fn refused(rule: Rule) -> Verdict {
    Verdict::Refused { rule }
}

#[wasm_bindgen_test]
fn the_servers_rules_in_the_users_words() {
    assert_eq!(
        rules::refusal(Rule::NotOwner, Action::Move),
        "Only owners of this unit or a unit above it can move it."
    );
    assert_eq!(
        rules::refusal(Rule::NotOwner, Action::ManageOwners),
        "Only owners of this unit or a unit above it can change its owners."
    );
    assert!(rules::refusal(Rule::HasChildren, Action::Delete).contains("sub-units"));
    assert!(rules::refusal(Rule::OwnerWithoutUuid, Action::Rename).contains("no employee"));
    let bruce = AccountAccess {
        role: AccountRole::ReadOnly,
        write: refused(Rule::NoWriteRole),
        create_top_level: refused(Rule::NoWriteRole),
    };
    assert_eq!(
        rules::read_only_notice(&bruce).as_deref(),
        Some("Your account can read but not change units.")
    );
    let eline = AccountAccess {
        role: AccountRole::Owner,
        write: Verdict::Allowed,
        create_top_level: refused(Rule::TopLevelAdminOnly),
    };
    assert_eq!(rules::read_only_notice(&eline), None);
    assert_eq!(
        rules::role_label(AccountRole::EveryoneWrites),
        "Everyone writes"
    );
    assert!(rules::role_class(AccountRole::ReadOnly).ends_with("role-badge--read-only"));
    for code in ConflictCode::ALL {
        assert!(!rules::conflict(code).is_empty());
    }
}

#[wasm_bindgen_test]
fn server_errors_land_where_they_belong_by_the_servers_codes() {
    let forbidden = Error::Forbidden {
        rule: Some(Rule::NotOwner),
        description: "not_owner: x".into(),
    };
    assert_eq!(
        FormError::from_api(forbidden, Action::Rename, "name"),
        FormError::Forbidden {
            reason: "Only owners of this unit or a unit above it can rename it.".into(),
            server: "not_owner: x".into(),
        }
    );
    let conflict = |code: Option<ConflictCode>| Error::Conflict {
        code,
        description: "the server's words".into(),
    };
    // The same write (a move) gets the message of the conflict the server names, not a guess.
    assert_eq!(
        FormError::from_api(
            conflict(Some(ConflictCode::StaleVersion)),
            Action::Move,
            "parent"
        ),
        FormError::Stale("the server's words".into())
    );
    assert_eq!(
        FormError::from_api(
            conflict(Some(ConflictCode::WouldCycle)),
            Action::Move,
            "parent"
        ),
        FormError::Conflict(rules::conflict(ConflictCode::WouldCycle).into())
    );
    assert_eq!(
        FormError::from_api(
            conflict(Some(ConflictCode::HasChildren)),
            Action::Delete,
            "uuid"
        ),
        FormError::Conflict(rules::conflict(ConflictCode::HasChildren).into())
    );
    assert_eq!(
        FormError::from_api(conflict(None), Action::Delete, "uuid"),
        FormError::Conflict("the server's words".into())
    );
    let field = |at: &str| Error::Unprocessable {
        description: "name must not be empty".into(),
        field: Some(at.into()),
    };
    assert_eq!(
        FormError::from_api(field("name"), Action::Rename, "name"),
        FormError::Field("name must not be empty".into())
    );
    assert!(matches!(
        FormError::from_api(field("version"), Action::Rename, "name"),
        FormError::Other(_)
    ));
}

fn body() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let element: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&element).unwrap();
    element
}

#[wasm_bindgen_test]
async fn a_stale_save_keeps_the_typed_input_through_reload() {
    let root = body();
    let state = FormState::new();
    let reloads = Rc::new(Cell::new(0));
    let submitted = Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let (counter, log) = (
        send_wrapper::SendWrapper::new(reloads.clone()),
        send_wrapper::SendWrapper::new(submitted.clone()),
    );
    let on_reload = Callback::new(move |()| counter.set(counter.get() + 1));
    let on_submit = Callback::new(move |name: String| log.borrow_mut().push(name));
    let opener = NodeRef::<html::Button>::new();
    let _mounted = mount_to(root.clone(), move || {
        view! {
            <ActionForm
                state
                id="rename"
                label="New name"
                submit_label="Save name"
                field=Field::Text
                on_submit
                on_reload
                return_focus=opener
            />
        }
    });
    state.open_with("Vej og Park".into());
    settle().await;
    let input: web_sys::HtmlInputElement = root
        .query_selector("[data-testid=rename-input]")
        .unwrap()
        .expect("the field")
        .unchecked_into();
    assert_eq!(input.value(), "Vej og Park");
    input.set_value("Veje, Parker og Grønne Områder");
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    let form: web_sys::HtmlFormElement = root
        .query_selector("form")
        .unwrap()
        .expect("the form")
        .unchecked_into();
    form.request_submit().unwrap();
    assert_eq!(*submitted.borrow(), ["Veje, Parker og Grønne Områder"]);

    state.fail(FormError::Stale("version 1 is stale".into()));
    settle().await;
    let problem = root
        .query_selector("[data-testid=rename-error]")
        .unwrap()
        .expect("the conflict message")
        .text_content()
        .unwrap_or_default();
    assert!(
        problem.contains("Someone else changed this unit."),
        "{problem}"
    );
    assert_eq!(input.value(), "Veje, Parker og Grønne Områder");
    let reload: web_sys::HtmlElement = root
        .query_selector("[data-testid=rename-reload]")
        .unwrap()
        .expect("a Reload button")
        .unchecked_into();
    reload.click();
    settle().await;
    assert_eq!(reloads.get(), 1);
    assert_eq!(
        state.input.get_untracked(),
        "Veje, Parker og Grønne Områder"
    );
    assert_eq!(input.value(), "Veje, Parker og Grønne Områder");
}

#[wasm_bindgen_test]
async fn the_session_end_comes_from_refresh_expires_in() {
    let h = harness();
    h.sign_in(15, "a1");
    assert_eq!(h.session.session_ends_at_ms(), None, "not sent: not known");

    let token = access_token(h.clock.now_seconds(), 15, "a2");
    h.http.answer(
        TOKEN_URL,
        Canned::Json(
            200,
            json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 15,
                "refresh_token": "refresh-2",
                "refresh_expires_in": 90,
            }),
        ),
    );
    h.session.refresh().await.expect("refreshed");
    let now = h.session.now_ms();
    assert_eq!(h.session.session_ends_at_ms(), Some(now + 90_000.0));
    assert_eq!(ending_soon(h.session.session_ends_at_ms(), now), None);
    let late = now + 90_000.0 - WARN_BEFORE_MS;
    assert_eq!(
        ending_soon(h.session.session_ends_at_ms(), late),
        Some(now + 90_000.0)
    );
}
