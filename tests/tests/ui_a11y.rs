//! axe-core (the npm package scripts/bootstrap installs) finds no accessibility violation on the
//! pages people work in: the landing page, and signed in, the tree (as it opens, filtered and all
//! open), a unit page with its controls enabled and one with them disabled, and the account page.

use e2e::browser::{Browser, screenshot};
use e2e::org_api::ELINE_UNIT;
use e2e::ui::{api_as, click, fill, open_unit, sign_in, stack, unit_uuid, wait_for_text};
use e2e::{TestResult, repo_root};
use fantoccini::Client;

/// axe-core's browser build, where scripts/bootstrap puts it.
const AXE: &str = ".tools/axe-core/node_modules/axe-core/axe.min.js";

/// Runs axe-core on the page as it is and returns one line per violation (rule, impact, help and
/// the first elements at fault); empty when the page passes.
async fn violations(client: &Client) -> TestResult<Vec<String>> {
    let source = std::fs::read_to_string(repo_root().join(AXE))
        .map_err(|e| format!("{AXE}: {e} (run scripts/bootstrap)"))?;
    client.execute(&source, Vec::new()).await?;
    let found = client
        .execute_async(
            "const done = arguments[0];
             axe.run(document, { resultTypes: ['violations'] }).then(
               r => done(r.violations.map(v => `${v.id} (${v.impact}): ${v.help} at ` +
                 v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))),
               e => done([`axe-core failed: ${e}`]))",
            Vec::new(),
        )
        .await?;
    Ok(serde_json::from_value(found)?)
}

/// Fails with every page's violations at once, so one run shows all there is to fix.
async fn check(client: &Client, page: &str, problems: &mut Vec<String>) -> TestResult {
    let found = violations(client).await?;
    if !found.is_empty() {
        screenshot(client, &format!("a11y-{page}")).await?;
        problems.extend(found.into_iter().map(|line| format!("{page}: {line}")));
    }
    Ok(())
}

#[tokio::test]
async fn the_pages_people_work_in_have_no_accessibility_violations() -> TestResult {
    let stack = stack().await?;
    let admin = api_as(&stack, "alvida").await?;
    let inside = unit_uuid(&admin, "Hjemmeplejen Nord").await?;
    let outside = unit_uuid(&admin, "Vej og Park").await?;

    Browser::run(|client| async move {
        let mut problems = Vec::new();
        client.goto(&stack.url("/")).await?;
        wait_for_text(&client, "[data-testid=log-in]", "Log in").await?;
        check(&client, "landing", &mut problems).await?;
        // The scan itself can fail: an image without a text alternative planted for one run.
        client
            .execute(
                "const img = document.createElement('img');
                 img.id = 'planted'; img.src = '/logo.svg'; document.body.append(img);",
                Vec::new(),
            )
            .await?;
        let planted = violations(&client).await?;
        assert!(
            planted.iter().any(|line| line.starts_with("image-alt")),
            "axe-core should have found the planted image: {planted:?}"
        );
        client
            .execute("document.getElementById('planted').remove()", Vec::new())
            .await?;

        sign_in(&client, &stack, "eline", "/units").await?;
        wait_for_text(&client, "[data-testid=tree]", ELINE_UNIT).await?;
        check(&client, "units", &mut problems).await?;
        fill(&client, "[data-testid=unit-filter]", "hjemmepleje").await?;
        wait_for_text(&client, "[data-testid=tree-summary]", " match").await?;
        check(&client, "units-filtered", &mut problems).await?;
        fill(&client, "[data-testid=unit-filter]", "").await?;
        click(&client, ".tree-tools__buttons button").await?;
        wait_for_text(&client, "[data-testid=tree]", "Dagtilbud").await?;
        check(&client, "units-all-open", &mut problems).await?;

        open_unit(&client, &stack, inside, "Hjemmeplejen Nord").await?;
        check(&client, "unit-owned", &mut problems).await?;
        open_unit(&client, &stack, outside, "Vej og Park").await?;
        check(&client, "unit-not-owned", &mut problems).await?;
        client.goto(&stack.url("/me")).await?;
        wait_for_text(&client, "main h1", "").await?;
        check(&client, "me", &mut problems).await?;

        assert!(
            problems.is_empty(),
            "axe-core violations:\n{}",
            problems.join("\n")
        );
        Ok(())
    })
    .await
}
