//! The pipeline end to end: Keycloak, server and Chromium together; the app loads and a real token works.

use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{Browser, screenshot, text_of};
use e2e::idp::IdpOptions;

#[tokio::test]
async fn the_app_loads_in_chromium_with_settings_from_the_server() -> TestResult {
    let stack = Stack::for_browser(IdpOptions::default()).await?;
    let expected_base = stack.idp.base_url();
    let expected_realm = stack.idp.realm_name().to_owned();

    Browser::run(|client| async move {
        client.goto(&stack.url("/")).await?;
        let realm = text_of(&client, "[data-testid=realm]").await?;
        let auth_server = text_of(&client, "[data-testid=auth-server-url]").await?;
        screenshot(&client, "landing").await?;
        // index.html's loading frame is gone once the app is there: one header, one main.
        let frames = client
            .execute(
                "return [document.getElementById('boot-shell') === null,
                         document.querySelectorAll('header').length,
                         document.querySelectorAll('main').length]",
                Vec::new(),
            )
            .await?;
        assert_eq!(frames, serde_json::json!([true, 1, 1]));
        // What a slow network shows before the app starts: index.html's own frame (its body put
        // in place of the app's, scripts not run), with the header and a loading state.
        let loading = client
            .execute_async(
                "const done = arguments[0];
                 fetch('/').then(r => r.text()).then(html => {
                   const page = new DOMParser().parseFromString(html, 'text/html');
                   document.body.replaceChildren(...page.body.children);
                   done(document.querySelector('#boot-shell [role=status]').textContent.trim());
                 })",
                Vec::new(),
            )
            .await?;
        screenshot(&client, "landing-loading").await?;
        assert_eq!(loading, "Loading Org Browser…");
        assert_eq!(realm, expected_realm);
        assert_eq!(auth_server, expected_base);

        // Client-side routing: a deep link is answered with index.html and routed in the browser.
        client.goto(&stack.url("/no/such/page")).await?;
        let heading = text_of(&client, "h1").await?;
        assert!(heading.contains("not found"), "404 page heading: {heading}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_real_token_from_the_idp_is_accepted_and_no_token_is_refused() -> TestResult {
    let stack = Stack::start().await?;

    let live = stack.server.get("/health/live", None).await?;
    assert_eq!(live.status(), 200);

    let anonymous = stack.server.get("/api/v1/me", None).await?;
    assert_eq!(anonymous.status(), 401);
    let challenge = anonymous.headers()["www-authenticate"].to_str()?;
    let expected = format!("Bearer realm=\"{}\"", stack.idp.realm_name());
    assert!(challenge.starts_with(&expected), "{challenge}");

    let tokens = stack.idp.password_token("eline").await?;
    let me: api::Me = stack
        .server
        .get("/api/v1/me", Some(&tokens.access_token))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let eline = stack
        .idp
        .realm()
        .user("eline")
        .ok_or("eline is in the realm")?;
    assert_eq!(me.username.as_deref(), Some("eline"));
    assert_eq!(me.uuid.map(|u| u.to_string()).as_deref(), eline.uuid());
    assert_eq!(me.roles, vec!["owner".to_string()]);
    // Personal data never stays in the browser's disk cache.
    for path in ["/api/v1/me", "/api/v1/org-units", "/api/v1/employees"] {
        let response = stack.server.get(path, Some(&tokens.access_token)).await?;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    Ok(())
}
