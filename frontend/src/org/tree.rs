//! The flat unit list as the pages show it: the shared [`UnitTree`] (paths, ownership through
//! ancestors) in name order beside the units themselves, and the name filter that keeps the
//! ancestors of every match.

use std::collections::{HashMap, HashSet};

use api::OrgUnit;
use model::UnitTree;
use uuid::Uuid;

/// Units by uuid and their tree, built once per answer of `GET /api/v1/org-units`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgTree {
    units: HashMap<Uuid, OrgUnit>,
    tree: UnitTree,
    /// Each unit's name in lower case, made once: what the filter searches.
    search_keys: Vec<(Uuid, String)>,
}

/// How the signed-in person owns a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// Listed as one of the unit's owners.
    Direct,
    /// Owner of this ancestor (the nearest one they own), and so of the unit.
    Via {
        uuid: Uuid,
        name: String,
    },
    NotOwned,
}

impl Ownership {
    /// The badge text, or `None` when the person does not own the unit.
    pub fn badge(&self) -> Option<String> {
        match self {
            Self::Direct => Some("You own this".into()),
            Self::Via { name, .. } => Some(format!("Owned via {name}")),
            Self::NotOwned => None,
        }
    }
}

impl OrgTree {
    /// The tree of `units`, children and roots by name (then uuid).
    pub fn new(mut units: Vec<OrgUnit>) -> Self {
        units.sort_unstable_by(|a, b| a.name.cmp(&b.name).then(a.uuid.cmp(&b.uuid)));
        let tree = UnitTree::new(
            units.iter().map(|unit| (unit.uuid, unit.parent)),
            units
                .iter()
                .flat_map(|unit| unit.owners.iter().map(|person| (unit.uuid, *person))),
        );
        let search_keys = units
            .iter()
            .map(|unit| (unit.uuid, unit.name.to_lowercase()))
            .collect();
        Self {
            units: units.into_iter().map(|unit| (unit.uuid, unit)).collect(),
            tree,
            search_keys,
        }
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn get(&self, uuid: Uuid) -> Option<&OrgUnit> {
        self.units.get(&uuid)
    }

    /// Top-level units, by name.
    pub fn roots(&self) -> &[Uuid] {
        self.tree.roots()
    }

    /// Direct sub-units, by name.
    pub fn children(&self, uuid: Uuid) -> &[Uuid] {
        self.tree.children(uuid)
    }

    /// The ancestors of `uuid`, the root first (not the unit itself).
    pub fn ancestors(&self, uuid: Uuid) -> Vec<Uuid> {
        self.tree.path(uuid)
    }

    /// Every unit in depth-first order (children by name) with its depth, the roots at 0.
    pub fn depth_first(&self) -> Vec<(Uuid, usize)> {
        self.tree.depth_first()
    }

    /// The units to show for a name filter: every unit whose name contains `query` (trimmed,
    /// case-insensitive) and all their ancestors. `None` when the query is blank (show all).
    /// O(units) over the search keys, then each distinct ancestor of the matches once.
    pub fn filter(&self, query: &str) -> Option<FilterResult> {
        let needle = query.trim().to_lowercase();
        if needle.is_empty() {
            return None;
        }
        let matches: HashSet<Uuid> = self
            .search_keys
            .iter()
            .filter(|(_, key)| key.contains(&needle))
            .map(|(uuid, _)| *uuid)
            .collect();
        let opened = self.tree.ancestors_of(matches.iter().copied());
        let visible = matches.union(&opened).copied().collect();
        Some(FilterResult {
            matches,
            opened,
            visible,
        })
    }

    /// The rows a tree view shows, in order, with their depth: depth first from the roots, below
    /// the `expanded` units — or, while a filter is on, the matches and their ancestors, below
    /// those ancestors only. O(the rows listed + while filtering, their siblings).
    pub fn rows(
        &self,
        expanded: &HashSet<Uuid>,
        filter: Option<&FilterResult>,
    ) -> Vec<(Uuid, usize)> {
        match filter {
            None => self.tree.depth_first_into(|unit| expanded.contains(&unit)),
            Some(result) => self
                .tree
                .depth_first_into(|unit| result.opened.contains(&unit))
                .into_iter()
                .filter(|(unit, _)| result.visible.contains(unit))
                .collect(),
        }
    }

    /// Whether `person` owns `uuid`, directly or through the nearest ancestor they own.
    pub fn ownership(&self, uuid: Uuid, person: Option<Uuid>) -> Ownership {
        match person.and_then(|person| self.tree.owned_through(uuid, person)) {
            None => Ownership::NotOwned,
            Some(unit) if unit == uuid => Ownership::Direct,
            Some(unit) => Ownership::Via {
                uuid: unit,
                name: self.units[&unit].name.clone(),
            },
        }
    }
}

/// What a name filter matched, and what must be shown for the matches to be found in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterResult {
    pub matches: HashSet<Uuid>,
    /// The ancestors of the matches: the units shown open so the matches can be seen.
    pub opened: HashSet<Uuid>,
    /// The matches and their ancestors.
    pub visible: HashSet<Uuid>,
}
