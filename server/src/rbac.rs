//! OS2mo's owner-based RBAC: who may write which unit, decided in one place ([`Access::decide`]).
//! The verdicts the API reports are built on it in `verdicts`.

use std::collections::HashSet;

use uuid::Uuid;

use crate::auth::Principal;
use model::UnitTree;

/// The realm role that may write everything.
pub const ADMIN_ROLE: &str = "admin";
/// The realm role that may write the units the caller owns.
pub const OWNER_ROLE: &str = "owner";

/// What RBAC looks at in a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `keycloak_rbac_enabled`.
    pub rbac_enabled: bool,
    pub admin: bool,
    pub owner: bool,
    /// The `uuid` claim: the employee the login belongs to.
    pub uuid: Option<Uuid>,
}

impl Caller {
    pub fn new(principal: &Principal, rbac_enabled: bool) -> Self {
        Self {
            rbac_enabled,
            admin: principal.has_realm_role(ADMIN_ROLE),
            owner: principal.has_realm_role(OWNER_ROLE),
            uuid: principal.uuid,
        }
    }

    /// The role rules (2–5) alone, which need no tree: whether this caller may write anything at
    /// all. Writes check it before they open their transaction, so a caller without a write role
    /// never holds the database's write lock.
    pub fn may_write(&self) -> Result<(), Denied> {
        Access::gate_of(self).map(drop)
    }

    /// The person whose owned units decide this caller's writes: its `uuid` when it is an owner
    /// without a role that writes everything, else `None` (no unit's owners matter).
    pub fn owning_person(&self) -> Option<Uuid> {
        match Access::gate_of(self) {
            Ok(Gate::OwnedUnits) => self.uuid,
            _ => None,
        }
    }

    /// The role RBAC applies to this caller (the realm roles it looks at, or RBAC being off).
    pub fn role(&self) -> api::AccountRole {
        if !self.rbac_enabled {
            api::AccountRole::EveryoneWrites
        } else if self.admin {
            api::AccountRole::Admin
        } else if self.owner {
            api::AccountRole::Owner
        } else {
            api::AccountRole::ReadOnly
        }
    }
}

/// Where a move puts the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Parent(Uuid),
    TopLevel,
    /// Not chosen yet: may the unit be moved at all? (The `move` permission.)
    Unspecified,
}

/// A write, with the units it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create {
        parent: Option<Uuid>,
    },
    /// Rename (any change that keeps the parent).
    Update {
        unit: Uuid,
    },
    Move {
        unit: Uuid,
        to: Destination,
    },
    Delete {
        unit: Uuid,
    },
    ManageOwners {
        unit: Uuid,
    },
}

/// Why a write was refused; the text (`rule: explanation`) is the 403 body's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("no_write_role: writing needs the realm role admin or owner")]
    NoWriteRole,
    #[error(
        "owner_without_uuid: the token has the owner role but no uuid claim, so it owns no unit"
    )]
    OwnerWithoutUuid,
    #[error("no_affected_units: a write must name the units it changes")]
    NoAffectedUnits,
    #[error(
        "top_level_admin_only: only an admin creates a top-level unit or makes a unit top-level"
    )]
    TopLevelAdminOnly,
    #[error("not_owner: you are an owner of neither unit {unit} nor any of its ancestors")]
    NotOwner { unit: Uuid },
    #[error(
        "not_owner_of_new_parent: you are an owner of neither the new parent {parent} nor any of its ancestors"
    )]
    NotOwnerOfNewParent { parent: Uuid },
}

impl Denied {
    /// The rule, whose name is the first word of the description.
    pub fn rule(&self) -> api::Rule {
        match self {
            Denied::NoWriteRole => api::Rule::NoWriteRole,
            Denied::OwnerWithoutUuid => api::Rule::OwnerWithoutUuid,
            Denied::NoAffectedUnits => api::Rule::NoAffectedUnits,
            Denied::TopLevelAdminOnly => api::Rule::TopLevelAdminOnly,
            Denied::NotOwner { .. } => api::Rule::NotOwner,
            Denied::NotOwnerOfNewParent { .. } => api::Rule::NotOwnerOfNewParent,
        }
    }
}

