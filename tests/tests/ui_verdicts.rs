//! What the screen offers is what the server does, in Chromium: with RBAC off bruce's header says
//! everyone writes and he renames a unit; eline's own top unit offers no Move, a unit inside it
//! offers exactly the destinations the server allows and each of them succeeds; a move that became
//! a cycle meanwhile shows the cycle message, not the stale-edit one.

use std::collections::HashSet;

use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{Browser, screenshot, text_of};
use e2e::idp::IdpOptions;
use e2e::org_api::ELINE_UNIT;
use e2e::ui::{api_as, open_unit, sign_in, stack, unit_uuid};
use e2e::ui::{choose, click, count, fill, header_role, is_disabled, scroll_to, wait_for_text};
use reqwest::StatusCode;
use serde_json::json;

/// The values of the move form's offered choices (the prompt left out), once it has loaded.
async fn offered_destinations(client: &fantoccini::Client) -> TestResult<HashSet<String>> {
    choose(client, "[data-testid=move-input]", "").await?;
    let values = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=move-input] option')]
                .filter(o => !o.disabled && o.value !== '').map(o => o.value)",
            Vec::new(),
        )
        .await?;
    Ok(serde_json::from_value(values)?)
}

#[tokio::test]
async fn with_rbac_off_the_header_says_everyone_writes_and_bruce_renames() -> TestResult {
    let stack = Stack::for_browser_customised(IdpOptions::default(), |settings| {
        settings.keycloak_rbac_enabled = false;
    })
    .await?;
    let admin = api_as(&stack, "alvida").await?;
    let unit = unit_uuid(&admin, "Sundhedsplejen").await?;

    Browser::run(|client| async move {
        sign_in(&client, &stack, "bruce", &format!("/units/{unit}")).await?;
        assert_eq!(header_role(&client).await?, "everyone writes");
        wait_for_text(&client, "[data-testid=unit-name]", "Sundhedsplejen").await?;
        assert_eq!(count(&client, "[data-testid=read-only-notice]").await?, 0);
        assert!(!is_disabled(&client, "[data-testid=rename-open]").await?);
        click(&client, "[data-testid=rename-open]").await?;
        fill(
            &client,
            "[data-testid=rename-input]",
            "Sundhedsplejen Kolding",
        )
        .await?;
        click(&client, "[data-testid=rename-submit]").await?;
        wait_for_text(
            &client,
            "[data-testid=notice]",
            "Renamed to “Sundhedsplejen Kolding”",
        )
        .await?;
        assert_eq!(admin.unit(unit).await?.name, "Sundhedsplejen Kolding");
        screenshot(&client, "ui-rbac-off").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn eline_is_offered_exactly_the_destinations_that_succeed() -> TestResult {
    let stack = stack().await?;
    let eline = api_as(&stack, "eline").await?;
    let hers = unit_uuid(&eline, ELINE_UNIT).await?;
    let leaf = eline.unit_named("Hjemmeplejen Nord").await?;
    let allowed = eline.destinations(leaf.uuid).await?;
    let target = unit_uuid(&eline, "Sundhedsplejen").await?;

    Browser::run(|client| async move {
        sign_in(&client, &stack, "eline", &format!("/units/{hers}")).await?;
        wait_for_text(&client, "[data-testid=unit-name]", ELINE_UNIT).await?;
        // Her own top unit: nowhere she may move it.
        assert!(is_disabled(&client, "[data-testid=move-open]").await?);
        let reason = text_of(&client, "[data-testid=move-reason]").await?;
        assert_eq!(reason, "There is no other place you may move it to.");

        open_unit(&client, &stack, leaf.uuid, "Hjemmeplejen Nord").await?;
        click(&client, "[data-testid=move-open]").await?;
        let offered = offered_destinations(&client).await?;
        let expected: HashSet<String> = allowed.parents.iter().map(ToString::to_string).collect();
        assert_eq!(
            offered, expected,
            "the picker offers what the server allows"
        );
        assert_eq!(
            offered.len(),
            4,
            "her other units but the current parent: {offered:?}"
        );
        let hint = text_of(&client, "[data-testid=move-form] .field__hint").await?;
        assert!(
            hint.contains("Only an admin can make a unit top-level."),
            "{hint}"
        );
        // Every offered destination succeeds (through the API, and back again).
        for parent in &allowed.parents {
            let at = eline.unit(leaf.uuid).await?;
            let moved = eline.patch(&at, json!({"parent": parent})).await?;
            let moved: api::OrgUnit =
                serde_json::from_value(moved.expect(StatusCode::OK, "move")?)?;
            eline
                .patch(&moved, json!({"parent": leaf.parent}))
                .await?
                .expect(StatusCode::OK, "back")?;
        }
        // And one through the page, after a reload for the new version.
        open_unit(&client, &stack, leaf.uuid, "Hjemmeplejen Nord").await?;
        click(&client, "[data-testid=move-open]").await?;
        choose(&client, "[data-testid=move-input]", &target.to_string()).await?;
        scroll_to(&client, "[data-testid=move-form]").await?;
        screenshot(&client, "ui-eline-move").await?;
        click(&client, "[data-testid=move-submit]").await?;
        wait_for_text(
            &client,
            "[data-testid=notice]",
            "Moved “Hjemmeplejen Nord” under “Sundhedsplejen”.",
        )
        .await?;
        assert_eq!(eline.unit(leaf.uuid).await?.parent, Some(target));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_move_that_became_a_cycle_says_so() -> TestResult {
    let stack = stack().await?;
    let other_session = api_as(&stack, "alvida").await?;
    let unit = other_session.unit_named("Vej og Park").await?;
    let sibling = other_session.unit_named("Natur og Miljø").await?;

    Browser::run(|client| async move {
        sign_in(&client, &stack, "alvida", &format!("/units/{}", unit.uuid)).await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Vej og Park").await?;
        click(&client, "[data-testid=move-open]").await?;
        choose(
            &client,
            "[data-testid=move-input]",
            &sibling.uuid.to_string(),
        )
        .await?;
        // Meanwhile the chosen parent is moved under the unit itself.
        other_session
            .patch(&sibling, json!({"parent": unit.uuid}))
            .await?
            .expect(StatusCode::OK, "the other session's move")?;
        click(&client, "[data-testid=move-submit]").await?;
        let message = wait_for_text(&client, "[data-testid=move-error]", "cannot go there").await?;
        assert!(message.contains("one of its sub-units"), "{message}");
        assert!(
            !message.contains("Someone else changed"),
            "not the stale message: {message}"
        );
        assert_eq!(
            count(&client, "[data-testid=move-reload]").await?,
            0,
            "no Reload offer"
        );
        scroll_to(&client, "[data-testid=move-error]").await?;
        screenshot(&client, "ui-would-cycle").await?;
        assert_eq!(
            other_session.unit(unit.uuid).await?.parent,
            unit.parent,
            "nothing written"
        );
        Ok(())
    })
    .await
}
