//! JSON shapes of the organisation API: org units, the caller's permissions on them, and employees.

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// Longest unit name accepted (in characters, after trimming).
pub const MAX_UNIT_NAME_CHARS: usize = 200;

/// Characters a unit name may not contain: control characters, and the invisible and
/// text-direction characters that make a name read differently from what it is (bidi embeddings
/// and overrides U+202A–U+202E, isolates U+2066–U+2069, zero-width characters and direction marks
/// U+200B–U+200F, the byte-order mark U+FEFF). Server and browser both apply it.
pub fn is_forbidden_in_unit_name(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{FEFF}'
        )
}

/// What the caller may do with one unit, as the server's RBAC decides it (the same code that
/// enforces it on writes). `move` is true when the caller may move the unit somewhere; the new
/// parent is checked when a move is requested. `delete` ignores children (a unit with children
/// is refused with 409 whoever asks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Rename the unit (PATCH `name`).
    pub update: bool,
    /// Create a unit under this one.
    pub create_child: bool,
    /// Give the unit another parent (PATCH `parent`).
    #[serde(rename = "move")]
    pub move_unit: bool,
    pub delete: bool,
    /// Add or remove owners.
    pub manage_owners: bool,
}

/// One organisation unit. `path` (ancestor uuids, the root first) is present on single-unit
/// answers (`GET /api/v1/org-units/{uuid}`, POST, PATCH) and absent in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub uuid: Uuid,
    pub name: String,
    /// `null` for a top-level unit.
    pub parent: Option<Uuid>,
    /// Employee uuids of the unit's own owners (not those inherited from ancestors), sorted.
    pub owners: Vec<Uuid>,
    /// Starts at 1; every successful write of the unit adds 1. PATCH must send the current one.
    pub version: i64,
    /// The caller's permissions on this unit.
    pub permissions: Permissions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<Uuid>>,
}

/// `POST /api/v1/org-units`. A missing `parent` is the same as `null` (a top-level unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgUnit {
    pub name: String,
    #[serde(default)]
    pub parent: Option<Uuid>,
}

/// `PATCH /api/v1/org-units/{uuid}`: change the name and/or the parent of the unit at `version`.
/// `parent` absent = unchanged; `"parent": null` = make the unit top-level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgUnitPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent: Option<Option<Uuid>>,
    pub version: i64,
}

/// Marks a field that is in the document as `Some`, whatever its value (also `null`), so an
/// absent field (`#[serde(default)]` → `None`) and `null` (`Some(None)`) stay apart.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// `GET /api/v1/employees`: a person who can own units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    pub uuid: Uuid,
    /// Full name ("First Last").
    pub name: String,
    /// The login name in the realm.
    pub username: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn permissions_use_the_word_move() {
        let p = Permissions {
            move_unit: true,
            ..Permissions::default()
        };
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            json!({"update": false, "create_child": false, "move": true, "delete": false,
                   "manage_owners": false})
        );
    }

    #[test]
    fn patch_tells_absent_parent_from_null_parent() {
        let absent: OrgUnitPatch = serde_json::from_value(json!({"version": 3})).unwrap();
        assert_eq!(absent.parent, None);
        let null: OrgUnitPatch =
            serde_json::from_value(json!({"parent": null, "version": 3})).unwrap();
        assert_eq!(null.parent, Some(None));
        let uuid = Uuid::from_u128(7);
        let some: OrgUnitPatch =
            serde_json::from_value(json!({"parent": uuid, "version": 3})).unwrap();
        assert_eq!(some.parent, Some(Some(uuid)));
        // And back: absent stays absent, null stays null.
        assert_eq!(
            serde_json::to_value(&absent).unwrap(),
            json!({"version": 3})
        );
        assert_eq!(
            serde_json::to_value(&null).unwrap(),
            json!({"parent": null, "version": 3})
        );
    }

    #[test]
    fn list_entries_have_no_path() {
        let unit = OrgUnit {
            uuid: Uuid::from_u128(1),
            name: "Kolding Kommune".into(),
            parent: None,
            owners: vec![],
            version: 1,
            permissions: Permissions::default(),
            path: None,
        };
        let value = serde_json::to_value(&unit).unwrap();
        assert!(value.get("path").is_none());
        assert_eq!(value["parent"], serde_json::Value::Null);
        let back: OrgUnit = serde_json::from_value(value).unwrap();
        assert_eq!(back, unit);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_value::<NewOrgUnit>(json!({"name": "x", "nmae": "y"})).is_err());
        assert!(serde_json::from_value::<OrgUnitPatch>(json!({"version": 1, "x": 1})).is_err());
    }
}
