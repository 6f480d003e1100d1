//! The units around a unit judge it as the whole tree does: random trees in SQLite, every
//! caller kind, every unit's verdicts and answer, and every create, move and delete judged on
//! `View::around` equal to `View::load`.

use proptest::prelude::*;
use uuid::Uuid;

use super::View;
use crate::rbac::{Caller, Destination, Operation};
use crate::store::{MIGRATOR, Store, tests::in_memory};
use crate::verdicts;

const PERSONS: u128 = 3;

fn unit(i: usize) -> Uuid {
    Uuid::from_u128(0x1000 + i as u128)
}

fn person(p: u128) -> Uuid {
    Uuid::from_u128(0x2000 + p)
}

/// `parents[i]` is an index below `i` or top-level; owners as (unit index, person).
async fn store_with(parents: &[Option<usize>], owners: &[(usize, u128)]) -> Store {
    let store = in_memory();
    MIGRATOR.run(store.pool()).await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    for p in 0..=PERSONS {
        sqlx::query("INSERT INTO employees (uuid, name, username) VALUES ($1, $2, $3)")
            .bind(person(p).to_string())
            .bind(format!("P{p}"))
            .bind(format!("p{p}"))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    for (i, parent) in parents.iter().enumerate() {
        // Names that do not sort like the indices, so order matters nowhere.
        let name = format!("U{}", (i * 7) % 11);
        sqlx::query("INSERT INTO org_units (uuid, name, parent, version) VALUES ($1, $2, $3, 1)")
            .bind(unit(i).to_string())
            .bind(name)
            .bind(parent.map(|p| unit(p).to_string()))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    for (i, p) in owners {
        sqlx::query(
            "INSERT INTO org_unit_owners (unit, person) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(unit(*i).to_string())
        .bind(person(*p).to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    store
}

fn callers() -> Vec<Caller> {
    let mut all = vec![
        Caller {
            rbac_enabled: false,
            admin: false,
            owner: false,
            uuid: None,
        },
        Caller {
            rbac_enabled: true,
            admin: true,
            owner: false,
            uuid: Some(person(0)),
        },
        Caller {
            rbac_enabled: true,
            admin: false,
            owner: false,
            uuid: Some(person(0)),
        },
        Caller {
            rbac_enabled: true,
            admin: false,
            owner: true,
            uuid: None,
        },
    ];
    for p in 0..=PERSONS {
        all.push(Caller {
            rbac_enabled: true,
            admin: false,
            owner: true,
            uuid: Some(person(p)),
        });
    }
    all
}

fn tree_strategy() -> impl Strategy<Value = (Vec<Option<usize>>, Vec<(usize, u128)>)> {
    (1usize..10).prop_flat_map(|n| {
        let parents = (0..n)
            .map(|i| {
                if i == 0 {
                    Just(None).boxed()
                } else {
                    prop_oneof![1 => Just(None), 4 => (0..i).prop_map(Some)].boxed()
                }
            })
            .collect::<Vec<_>>();
        let owners = prop::collection::vec((0..n, 0..PERSONS), 0..6);
        (parents, owners)
    })
}

async fn check(parents: Vec<Option<usize>>, owners: Vec<(usize, u128)>) {
    let store = store_with(&parents, &owners).await;
    let mut conn = store.pool().acquire().await.unwrap();
    let n = parents.len();
    for caller in callers() {
        let whole = View::load(&mut conn, &caller).await.unwrap();
        let judged = |view: &View, operation: Operation| {
            verdicts::judge(&view.access, &view.snapshot.tree, &operation).map_err(|r| r.rule())
        };
        let create = View::around(&mut conn, &caller, None, None).await.unwrap();
        let top = Operation::Create { parent: None };
        assert_eq!(
            judged(&create, top),
            judged(&whole, top),
            "{caller:?} creates top-level"
        );
        for i in 0..n {
            let uuid = unit(i);
            let near = View::around(&mut conn, &caller, Some(uuid), None)
                .await
                .unwrap();
            assert_eq!(
                near.answer(uuid).unwrap(),
                whole.answer(uuid).unwrap(),
                "{caller:?} {i}"
            );
            let delete = Operation::Delete { unit: uuid };
            assert_eq!(
                judged(&near, delete),
                judged(&whole, delete),
                "{caller:?} deletes {i}"
            );
            for to in [Destination::TopLevel, Destination::Unspecified] {
                let operation = Operation::Move { unit: uuid, to };
                assert_eq!(
                    judged(&near, operation),
                    judged(&whole, operation),
                    "{caller:?}"
                );
            }
            for j in 0..n {
                let moving = View::around(&mut conn, &caller, Some(uuid), Some(unit(j))).await;
                let moving = moving.unwrap();
                let operation = Operation::Move {
                    unit: uuid,
                    to: Destination::Parent(unit(j)),
                };
                let expected = judged(&whole, operation);
                assert_eq!(
                    judged(&moving, operation),
                    expected,
                    "{caller:?} moves {i} under {j}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn around_a_unit_judges_like_the_whole_tree((parents, owners) in tree_strategy()) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(check(parents, owners));
    }
}
