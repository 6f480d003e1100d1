//! Attacks on the sign-in, end to end in headless Chromium against Keycloak: a forged `state`,
//! a replayed authorization code, an ID token with another `nonce`, and return-to routes that
//! point off the app's origin. Each must end on the app's origin, anonymous (or signed in only
//! where the flow was genuine), with an error screen that offers a sign-in and no loop.

use std::time::Duration;

use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{
    Browser, SIGN_IN_HINT, describe_page, is_present, loaded_from, login, screenshot,
    set_sign_in_hint, text_of, wait_for, web_storage,
};
use e2e::forged_flow::{self, ChosenRequest, PendingRedirect};
use e2e::idp::IdpOptions;
use e2e::ui::wait_for_url;
use fantoccini::{Client, Locator};
use serde_json::json;

const PENDING_KEY: &str = "org-browser.pending-redirect";
/// The error screen a failed sign-in leaves on the landing page.
const ERROR_PANEL: &str = "section.panel--error[role=alert]";
/// How long to watch for a redirect loop after an attack.
const SETTLE: Duration = Duration::from_secs(3);

async fn stack() -> TestResult<Stack> {
    Stack::for_browser(IdpOptions::default()).await
}

/// Opens the landing page (anonymous), clicks "Log in" and catches the
/// pending redirect record as the app stores it (after its check that the IdP answers), setting
/// its `return_to` first when asked. The browser is then on its way to the IdP.
async fn start_sign_in(
    client: &Client,
    stack: &Stack,
    return_to: Option<&str>,
) -> TestResult<PendingRedirect> {
    client.goto(&stack.url("/")).await?;
    wait_for(client, "[data-testid=log-in]").await?;
    wait_for_url(client, &stack.url("/")).await?;
    let script = r#"
        const [key, returnTo, done] = arguments;
        const setItem = Storage.prototype.setItem;
        Storage.prototype.setItem = function (name, value) {
            if (name !== key) return setItem.call(this, name, value);
            const record = JSON.parse(value);
            if (returnTo !== null) record.return_to = returnTo;
            setItem.call(this, name, JSON.stringify(record));
            done(record);
        };
        document.querySelector('[data-testid=log-in]').click();
    "#;
    let record = client
        .execute_async(script, vec![json!(PENDING_KEY), json!(return_to)])
        .await?;
    Ok(serde_json::from_value(record)?)
}

/// Asserts the landing page shows the sign-in error containing `reason`, anonymous, with a way
/// to sign in, nothing in web storage (but the hint of an earlier sign-in), and stays there (no
/// redirect loop).
async fn expect_refused(client: &Client, stack: &Stack, reason: &str, shot: &str) -> TestResult {
    let panel = text_of(client, ERROR_PANEL).await?;
    screenshot(client, shot).await?;
    if !panel.contains(reason) {
        return Err(format!("the error screen does not say {reason:?}: {panel}").into());
    }
    assert!(
        panel.contains("Retry"),
        "the error screen offers a retry: {panel}"
    );
    assert!(
        is_present(client, "[data-testid=log-in]").await?,
        "a Log in button"
    );
    assert!(
        !is_present(client, "[data-testid=log-out]").await?,
        "nobody signed in"
    );
    wait_for_url(client, &stack.url("/")).await?;
    tokio::time::sleep(SETTLE).await;
    let url = client.current_url().await?;
    assert_eq!(url.as_str(), stack.url("/"), "still on the landing page");
    let storage = web_storage(client).await?;
    assert!(
        storage.session.is_empty() && storage.local.iter().all(|entry| entry == SIGN_IN_HINT),
        "nothing stored but the hint of an earlier sign-in: {storage:?}"
    );
    assert!(!storage.contains_token_like(&[]), "{storage:?}");
    Ok(())
}

