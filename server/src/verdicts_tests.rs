//! Verdict tables on the RBAC fixture tree: each action's verdict names the rule that refuses it,
//! `delete` knows about sub-units, `move` about destinations, and the destinations themselves.

use api::Rule::*;
use api::{AccountRole, Verdict};

use super::*;
use crate::rbac::tests::{
    A, A1, A1A, B, B1, ELINE, NOBODY, ROOT, TOP, bruce, caller, eline, tree, u,
};

const OK: Verdict = Verdict::Allowed;

fn no(rule: api::Rule) -> Verdict {
    Verdict::Refused { rule }
}

fn admin() -> Caller {
    caller(true, false, Some(NOBODY))
}

/// (update, create_child, move, delete, manage_owners) of `unit` for `who`.
fn verdicts_of(who: Caller, unit: u128) -> [Verdict; 5] {
    let tree = tree();
    let access = Access::new(who, &tree);
    let p = permissions(&access, &tree, u(unit));
    [
        p.update,
        p.create_child,
        p.move_unit,
        p.delete,
        p.manage_owners,
    ]
}

fn destinations(who: Caller, unit: u128) -> (Option<Verdict>, Vec<u128>) {
    let tree = tree();
    let d = move_destinations(&Access::new(who, &tree), &tree, u(unit));
    let parents = d.parents.iter().map(|p| p.as_u128()).collect();
    (d.top_level, parents)
}

#[test]
fn an_owner_gets_the_rule_that_refuses_each_action() {
    // Eline owns A (and so A1 and A1A).
    let refused_outside = [no(NotOwner); 5];
    for unit in [ROOT, B, B1, TOP] {
        assert_eq!(verdicts_of(eline(), unit), refused_outside, "{unit}");
    }
    // A: has a sub-unit, and nowhere to go (everything she owns is inside it).
    assert_eq!(
        verdicts_of(eline(), A),
        [OK, OK, no(NoDestination), no(HasChildren), OK]
    );
    // A1: the only unit she owns outside it is its own parent.
    assert_eq!(
        verdicts_of(eline(), A1),
        [OK, OK, no(NoDestination), no(HasChildren), OK]
    );
    // A1A: a leaf that may go under A.
    assert_eq!(verdicts_of(eline(), A1A), [OK; 5]);
    assert_eq!(
        destinations(eline(), A1A),
        (Some(no(TopLevelAdminOnly)), vec![A])
    );
    assert_eq!(
        destinations(eline(), A),
        (Some(no(TopLevelAdminOnly)), vec![])
    );
    assert_eq!(
        destinations(eline(), B),
        (Some(no(TopLevelAdminOnly)), vec![]),
        "the top level is refused before ownership"
    );
}

#[test]
fn read_only_and_admin_verdicts() {
    for unit in [ROOT, A, A1A, TOP] {
        assert_eq!(verdicts_of(bruce(), unit), [no(NoWriteRole); 5], "{unit}");
    }
    assert_eq!(destinations(bruce(), A1A), (Some(no(NoWriteRole)), vec![]));
    // The admin: only the tree's rules refuse.
    assert_eq!(
        verdicts_of(admin(), ROOT),
        [OK, OK, OK, no(HasChildren), OK]
    );
    assert_eq!(verdicts_of(admin(), TOP), [OK; 5]);
    // ROOT is top-level already; the only unit outside its subtree is TOP.
    assert_eq!(destinations(admin(), ROOT), (None, vec![TOP]));
    // A: top level, or any unit outside its subtree but its current parent ROOT.
    assert_eq!(destinations(admin(), A), (Some(OK), vec![B, B1, TOP]));
    assert_eq!(
        destinations(admin(), TOP),
        (None, vec![ROOT, A, A1, A1A, B, B1])
    );
    // One top-level unit alone: nowhere to move it.
    let single = UnitTree::new([(u(ROOT), None), (u(A), Some(u(ROOT)))], []);
    let access = Access::new(admin(), &single);
    let p = permissions(&access, &single, u(ROOT));
    assert_eq!(p.move_unit, no(NoDestination));
    assert!(
        move_destinations(&access, &single, u(ROOT))
            .parents
            .is_empty()
    );
}

#[test]
fn the_handlers_judgment_is_the_verdicts_one() {
    let tree = tree();
    let admin = Access::new(admin(), &tree);
    let into_own_subtree = Operation::Move {
        unit: u(A),
        to: Destination::Parent(u(A1A)),
    };
    assert_eq!(
        judge(&admin, &tree, &into_own_subtree),
        Err(Refusal::WouldCycle)
    );
    let under_itself = Operation::Move {
        unit: u(A),
        to: Destination::Parent(u(A)),
    };
    assert_eq!(
        judge(&admin, &tree, &under_itself),
        Err(Refusal::WouldCycle)
    );
    assert_eq!(
        judge(&admin, &tree, &Operation::Delete { unit: u(A) }),
        Err(Refusal::HasChildren { children: 1 })
    );
    // RBAC comes first: a non-owner hears not_owner, not about sub-units.
    let eline = Access::new(eline(), &tree);
    assert_eq!(
        judge(&eline, &tree, &Operation::Delete { unit: u(ROOT) }),
        Err(Refusal::Denied(Denied::NotOwner { unit: u(ROOT) }))
    );
    assert_eq!(Refusal::WouldCycle.rule(), WouldCycle);
}

#[test]
fn the_account_verdicts() {
    let account_of = |who: Caller| account(&who);
    let eline = account_of(eline());
    assert_eq!(eline.role, AccountRole::Owner);
    assert_eq!(
        (eline.write, eline.create_top_level),
        (OK, no(TopLevelAdminOnly))
    );
    let bruce = account_of(bruce());
    assert_eq!(bruce.role, AccountRole::ReadOnly);
    assert_eq!(
        (bruce.write, bruce.create_top_level),
        (no(NoWriteRole), no(NoWriteRole))
    );
    let admin = account_of(admin());
    assert_eq!(
        (admin.role, admin.write, admin.create_top_level),
        (AccountRole::Admin, OK, OK)
    );
    let rbac_off = account_of(Caller {
        rbac_enabled: false,
        ..crate::rbac::tests::bruce()
    });
    assert_eq!(rbac_off.role, AccountRole::EveryoneWrites);
    assert_eq!((rbac_off.write, rbac_off.create_top_level), (OK, OK));
    let no_uuid = account_of(caller(false, true, None));
    assert_eq!(
        (no_uuid.role, no_uuid.write),
        (AccountRole::Owner, no(OwnerWithoutUuid))
    );
    // The owner of a unit elsewhere is an owner all the same.
    assert_eq!(
        account_of(caller(false, true, Some(ELINE))).role,
        AccountRole::Owner
    );
}
