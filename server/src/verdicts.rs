//! The one judgment of every org-unit write: RBAC's decision, then the tree's own rules (no
//! cycles, no deleting a unit with sub-units). The handlers enforce it, and the verdicts the API
//! reports (`permissions`, move destinations, the account's access) are computed by it.

use model::UnitTree;
use uuid::Uuid;

use crate::rbac::{Access, Caller, Denied, Destination, Operation};

/// Why a write conflicts with the stored state (409); nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("version {sent} is stale: someone else changed the unit; reload it and try again")]
    StaleVersion { sent: i64 },
    #[error("a unit cannot be moved under itself or one of its sub-units")]
    WouldCycle,
    #[error("the unit has {children} sub-unit(s); move or delete them first")]
    HasChildren { children: usize },
}

impl Conflict {
    pub fn code(&self) -> api::ConflictCode {
        match self {
            Conflict::StaleVersion { .. } => api::ConflictCode::StaleVersion,
            Conflict::WouldCycle => api::ConflictCode::WouldCycle,
            Conflict::HasChildren { .. } => api::ConflictCode::HasChildren,
        }
    }
}

/// Why [`judge`] refuses a write: RBAC (403) or the tree (409 with the [`Conflict`] of that name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Denied(Denied),
    WouldCycle,
    HasChildren { children: usize },
}

impl Refusal {
    /// The rule a refused verdict names.
    pub fn rule(&self) -> api::Rule {
        match self {
            Refusal::Denied(denied) => denied.rule(),
            Refusal::WouldCycle => api::Rule::WouldCycle,
            Refusal::HasChildren { .. } => api::Rule::HasChildren,
        }
    }
}

fn verdict(judgment: Result<(), Refusal>) -> api::Verdict {
    judgment.map_err(|refusal| refusal.rule()).into()
}

/// May the caller do `operation` on `tree`? RBAC first (OS2mo's rules), then the tree's rules.
/// The units named must exist (the handlers answer 404/422 before asking).
pub fn judge(access: &Access, tree: &UnitTree, operation: &Operation) -> Result<(), Refusal> {
    access.decide(operation).map_err(Refusal::Denied)?;
    match *operation {
        Operation::Delete { unit } => match tree.children(unit).len() {
            0 => Ok(()),
            children => Err(Refusal::HasChildren { children }),
        },
        Operation::Move {
            unit,
            to: Destination::Parent(parent),
        } if tree.is_in_subtree(parent, unit) => Err(Refusal::WouldCycle),
        _ => Ok(()),
    }
}

/// The caller's verdicts on `unit`. `tree` is the whole tree or the units around `unit` (see
/// [`may_move`]).
pub fn permissions(access: &Access, tree: &UnitTree, unit: Uuid) -> api::Permissions {
    let of = |operation: Operation| verdict(judge(access, tree, &operation));
    api::Permissions {
        update: of(Operation::Update { unit }),
        create_child: of(Operation::Create { parent: Some(unit) }),
        move_unit: may_move(access, tree, unit).into(),
        delete: of(Operation::Delete { unit }),
        manage_owners: of(Operation::ManageOwners { unit }),
    }
}

/// Whether at least one destination of [`move_destinations`] is allowed, without trying them:
/// the caller may move the unit at all, and may make it top-level, or may write a unit outside
/// the unit's subtree other than its current parent. That is another top-level unit when it
/// writes everything (the unit is top-level, or it could make it so), else a unit listing it as
/// an owner that lies outside the unit's subtree and is not the parent — or is the parent and
/// has another sub-unit. So `tree` need hold only the unit's ancestors and children, one
/// sibling, one other top-level unit and the caller's listing units with their ancestors: O(their
/// number × depth), what `store::units::around` loads.
fn may_move(access: &Access, tree: &UnitTree, unit: Uuid) -> Result<(), api::Rule> {
    let anywhere = Operation::Move {
        unit,
        to: Destination::Unspecified,
    };
    judge(access, tree, &anywhere).map_err(|refusal| refusal.rule())?;
    let parent = tree.parent(unit).filter(|parent| tree.contains(*parent));
    let to_top = Operation::Move {
        unit,
        to: Destination::TopLevel,
    };
    if parent.is_some() && judge(access, tree, &to_top).is_ok() {
        return Ok(());
    }
    let somewhere = match access.writable_roots() {
        None => tree
            .roots()
            .iter()
            .any(|root| !tree.is_in_subtree(*root, unit)),
        Some(listing) => listing.iter().any(|&root| {
            !tree.is_in_subtree(root, unit)
                && (Some(root) != parent || tree.children(root).len() > 1)
        }),
    };
    if somewhere {
        Ok(())
    } else {
        Err(api::Rule::NoDestination)
    }
}

/// Every destination the caller may move `unit` to, each judged like the PATCH that moves it.
/// Parents come in the tree's order; the current parent is no destination (that is no move).
pub fn move_destinations(access: &Access, tree: &UnitTree, unit: Uuid) -> api::MoveDestinations {
    let current = tree.parent(unit);
    let move_to = |to: Destination| judge(access, tree, &Operation::Move { unit, to });
    api::MoveDestinations {
        top_level: current.map(|_| verdict(move_to(Destination::TopLevel))),
        parents: tree
            .units()
            .filter(|candidate| Some(*candidate) != current)
            .filter(|candidate| move_to(Destination::Parent(*candidate)).is_ok())
            .collect(),
    }
}

/// What the caller may do in general (`GET /api/v1/me`): its role, whether it may write at all
/// and whether it may create top-level units.
pub fn account(caller: &Caller) -> api::AccountAccess {
    let access = Access::new(caller.clone(), &UnitTree::default());
    let top_level = access.decide(&Operation::Create { parent: None });
    api::AccountAccess {
        role: caller.role(),
        write: caller.may_write().map_err(|denied| denied.rule()).into(),
        create_top_level: top_level.map_err(|denied| denied.rule()).into(),
    }
}

#[cfg(test)]
#[path = "verdicts_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "verdicts_model_tests.rs"]
mod model_tests;
