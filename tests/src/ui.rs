//! Driving the app's pages in Chromium: fill and submit fields, wait for text, read state.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::json;
use uuid::Uuid;

use crate::TestResult;
use crate::app::Stack;
use crate::browser::{PAGE_TIMEOUT, describe_page, login, wait_for};
use crate::idp::{Idp, IdpOptions};
use crate::org_api;

/// How often the waits below look again.
const POLL: Duration = Duration::from_millis(100);

/// Clicks the element matching `css` once it exists.
pub async fn click(client: &Client, css: &str) -> TestResult {
    wait_for(client, css).await?;
    client.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// Empties the field matching `css` (as the app sees it: an `input` event), then types `text`.
pub async fn fill(client: &Client, css: &str, text: &str) -> TestResult {
    wait_for(client, css).await?;
    let script = r#"
        const field = document.querySelector(arguments[0]);
        field.value = "";
        field.dispatchEvent(new Event("input", { bubbles: true }));
    "#;
    client.execute(script, vec![json!(css)]).await?;
    client
        .find(Locator::Css(css))
        .await?
        .send_keys(text)
        .await?;
    Ok(())
}

/// Chooses the option with `value` in the `<select>` matching `css` (an `input` and `change` event).
pub async fn choose(client: &Client, css: &str, value: &str) -> TestResult {
    wait_for(client, css).await?;
    let script = r#"
        const field = document.querySelector(arguments[0]);
        field.value = arguments[1];
        if (field.value !== arguments[1]) { return false; }
        field.dispatchEvent(new Event("input", { bubbles: true }));
        field.dispatchEvent(new Event("change", { bubbles: true }));
        return true;
    "#;
    let chosen = client
        .execute(script, vec![json!(css), json!(value)])
        .await?;
    if chosen != json!(true) {
        return Err(format!("`{css}` has no option {value}").into());
    }
    Ok(())
}

/// The current `value` of the field matching `css`.
pub async fn value_of(client: &Client, css: &str) -> TestResult<String> {
    wait_for(client, css).await?;
    let value = client
        .execute(
            "return document.querySelector(arguments[0]).value",
            vec![json!(css)],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// Whether the element matching `css` is disabled.
pub async fn is_disabled(client: &Client, css: &str) -> TestResult<bool> {
    wait_for(client, css).await?;
    let disabled = client
        .execute(
            "return document.querySelector(arguments[0]).disabled === true",
            vec![json!(css)],
        )
        .await?;
    Ok(disabled == json!(true))
}

/// The visible text of the first element matching `css`, or `None` when there is none.
async fn text_now(client: &Client, css: &str) -> TestResult<Option<String>> {
    let found = client.find_all(Locator::Css(css)).await?;
    match found.first() {
        Some(element) => Ok(Some(element.text().await?)),
        None => Ok(None),
    }
}

/// Waits until the element matching `css` shows text containing `needle`; returns the text.
pub async fn wait_for_text(client: &Client, css: &str, needle: &str) -> TestResult<String> {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let text = text_now(client, css).await?;
        if let Some(text) = text.as_ref().filter(|text| text.contains(needle)) {
            return Ok(text.clone());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "`{css}` never showed {needle:?} (last: {text:?})\n{}",
                describe_page(client).await
            )
            .into());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until nothing matches `css`.
pub async fn wait_for_absence(client: &Client, css: &str) -> TestResult {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    while !client.find_all(Locator::Css(css)).await?.is_empty() {
        if Instant::now() > deadline {
            return Err(format!(
                "`{css}` is still on the page\n{}",
                describe_page(client).await
            )
            .into());
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// Waits until the address bar's path is `path`.
pub async fn wait_for_path(client: &Client, path: &str) -> TestResult {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let url = client.current_url().await?;
        if url.path() == path {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the page stayed at {url}, expected the path {path}").into());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the address bar is exactly `expected` (a whole URL).
pub async fn wait_for_url(client: &Client, expected: &str) -> TestResult {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let url = client.current_url().await?;
        if url.as_str() == expected {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the page stayed at {url}, expected {expected}").into());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// How many elements match `css` right now.
pub async fn count(client: &Client, css: &str) -> TestResult<usize> {
    Ok(client.find_all(Locator::Css(css)).await?.len())
}

/// Whether the page is wider than the window (a horizontal scroll bar).
pub async fn scrolls_sideways(client: &Client) -> TestResult<bool> {
    let wider = client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            Vec::new(),
        )
        .await?;
    Ok(wider == json!(true))
}

/// Scrolls the element matching `css` to the middle of the window (before a screenshot).
pub async fn scroll_to(client: &Client, css: &str) -> TestResult {
    wait_for(client, css).await?;
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' })",
            vec![json!(css)],
        )
        .await?;
    Ok(())
}

/// The header's role badge once the server has said what the account may do, in lower case.
pub async fn header_role(client: &Client) -> TestResult<String> {
    Ok(wait_for_text(client, "[data-testid=header-role]", "")
        .await?
        .to_lowercase())
}

/// Opens `route` (a protected page), signs `who` in with the realm password, and waits until the
/// header names them.
pub async fn sign_in(client: &Client, stack: &Stack, who: &str, route: &str) -> TestResult {
    sign_in_at(client, &stack.idp, &stack.server.origin, who, route).await
}

/// As [`sign_in`], with the app at `origin` (e.g. nginx in front of several instances).
pub async fn sign_in_at(
    client: &Client,
    idp: &Idp,
    origin: &str,
    who: &str,
    route: &str,
) -> TestResult {
    let user = idp
        .realm()
        .user(who)
        .ok_or(format!("{who} in the realm file"))?;
    let password = user.password().ok_or(format!("{who} has a password"))?;
    client.goto(&format!("{origin}{route}")).await?;
    login(client, who, password).await?;
    let first_name = user.full_name();
    let first_name = first_name.split(' ').next().unwrap_or(who);
    wait_for_text(client, "[data-testid=account-name]", first_name).await?;
    Ok(())
}

/// The employee uuid of a realm user.
pub fn person_uuid(stack: &Stack, username: &str) -> TestResult<Uuid> {
    stack.idp.realm().uuid_of(username)
}

/// The stack with the release build the browser loads.
pub async fn stack() -> TestResult<Stack> {
    Stack::for_browser(IdpOptions::default()).await
}

/// An API client (password grant) for `who`, against the stack's server, for setting up and checking.
pub async fn api_as(stack: &Stack, who: &str) -> TestResult<org_api::Client> {
    org_api::Client::login(&stack.idp, &stack.server.origin, who).await
}

/// The uuid of the unit called `name`.
pub async fn unit_uuid(api: &org_api::Client, name: &str) -> TestResult<Uuid> {
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
