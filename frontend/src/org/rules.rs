//! The server's verdicts in the user's words: each rule, account role, conflict and name error as a
//! sentence. Nothing is decided here: what is allowed comes from the server (`permissions` on each
//! unit, `access` on `/api/v1/me`, the move destinations), and the name rule from `model`.

use api::{AccountAccess, AccountRole, ConflictCode, Permissions, Rule, Verdict};
use model::{MAX_UNIT_NAME_CHARS, NameError};

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
    /// The server's verdict on the action, from the unit's `permissions`.
    pub fn verdict(self, permissions: &Permissions) -> Verdict {
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

/// Why `rule` refuses `action`, in the user's words.
pub fn refusal(rule: Rule, action: Action) -> String {
    match rule {
        Rule::NoWriteRole => "Your account can read but not change units.".into(),
        Rule::OwnerWithoutUuid => {
            "Your account has the owner role but belongs to no employee, so it owns no unit.".into()
        }
        Rule::NoAffectedUnits => "The change names no unit.".into(),
        Rule::TopLevelAdminOnly => "Only an admin can make a unit top-level.".into(),
        Rule::NotOwner => format!(
            "Only owners of this unit or a unit above it can {}.",
            action.verb()
        ),
        Rule::NotOwnerOfNewParent => {
            "You can only move units under units you own (directly or through a unit above).".into()
        }
        Rule::WouldCycle => "A unit cannot be moved under itself or one of its sub-units.".into(),
        Rule::HasChildren => "It has sub-units; move or delete them first.".into(),
        Rule::NoDestination => "There is no other place you may move it to.".into(),
    }
}

/// The one notice for an account that may change nothing at all, `None` when it may write.
pub fn read_only_notice(access: &AccountAccess) -> Option<String> {
    access
        .write
        .refusal()
        .map(|rule| refusal(rule, Action::Rename))
}

/// A conflict the server answered a write with, in the user's words (a stale version is shown
/// with its own offer to reload, see `FormError::Stale`).
pub fn conflict(code: ConflictCode) -> &'static str {
    match code {
        ConflictCode::StaleVersion => "Someone else changed this unit.",
        ConflictCode::WouldCycle => {
            "It cannot go there: the new parent is the unit itself or one of its sub-units (someone may have moved it meanwhile). Choose another parent."
        }
        ConflictCode::HasChildren => {
            "It has sub-units (perhaps added meanwhile); move or delete them first."
        }
    }
}

/// The header's and account page's role badge: its text, its CSS modifier and what it means.
pub fn role_label(role: AccountRole) -> &'static str {
    match role {
        AccountRole::Admin => "Admin",
        AccountRole::Owner => "Owner",
        AccountRole::ReadOnly => "Read-only",
        AccountRole::EveryoneWrites => "Everyone writes",
    }
}

pub fn role_class(role: AccountRole) -> &'static str {
    match role {
        AccountRole::Admin => "role-badge role-badge--admin",
        AccountRole::Owner => "role-badge role-badge--owner",
        AccountRole::ReadOnly => "role-badge role-badge--read-only",
        AccountRole::EveryoneWrites => "role-badge role-badge--everyone-writes",
    }
}

pub fn role_explanation(role: AccountRole) -> &'static str {
    match role {
        AccountRole::Admin => "You may change every organisation unit.",
        AccountRole::Owner => "You may change the organisation units you own.",
        AccountRole::ReadOnly => "You may look at everything and change nothing.",
        AccountRole::EveryoneWrites => {
            "This server does not check roles: every signed-in account may change every unit."
        }
    }
}

/// A unit name as the server will store it ([`model::unit_name`]), or why not, worded for the field.
pub fn validate_unit_name(input: &str) -> Result<String, String> {
    model::unit_name(input).map(str::to_owned).map_err(|error| match error {
        NameError::Empty => "Enter a name.".into(),
        NameError::TooLong { chars } => format!(
            "The name is {chars} characters long; at most {MAX_UNIT_NAME_CHARS} are allowed."
        ),
        NameError::ForbiddenCharacter => {
            "The name cannot contain control characters, invisible characters or text-direction marks."
                .into()
        }
    })
}
