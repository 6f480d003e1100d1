//! Tabs and sessions in the browser against Keycloak (`revokeRefreshToken`, no reuse): two tabs of
//! one user each keep their own session for a minute without fighting over a refresh token; a
//! sign-out in one tab ends the other within a second with no request of its own; a session an
//! admin ended is noticed by a tab that wakes up; and (plain bearer tokens) a refresh token
//! replayed by someone else ends the session with the notice, once.

use std::time::{Duration, Instant};

use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{Browser, api_statuses, is_present, screenshot, text_of, wait_for};
use e2e::idp::IdpOptions;
use e2e::ui::{click, sign_in};
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, Locator};
use serde_json::Value;

const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15);
const USE_FOR: Duration = Duration::from_secs(60);
const CHECK_EVERY: Duration = Duration::from_millis(1500);
const PROTECTED: &str = "/me";

async fn stack() -> TestResult<Stack> {
    Stack::for_browser(IdpOptions {
        access_token_ttl: Some(ACCESS_TOKEN_TTL),
        ..IdpOptions::default()
    })
    .await
}

/// Signs eline in in a first tab at [`PROTECTED`] and opens a second tab there, which signs itself
/// in silently (the Keycloak session's cookie) with tokens of its own; both handles.
async fn two_tabs(client: &Client, stack: &Stack) -> TestResult<(WindowHandle, WindowHandle)> {
    sign_in(client, stack, "eline", PROTECTED).await?;
    let first = client.window().await?;
    let second = client.new_window(true).await?.handle;
    client.switch_to_window(second.clone()).await?;
    client.goto(&stack.url(PROTECTED)).await?;
    assert_eq!(text_of(client, "[data-testid=me-username]").await?, "eline");
    Ok((first, second))
}

/// Clicks the account page's refresh and fails on any error the page shows.
async fn check_account(client: &Client, tab: &str, since: Instant) -> TestResult {
    client
        .find(Locator::Css("[data-testid=me-refresh]"))
        .await?
        .click()
        .await?;
    if is_present(client, "[role=alert]").await? {
        let alert = text_of(client, "[role=alert]").await?;
        screenshot(client, &format!("tabs-failure-{tab}")).await?;
        return Err(format!("tab {tab}: an error after {:?}: {alert}", since.elapsed()).into());
    }
    Ok(())
}

