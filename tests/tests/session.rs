//! The browser session end to end (Keycloak, server, release build in headless Chromium): sign-in
//! through the IdP's form back to the protected route, tokens in memory only, bearer API calls,
//! timed refresh with 15-second tokens (counted in Keycloak's events), reload without iframes,
//! logout, and a session ended by an admin; the start-up check asks Keycloak only in a browser
//! that signed in here.

use std::time::{Duration, Instant};

use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{
    Browser, SIGN_IN_HINT, api_statuses, is_present, loaded_from, login, screenshot, text_of,
    wait_for, web_storage,
};
use e2e::idp::IdpOptions;
use e2e::ui::wait_for_url;
use fantoccini::{Client, Locator};

/// The access-token lifetime these tests run with (the realm's default is 300 s).
const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15);
/// How long the "use the app" phase lasts, and how often it re-checks the account page.
const USE_FOR: Duration = Duration::from_secs(60);
const CHECK_EVERY: Duration = Duration::from_secs(3);
/// Records the method, action and field names of a form the page submits (in sessionStorage, which
/// survives the trip to the IdP and back; the test removes the record).
const RECORD_FORM_SUBMITS: &str = r#"
    const realSubmit = HTMLFormElement.prototype.submit;
    HTMLFormElement.prototype.submit = function () {
        const names = [...this.elements].map((element) => element.name).join(",");
        sessionStorage.setItem("e2e-submit", this.method + " " + this.action + " " + names);
        return realSubmit.call(this);
    };
"#;
/// The account page: a protected route, with a query that must survive the round trip.
const PROTECTED: &str = "/me?from=e2e";

async fn stack() -> TestResult<Stack> {
    Stack::for_browser(IdpOptions {
        access_token_ttl: Some(ACCESS_TOKEN_TTL),
        ..IdpOptions::default()
    })
    .await
}

/// Opens the landing page, waits until it shows "Log in" at `/`, and says whether start-up went
/// to Keycloak and back on the way (the page then came from the callback; Keycloak records no
/// event for a `prompt=none` that finds no session).
async fn opening_landing_asks_keycloak(client: &Client, stack: &Stack) -> TestResult<bool> {
    client.goto(&stack.url("/")).await?;
    assert_eq!(text_of(client, "[data-testid=log-in]").await?, "Log in");
    wait_for_url(client, &stack.url("/")).await?;
    let loaded_from = loaded_from(client).await?;
    if loaded_from == stack.url("/") {
        return Ok(false);
    }
    assert!(
        loaded_from.starts_with(&stack.url("/callback?error=login_required&")),
        "{loaded_from}"
    );
    Ok(true)
}

