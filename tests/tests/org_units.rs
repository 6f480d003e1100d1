//! The org-unit API with real tokens from Keycloak: bruce reads but never writes, eline writes
//! inside her unit only (and the 403 names the rule), alvida and the dipex service account write
//! everything; the permissions every answer reports match what the server then allows.

use e2e::TestResult;
use e2e::org_api::{ELINE_UNIT, Org, named, person, refused_by, subtree_of, verdicts, writes};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn bruce_reads_everything_and_writes_nothing() -> TestResult {
    let org = Org::start().await?;
    let bruce = org.client("bruce").await?;
    let units = bruce.units().await?;
    assert!(
        (15..=30).contains(&units.len()),
        "{} demo units",
        units.len()
    );
    assert!(
        units
            .iter()
            .all(|u| refused_by(&u.permissions, api::Rule::NoWriteRole) && u.path.is_none())
    );

    let leaf = named(&units, "Hjemmeplejen Nord")?;
    let detail = bruce.unit(leaf.uuid).await?;
    let names: Vec<&str> = detail
        .path
        .as_deref()
        .ok_or("path")?
        .iter()
        .map(|uuid| {
            units
                .iter()
                .find(|u| u.uuid == *uuid)
                .map_or("?", |u| u.name.as_str())
        })
        .collect();
    assert_eq!(names, ["Kolding Kommune", ELINE_UNIT, "Ældre og Sundhed"]);

    let employees = bruce.employees().await?;
    for username in ["bruce", "eline", "alvida"] {
        let user = org.idp.realm().user(username).ok_or("realm user")?;
        let employee = employees
            .iter()
            .find(|e| e.username == username)
            .ok_or("employee")?;
        assert_eq!(employee.name, user.full_name());
        assert_eq!(Some(employee.uuid.to_string().as_str()), user.uuid());
    }
    assert_eq!(employees.len(), 3, "the service account is no employee");

    let rule = "no_write_role";
    bruce
        .create("Nyt kontor", Some(leaf.uuid))
        .await?
        .expect_denied(rule, "create")?;
    bruce
        .patch(leaf, json!({"name": "Omdøbt"}))
        .await?
        .expect_denied(rule, "rename")?;
    bruce
        .delete(leaf.uuid)
        .await?
        .expect_denied(rule, "delete")?;
    let me = person(&org, "bruce")?;
    bruce
        .owner(true, leaf.uuid, me)
        .await?
        .expect_denied(rule, "add owner")?;
    assert_eq!(bruce.units().await?, units, "nothing changed");

    // Without a token: 401, as for every API route.
    let anonymous = reqwest::get(org.server.url("/api/v1/org-units")).await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn eline_writes_inside_her_unit_and_is_refused_outside_with_the_rule() -> TestResult {
    let org = Org::start().await?;
    let eline = org.client("eline").await?;
    let units = eline.units().await?;
    let hers = named(&units, ELINE_UNIT)?;
    assert_eq!(hers.owners, vec![person(&org, "eline")?]);
    assert!(hers.parent.is_some(), "a mid-level unit, not the root");
    let inside = subtree_of(&units, hers.uuid);
    assert!(inside.len() > 3, "her unit has sub-units");
    for unit in &units {
        let p = &unit.permissions;
        if inside.contains(&unit.uuid) {
            assert!(writes(p), "{}: {p:?}", unit.name);
        } else {
            assert!(refused_by(p, api::Rule::NotOwner), "{}: {p:?}", unit.name);
        }
    }

    // Inside: rename, create, move within, owners, delete.
    let psychiatry = named(&units, "Socialpsykiatri")?;
    let renamed = eline
        .patch(psychiatry, json!({"name": "Social- og Psykiatri"}))
        .await?;
    let renamed: api::OrgUnit =
        serde_json::from_value(renamed.expect(StatusCode::OK, "rename inside")?)?;
    assert_eq!(
        (renamed.name.as_str(), renamed.version),
        ("Social- og Psykiatri", psychiatry.version + 1)
    );
    let created = eline
        .create("Misbrugscenter", Some(psychiatry.uuid))
        .await?;
    let created: api::OrgUnit =
        serde_json::from_value(created.expect(StatusCode::CREATED, "create inside")?)?;
    assert!(
        verdicts(&created.permissions)
            .iter()
            .all(|v| v.is_allowed()),
        "a new leaf"
    );
    assert_eq!(created.path.as_deref().map(<[_]>::len), Some(3));
    let north = named(&units, "Hjemmeplejen Nord")?;
    let moved = eline
        .patch(north, json!({"parent": psychiatry.uuid}))
        .await?;
    moved.expect(StatusCode::OK, "move inside her unit")?;
    let bruce = person(&org, "bruce")?;
    eline
        .owner(true, created.uuid, bruce)
        .await?
        .expect(StatusCode::NO_CONTENT, "add owner")?;
    eline
        .owner(false, created.uuid, bruce)
        .await?
        .expect(StatusCode::NO_CONTENT, "remove owner")?;
    eline
        .delete(created.uuid)
        .await?
        .expect(StatusCode::NO_CONTENT, "delete inside")?;

    // Outside, each refusal names its rule.
    let technical = named(&units, "Teknik og Miljø")?;
    let root = named(&units, "Kolding Kommune")?;
    eline
        .patch(technical, json!({"name": "X"}))
        .await?
        .expect_denied("not_owner", "rename outside")?;
    eline
        .patch(hers, json!({"parent": technical.uuid}))
        .await?
        .expect_denied("not_owner_of_new_parent", "move her unit away")?;
    let health = named(&units, "Sundhedsplejen")?;
    eline
        .patch(health, json!({"parent": technical.uuid}))
        .await?
        .expect_denied("not_owner_of_new_parent", "move out")?;
    eline
        .patch(technical, json!({"parent": hers.uuid}))
        .await?
        .expect_denied("not_owner", "move in")?;
    eline
        .patch(health, json!({"parent": null}))
        .await?
        .expect_denied("top_level_admin_only", "make top-level")?;
    eline
        .create("Ny forvaltning", None)
        .await?
        .expect_denied("top_level_admin_only", "create top-level")?;
    eline
        .create("Ny", Some(root.uuid))
        .await?
        .expect_denied("not_owner", "create under the root")?;
    eline
        .delete(technical.uuid)
        .await?
        .expect_denied("not_owner", "delete outside")?;
    eline
        .owner(true, root.uuid, bruce)
        .await?
        .expect_denied("not_owner", "owners outside")?;

    // Her own unit: she may rename it (a parent equal to the current one is no move).
    let same_parent = json!({"name": "Social og Sundhed", "parent": hers.parent});
    eline
        .patch(hers, same_parent)
        .await?
        .expect(StatusCode::OK, "rename her unit")?;
    Ok(())
}

#[tokio::test]
async fn alvida_the_admin_creates_moves_deletes_and_manages_owners() -> TestResult {
    let org = Org::start().await?;
    let alvida = org.client("alvida").await?;
    let units = alvida.units().await?;
    assert!(units.iter().all(|u| writes(&u.permissions)));

    let top = alvida.create("  Fælles Drift  ", None).await?;
    let top: api::OrgUnit = serde_json::from_value(top.expect(StatusCode::CREATED, "top-level")?)?;
    assert_eq!(
        (top.name.as_str(), top.parent, top.version),
        ("Fælles Drift", None, 1)
    );
    assert_eq!(top.path, Some(vec![]));

    let technical = named(&units, "Teknik og Miljø")?;
    let moved = alvida.patch(technical, json!({"parent": top.uuid})).await?;
    let moved: api::OrgUnit = serde_json::from_value(moved.expect(StatusCode::OK, "move")?)?;
    assert_eq!(
        (moved.parent, moved.version),
        (Some(top.uuid), technical.version + 1)
    );
    assert_eq!(moved.path, Some(vec![top.uuid]));

    let conflict = alvida.delete(top.uuid).await?;
    let body =
        conflict.expect_error(StatusCode::CONFLICT, "has_children", "delete with children")?;
    assert!(
        body.description.contains("sub-unit"),
        "{}",
        body.description
    );
    let road = named(&units, "Vej og Park")?;
    let cycle = alvida.patch(&moved, json!({"parent": road.uuid})).await?;
    cycle.expect_error(
        StatusCode::CONFLICT,
        "would_cycle",
        "move under a descendant",
    )?;
    let itself = alvida.patch(&moved, json!({"parent": moved.uuid})).await?;
    itself.expect_error(StatusCode::CONFLICT, "would_cycle", "move under itself")?;

    let eline = person(&org, "eline")?;
    alvida
        .owner(true, top.uuid, eline)
        .await?
        .expect(StatusCode::NO_CONTENT, "add owner")?;
    alvida
        .owner(true, top.uuid, eline)
        .await?
        .expect(StatusCode::NO_CONTENT, "add again")?;
    let owned = alvida.unit_named("Fælles Drift").await?;
    assert_eq!(
        (owned.owners.clone(), owned.version),
        (vec![eline], 2),
        "one write, one bump"
    );
    // eline now owns the new top-level unit and, through it, Teknik og Miljø.
    let eline_client = org.client("eline").await?;
    assert!(writes(
        &eline_client.unit_named("Vej og Park").await?.permissions
    ));
    alvida
        .owner(false, top.uuid, eline)
        .await?
        .expect(StatusCode::NO_CONTENT, "remove owner")?;
    let gone = alvida.owner(false, top.uuid, eline).await?;
    gone.expect_error(StatusCode::NOT_FOUND, "not_found", "remove a non-owner")?;
    let nobody = uuid::Uuid::new_v4();
    let unknown = alvida.owner(true, top.uuid, nobody).await?;
    let body = unknown.expect_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "unknown person",
    )?;
    assert_eq!(body.field.as_deref(), Some("person_uuid"));

    let back = alvida
        .patch(&moved, json!({"parent": technical.parent}))
        .await?;
    back.expect(StatusCode::OK, "move back")?;
    alvida
        .delete(top.uuid)
        .await?
        .expect(StatusCode::NO_CONTENT, "delete the now empty unit")?;
    let after = alvida.units().await?;
    assert_eq!(after.len(), units.len());
    let missing = alvida
        .call(
            Method::GET,
            &format!("/api/v1/org-units/{}", top.uuid),
            None,
        )
        .await?;
    missing.expect_error(StatusCode::NOT_FOUND, "not_found", "deleted unit")?;
    Ok(())
}

#[tokio::test]
async fn dipex_the_service_account_is_judged_by_its_admin_role() -> TestResult {
    let org = Org::start().await?;
    let dipex = org.client("dipex").await?;
    let units = dipex.units().await?;
    assert!(
        units.iter().all(|u| writes(&u.permissions)),
        "admin without a uuid"
    );
    let root = named(&units, "Kolding Kommune")?;
    let renamed = dipex
        .patch(root, json!({"name": "Kolding Kommune (import)"}))
        .await?;
    renamed.expect(StatusCode::OK, "rename the root")?;
    let created = dipex.create("Integrationer", None).await?;
    let created: api::OrgUnit =
        serde_json::from_value(created.expect(StatusCode::CREATED, "create top-level")?)?;
    dipex
        .delete(created.uuid)
        .await?
        .expect(StatusCode::NO_CONTENT, "delete")?;
    Ok(())
}
