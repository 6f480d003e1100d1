//! The first-start seed: the demo organisation (server/demo-organisation.json) and the realm file's users as employees.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use uuid::Uuid;

use super::{Store, StoreError, employees, units};

/// Units by name with their sub-units and owners (usernames), embedded at build time.
const DEMO_ORGANISATION: &str = include_str!("../../demo-organisation.json");

#[derive(Debug, Deserialize)]
struct Demo {
    units: Vec<DemoUnit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUnit {
    name: String,
    #[serde(default)]
    owners: Vec<String>,
    #[serde(default)]
    children: Vec<DemoUnit>,
}

/// The users of a Keycloak realm export, as far as employees need them.
#[derive(Debug, Deserialize)]
struct RealmExport {
    #[serde(default)]
    users: Vec<RealmUser>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RealmUser {
    username: String,
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(default)]
    attributes: HashMap<String, Vec<String>>,
    service_account_client_id: Option<String>,
}

/// The realm file's people (not service accounts) with a `uuid` attribute, as employees.
/// `""` → none; a missing file → none, with a warning; an unreadable or invalid file → an error.
pub fn realm_employees(realm_file: &Path) -> Result<Vec<api::Employee>, StoreError> {
    if realm_file.as_os_str().is_empty() {
        return Ok(Vec::new());
    }
    let text = match std::fs::read_to_string(realm_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(
                file = %realm_file.display(),
                "seed_realm_file not found: seeding units without employees or owners"
            );
            return Ok(Vec::new());
        }
        Err(e) => {
            return Err(StoreError::Prepare(format!(
                "cannot read seed_realm_file {}: {e}",
                realm_file.display()
            )));
        }
    };
    let realm: RealmExport = serde_json::from_str(&text).map_err(|e| {
        StoreError::Prepare(format!(
            "seed_realm_file {} is not a realm export: {e}",
            realm_file.display()
        ))
    })?;
    let mut found = Vec::new();
    for user in realm.users {
        if user.service_account_client_id.is_some() {
            continue;
        }
        let uuid = user.attributes.get("uuid").and_then(|v| v.first());
        let Some(uuid) = uuid.and_then(|text| Uuid::parse_str(text).ok()) else {
            tracing::warn!(username = %user.username, "realm user without a valid uuid attribute is not seeded");
            continue;
        };
        let name = [user.first_name.as_deref(), user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        found.push(api::Employee {
            uuid,
            name: if name.trim().is_empty() {
                user.username.clone()
            } else {
                name
            },
            username: user.username,
        });
    }
    Ok(found)
}

/// Seeds the demo organisation and the realm's employees into a database without units and
/// employees, in one transaction; returns whether it seeded. A non-empty database is never touched.
pub async fn seed_if_empty(store: &Store, realm_file: &Path) -> Result<bool, StoreError> {
    let demo: Demo = serde_json::from_str(DEMO_ORGANISATION)
        .map_err(|e| StoreError::Prepare(format!("demo-organisation.json is invalid: {e}")))?;
    let people = realm_employees(realm_file)?;
    let mut tx = store.begin_write().await?;
    let (rows,): (i64,) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM org_units) + (SELECT count(*) FROM employees)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if rows > 0 {
        return Ok(false);
    }
    for person in &people {
        employees::insert(&mut tx, person).await?;
    }
    let by_username: HashMap<&str, Uuid> = people
        .iter()
        .map(|p| (p.username.as_str(), p.uuid))
        .collect();
    let mut pending: Vec<(&DemoUnit, Option<Uuid>)> =
        demo.units.iter().rev().map(|unit| (unit, None)).collect();
    let mut count = 0;
    while let Some((unit, parent)) = pending.pop() {
        let uuid = Uuid::new_v4();
        units::insert(&mut tx, uuid, &unit.name, parent).await?;
        count += 1;
        for username in &unit.owners {
            match by_username.get(username.as_str()) {
                Some(person) => {
                    units::set_owner(&mut tx, uuid, *person, true).await?;
                }
                None => {
                    tracing::warn!(%username, unit = %unit.name, "demo owner is not an employee; skipped")
                }
            }
        }
        pending.extend(unit.children.iter().rev().map(|child| (child, Some(uuid))));
    }
    tx.commit().await?;
    tracing::info!(
        units = count,
        employees = people.len(),
        "seeded the demo organisation into an empty database"
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MIGRATOR;
    use crate::store::tests::in_memory;

    fn realm_file() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../realm/mo-realm.json")
    }

