//! The sign-in service down, in the browser, with a Keycloak of the test's own really stopped: a
//! signed-in user keeps working until the token expires, with a notice; opening a protected page
//! and clicking "Log in" both stay on the app's origin saying sign-in is unavailable (never the
//! browser's "site can't be reached" page); Keycloak back, the app goes on to sign-in by itself.
//! `#[ignore]`d in a plain `cargo test` (it starts a Keycloak of its own); scripts/test runs it.

use std::time::{Duration, Instant};

use e2e::TestResult;
use e2e::app::{AppServer, settings_for};
use e2e::browser::{Browser, is_present, login, screenshot};
use e2e::idp::{Idp, IdpOptions};
use e2e::ui::{click, sign_in_at, wait_for_text};
use tokio::net::TcpListener;

/// How soon the app must say sign-in is unavailable.
const SAYS_SO_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "starts and stops a Keycloak of its own: scripts/test runs it"]
async fn with_keycloak_stopped_the_app_stays_put_and_signs_in_once_it_is_back() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let mut idp = Idp::start_own(IdpOptions {
        // Refreshed 30 s in, leaving 10 s to show she can still work.
        access_token_ttl: Some(Duration::from_secs(40)),
        extra_origins: vec![origin.clone()],
        ..IdpOptions::default()
    })
    .await?;
    let server = AppServer::start_on(listener, settings_for(&idp))?;
    let password = idp.realm().password_of("eline")?;
    Browser::run(|client| async move {
        sign_in_at(&client, &idp, &origin, "eline", "/me").await?;
        // She is working (her page has its answer, so the server has Keycloak's keys) when
        // Keycloak stops: the page is a part, fetched after the sign-in.
        wait_for_text(&client, "[data-testid=me-username]", "eline").await?;
        idp.stop().await?;

        // Her refresh (due 30 s in) finds nobody: she keeps working, and is told until when.
        let stopped = Instant::now();
        while !is_present(&client, "[data-testid=idp-unavailable]").await? {
            if stopped.elapsed() > Duration::from_secs(45) {
                return Err("no notice within 45 s of Keycloak stopping".into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let notice = wait_for_text(
            &client,
            "[data-testid=idp-unavailable]",
            "keep working until",
        )
        .await?;
        assert!(notice.contains("not answering"), "{notice}");
        click(&client, "[data-testid=me-refresh]").await?;
        wait_for_text(&client, "[data-testid=me-username]", "eline").await?;
        screenshot(&client, "idp-down-signed-in").await?;

        // A new visit to a protected page: the app stays on its origin and says so.
        let opened = Instant::now();
        client.goto(&format!("{origin}/units")).await?;
        let notice = wait_for_text(
            &client,
            "[data-testid=idp-unavailable]",
            "Sign-in is unavailable",
        )
        .await?;
        let took = opened.elapsed();
        println!("'sign-in unavailable' after {took:?}: {notice}");
        assert!(took < SAYS_SO_WITHIN, "{took:?}");
        assert!(client.current_url().await?.as_str().starts_with(&origin));
        // So does "Log in".
        click(&client, "[data-testid=header-log-in]").await?;
        tokio::time::sleep(SAYS_SO_WITHIN).await;
        assert!(client.current_url().await?.as_str().starts_with(&origin));
        wait_for_text(
            &client,
            "[data-testid=idp-unavailable]",
            "Sign-in is unavailable",
        )
        .await?;
        screenshot(&client, "idp-down-sign-in-waits").await?;

        // Keycloak back: the app takes her to its sign-in form by itself, and back to the page.
        idp.start_again().await?;
        login(&client, "eline", &password).await?;
        wait_for_text(&client, "#units-title", "Organisation").await?;
        assert!(
            client
                .current_url()
                .await?
                .as_str()
                .starts_with(&format!("{origin}/units"))
        );
        drop(server);
        Ok(())
    })
    .await
}
