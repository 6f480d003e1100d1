//! Shared by the UI end-to-end tests: the stack (a Keycloak realm + server + release build), signing a
//! realm user in through the IdP's form, unit pages by name, and API clients for setting up.

#![allow(dead_code)] // each test binary uses its own part of this module

#[path = "../org_units_support/mod.rs"]
pub mod api;

use e2e::TestResult;
use e2e::app::Stack;
use e2e::idp::IdpOptions;
pub use e2e::ui::sign_in;
use e2e::ui::wait_for_text;
use fantoccini::Client;
use uuid::Uuid;

/// The employee uuid of a realm user.
pub fn person_uuid(stack: &Stack, username: &str) -> TestResult<Uuid> {
    stack.idp.realm().uuid_of(username)
}

/// The stack with the release build the browser loads.
pub async fn stack() -> TestResult<Stack> {
    Stack::for_browser(IdpOptions::default()).await
}

/// An API client (password grant) for `who`, against the stack's server.
pub async fn api_as(stack: &Stack, who: &str) -> TestResult<api::Client> {
    api::Client::login(&stack.idp, &stack.server.origin, who).await
}

/// The uuid of the unit called `name`.
pub async fn unit_uuid(api: &api::Client, name: &str) -> TestResult<Uuid> {
    Ok(api.unit_named(name).await?.uuid)
}

/// Opens the unit page of `uuid` and waits until it shows `name`.
pub async fn open_unit(client: &Client, stack: &Stack, uuid: Uuid, name: &str) -> TestResult {
    client.goto(&stack.url(&format!("/units/{uuid}"))).await?;
    let shown = wait_for_text(client, "[data-testid=unit-name]", name).await?;
    if shown != name {
        return Err(format!("the unit page shows {shown:?}, expected {name:?}").into());
    }
    Ok(())
}