    async fn migrated() -> Store {
        let store = in_memory();
        MIGRATOR.run(store.pool()).await.unwrap();
        store
    }

    async fn snapshot(pool: &Store) -> units::Snapshot {
        units::load(&mut pool.pool().acquire().await.unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn seeds_the_demo_and_the_realm_users_once() {
        let pool = migrated().await;
        assert!(seed_if_empty(&pool, &realm_file()).await.unwrap());
        let snap = snapshot(&pool).await;
        assert!(
            (15..=30).contains(&snap.units.len()),
            "{}",
            snap.units.len()
        );
        let depth = snap
            .units
            .iter()
            .map(|u| snap.tree.path(u.uuid).len() + 1)
            .max();
        assert!(matches!(depth, Some(3..=4)), "{depth:?}");
        let roots: Vec<_> = snap.units.iter().filter(|u| u.parent.is_none()).collect();
        assert_eq!(roots.len(), 1);

        let people = employees::list(&mut pool.pool().acquire().await.unwrap())
            .await
            .unwrap();
        let usernames: Vec<&str> = people.iter().map(|p| p.username.as_str()).collect();
        assert_eq!(
            usernames,
            vec!["alvida", "bruce", "eline"],
            "sorted by name, no service account"
        );
        let eline = people.iter().find(|p| p.username == "eline").unwrap();
        assert_eq!(eline.name, "Eline Wedsgaard Christensen");
        assert_eq!(
            eline.uuid.to_string(),
            "1c571f8f-0e3e-4ffa-9ff0-d35505781924"
        );
        let owned: Vec<Uuid> = snap.tree.units_with_owner(eline.uuid).collect();
        assert_eq!(owned.len(), 1, "eline owns one unit");
        let path = snap.tree.path(owned[0]);
        assert!(!path.is_empty(), "not the root");
        assert!(
            !snap.tree.children(owned[0]).is_empty(),
            "a unit with sub-units"
        );

        // A second start changes nothing.
        assert!(!seed_if_empty(&pool, &realm_file()).await.unwrap());
        assert_eq!(snapshot(&pool).await.units, snap.units);
    }

    #[tokio::test]
    async fn without_a_realm_file_units_are_seeded_without_owners() {
        for file in ["", "/nonexistent/realm.json"] {
            let pool = migrated().await;
            assert!(seed_if_empty(&pool, Path::new(file)).await.unwrap());
            let snap = snapshot(&pool).await;
            assert!(snap.units.len() >= 15);
            assert!(
                snap.units
                    .iter()
                    .all(|u| snap.tree.owners(u.uuid).is_empty())
            );
            let people = employees::list(&mut pool.pool().acquire().await.unwrap())
                .await
                .unwrap();
            assert!(people.is_empty());
        }
    }

    #[tokio::test]
    async fn a_database_with_only_employees_is_not_seeded() {
        let pool = migrated().await;
        let person = api::Employee {
            uuid: Uuid::new_v4(),
            name: "Someone".into(),
            username: "someone".into(),
        };
        employees::insert(&mut pool.pool().acquire().await.unwrap(), &person)
            .await
            .unwrap();
        assert!(!seed_if_empty(&pool, &realm_file()).await.unwrap());
        assert!(snapshot(&pool).await.units.is_empty());
    }

    #[tokio::test]
    async fn a_broken_realm_file_is_an_error() {
        let path = std::env::temp_dir().join(format!("server-seed-{}.json", std::process::id()));
        std::fs::write(&path, "{not json").unwrap();
        let pool = migrated().await;
        let error = seed_if_empty(&pool, &path).await.unwrap_err();
        assert!(error.to_string().contains("not a realm export"), "{error}");
        assert!(snapshot(&pool).await.units.is_empty(), "nothing seeded");
        std::fs::remove_file(path).unwrap();
    }
}
