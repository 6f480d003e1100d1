//! A browser session through nginx in front of two instances on PostgreSQL, in Chromium: sign-in,
//! browsing the tree for a minute with 15-second tokens (so the timer refreshes), a rename, a
//! reload and the logout, with every API call answered and both instances serving.

use std::time::{Duration, Instant};

use e2e::TestResult;
use e2e::browser::{Browser, is_present, screenshot, text_of};
use e2e::cluster::Cluster;
use e2e::database;
use e2e::idp::IdpOptions;
use e2e::org_api::Client;
use e2e::ui::{click, fill, sign_in_at, wait_for_path, wait_for_text};

const BINARY: &str = env!("CARGO_BIN_EXE_server-instance");
/// Every API request of this page since it loaded (Resource Timing): `[path, status]`.
const API_CALLS: &str = r#"
    return performance.getEntriesByType("resource")
        .filter((entry) => new URL(entry.name).pathname.startsWith("/api/"))
        .map((entry) => [new URL(entry.name).pathname, entry.responseStatus]);
"#;

async fn api_calls(client: &fantoccini::Client) -> TestResult<Vec<(String, u16)>> {
    Ok(serde_json::from_value(
        client.execute(API_CALLS, Vec::new()).await?,
    )?)
}

#[tokio::test]
async fn a_session_through_nginx_browses_edits_refreshes_and_logs_out_with_no_failed_call()
-> TestResult {
    let database_url = database::fresh_postgres_database(&database::shared_postgres()?).await?;
    let options = IdpOptions {
        access_token_ttl: Some(Duration::from_secs(15)),
        ..IdpOptions::default()
    };
    let cluster = Cluster::start(BINARY, 2, database_url, options).await?;
    let origin = cluster.nginx.origin();
    let admin = Client::login(&cluster.idp, &origin, "alvida").await?;
    let unit = admin.unit_named("Natur og Miljø").await?;
    let before: Vec<f64> = served_by_each(&cluster).await?;

    let cluster = &cluster;
    let origin = &origin;
    Browser::run(|client| async move {
        sign_in_at(&client, &cluster.idp, origin, "alvida", "/units").await?;
        wait_for_text(&client, "[data-testid=tree]", "Kolding Kommune").await?;

        // A minute of browsing: the tree, a unit, the tree again; tokens live 15 s.
        let mark = cluster.idp.mark();
        let started = Instant::now();
        let mut pages = 0;
        while started.elapsed() < Duration::from_secs(60) {
            click(&client, "[data-testid=nav-units]").await?;
            wait_for_path(&client, "/units").await?;
            wait_for_text(&client, "[data-testid=tree]", "Kolding Kommune").await?;
            // A different unit of the tree each time.
            client
                .execute(
                    "const links = document.querySelectorAll('[data-testid=tree-unit]'); \
                     links[arguments[0] % links.length].click();",
                    vec![serde_json::json!(pages / 2)],
                )
                .await?;
            wait_for_text(&client, "[data-testid=unit-name]", "").await?;
            pages += 2;
            if is_present(&client, "[role=alert]").await? {
                screenshot(&client, "instances-failure").await?;
                return Err(text_of(&client, "[role=alert]").await?.into());
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let refreshes = cluster.idp.events_since(mark).await?.count("REFRESH_TOKEN");
        assert!(
            refreshes >= 3,
            "the timer refreshed: {refreshes} in a minute"
        );

        // An edit.
        client
            .goto(&format!("{origin}/units/{}", unit.uuid))
            .await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Natur og Miljø").await?;
        click(&client, "[data-testid=rename-open]").await?;
        fill(
            &client,
            "[data-testid=rename-input]",
            "Natur, Miljø og Klima",
        )
        .await?;
        click(&client, "[data-testid=rename-submit]").await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Natur, Miljø og Klima").await?;
        screenshot(&client, "instances-renamed").await?;
        let calls = api_calls(&client).await?;
        println!(
            "{pages} pages, {refreshes} refreshes, {} API calls",
            calls.len()
        );
        let failed: Vec<_> = calls
            .iter()
            .filter(|(_, s)| !(200..300).contains(s))
            .collect();
        assert!(failed.is_empty(), "failed API calls: {failed:?}");

        // A reload signs in again silently and shows what was written.
        client.refresh().await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Natur, Miljø og Klima").await?;
        let calls = api_calls(&client).await?;
        assert!(
            calls.iter().all(|(_, s)| (200..300).contains(s)),
            "{calls:?}"
        );

        click(&client, "[data-testid=log-out]").await?;
        assert_eq!(text_of(&client, "[data-testid=log-in]").await?, "Log in");
        Ok(())
    })
    .await?;

    // Both instances answered the browser's calls (nginx's round robin).
    let after = served_by_each(cluster).await?;
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        println!("instance {i} answered {} of the browser's API calls", a - b);
        assert!(a - b >= 2.0, "instance {i} answered {} API calls", a - b);
    }
    Ok(())
}

/// API requests each instance has answered so far.
async fn served_by_each(cluster: &Cluster) -> TestResult<Vec<f64>> {
    let mut counts = Vec::new();
    for instance in &cluster.instances {
        counts.push(instance.api_requests().await?);
    }
    Ok(counts)
}