#[tokio::test]
async fn a_forged_state_is_refused_and_nothing_is_stored() -> TestResult {
    let stack = stack().await?;
    Browser::run(|client| async move {
        let pending = start_sign_in(&client, &stack, None).await?;
        wait_for(&client, "input#username").await?;
        let mark = stack.idp.mark();

        // The browser returns with a code and a state that this tab never sent.
        let forged = format!("/callback?code=forged-code&state=not-{}", pending.state);
        client.goto(&stack.url(&forged)).await?;
        expect_refused(&client, &stack, "state mismatch", "attack-forged-state").await?;
        let stats = stack.idp.events_since(mark).await?;
        assert_eq!(
            stats.token_requests(),
            0,
            "the forged code was never redeemed"
        );
        assert_eq!(stats.authorizations(), 0, "no new authorization request");

        // Again, now that no sign-in is pending at all (the record was used up).
        client.goto(&stack.url(&forged)).await?;
        expect_refused(
            &client,
            &stack,
            "No sign-in was in progress",
            "attack-no-pending",
        )
        .await?;
        assert_eq!(stack.idp.events_since(mark).await?.token_requests(), 0);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_replayed_code_shows_an_error_with_a_sign_in_not_a_loop() -> TestResult {
    let stack = stack().await?;
    let eline = stack.idp.realm().password_of("eline")?;
    Browser::run(|client| async move {
        let pending = start_sign_in(&client, &stack, None).await?;
        login(&client, "eline", &eline).await?;
        wait_for(&client, "[data-testid=log-out]").await?;
        let callback = loaded_from(&client).await?;
        assert!(
            callback.starts_with(&stack.url("/callback?")) && callback.contains("code="),
            "the callback URL: {callback}"
        );

        // Replay with the pending record put back, so the app redeems the code again: the IdP
        // refuses a used code and the app shows that, once.
        let mark = stack.idp.mark();
        let record = serde_json::to_string(&pending)?;
        client
            .execute(
                "sessionStorage.setItem(arguments[0], arguments[1])",
                vec![json!(PENDING_KEY), json!(record)],
            )
            .await?;
        client.goto(&callback).await?;
        expect_refused(&client, &stack, "invalid_grant", "attack-replayed-code").await?;
        let stats = stack.idp.events_since(mark).await?;
        assert_eq!(
            stats.token_requests(),
            1,
            "one refused redemption: {stats:?}"
        );
        assert_eq!(
            stats.authorizations(),
            0,
            "no authorization request (no loop): {stats:?}"
        );

        // Replay as is: no sign-in pending in this tab.
        client.goto(&callback).await?;
        expect_refused(
            &client,
            &stack,
            "No sign-in was in progress",
            "attack-replay-plain",
        )
        .await?;
        let stats = stack.idp.events_since(mark).await?;
        assert_eq!(
            (stats.token_requests(), stats.authorizations()),
            (1, 0),
            "{stats:?}"
        );

        // The way out: Retry signs in again (the IdP session is alive: no form).
        client
            .find(Locator::Css(&format!("{ERROR_PANEL} button")))
            .await?
            .click()
            .await?;
        wait_for(&client, "[data-testid=log-out]").await?;
        assert_eq!(
            stack.idp.events_since(mark).await?.authorizations(),
            1,
            "one authorization request"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() -> TestResult {
    let stack = stack().await?;
    Browser::run(|client| async move {
        let pending = start_sign_in(&client, &stack, None).await?;
        wait_for(&client, "input#username").await?;
        let nonce = pending
            .nonce
            .clone()
            .ok_or("a sign-in record has a nonce")?;
        let verifier = pending.pkce_verifier.clone().ok_or("and a PKCE verifier")?;

        // The attacker runs the flow with the tab's state and verifier but their own nonce.
        let request = ChosenRequest {
            client_id: stack.settings.keycloak_mo_client.clone(),
            redirect_uri: stack.url("/callback"),
            state: pending.state.clone(),
            nonce: format!("attacker-{nonce}"),
            pkce_verifier: verifier,
        };
        let callback = forged_flow::authorize(&stack.idp, "bruce", &request).await?;
        let mark = stack.idp.mark();
        client.goto(callback.as_str()).await?;
        expect_refused(&client, &stack, "nonce", "attack-wrong-nonce").await?;
        let stats = stack.idp.events_since(mark).await?;
        assert_eq!(
            stats.token_requests(),
            1,
            "the code was redeemed, then the ID token refused"
        );
        assert_eq!(stats.authorizations(), 0);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_callback_without_the_issuer_keycloak_announces_is_refused() -> TestResult {
    let stack = stack().await?;
    Browser::run(|client| async move {
        let pending = start_sign_in(&client, &stack, None).await?;
        wait_for(&client, "input#username").await?;
        // A genuine answer for this tab (its state, verifier and nonce), with `iss` cut off:
        // Keycloak announces RFC 9207, so the app must not redeem the code.
        let request = ChosenRequest {
            client_id: stack.settings.keycloak_mo_client.clone(),
            redirect_uri: stack.url("/callback"),
            state: pending.state.clone(),
            nonce: pending
                .nonce
                .clone()
                .ok_or("a sign-in record has a nonce")?,
            pkce_verifier: pending.pkce_verifier.clone().ok_or("and a PKCE verifier")?,
        };
        let mut callback = forged_flow::authorize(&stack.idp, "bruce", &request).await?;
        assert!(
            callback.query_pairs().any(|(key, _)| key == "iss"),
            "{callback}"
        );
        let kept: Vec<(String, String)> = callback
            .query_pairs()
            .filter(|(key, _)| key != "iss")
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        callback.query_pairs_mut().clear().extend_pairs(kept);
        let mark = stack.idp.mark();
        client.goto(callback.as_str()).await?;
        expect_refused(&client, &stack, "which server sent it", "attack-no-iss").await?;
        let events = stack.idp.events_since(mark).await?;
        assert_eq!(
            events.token_requests(),
            0,
            "the code was never redeemed: {events:?}"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn return_to_routes_off_the_origin_are_never_followed() -> TestResult {
    let stack = stack().await?;
    let eline = stack.idp.realm().password_of("eline")?;
    Browser::run(|client| async move {
        // Paths that a browser could read as another host, in a browser that signed in here
        // before (so start-up checks with Keycloak): the check comes back to "/". A
        // percent-encoded one is an ordinary path of this origin ("page not found").
        client.goto(&stack.url("/")).await?;
        wait_for(&client, "[data-testid=header-log-in]").await?;
        for (path, lands_on) in [
            ("//evil.example/", "/"),
            ("/\\evil.example/x", "/"),
            ("/%2F%2Fevil.example/", "/%2F%2Fevil.example/"),
        ] {
            // Each check's login_required clears the hint: set it again for the next path.
            set_sign_in_hint(&client).await?;
            client.goto(&stack.url(path)).await?;
            if let Err(e) = wait_for_url(&client, &stack.url(lands_on)).await {
                return Err(format!("{path}: {e}\n{}", describe_page(&client).await).into());
            }
            wait_for(&client, "[data-testid=header-log-in]").await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let url = client.current_url().await?;
            assert_eq!(
                url.as_str(),
                stack.url(lands_on),
                "{path}: stayed on the app"
            );
        }

        // A pending record whose return-to was changed to another origin after it was stored.
        // Each round signs out at the end, so each signs in through the form.
        for evil in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
        ] {
            if let Err(e) = tampered_round(&client, &stack, evil, &eline).await {
                return Err(format!("{evil}: {e}\n{}", describe_page(&client).await).into());
            }
        }
        Ok(())
    })
    .await
}

/// Signs in with the pending record's return-to set to `evil`; the app must land on its own
/// origin, signed in; then signs out.
async fn tampered_round(client: &Client, stack: &Stack, evil: &str, password: &str) -> TestResult {
    start_sign_in(client, stack, Some(evil)).await?;
    login(client, "eline", password).await?;
    wait_for(client, "[data-testid=log-out]").await?;
    wait_for_url(client, &stack.url("/")).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let url = client.current_url().await?;
    assert_eq!(url.as_str(), stack.url("/"), "{evil}: stayed on the app");
    screenshot(client, "attack-return-to").await?;
    client
        .find(Locator::Css("[data-testid=log-out]"))
        .await?
        .click()
        .await?;
    wait_for(client, "[data-testid=log-in]").await
}