/// A caller's write access against one state of the tree: decides operations and reports
/// permissions. Building it is O(units of `tree`): the owned set is the subtrees below every unit
/// that lists the caller as an owner, so each unit is visited at most once. `tree` may be the
/// units around the ones asked about (`store::units::around`): ownership needs only their
/// ancestors.
///
/// The rules (OS2mo's auth documentation, RBAC section):
/// 1. every authenticated caller reads everything (reads never come here);
/// 2. with `keycloak_rbac_enabled = false` every authenticated caller may write;
/// 3. the realm role `admin` may write everything;
/// 4. neither `admin` nor `owner` → no writes (`no_write_role`);
/// 5. `owner` writes a unit only if the caller's `uuid` is an owner of the unit or of one of its
///    ancestors; an owner-role token without `uuid` owns nothing (`owner_without_uuid`); a write
///    that names no unit is refused (`no_affected_units`);
/// 6. creating a top-level unit or making a unit top-level is for admins only (`top_level_admin_only`);
/// 7. create needs ownership of the parent; update, delete and owner changes of the unit; a move
///    of the unit AND of the new parent (`not_owner_of_new_parent`).
///
/// Service accounts (e.g. dipex) are judged by their roles like users.
#[derive(Debug, Clone)]
pub struct Access {
    caller: Caller,
    /// The units that list the caller as an owner (empty unless ownership decides).
    listing: Vec<Uuid>,
    owned: HashSet<Uuid>,
}

/// How far the caller's roles get before ownership is looked at.
enum Gate {
    Everything,
    OwnedUnits,
}

impl Access {
    pub fn new(caller: Caller, tree: &UnitTree) -> Self {
        let listing: Vec<Uuid> = match caller.owning_person() {
            Some(person) => tree.units_with_owner(person).collect(),
            None => Vec::new(),
        };
        let owned = tree.subtrees(listing.iter().copied());
        Self {
            caller,
            listing,
            owned,
        }
    }

    /// Does the caller own `unit` (as an owner of it or of an ancestor)?
    pub fn owns(&self, unit: Uuid) -> bool {
        self.owned.contains(&unit)
    }

    /// The units whose subtrees the caller may write: `None` when it may write every unit, else
    /// the units that list it as an owner (none without a write role).
    pub fn writable_roots(&self) -> Option<&[Uuid]> {
        match Self::gate_of(&self.caller) {
            Ok(Gate::Everything) => None,
            _ => Some(&self.listing),
        }
    }

    fn gate_of(caller: &Caller) -> Result<Gate, Denied> {
        if !caller.rbac_enabled || caller.admin {
            Ok(Gate::Everything)
        } else if !caller.owner {
            Err(Denied::NoWriteRole)
        } else if caller.uuid.is_none() {
            Err(Denied::OwnerWithoutUuid)
        } else {
            Ok(Gate::OwnedUnits)
        }
    }

    /// The check for any write that changes `units`: the role rules, then ownership of every one.
    pub fn authorize_units(&self, units: &[Uuid]) -> Result<(), Denied> {
        if let Gate::Everything = Self::gate_of(&self.caller)? {
            return Ok(());
        }
        if units.is_empty() {
            return Err(Denied::NoAffectedUnits);
        }
        match units.iter().find(|unit| !self.owns(**unit)) {
            Some(unit) => Err(Denied::NotOwner { unit: *unit }),
            None => Ok(()),
        }
    }

    /// The decision for one operation. Every write handler calls this inside its transaction.
    pub fn decide(&self, operation: &Operation) -> Result<(), Denied> {
        if let Gate::Everything = Self::gate_of(&self.caller)? {
            return Ok(());
        }
        let (unit, new_parent) = match *operation {
            Operation::Create { parent: None }
            | Operation::Move {
                to: Destination::TopLevel,
                ..
            } => return Err(Denied::TopLevelAdminOnly),
            Operation::Create {
                parent: Some(parent),
            } => (parent, None),
            Operation::Update { unit }
            | Operation::Delete { unit }
            | Operation::ManageOwners { unit }
            | Operation::Move {
                unit,
                to: Destination::Unspecified,
            } => (unit, None),
            Operation::Move {
                unit,
                to: Destination::Parent(parent),
            } => (unit, Some(parent)),
        };
        self.authorize_units(&[unit])?;
        match new_parent {
            Some(parent) if !self.owns(parent) => Err(Denied::NotOwnerOfNewParent { parent }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "rbac_tests.rs"]
pub(crate) mod tests;