#[tokio::test]
async fn sign_in_refresh_reload_and_logout_in_chromium() -> TestResult {
    let stack = stack().await?;
    let eline = stack.idp.realm().password_of("eline")?;
    let eline_uuid = stack
        .idp
        .realm()
        .user("eline")
        .and_then(|user| user.uuid())
        .ok_or("eline has a uuid")?
        .to_owned();
    let idp_base = stack.idp.base_url();

    Browser::run(|client| async move {
        // The landing page, anonymous at once: this browser never signed in here, so start-up
        // does not ask Keycloak.
        assert!(!opening_landing_asks_keycloak(&client, &stack).await?);
        assert_eq!(
            text_of(&client, "[data-testid=realm]").await?,
            stack.idp.realm_name()
        );
        screenshot(&client, "session-landing").await?;

        // A protected route sends the browser to the IdP's form.
        client.goto(&stack.url(PROTECTED)).await?;
        wait_for(&client, "input#username").await?;
        let at_idp = client.current_url().await?;
        assert!(
            at_idp.as_str().starts_with(&idp_base),
            "at the IdP: {at_idp}"
        );
        screenshot(&client, "session-idp-login").await?;
        login(&client, "eline", &eline).await?;

        // Back on the same route, with a clean address bar and what the server says.
        assert_eq!(
            text_of(&client, "[data-testid=me-username]").await?,
            "eline"
        );
        wait_for_url(&client, &stack.url(PROTECTED)).await?;
        assert_eq!(text_of(&client, "[data-testid=me-uuid]").await?, eline_uuid);
        let badge = text_of(&client, "[data-testid=role-badge]").await?;
        assert_eq!(badge.to_lowercase(), "owner", "eline's role badge");
        let header_name = text_of(&client, "[data-testid=account-name]").await?;
        assert!(!header_name.is_empty(), "the header names the user");
        assert!(is_present(&client, "[data-testid=log-out]").await?);
        let storage = web_storage(&client).await?;
        assert!(
            storage.local == [SIGN_IN_HINT] && storage.session.is_empty(),
            "web storage holds nothing but the sign-in hint after the sign-in: {storage:?}"
        );
        assert!(!storage.contains_token_like(&[]), "{storage:?}");
        screenshot(&client, "session-me").await?;

        // A minute of use with 15-second tokens: every API call succeeds (a 200 from the API
        // proves the bearer went along: it answers 401 without one) and the timer refreshes
        // about once per token lifetime.
        let mark = stack.idp.mark();
        let started = Instant::now();
        let mut checks = 0;
        while started.elapsed() < USE_FOR {
            client
                .find(Locator::Css("[data-testid=me-refresh]"))
                .await?
                .click()
                .await?;
            checks += 1;
            tokio::time::sleep(CHECK_EVERY).await;
            if is_present(&client, "[role=alert]").await? {
                let alert = text_of(&client, "[role=alert]").await?;
                screenshot(&client, "session-failure").await?;
                return Err(format!("an error after {:?}: {alert}", started.elapsed()).into());
            }
            assert_eq!(
                text_of(&client, "[data-testid=me-username]").await?,
                "eline"
            );
        }
        let events = stack.idp.events_since(mark).await?;
        let refreshes = events.count("REFRESH_TOKEN");
        println!("{checks} account checks in {USE_FOR:?}: {refreshes} refreshes");
        assert!(
            (3..=6).contains(&refreshes),
            "one refresh per {ACCESS_TOKEN_TTL:?} lifetime, got {refreshes} in {USE_FOR:?}"
        );
        assert_eq!(
            events.token_requests(),
            refreshes,
            "no failed or other token requests: {:?}",
            events.kinds()
        );
        assert_eq!(
            events.authorizations(),
            0,
            "no redirect to the IdP while signed in"
        );
        let statuses = api_statuses(&client, "/api/v1/me").await?;
        // The page's first load, one per check, and the header's one per sign-in: a refresh
        // (every 15 s here) does not make the header ask again.
        assert_eq!(
            statuses.len(),
            checks + 2,
            "{} calls for {checks} checks and {refreshes} refreshes",
            statuses.len()
        );
        assert!(
            statuses.iter().all(|status| *status == 200),
            "every API call succeeded: {statuses:?}"
        );

        // Reload: memory is gone, one top-level prompt=none redirect signs in again, no form.
        let mark = stack.idp.mark();
        client.refresh().await?;
        assert_eq!(
            text_of(&client, "[data-testid=me-username]").await?,
            "eline"
        );
        wait_for_url(&client, &stack.url(PROTECTED)).await?;
        let events = stack.idp.events_since(mark).await?;
        assert_eq!(
            events.authorizations(),
            1,
            "one silent authorization request: {:?}",
            events.kinds()
        );
        assert!(web_storage(&client).await?.session.is_empty());
        let frames = client
            .execute(
                "return document.querySelectorAll('iframe').length",
                Vec::new(),
            )
            .await?;
        assert_eq!(frames, serde_json::json!(0), "no iframe after the reload");

        // Log out: back on the landing page, anonymous, with no confirmation page in between.
        // The logout is a form POST: the ID token travels in the body, never in a URL.
        client.execute(RECORD_FORM_SUBMITS, Vec::new()).await?;
        let mark = stack.idp.mark();
        client
            .find(Locator::Css("[data-testid=log-out]"))
            .await?
            .click()
            .await?;
        assert_eq!(text_of(&client, "[data-testid=log-in]").await?, "Log in");
        wait_for_url(&client, &stack.url("/")).await?;
        assert_eq!(stack.idp.events_since(mark).await?.count("LOGOUT"), 1);
        let submitted = client
            .execute(
                "const s = sessionStorage.getItem('e2e-submit'); \
                 sessionStorage.removeItem('e2e-submit'); return s;",
                Vec::new(),
            )
            .await?;
        let submitted = submitted
            .as_str()
            .ok_or("the logout was not a form submission")?;
        assert!(
            submitted.starts_with("post ") && submitted.contains("/protocol/openid-connect/logout"),
            "{submitted}"
        );
        assert!(
            submitted.contains("id_token_hint") && !submitted.contains("eyJ"),
            "the hint is a field; the record holds field names only: {submitted}"
        );
        assert!(!is_present(&client, "[data-testid=log-out]").await?);
        let storage = web_storage(&client).await?;
        assert!(
            storage.local.is_empty() && storage.session.is_empty(),
            "{storage:?}"
        );
        assert!(
            !opening_landing_asks_keycloak(&client, &stack).await?,
            "signed out: start-up does not ask Keycloak again"
        );

        // The protected route asks for the form again: the IdP session is over too.
        client.goto(&stack.url(PROTECTED)).await?;
        wait_for(&client, "input#username").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_ended_idp_session_shows_a_notice_and_one_click_signs_in_again() -> TestResult {
    let stack = stack().await?;
    let eline = stack.idp.realm().password_of("eline")?;

    Browser::run(|client| async move {
        client.goto(&stack.url(PROTECTED)).await?;
        login(&client, "eline", &eline).await?;
        assert_eq!(
            text_of(&client, "[data-testid=me-username]").await?,
            "eline"
        );

        // An admin signs eline out in Keycloak: the next refresh gets invalid_grant.
        stack.idp.end_sessions_of("eline").await?;
        let notice = text_of(&client, "[data-testid=session-ended]").await?;
        assert!(notice.contains("Your session has ended"), "{notice}");
        assert!(!is_present(&client, "[data-testid=log-out]").await?);
        screenshot(&client, "session-ended").await?;

        client
            .find(Locator::Css("[data-testid=session-ended] button"))
            .await?
            .click()
            .await?;
        login(&client, "eline", &eline).await?;
        assert_eq!(
            text_of(&client, "[data-testid=me-username]").await?,
            "eline"
        );
        wait_for_url(&client, &stack.url(PROTECTED)).await?;
        assert!(!is_present(&client, "[data-testid=session-ended]").await?);

        // Ended again: the next load asks Keycloak once (the hint is still there), hears there
        // is no session and forgets the hint, so the loads after it do not ask.
        stack.idp.end_sessions_of("eline").await?;
        assert!(opening_landing_asks_keycloak(&client, &stack).await?);
        assert!(web_storage(&client).await?.local.is_empty());
        assert!(!opening_landing_asks_keycloak(&client, &stack).await?);
        Ok(())
    })
    .await
}
