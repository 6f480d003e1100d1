//! RBAC table tests: every rule and edge, the empty set of units, and the 403 texts. The tree and
//! callers here are the fixture of the verdict tables too.

use super::*;

pub(crate) fn u(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

// Units: ROOT → A → A1 → A1A, ROOT → B → B1, and TOP (another top-level unit).
pub(crate) const ROOT: u128 = 1;
pub(crate) const A: u128 = 2;
pub(crate) const A1: u128 = 3;
pub(crate) const A1A: u128 = 4;
pub(crate) const B: u128 = 5;
pub(crate) const B1: u128 = 6;
pub(crate) const TOP: u128 = 7;
pub(crate) const UNKNOWN: u128 = 99;
// Persons: ELINE owns A; OLE owns B1; NOBODY owns nothing.
pub(crate) const ELINE: u128 = 100;
pub(crate) const OLE: u128 = 101;
pub(crate) const NOBODY: u128 = 102;

pub(crate) fn tree() -> UnitTree {
    UnitTree::new(
        [
            (u(ROOT), None),
            (u(A), Some(u(ROOT))),
            (u(A1), Some(u(A))),
            (u(A1A), Some(u(A1))),
            (u(B), Some(u(ROOT))),
            (u(B1), Some(u(B))),
            (u(TOP), None),
        ],
        [(u(A), u(ELINE)), (u(B1), u(OLE))],
    )
}

pub(crate) fn caller(admin: bool, owner: bool, uuid: Option<u128>) -> Caller {
    Caller {
        rbac_enabled: true,
        admin,
        owner,
        uuid: uuid.map(u),
    }
}

pub(crate) fn eline() -> Caller {
    caller(false, true, Some(ELINE))
}

pub(crate) fn bruce() -> Caller {
    caller(false, false, Some(NOBODY))
}

fn update(unit: u128) -> Operation {
    Operation::Update { unit: u(unit) }
}

fn move_to(unit: u128, parent: u128) -> Operation {
    Operation::Move {
        unit: u(unit),
        to: Destination::Parent(u(parent)),
    }
}

fn create_under(parent: u128) -> Operation {
    Operation::Create {
        parent: Some(u(parent)),
    }
}

#[test]
fn every_rule_and_edge() {
    use Denied::*;
    let tree = tree();
    let rbac_off = Caller {
        rbac_enabled: false,
        ..bruce()
    };
    let admin = caller(true, false, Some(NOBODY));
    let dipex = caller(true, false, None);
    let owner_no_uuid = caller(false, true, None);
    let owner_of_nothing = caller(false, true, Some(NOBODY));
    let ole = caller(false, true, Some(OLE));
    let top_level_create = Operation::Create { parent: None };
    let make_top_level = Operation::Move {
        unit: u(A1),
        to: Destination::TopLevel,
    };
    let cases: Vec<(&str, Caller, Operation, Result<(), Denied>)> = vec![
        // keycloak_rbac_enabled = false: any authenticated caller writes anything.
        (
            "rbac off: no role creates top-level",
            rbac_off.clone(),
            top_level_create,
            Ok(()),
        ),
        (
            "rbac off: no role deletes the root",
            rbac_off.clone(),
            Operation::Delete { unit: u(ROOT) },
            Ok(()),
        ),
        // admin writes everything, also top-level; a service account is judged by its roles.
        (
            "admin creates top-level",
            admin.clone(),
            top_level_create,
            Ok(()),
        ),
        (
            "admin makes a unit top-level",
            admin.clone(),
            make_top_level,
            Ok(()),
        ),
        (
            "admin moves anywhere",
            admin.clone(),
            move_to(A, B1),
            Ok(()),
        ),
        (
            "admin manages owners of the root",
            admin.clone(),
            Operation::ManageOwners { unit: u(ROOT) },
            Ok(()),
        ),
        (
            "service account admin without uuid",
            dipex.clone(),
            Operation::Delete { unit: u(ROOT) },
            Ok(()),
        ),
        (
            "admin and owner: admin wins",
            caller(true, true, None),
            top_level_create,
            Ok(()),
        ),
        // neither admin nor owner: every write refused.
        ("no role: update", bruce(), update(A), Err(NoWriteRole)),
        (
            "no role: create child",
            bruce(),
            create_under(A),
            Err(NoWriteRole),
        ),
        (
            "no role: top-level create",
            bruce(),
            top_level_create,
            Err(NoWriteRole),
        ),
        (
            "no role without uuid",
            caller(false, false, None),
            update(A),
            Err(NoWriteRole),
        ),
        // owner: ownership of the unit or an ancestor.
        ("owner updates her unit", eline(), update(A), Ok(())),
        ("owner updates a grandchild", eline(), update(A1A), Ok(())),
        (
            "owner updates the parent of her unit",
            eline(),
            update(ROOT),
            Err(NotOwner { unit: u(ROOT) }),
        ),
        (
            "owner updates a sibling",
            eline(),
            update(B),
            Err(NotOwner { unit: u(B) }),
        ),
        (
            "owner updates another tree",
            eline(),
            update(TOP),
            Err(NotOwner { unit: u(TOP) }),
        ),
        (
            "owner updates an unknown unit",
            eline(),
            update(UNKNOWN),
            Err(NotOwner { unit: u(UNKNOWN) }),
        ),
        (
            "owner creates under her unit",
            eline(),
            create_under(A),
            Ok(()),
        ),
        (
            "owner creates under a descendant",
            eline(),
            create_under(A1A),
            Ok(()),
        ),
        (
            "owner creates under the root",
            eline(),
            create_under(ROOT),
            Err(NotOwner { unit: u(ROOT) }),
        ),
        (
            "owner creates top-level",
            eline(),
            top_level_create,
            Err(TopLevelAdminOnly),
        ),
        (
            "owner deletes a descendant",
            eline(),
            Operation::Delete { unit: u(A1) },
            Ok(()),
        ),
        (
            "owner deletes her own unit",
            eline(),
            Operation::Delete { unit: u(A) },
            Ok(()),
        ),
        (
            "owner deletes the root",
            eline(),
            Operation::Delete { unit: u(ROOT) },
            Err(NotOwner { unit: u(ROOT) }),
        ),
        (
            "owner manages owners of her unit",
            eline(),
            Operation::ManageOwners { unit: u(A) },
            Ok(()),
        ),
        (
            "owner manages owners of a sibling",
            eline(),
            Operation::ManageOwners { unit: u(B) },
            Err(NotOwner { unit: u(B) }),
        ),
        // a move needs the unit AND the new parent.
        (
            "owner moves inside her subtree",
            eline(),
            move_to(A1A, A),
            Ok(()),
        ),
        (
            "owner moves out of her subtree",
            eline(),
            move_to(A1, B),
            Err(NotOwnerOfNewParent { parent: u(B) }),
        ),
        (
            "owner moves a foreign unit in",
            eline(),
            move_to(B1, A),
            Err(NotOwner { unit: u(B1) }),
        ),
        (
            "owner moves her unit under the root",
            eline(),
            move_to(A, ROOT),
            Err(NotOwnerOfNewParent { parent: u(ROOT) }),
        ),
        (
            "owner makes a unit top-level",
            eline(),
            make_top_level,
            Err(TopLevelAdminOnly),
        ),
        (
            "owner may move her unit somewhere",
            eline(),
            Operation::Move {
                unit: u(A),
                to: Destination::Unspecified,
            },
            Ok(()),
        ),
        (
            "owner may not move the root",
            eline(),
            Operation::Move {
                unit: u(ROOT),
                to: Destination::Unspecified,
            },
            Err(NotOwner { unit: u(ROOT) }),
        ),
        ("second owner, own leaf", ole.clone(), update(B1), Ok(())),
        (
            "second owner, parent of her leaf",
            ole.clone(),
            update(B),
            Err(NotOwner { unit: u(B) }),
        ),
        // an owner-role token without uuid, and an owner who owns nothing.
        (
            "owner without uuid",
            owner_no_uuid.clone(),
            update(A),
            Err(OwnerWithoutUuid),
        ),
        (
            "owner without uuid, top-level",
            owner_no_uuid.clone(),
            top_level_create,
            Err(OwnerWithoutUuid),
        ),
        (
            "owner of nothing",
            owner_of_nothing.clone(),
            update(A),
            Err(NotOwner { unit: u(A) }),
        ),
    ];
    for (case, caller, operation, expected) in cases {
        let access = Access::new(caller, &tree);
        assert_eq!(access.decide(&operation), expected, "{case}");
    }
}

#[test]
fn an_empty_set_of_affected_units_is_denied_after_the_role_rules() {
    let tree = tree();
    let check = |caller: Caller| Access::new(caller, &tree).authorize_units(&[]);
    assert_eq!(check(eline()), Err(Denied::NoAffectedUnits));
    assert_eq!(check(bruce()), Err(Denied::NoWriteRole));
    assert_eq!(
        check(caller(false, true, None)),
        Err(Denied::OwnerWithoutUuid)
    );
    assert_eq!(check(caller(true, false, None)), Ok(()));
    let access = Access::new(eline(), &tree);
    assert_eq!(access.authorize_units(&[u(A1), u(A1A)]), Ok(()));
    assert_eq!(
        access.authorize_units(&[u(A1), u(B)]),
        Err(Denied::NotOwner { unit: u(B) }),
        "every unit must be owned"
    );
}

#[test]
fn each_description_starts_with_its_rule() {
    for denied in [
        Denied::NoWriteRole,
        Denied::OwnerWithoutUuid,
        Denied::NoAffectedUnits,
        Denied::TopLevelAdminOnly,
        Denied::NotOwner { unit: u(A) },
        Denied::NotOwnerOfNewParent { parent: u(B) },
    ] {
        let text = denied.to_string();
        assert!(
            text.starts_with(&format!("{}: ", denied.rule().name())),
            "{text}"
        );
    }
}
