//! Form rules and why a control is disabled. The server's `permissions` decide what is enabled;
//! the reason shown beside a disabled control is derived here, in one place, from the caller's
//! role and the unit (the same rules as the server's RBAC, server/src/rbac.rs).

use api::{MAX_UNIT_NAME_CHARS, Me, Permissions};

/// The realm role that may change every unit.
pub const ADMIN_ROLE: &str = "admin";
/// The realm role that may change the units its employee owns.
pub const OWNER_ROLE: &str = "owner";

/// What the user may do in general, from their realm roles (the header's badge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Owner,
    ReadOnly,
}

impl Role {
    pub fn of(roles: &[String]) -> Self {
        if roles.iter().any(|role| role == ADMIN_ROLE) {
            Self::Admin
        } else if roles.iter().any(|role| role == OWNER_ROLE) {
            Self::Owner
        } else {
            Self::ReadOnly
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Owner => "owner",
            Self::ReadOnly => "read-only",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            Self::Admin => "You may change every organisation unit.",
            Self::Owner => "You may change the organisation units you own.",
            Self::ReadOnly => "You may look at everything and change nothing.",
        }
    }
}

/// A change the unit page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Rename,
    CreateChild,
    Move,
    Delete,
    ManageOwners,
}

impl Action {
    /// Whether `permissions` (the server's answer for this caller and unit) allow the action.
    pub fn allowed(self, permissions: &Permissions) -> bool {
        match self {
            Self::Rename => permissions.update,
            Self::CreateChild => permissions.create_child,
            Self::Move => permissions.move_unit,
            Self::Delete => permissions.delete,
            Self::ManageOwners => permissions.manage_owners,
        }
    }

    /// Completes "Only owners of this unit or a unit above it can …".
    fn verb(self) -> &'static str {
        match self {
            Self::Rename => "rename it",
            Self::CreateChild => "add units under it",
            Self::Move => "move it",
            Self::Delete => "delete it",
            Self::ManageOwners => "change its owners",
        }
    }
}

/// Shown beside every write control of a read-only account.
pub const READ_ONLY_REASON: &str = "Your account can read but not change units.";
/// Shown when the account has the owner role but no employee uuid.
pub const NO_EMPLOYEE_REASON: &str =
    "Your account has the owner role but belongs to no employee, so it owns no unit.";
/// Why only admins see "top level" as a destination.
pub const TOP_LEVEL_REASON: &str = "Only an admin can make a unit top-level.";
/// Why a destination the owner does not own is not offered.
pub const NOT_OWNED_TARGET_REASON: &str =
    "You can only move units under units you own (directly or through a unit above).";

/// Why `action` is refused on a unit, or `None` when the permissions allow it. `me` is the
/// caller as `GET /api/v1/me` describes them.
pub fn refusal(action: Action, permissions: &Permissions, me: &Me) -> Option<String> {
    if action.allowed(permissions) {
        return None;
    }
    Some(match Role::of(&me.roles) {
        Role::ReadOnly if me.rbac_enabled => READ_ONLY_REASON.into(),
        Role::Owner if me.uuid.is_none() => NO_EMPLOYEE_REASON.into(),
        Role::Owner => format!(
            "Only owners of this unit or a unit above it can {}.",
            action.verb()
        ),
        _ => "The server does not allow this change.".into(),
    })
}

/// Whether `me` may make a unit top-level (admins only, or everyone when RBAC is off).
pub fn may_make_top_level(me: &Me) -> bool {
    !me.rbac_enabled || Role::of(&me.roles) == Role::Admin
}

/// A unit name as the server will store it: trimmed, not empty, at most
/// [`MAX_UNIT_NAME_CHARS`] characters. The error is worded for the field.
pub fn validate_unit_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Enter a name.".into());
    }
    let length = name.chars().count();
    if length > MAX_UNIT_NAME_CHARS {
        return Err(format!(
            "The name is {length} characters long; at most {MAX_UNIT_NAME_CHARS} are allowed."
        ));
    }
    if name.chars().any(api::is_forbidden_in_unit_name) {
        return Err(
            "The name cannot contain control characters, invisible characters or text-direction marks."
                .into(),
        );
    }
    Ok(name.to_owned())
}
