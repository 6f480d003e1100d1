//! Organisation units for the browser tests: a unit the caller may do everything to.

use api::{OrgUnit, Permissions, Verdict};
use uuid::Uuid;

/// Unit `id` named `name` under `parent`, owned by `owners`, every action allowed.
pub fn unit(id: u128, name: &str, parent: Option<u128>, owners: &[Uuid]) -> OrgUnit {
    OrgUnit {
        uuid: Uuid::from_u128(id),
        name: name.into(),
        parent: parent.map(Uuid::from_u128),
        owners: owners.to_vec(),
        version: 1,
        permissions: Permissions {
            update: Verdict::Allowed,
            create_child: Verdict::Allowed,
            move_unit: Verdict::Allowed,
            delete: Verdict::Allowed,
            manage_owners: Verdict::Allowed,
        },
        path: None,
    }
}
