//! `load` on SQLite (its JSON path): names exactly as stored, the byte-wise order `around` uses,
//! owners, an empty organisation, and a corrupt row as an error rather than a panic.

use uuid::Uuid;

use super::{Focus, around, insert, load, set_owner};
use crate::store::{MIGRATOR, StoreError, tests::in_memory};

fn u(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

async fn migrated() -> crate::store::Store {
    let store = in_memory();
    MIGRATOR.run(store.pool()).await.unwrap();
    store
}

#[tokio::test]
async fn an_empty_organisation_loads_as_no_units() {
    let store = migrated().await;
    let snapshot = load(&mut store.pool().acquire().await.unwrap())
        .await
        .unwrap();
    assert!(snapshot.units.is_empty());
    assert!(snapshot.tree.roots().is_empty());
}

#[tokio::test]
async fn names_come_back_as_stored_sorted_byte_by_byte_with_their_owners() {
    let store = migrated().await;
    let mut conn = store.pool().acquire().await.unwrap();
    let names = [
        (u(1), "Økonomi \"A\" \\ 'b'", None),
        (u(2), "Børn og unge\nlinje to\t😀", Some(u(1))),
        (u(3), "alle", Some(u(1))),
        (u(4), "Alle", Some(u(2))),
        (u(5), "Alle", None),
    ];
    for (uuid, name, parent) in names {
        insert(&mut conn, uuid, name, parent).await.unwrap();
    }
    sqlx::query("INSERT INTO employees (uuid, name, username) VALUES ($1, 'E', 'e')")
        .bind(u(9).to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    assert!(set_owner(&mut conn, u(2), u(9), true).await.unwrap());

    let snapshot = load(&mut conn).await.unwrap();
    let order: Vec<(Uuid, &str)> = snapshot
        .units
        .iter()
        .map(|unit| (unit.uuid, unit.name.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (u(4), "Alle"),
            (u(5), "Alle"),
            (u(2), "Børn og unge\nlinje to\t😀"),
            (u(3), "alle"),
            (u(1), "Økonomi \"A\" \\ 'b'"),
        ]
    );
    assert_eq!(snapshot.unit(u(4)).unwrap().parent, Some(u(2)));
    assert_eq!(snapshot.unit(u(1)).unwrap().version, 1);
    assert_eq!(snapshot.tree.owners(u(2)), &[u(9)]);
    assert_eq!(snapshot.tree.path(u(4)), vec![u(1), u(2)]);

    // `around` reads rows, not JSON, and must order them the same way.
    let near = around(
        &mut conn,
        Focus {
            unit: Some(u(2)),
            new_parent: None,
            person: Some(u(9)),
        },
    )
    .await
    .unwrap();
    let everywhere: Vec<Uuid> = snapshot.units.iter().map(|unit| unit.uuid).collect();
    let near: Vec<Uuid> = near.units.iter().map(|unit| unit.uuid).collect();
    let kept: Vec<Uuid> = everywhere
        .into_iter()
        .filter(|uuid| near.contains(uuid))
        .collect();
    assert_eq!(near, kept);
}

#[tokio::test]
async fn a_corrupt_row_is_an_error_not_a_panic() {
    let store = migrated().await;
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query(
        "INSERT INTO org_units (uuid, name, parent, version) VALUES ('not-a-uuid', 'X', NULL, 1)",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    assert!(matches!(load(&mut conn).await, Err(StoreError::Corrupt(_))));
}
