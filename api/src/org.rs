//! JSON shapes of the organisation API: org units, the server's verdicts on what the caller may do
//! with them (and why not), conflict codes, move destinations and employees.

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// A rule that refuses an action, by the name both sides use: a refused [`Verdict`] names it,
/// and so does a 403 body (`rule`). The server's RBAC (OS2mo's rules) and the tree decide which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The account has neither the realm role `admin` nor `owner`.
    NoWriteRole,
    /// The account has the role `owner` but no `uuid` claim, so it owns no unit.
    OwnerWithoutUuid,
    /// A write that names no unit.
    NoAffectedUnits,
    /// Creating a top-level unit or making a unit top-level is for admins.
    TopLevelAdminOnly,
    /// The caller owns neither the unit nor any unit above it.
    NotOwner,
    /// A move: the caller owns neither the new parent nor any unit above it.
    NotOwnerOfNewParent,
    /// A move: the new parent is the unit itself or one of its sub-units (409 `would_cycle`).
    WouldCycle,
    /// A delete: the unit has sub-units (409 `has_children`).
    HasChildren,
    /// A move: no destination is allowed (every unit the caller may place it under is inside it,
    /// and the top level is not allowed or it is there already).
    NoDestination,
}

impl Rule {
    /// The rule's name, as serialized (`not_owner`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Rule::NoWriteRole => "no_write_role",
            Rule::OwnerWithoutUuid => "owner_without_uuid",
            Rule::NoAffectedUnits => "no_affected_units",
            Rule::TopLevelAdminOnly => "top_level_admin_only",
            Rule::NotOwner => "not_owner",
            Rule::NotOwnerOfNewParent => "not_owner_of_new_parent",
            Rule::WouldCycle => "would_cycle",
            Rule::HasChildren => "has_children",
            Rule::NoDestination => "no_destination",
        }
    }
}

/// The server's answer to "may I?": allowed, or refused by a named rule. JSON:
/// `{"verdict": "allowed"}` or `{"verdict": "refused", "rule": "not_owner"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    Refused { rule: Rule },
}

/// Read through a plain struct: serde's derive for an internally tagged enum buffers every field
/// first (its `Content` machinery), which costs the browser's bundle code for no gain here.
impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Allowed,
            Refused,
        }
        #[derive(Deserialize)]
        struct Wire {
            verdict: Kind,
            rule: Option<Rule>,
        }
        let wire = Wire::deserialize(deserializer)?;
        match (wire.verdict, wire.rule) {
            (Kind::Allowed, None) => Ok(Verdict::Allowed),
            (Kind::Refused, Some(rule)) => Ok(Verdict::Refused { rule }),
            (Kind::Allowed, Some(_)) => {
                Err(serde::de::Error::custom("an allowed verdict names no rule"))
            }
            (Kind::Refused, None) => Err(serde::de::Error::missing_field("rule")),
        }
    }
}

impl Verdict {
    pub fn is_allowed(self) -> bool {
        self == Verdict::Allowed
    }

    /// The rule that refuses, `None` when allowed.
    pub fn refusal(self) -> Option<Rule> {
        match self {
            Verdict::Allowed => None,
            Verdict::Refused { rule } => Some(rule),
        }
    }
}

impl From<Result<(), Rule>> for Verdict {
    fn from(decision: Result<(), Rule>) -> Self {
        match decision {
            Ok(()) => Verdict::Allowed,
            Err(rule) => Verdict::Refused { rule },
        }
    }
}

/// What the caller may do with one unit, each verdict computed by the same decision that then
/// enforces the write (server/src/rbac.rs): `delete` includes the sub-unit rule, and `move` is
/// allowed when at least one destination is (`GET .../move-destinations` lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Rename the unit (PATCH `name`).
    pub update: Verdict,
    /// Create a unit under this one.
    pub create_child: Verdict,
    /// Give the unit another parent (PATCH `parent`).
    #[serde(rename = "move")]
    pub move_unit: Verdict,
    pub delete: Verdict,
    /// Add or remove owners.
    pub manage_owners: Verdict,
}

