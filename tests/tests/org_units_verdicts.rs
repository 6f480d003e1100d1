//! The verdicts the API reports are what it then does, with real Keycloak tokens: every move
//! destination listed for eline's units succeeds and every other one is refused (and the `move`
//! verdict agrees), `delete` names `has_children` exactly for units with sub-units, `/me` says
//! what each account may do in general, and each conflict has its own code.

use api::{AccountRole, Rule, Verdict};
use e2e::TestResult;
use e2e::org_api::{ELINE_UNIT, Org, named, subtree_of};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_listed_destination_succeeds_and_every_other_is_refused() -> TestResult {
    let org = Org::start().await?;
    let eline = org.client("eline").await?;
    let units = eline.units().await?;
    let hers = named(&units, ELINE_UNIT)?;
    let inside = subtree_of(&units, hers.uuid);
    let (mut tried, mut moved) = (0, 0);
    for unit in inside.iter().copied() {
        let current = eline.unit(unit).await?;
        let listed = eline.destinations(unit).await?;
        // Her own top unit: everything she owns is inside it, and the top level is for admins.
        if unit == hers.uuid {
            assert!(listed.parents.is_empty(), "{listed:?}");
            assert_eq!(
                current.permissions.move_unit,
                Verdict::Refused {
                    rule: Rule::NoDestination
                }
            );
        }
        assert_eq!(
            current.permissions.move_unit.is_allowed(),
            !listed.parents.is_empty() || listed.top_level == Some(Verdict::Allowed),
            "the move verdict of {} agrees with its destinations",
            current.name
        );
        assert_eq!(
            listed.top_level,
            Some(Verdict::Refused {
                rule: Rule::TopLevelAdminOnly
            })
        );
        for target in &units {
            if Some(target.uuid) == current.parent {
                continue;
            }
            tried += 1;
            let at = eline.unit(unit).await?; // each round trip adds 2 to the version
            let answer = eline.patch(&at, json!({"parent": target.uuid})).await?;
            if listed.parents.contains(&target.uuid) {
                let body = answer.expect(StatusCode::OK, "a listed destination")?;
                let after: api::OrgUnit = serde_json::from_value(body)?;
                moved += 1;
                // And back, so every target is tried from the same place.
                eline
                    .patch(&after, json!({"parent": current.parent}))
                    .await?
                    .expect(StatusCode::OK, "back again")?;
            } else {
                assert!(
                    [StatusCode::FORBIDDEN, StatusCode::CONFLICT].contains(&answer.status),
                    "{} under {}: {} {}",
                    current.name,
                    target.name,
                    answer.status,
                    answer.body
                );
            }
        }
    }
    assert!(
        moved > 0 && tried > moved,
        "{moved} of {tried} moves allowed"
    );
    // Every move was undone: the same tree.
    let after = eline.units().await?;
    for unit in &after {
        let before = named(&units, &unit.name)?;
        assert_eq!(unit.parent, before.parent, "{}", unit.name);
    }
    Ok(())
}

#[tokio::test]
async fn delete_names_sub_units_and_conflicts_have_their_own_codes() -> TestResult {
    let org = Org::start().await?;
    let alvida = org.client("alvida").await?;
    let units = alvida.units().await?;
    for unit in &units {
        let has_children = units.iter().any(|u| u.parent == Some(unit.uuid));
        let expected = if has_children {
            Verdict::Refused {
                rule: Rule::HasChildren,
            }
        } else {
            Verdict::Allowed
        };
        assert_eq!(unit.permissions.delete, expected, "{}", unit.name);
    }
    let hers = named(&units, ELINE_UNIT)?;
    let below = units
        .iter()
        .find(|u| u.parent == Some(hers.uuid))
        .ok_or("a sub-unit")?;
    alvida
        .delete(hers.uuid)
        .await?
        .expect_error(StatusCode::CONFLICT, "has_children", "delete")?;
    alvida
        .patch(hers, json!({"parent": below.uuid}))
        .await?
        .expect_error(StatusCode::CONFLICT, "would_cycle", "cycle")?;
    let stale = api::OrgUnit {
        version: hers.version + 1,
        ..hers.clone()
    };
    alvida
        .patch(&stale, json!({"name": "Ny"}))
        .await?
        .expect_error(StatusCode::CONFLICT, "stale_version", "stale")?;
    assert_eq!(alvida.units().await?, units, "nothing written");
    Ok(())
}

#[tokio::test]
async fn me_says_what_each_account_may_do() -> TestResult {
    let org = Org::start().await?;
    let refused = |rule| Verdict::Refused { rule };
    let cases = [
        (
            "bruce",
            AccountRole::ReadOnly,
            refused(Rule::NoWriteRole),
            refused(Rule::NoWriteRole),
        ),
        (
            "eline",
            AccountRole::Owner,
            Verdict::Allowed,
            refused(Rule::TopLevelAdminOnly),
        ),
        (
            "alvida",
            AccountRole::Admin,
            Verdict::Allowed,
            Verdict::Allowed,
        ),
        (
            "dipex",
            AccountRole::Admin,
            Verdict::Allowed,
            Verdict::Allowed,
        ),
    ];
    for (who, role, write, create_top_level) in cases {
        let access = org.client(who).await?.me().await?.access;
        assert_eq!(
            access,
            api::AccountAccess {
                role,
                write,
                create_top_level
            },
            "{who}"
        );
    }
    Ok(())
}
