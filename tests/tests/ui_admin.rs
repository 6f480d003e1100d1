//! The app in Chromium as alvida (admin): create a sub-unit, move it, add and remove an owner,
//! delete it; two sessions editing one unit (the second save gets the conflict message and keeps
//! its input); form validation; the notice in the session's last minute; screenshots of the main
//! pages, also 360 px wide.

use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{Browser, screenshot, text_of};
use e2e::browser::{login, wait_for};
use e2e::idp::IdpOptions;
use e2e::ui::{api_as, open_unit, sign_in, stack, unit_uuid};
use e2e::ui::{
    choose, click, count, fill, header_role, is_disabled, scroll_to, scrolls_sideways, value_of,
    wait_for_absence, wait_for_path, wait_for_text,
};
use fantoccini::{Locator, key::Key};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn alvida_creates_moves_manages_owners_and_deletes() -> TestResult {
    let stack = stack().await?;
    let admin = api_as(&stack, "alvida").await?;
    let parent = unit_uuid(&admin, "Teknik og Miljø").await?;
    let new_parent = unit_uuid(&admin, "Børn og Unge").await?;
    let bruce = e2e::ui::person_uuid(&stack, "bruce")?;

    Browser::run(|client| async move {
        sign_in(&client, &stack, "alvida", &format!("/units/{parent}")).await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Teknik og Miljø").await?;
        assert_eq!(header_role(&client).await?, "admin");
        screenshot(&client, "ui-unit-admin").await?;

        // Create.
        click(&client, "[data-testid=create-open]").await?;
        fill(&client, "[data-testid=create-input]", "  Cykelstier  ").await?;
        click(&client, "[data-testid=create-submit]").await?;
        wait_for_text(&client, "[data-testid=notice]", "Created “Cykelstier”.").await?;
        wait_for_text(&client, "[data-testid=children]", "Cykelstier").await?;
        let created = admin.unit_named("Cykelstier").await?;
        assert_eq!(created.parent, Some(parent));
        let child = created.uuid;

        // Move it under another unit: never offered under itself.
        open_unit(&client, &stack, child, "Cykelstier").await?;
        assert_eq!(
            text_of(&client, "[data-testid=no-children]").await?,
            "No sub-units."
        );
        assert_eq!(
            text_of(&client, "[data-testid=no-owners]").await?.trim(),
            "No owners of its own."
        );
        click(&client, "[data-testid=move-open]").await?;
        choose(&client, "[data-testid=move-input]", &new_parent.to_string()).await?;
        let own = format!("[data-testid=move-input] option[value='{child}']");
        assert_eq!(
            count(&client, &own).await?,
            0,
            "the unit itself is no target"
        );
        click(&client, "[data-testid=move-submit]").await?;
        wait_for_text(
            &client,
            "[data-testid=notice]",
            "Moved “Cykelstier” under “Børn og Unge”.",
        )
        .await?;
        wait_for_text(&client, "[data-testid=breadcrumb]", "Børn og Unge").await?;
        assert_eq!(admin.unit(child).await?.parent, Some(new_parent));

        // Owners: add bruce, then remove him.
        click(&client, "[data-testid=add-owner-open]").await?;
        click(&client, "[data-testid=add-owner-submit]").await?;
        let missing = text_of(&client, "[data-testid=add-owner-field-error]").await?;
        assert_eq!(missing, "Choose a person.");
        choose(&client, "[data-testid=add-owner-input]", &bruce.to_string()).await?;
        click(&client, "[data-testid=add-owner-submit]").await?;
        wait_for_text(&client, "[data-testid=owners]", "Bruce").await?;
        assert_eq!(admin.unit(child).await?.owners, vec![bruce]);
        click(&client, "[data-testid=remove-owner]").await?;
        wait_for_text(&client, "[data-testid=notice]", "no longer owns").await?;
        wait_for_text(&client, "[data-testid=no-owners]", "No owners of its own.").await?;
        assert!(admin.unit(child).await?.owners.is_empty());

        // Delete: confirm, then back on the parent's page.
        click(&client, "[data-testid=delete-open]").await?;
        click(&client, "[data-testid=delete-submit]").await?;
        wait_for_path(&client, &format!("/units/{new_parent}")).await?;
        wait_for_text(&client, "[data-testid=notice]", "Deleted “Cykelstier”.").await?;
        assert!(admin.unit_named("Cykelstier").await.is_err(), "gone");

        // A unit with sub-units cannot be deleted, and the page says why.
        assert!(is_disabled(&client, "[data-testid=delete-open]").await?);
        let reason = text_of(&client, "[data-testid=delete-reason]").await?;
        assert!(reason.contains("sub-unit"), "{reason}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_stale_save_shows_the_conflict_and_keeps_the_input() -> TestResult {
    let stack = stack().await?;
    let other_session = api_as(&stack, "alvida").await?;
    let unit = other_session.unit_named("Natur og Miljø").await?;

    Browser::run(|client| async move {
        sign_in(&client, &stack, "alvida", &format!("/units/{}", unit.uuid)).await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Natur og Miljø").await?;

        // Escape closes a form and gives focus back to the button that opened it.
        click(&client, "[data-testid=rename-open]").await?;
        client
            .find(Locator::Css("[data-testid=rename-input]"))
            .await?
            .send_keys(&Key::Escape.to_string())
            .await?;
        wait_for_absence(&client, "[data-testid=rename-form]").await?;
        let focused = client
            .execute("return document.activeElement.dataset.testid", Vec::new())
            .await?;
        assert_eq!(focused, json!("rename-open"), "focus returns to the opener");

        // Validation before sending: an empty name never leaves the page.
        click(&client, "[data-testid=rename-open]").await?;
        fill(&client, "[data-testid=rename-input]", "   ").await?;
        click(&client, "[data-testid=rename-submit]").await?;
        let error = text_of(&client, "[data-testid=rename-field-error]").await?;
        assert_eq!(error, "Enter a name.");
        scroll_to(&client, "[data-testid=rename-form]").await?;
        screenshot(&client, "ui-form-error").await?;
        fill(&client, "[data-testid=rename-input]", &"x".repeat(201)).await?;
        click(&client, "[data-testid=rename-submit]").await?;
        wait_for_text(&client, "[data-testid=rename-field-error]", "at most 200").await?;

        // Meanwhile another session renames the unit.
        fill(
            &client,
            "[data-testid=rename-input]",
            "Natur, Miljø og Klima",
        )
        .await?;
        other_session
            .patch(&unit, json!({"name": "Natur og Miljø (API)"}))
            .await?
            .expect(reqwest::StatusCode::OK, "the other session's rename")?;
        click(&client, "[data-testid=rename-submit]").await?;
        let conflict = wait_for_text(
            &client,
            "[data-testid=rename-error]",
            "Someone else changed this unit",
        )
        .await?;
        assert!(conflict.contains("stale"), "the server's words: {conflict}");
        assert_eq!(
            value_of(&client, "[data-testid=rename-input]").await?,
            "Natur, Miljø og Klima"
        );
        scroll_to(&client, "[data-testid=rename-error]").await?;
        screenshot(&client, "ui-conflict").await?;

        // Reload shows their change and keeps what was typed; saving again wins.
        click(&client, "[data-testid=rename-reload]").await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Natur og Miljø (API)").await?;
        assert_eq!(
            value_of(&client, "[data-testid=rename-input]").await?,
            "Natur, Miljø og Klima"
        );
        click(&client, "[data-testid=rename-submit]").await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Natur, Miljø og Klima").await?;
        wait_for_absence(&client, "[data-testid=rename-form]").await?;
        assert_eq!(
            other_session.unit(unit.uuid).await?.name,
            "Natur, Miljø og Klima"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn screenshots_of_landing_and_tree_also_at_360_px() -> TestResult {
    let stack = stack().await?;

    Browser::run(|client| async move {
        client.goto(&stack.url("/")).await?;
        assert_eq!(text_of(&client, "[data-testid=log-in]").await?, "Log in");
        screenshot(&client, "ui-landing").await?;

        sign_in(&client, &stack, "eline", "/units").await?;
        wait_for_text(&client, "[data-testid=tree]", "Kolding Kommune").await?;
        wait_for_text(&client, "[data-testid=tree-summary]", "26 units.").await?;
        screenshot(&client, "ui-tree").await?;
        // Under the server's CSP (no inline styles): each level indented further, and the list as
        // high as all its rows, so the scroll bar is the whole tree's.
        let geometry = client
            .execute(
                "const rows = [...document.querySelectorAll('[data-unit]')];
                 const indent = level => rows.filter(r => r.getAttribute('aria-level') === level)
                   .map(r => parseFloat(getComputedStyle(r).paddingLeft))[0];
                 const list = rows[0].parentElement;
                 return [indent('1'), indent('2'), indent('3'),
                   list.getBoundingClientRect().height / rows[0].getBoundingClientRect().height,
                   Number(rows[0].getAttribute('aria-setsize'))]",
                Vec::new(),
            )
            .await?;
        let [top, second, third, height_in_rows, set_size]: [f64; 5] =
            serde_json::from_value(geometry)?;
        assert!(
            top == 0.0 && second > top && third - second == second - top,
            "indentation by level: {top}, {second}, {third} px"
        );
        assert_eq!(height_in_rows, set_size, "the list is as high as its rows");

        // The filter keeps the ancestors of a match and says when nothing matches.
        fill(&client, "[data-testid=unit-filter]", "hjemmepleje").await?;
        wait_for_text(&client, "[data-testid=tree-summary]", "2 of 26").await?;
        let visible = client
            .execute(
                "return [...document.querySelectorAll('[data-testid=tree-unit]')]
                    .filter(a => a.offsetParent !== null).map(a => a.textContent)",
                Vec::new(),
            )
            .await?;
        let visible: Vec<String> = serde_json::from_value(visible)?;
        assert_eq!(
            visible,
            [
                "Kolding Kommune",
                "Social og Sundhed",
                "Ældre og Sundhed",
                "Hjemmeplejen Nord",
                "Hjemmeplejen Syd"
            ]
        );
        fill(&client, "[data-testid=unit-filter]", "no such unit").await?;
        wait_for_text(&client, "[data-testid=tree-empty]", "No unit matches").await?;
        fill(&client, "[data-testid=unit-filter]", "").await?;

        client.set_window_size(360, 800).await?;
        client.refresh().await?;
        wait_for_text(&client, "[data-testid=tree]", "Kolding Kommune").await?;
        click(&client, "[aria-label='Expand Børn og Unge']").await?;
        wait_for_text(&client, "[data-testid=tree]", "Dagtilbud").await?;
        screenshot(&client, "ui-tree-360").await?;
        let wide = client
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth,
                    [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                        .slice(0, 5).map(e => e.className + ' ' + e.tagName)]",
                Vec::new(),
            )
            .await?;
        assert!(
            !scrolls_sideways(&client).await?,
            "no horizontal scroll at 360 px: [width, page width, too wide] = {wide}"
        );

        // The unit page at 360 px, with a form open.
        client
            .find(Locator::LinkText("Social og Sundhed"))
            .await?
            .click()
            .await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Social og Sundhed").await?;
        click(&client, "[data-testid=create-open]").await?;
        wait_for(&client, "[data-testid=create-input]").await?;
        assert!(!scrolls_sideways(&client).await?, "the unit page at 360 px");
        screenshot(&client, "ui-unit-360").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn the_last_minute_of_the_session_is_announced_and_sign_in_again_comes_back() -> TestResult {
    // Refresh tokens (and IdP sessions) of 65 s: the last minute starts 5 s after signing in.
    let stack = Stack::for_browser(IdpOptions {
        refresh_token_ttl: Some(Duration::from_secs(65)),
        ..IdpOptions::default()
    })
    .await?;
    let admin = api_as(&stack, "alvida").await?;
    let unit = unit_uuid(&admin, "Skoler").await?;
    let route = format!("/units/{unit}");

    Browser::run(|client| async move {
        sign_in(&client, &stack, "eline", &route).await?;
        let notice = wait_for_text(
            &client,
            "[data-testid=session-ending]",
            "Your session ends at",
        )
        .await?;
        assert!(notice.contains("s left"), "{notice}");
        screenshot(&client, "ui-session-ending").await?;
        click(&client, "[data-testid=session-ending] button").await?;
        // The IdP may still know the browser (straight back) or ask again (the form).
        let deadline = std::time::Instant::now() + e2e::browser::PAGE_TIMEOUT;
        loop {
            if count(&client, "input#username").await? > 0 {
                let password = stack.idp.realm().password_of("eline")?;
                login(&client, "eline", &password).await?;
                break;
            }
            let url = client.current_url().await?;
            if url.as_str().starts_with(&stack.url("/"))
                && url.path() == route
                && count(&client, "[data-testid=unit-name]").await? > 0
            {
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("never came back to {route}; at {url}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        wait_for_path(&client, &route).await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Skoler").await?;
        Ok(())
    })
    .await
}
