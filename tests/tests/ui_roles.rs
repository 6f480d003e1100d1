//! The app in Chromium for each role: eline (owner) edits inside her subtree and sees why she
//! cannot outside it (and a forced write there shows the server's 403 reason); bruce sees one
//! read-only notice and every control disabled; a unit named like markup renders as text under a
//! CSP without inline scripts.

use e2e::TestResult;
use e2e::browser::{Browser, screenshot, text_of};
use e2e::org_api::ELINE_UNIT;
use e2e::ui::{api_as, open_unit, sign_in, stack, unit_uuid};
use e2e::ui::{click, count, fill, header_role, is_disabled, scroll_to, wait_for_text};

/// Every control of the unit page that writes, by its test id prefix.
const WRITE_CONTROLS: [&str; 5] = ["rename", "move", "delete", "create", "add-owner"];
const READ_ONLY_REASON: &str = "Your account can read but not change units.";

#[tokio::test]
async fn eline_renames_inside_her_subtree_and_is_refused_outside_it() -> TestResult {
    let stack = stack().await?;
    let admin = api_as(&stack, "alvida").await?;
    let inside = unit_uuid(&admin, "Hjemmeplejen Nord").await?;
    let outside = unit_uuid(&admin, "Vej og Park").await?;

    Browser::run(|client| async move {
        sign_in(&client, &stack, "eline", "/units").await?;
        assert_eq!(header_role(&client).await?, "owner");
        // The tree marks her unit and, below it, the units she owns through it.
        wait_for_text(&client, "[data-testid=tree]", ELINE_UNIT).await?;
        let badges = client
            .execute(
                "return [...document.querySelectorAll('[data-testid=own-badge]')].map(b => b.textContent)",
                Vec::new(),
            )
            .await?;
        let badges: Vec<String> = serde_json::from_value(badges)?;
        assert!(badges.contains(&"You own this".to_owned()), "{badges:?}");
        let tree = text_of(&client, "[data-testid=tree]").await?;
        assert!(tree.contains("Owners: Eline Wedsgaard Christensen"), "owners by name: {tree}");
        assert!(
            badges.contains(&format!("Owned via {ELINE_UNIT}")),
            "{badges:?}"
        );

        // Inside: rename works and says so.
        open_unit(&client, &stack, inside, "Hjemmeplejen Nord").await?;
        let badge = text_of(&client, "h1 + [data-testid=own-badge]").await?;
        assert_eq!(badge, format!("Owned via {ELINE_UNIT}"));
        assert!(!is_disabled(&client, "[data-testid=rename-open]").await?);
        click(&client, "[data-testid=rename-open]").await?;
        fill(&client, "[data-testid=rename-input]", "Hjemmeplejen Nord-Øst").await?;
        click(&client, "[data-testid=rename-submit]").await?;
        wait_for_text(&client, "[data-testid=notice]", "Renamed to “Hjemmeplejen Nord-Øst”").await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Hjemmeplejen Nord-Øst").await?;
        assert_eq!(admin.unit(inside).await?.name, "Hjemmeplejen Nord-Øst");

        // Outside: every control disabled, with the reason beside it.
        open_unit(&client, &stack, outside, "Vej og Park").await?;
        for control in ["rename", "move", "delete", "add-owner", "create"] {
            let css = format!("[data-testid={control}-open]");
            assert!(is_disabled(&client, &css).await?, "{control} is disabled");
        }
        let reason = text_of(&client, "[data-testid=rename-reason]").await?;
        assert_eq!(reason, "Only owners of this unit or a unit above it can rename it.");
        let reason = text_of(&client, "[data-testid=add-owner-reason]").await?;
        assert_eq!(reason, "Only owners of this unit or a unit above it can change its owners.");

        // A write forced past the disabled button: the server refuses and the page says why.
        client
            .execute(
                "document.querySelector('[data-testid=rename-open]').disabled = false",
                Vec::new(),
            )
            .await?;
        click(&client, "[data-testid=rename-open]").await?;
        fill(&client, "[data-testid=rename-input]", "Vej og Park (forced)").await?;
        click(&client, "[data-testid=rename-submit]").await?;
        let refusal = wait_for_text(&client, "[data-testid=rename-error]", "not_owner").await?;
        assert!(refusal.contains("The server refused this change."), "{refusal}");
        assert!(refusal.contains("you are an owner of neither unit"), "{refusal}");
        scroll_to(&client, "[data-testid=rename-error]").await?;
        screenshot(&client, "ui-eline-403").await?;
        assert_eq!(admin.unit(outside).await?.name, "Vej og Park", "nothing written");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn bruce_sees_everything_read_only() -> TestResult {
    let stack = stack().await?;
    let admin = api_as(&stack, "alvida").await?;
    let unit = unit_uuid(&admin, ELINE_UNIT).await?;

    Browser::run(|client| async move {
        sign_in(&client, &stack, "bruce", "/units").await?;
        assert_eq!(header_role(&client).await?, "read-only");
        wait_for_text(&client, "[data-testid=tree]", "Kolding Kommune").await?;
        assert_eq!(
            count(&client, "[data-testid=own-badge]").await?,
            0,
            "bruce owns nothing"
        );

        open_unit(&client, &stack, unit, ELINE_UNIT).await?;
        // One notice says it once; every control is disabled and points at it.
        assert_eq!(count(&client, "[data-testid=read-only-notice]").await?, 1);
        let notice = text_of(&client, "[data-testid=read-only-notice]").await?;
        assert_eq!(notice, READ_ONLY_REASON);
        assert_eq!(
            count(&client, ".reason").await?,
            0,
            "no reason under each control"
        );
        for control in WRITE_CONTROLS {
            let css = format!("[data-testid={control}-open]");
            assert!(is_disabled(&client, &css).await?, "{control} is disabled");
            let described_by = client
                .find(fantoccini::Locator::Css(&css))
                .await?
                .attr("aria-describedby")
                .await?;
            assert_eq!(
                described_by.as_deref(),
                Some("read-only-notice"),
                "{control}"
            );
        }
        assert!(is_disabled(&client, "[data-testid=remove-owner]").await?);
        let owners = text_of(&client, "[data-testid=owners]").await?;
        assert!(owners.contains("Eline"), "owners by name: {owners}");
        screenshot(&client, "ui-unit-read-only").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_unit_named_like_markup_is_shown_as_text() -> TestResult {
    const MARKUP: &str = "<img src=x onerror=alert(1)>";
    let stack = stack().await?;
    let admin = api_as(&stack, "alvida").await?;
    let root = unit_uuid(&admin, "Kolding Kommune").await?;
    let created = admin
        .create(MARKUP, Some(root))
        .await?
        .expect(reqwest::StatusCode::CREATED, "create")?;
    let uuid: uuid::Uuid = serde_json::from_value(created["uuid"].clone())?;

    let page = reqwest::get(stack.url("/units")).await?;
    let csp = page
        .headers()
        .get("content-security-policy")
        .ok_or("the page has a CSP")?
        .to_str()?
        .to_owned();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src"))
        .ok_or(format!("no script-src in {csp}"))?;
    assert!(!script_src.contains("'unsafe-inline'"), "{script_src}");

    Browser::run(|client| async move {
        sign_in(&client, &stack, "alvida", "/units").await?;
        let tree = wait_for_text(&client, "[data-testid=tree]", MARKUP).await?;
        assert!(tree.contains(MARKUP));
        assert_eq!(count(&client, "[data-testid=tree] img").await?, 0);
        fill(&client, "[data-testid=unit-filter]", "onerror").await?;
        wait_for_text(&client, "[data-testid=tree-summary]", "1 of").await?;

        open_unit(&client, &stack, uuid, MARKUP).await?;
        assert_eq!(count(&client, "main img").await?, 0);
        let crumbs = text_of(&client, "[data-testid=breadcrumb]").await?;
        assert!(crumbs.ends_with(MARKUP), "{crumbs}");
        Ok(())
    })
    .await
}