/// Why a write conflicts with the stored state (409; the body's `error`). Nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictCode {
    /// The `version` sent is not the unit's current one: someone else changed it.
    StaleVersion,
    /// The new parent is the unit itself or one of its sub-units.
    WouldCycle,
    /// The unit still has sub-units, so it cannot be deleted.
    HasChildren,
}

impl ConflictCode {
    pub const ALL: [ConflictCode; 3] = [
        ConflictCode::StaleVersion,
        ConflictCode::WouldCycle,
        ConflictCode::HasChildren,
    ];

    /// The body's `error` field.
    pub fn code(self) -> &'static str {
        match self {
            ConflictCode::StaleVersion => "stale_version",
            ConflictCode::WouldCycle => "would_cycle",
            ConflictCode::HasChildren => "has_children",
        }
    }

    /// The conflict an `error` field names, if it names one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|conflict| conflict.code() == code)
    }
}

/// `GET /api/v1/org-units/{uuid}/move-destinations`: where the caller may move the unit, each
/// destination allowed by the same decision as the PATCH that moves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveDestinations {
    /// Making the unit top-level; `null` when it is top-level already.
    pub top_level: Option<Verdict>,
    /// The units it may be moved under (never itself, its sub-units or its current parent), in
    /// the list's order (by name).
    pub parents: Vec<Uuid>,
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

    const ALLOWED: Verdict = Verdict::Allowed;

    #[test]
    fn permissions_carry_verdicts_and_use_the_word_move() {
        let p = Permissions {
            update: ALLOWED,
            create_child: ALLOWED,
            move_unit: Verdict::Refused {
                rule: Rule::NoDestination,
            },
            delete: Verdict::Refused {
                rule: Rule::HasChildren,
            },
            manage_owners: ALLOWED,
        };
        let allowed = json!({"verdict": "allowed"});
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            json!({"update": allowed, "create_child": allowed,
                   "move": {"verdict": "refused", "rule": "no_destination"},
                   "delete": {"verdict": "refused", "rule": "has_children"},
                   "manage_owners": allowed})
        );
        let back: Permissions = serde_json::from_value(serde_json::to_value(p).unwrap()).unwrap();
        assert_eq!(back, p);
        assert_eq!(p.delete.refusal(), Some(Rule::HasChildren));
        assert!(p.update.is_allowed() && !p.move_unit.is_allowed());
    }

    #[test]
    fn a_verdict_reads_in_either_field_order_and_only_when_it_adds_up() {
        let read = |value: serde_json::Value| serde_json::from_value::<Verdict>(value);
        assert_eq!(read(json!({"verdict": "allowed"})).unwrap(), ALLOWED);
        let refused = Verdict::Refused {
            rule: Rule::NotOwner,
        };
        assert_eq!(
            read(json!({"verdict": "refused", "rule": "not_owner"})).unwrap(),
            refused
        );
        assert_eq!(
            serde_json::from_str::<Verdict>(r#"{"rule": "not_owner", "verdict": "refused"}"#)
                .unwrap(),
            refused
        );
        for bad in [
            json!({"verdict": "refused"}),
            json!({"verdict": "allowed", "rule": "not_owner"}),
            json!({"verdict": "maybe"}),
            json!({"verdict": "refused", "rule": "because"}),
            json!({"rule": "not_owner"}),
            json!("allowed"),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn rule_and_conflict_names_are_the_serialized_ones() {
        use Rule::*;
        for rule in [
            NoWriteRole,
            OwnerWithoutUuid,
            NoAffectedUnits,
            TopLevelAdminOnly,
            NotOwner,
            NotOwnerOfNewParent,
            WouldCycle,
            HasChildren,
            NoDestination,
        ] {
            assert_eq!(serde_json::to_value(rule).unwrap(), json!(rule.name()));
        }
        for conflict in ConflictCode::ALL {
            assert_eq!(ConflictCode::from_code(conflict.code()), Some(conflict));
        }
        assert_eq!(ConflictCode::from_code("conflict"), None);
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
            permissions: Permissions {
                update: ALLOWED,
                create_child: ALLOWED,
                move_unit: ALLOWED,
                delete: ALLOWED,
                manage_owners: ALLOWED,
            },
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
