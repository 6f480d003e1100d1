//! Browser tests of the organisation tree's logic (`OrgTree`): children by name, the rows a tree
//! view shows, the name filter (ancestors of every match kept) and ownership badges (direct and
//! via an ancestor).
#![cfg(target_arch = "wasm32")]

mod support;

use frontend::org::tree::{OrgTree, Ownership};
use support::org::unit;
use uuid::Uuid;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const ELINE: Uuid = Uuid::from_u128(0xE1);

/// Kommune (1) ─ Social (2, owned by eline) ─ Ældre (3) ─ Hjemmepleje Nord (4)
///             └ Teknik (5) ─ Hjemmepleje Vest (6)
fn demo() -> OrgTree {
    OrgTree::new(vec![
        unit(4, "Hjemmepleje Nord", Some(3), &[]),
        unit(1, "Kommune", None, &[]),
        unit(5, "Teknik", Some(1), &[]),
        unit(2, "Social", Some(1), &[ELINE]),
        unit(3, "Ældre", Some(2), &[]),
        unit(6, "Hjemmepleje Vest", Some(5), &[]),
    ])
}

fn ids(list: &[u128]) -> std::collections::HashSet<Uuid> {
    list.iter().map(|id| Uuid::from_u128(*id)).collect()
}

#[wasm_bindgen_test]
fn the_tree_orders_children_by_name_and_walks_ancestors() {
    let tree = demo();
    assert_eq!(tree.roots(), [Uuid::from_u128(1)]);
    assert_eq!(
        tree.children(Uuid::from_u128(1)),
        [Uuid::from_u128(2), Uuid::from_u128(5)]
    );
    assert_eq!(
        tree.ancestors(Uuid::from_u128(4)),
        [1, 2, 3].map(Uuid::from_u128)
    );
    assert_eq!(
        numbered(tree.depth_first()),
        [(1, 0), (2, 1), (3, 2), (4, 3), (5, 1), (6, 2)]
    );
}

/// The rows as (id, depth), for comparing with a literal.
fn numbered(rows: Vec<(Uuid, usize)>) -> Vec<(u128, usize)> {
    rows.into_iter()
        .map(|(u, depth)| (u.as_u128(), depth))
        .collect()
}

#[wasm_bindgen_test]
fn the_rows_shown_are_the_open_units_and_their_children_or_the_filtered_path() {
    let tree = demo();
    assert_eq!(numbered(tree.rows(&ids(&[]), None)), [(1, 0)]);
    assert_eq!(
        numbered(tree.rows(&ids(&[1, 3]), None)),
        [(1, 0), (2, 1), (5, 1)],
        "Ældre is open but Social, above it, is not"
    );
    let nord = tree.filter("nord").expect("a filter");
    assert_eq!(
        numbered(tree.rows(&ids(&[]), Some(&nord))),
        [(1, 0), (2, 1), (3, 2), (4, 3)],
        "the path to the match, Teknik left out"
    );
    let none = tree.filter("no such unit").expect("a filter");
    assert!(tree.rows(&ids(&[1]), Some(&none)).is_empty());
}

#[wasm_bindgen_test]
fn the_filter_keeps_the_ancestors_of_every_match() {
    let tree = demo();
    assert_eq!(tree.filter("   "), None, "a blank filter shows everything");
    let result = tree.filter(" HJEMMEPLEJE ").expect("a filter");
    assert_eq!(result.matches, ids(&[4, 6]));
    assert_eq!(result.visible, ids(&[1, 2, 3, 4, 5, 6]));
    assert_eq!(
        result.opened,
        ids(&[1, 2, 3, 5]),
        "the ancestors, not the matches"
    );
    let result = tree.filter("nord").expect("a filter");
    assert_eq!(
        result.visible,
        ids(&[1, 2, 3, 4]),
        "Teknik is not on the way"
    );
    assert!(
        tree.filter("no such unit")
            .expect("a filter")
            .matches
            .is_empty()
    );
}

#[wasm_bindgen_test]
fn ownership_is_direct_or_through_the_nearest_owned_ancestor() {
    let tree = demo();
    assert_eq!(
        tree.ownership(Uuid::from_u128(2), Some(ELINE)),
        Ownership::Direct
    );
    let via = tree.ownership(Uuid::from_u128(4), Some(ELINE));
    assert_eq!(via.badge().as_deref(), Some("Owned via Social"));
    assert_eq!(
        tree.ownership(Uuid::from_u128(1), Some(ELINE)),
        Ownership::NotOwned
    );
    assert_eq!(
        tree.ownership(Uuid::from_u128(6), Some(ELINE)),
        Ownership::NotOwned
    );
    assert_eq!(
        tree.ownership(Uuid::from_u128(4), None),
        Ownership::NotOwned
    );
    assert_eq!(Ownership::Direct.badge().as_deref(), Some("You own this"));
}