#[tokio::test]
async fn two_tabs_of_one_user_keep_refreshing_for_a_minute_with_rotation_on() -> TestResult {
    let stack = stack().await?;
    Browser::run(|client| async move {
        let (first, second) = two_tabs(&client, &stack).await?;
        let mark = stack.idp.mark();
        let started = Instant::now();
        while started.elapsed() < USE_FOR {
            for (tab, handle) in [("A", &first), ("B", &second)] {
                client.switch_to_window(handle.clone()).await?;
                check_account(&client, tab, started).await?;
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
        let events = stack.idp.events_since(mark).await?;
        let refreshes = events.count("REFRESH_TOKEN");
        println!(
            "two tabs, {USE_FOR:?}: {refreshes} refreshes, {:?}",
            events.kinds()
        );
        assert_eq!(
            events.count("REFRESH_TOKEN_ERROR"),
            0,
            "{:?}",
            events.kinds()
        );
        // A tab refreshes before its token ends, or when it wakes up with tokens older than
        // WAKE_CHECK_AFTER_MS (switching tabs may count as waking up).
        assert!(
            (6..=16).contains(&refreshes),
            "about one refresh per {ACCESS_TOKEN_TTL:?} in each tab: {refreshes}"
        );
        for (tab, handle) in [("A", &first), ("B", &second)] {
            client.switch_to_window(handle.clone()).await?;
            let statuses = api_statuses(&client, "/api/v1/me").await?;
            assert!(
                statuses.len() > 10 && statuses.iter().all(|status| *status == 200),
                "tab {tab}: every API call succeeded: {statuses:?}"
            );
        }
        Ok(())
    })
    .await
}

/// Records the refresh token of every token-endpoint answer this page receives, as script on the
/// page could (the attacker this test plays).
const CAPTURE_REFRESH_TOKENS: &str = r#"
    window.__stolen = [];
    const realFetch = window.fetch;
    window.fetch = async function (input, init) {
        const response = await realFetch.apply(this, arguments);
        // Any input fetch takes: a string, a URL (the parts' loader), a Request.
        const url = input instanceof Request ? input.url : String(input);
        if (url.includes("/protocol/openid-connect/token")) {
            response.clone().json().then((body) => {
                if (body.refresh_token) window.__stolen.push(body.refresh_token);
            }).catch(() => {});
        }
        return response;
    };
"#;

#[tokio::test]
async fn a_sign_out_in_one_tab_ends_the_other_within_a_second() -> TestResult {
    let stack = stack().await?;
    Browser::run(|client| async move {
        let (first, second) = two_tabs(&client, &stack).await?;
        client.switch_to_window(first).await?;
        let mark = stack.idp.mark();
        click(&client, "[data-testid=log-out]").await?;
        let clicked = Instant::now();
        client.switch_to_window(second).await?;
        wait_for(&client, "[data-testid=signed-out-elsewhere]").await?;
        let took = clicked.elapsed();
        println!("the other tab showed the sign-out after {took:?}");
        assert!(took < Duration::from_secs(1), "{took:?}");
        screenshot(&client, "tabs-signed-out-elsewhere").await?;
        assert!(
            client
                .current_url()
                .await?
                .as_str()
                .starts_with(&stack.server.origin),
            "the second tab stays on the app"
        );
        // The second tab asked the IdP for nothing: the only event is the first tab's logout.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let events = stack.idp.events_since(mark).await?;
        assert_eq!(
            events.token_requests() + events.authorizations(),
            0,
            "{:?}",
            events.kinds()
        );
        assert_eq!(events.count("LOGOUT"), 1, "{:?}", events.kinds());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_session_an_admin_ended_is_noticed_by_a_tab_waking_up() -> TestResult {
    // Five-minute tokens: the refresh timer cannot be what notices.
    let stack = Stack::for_browser(IdpOptions::default()).await?;
    Browser::run(|client| async move {
        sign_in(&client, &stack, "eline", PROTECTED).await?;
        tokio::time::sleep(Duration::from_secs(11)).await;
        stack.idp.end_sessions_of("eline").await?;
        // The browser says it is back online (as after a laptop wakes up).
        let woke = Instant::now();
        client
            .execute("window.dispatchEvent(new Event('online'))", Vec::new())
            .await?;
        wait_for(&client, "[data-testid=session-ended]").await?;
        let took = woke.elapsed();
        println!("the woken tab showed the ended session after {took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_replayed_refresh_token_ends_the_session_with_the_notice_not_a_loop() -> TestResult {
    // Plain bearer tokens: with DPoP the thief's refresh is refused (see ui_dpop).
    let stack = Stack::for_browser(IdpOptions {
        access_token_ttl: Some(ACCESS_TOKEN_TTL),
        plain_bearer: true,
        ..IdpOptions::default()
    })
    .await?;
    Browser::run(|client| async move {
        sign_in(&client, &stack, "eline", PROTECTED).await?;
        client.execute(CAPTURE_REFRESH_TOKENS, Vec::new()).await?;

        // Wait for the tab's next refresh and take the refresh token it was given.
        let started = Instant::now();
        let stolen = loop {
            let value = client
                .execute("return window.__stolen.at(-1) || null", Vec::new())
                .await?;
            if let Value::String(token) = value {
                break token;
            }
            if started.elapsed() > ACCESS_TOKEN_TTL * 2 {
                return Err("the tab did not refresh within two token lifetimes".into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };

        // Someone else uses it first; the tab's next refresh replays it and Keycloak refuses.
        stack.idp.code_flow_refresh(&stolen).await?;
        let notice = text_of(&client, "[data-testid=session-ended]").await?;
        assert!(notice.contains("Your session has ended"), "{notice}");
        screenshot(&client, "session-replayed-refresh").await?;

        // Not a loop: nothing more reaches Keycloak while the notice is up.
        let mark = stack.idp.mark();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let events = stack.idp.events_since(mark).await?;
        assert_eq!(
            events.token_requests() + events.authorizations(),
            0,
            "{:?}",
            events.kinds()
        );
        wait_for(&client, "[data-testid=session-ended] button").await?;
        Ok(())
    })
    .await
}
