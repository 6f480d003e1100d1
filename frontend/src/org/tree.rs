//! The flat unit list as a tree: children in name order, ancestors, subtrees, the name filter
//! that keeps the ancestors of every match, and which units a person owns (directly or via an ancestor).

use std::collections::{HashMap, HashSet};

use api::OrgUnit;
use uuid::Uuid;

/// Units by uuid with their children, built once per answer of `GET /api/v1/org-units`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgTree {
    units: HashMap<Uuid, OrgUnit>,
    children: HashMap<Uuid, Vec<Uuid>>,
    roots: Vec<Uuid>,
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
    pub fn new(units: Vec<OrgUnit>) -> Self {
        let units: HashMap<Uuid, OrgUnit> = units.into_iter().map(|u| (u.uuid, u)).collect();
        let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        let mut roots = Vec::new();
        for unit in units.values() {
            match unit.parent.filter(|parent| units.contains_key(parent)) {
                Some(parent) => children.entry(parent).or_default().push(unit.uuid),
                None => roots.push(unit.uuid),
            }
        }
        let by_name = |list: &mut Vec<Uuid>| {
            list.sort_by(|a, b| units[a].name.cmp(&units[b].name).then(a.cmp(b)));
        };
        by_name(&mut roots);
        children.values_mut().for_each(by_name);
        Self {
            units,
            children,
            roots,
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
        &self.roots
    }

    /// Direct sub-units, by name.
    pub fn children(&self, uuid: Uuid) -> &[Uuid] {
        self.children.get(&uuid).map_or(&[], Vec::as_slice)
    }

    /// The ancestors of `uuid`, the root first (not the unit itself).
    pub fn ancestors(&self, uuid: Uuid) -> Vec<Uuid> {
        let mut path = Vec::new();
        let mut seen = HashSet::from([uuid]);
        let mut at = self.get(uuid).and_then(|unit| unit.parent);
        while let Some(parent) = at.filter(|parent| seen.insert(*parent)) {
            path.push(parent);
            at = self.get(parent).and_then(|unit| unit.parent);
        }
        path.reverse();
        path
    }

    /// `uuid` and every unit below it.
    pub fn subtree(&self, uuid: Uuid) -> HashSet<Uuid> {
        let mut found = HashSet::new();
        let mut stack = vec![uuid];
        while let Some(at) = stack.pop() {
            if found.insert(at) {
                stack.extend_from_slice(self.children(at));
            }
        }
        found
    }

    /// Every unit in depth-first order (children by name) with its depth, the roots at 0.
    pub fn depth_first(&self) -> Vec<(Uuid, usize)> {
        let mut order = Vec::with_capacity(self.units.len());
        let mut stack: Vec<(Uuid, usize)> = self.roots.iter().rev().map(|u| (*u, 0)).collect();
        let mut seen = HashSet::new();
        while let Some((at, depth)) = stack.pop() {
            if !seen.insert(at) {
                continue;
            }
            order.push((at, depth));
            stack.extend(self.children(at).iter().rev().map(|u| (*u, depth + 1)));
        }
        order
    }

    /// The units to show for a name filter: every unit whose name contains `query` (trimmed,
    /// case-insensitive) and all their ancestors. `None` when the query is blank (show all).
    pub fn filter(&self, query: &str) -> Option<FilterResult> {
        let needle = query.trim().to_lowercase();
        if needle.is_empty() {
            return None;
        }
        let matches: HashSet<Uuid> = self
            .units
            .values()
            .filter(|unit| unit.name.to_lowercase().contains(&needle))
            .map(|unit| unit.uuid)
            .collect();
        let mut visible = matches.clone();
        for unit in &matches {
            visible.extend(self.ancestors(*unit));
        }
        Some(FilterResult { matches, visible })
    }

    /// Whether `person` owns `uuid`, directly or through the nearest ancestor they own.
    pub fn ownership(&self, uuid: Uuid, person: Option<Uuid>) -> Ownership {
        let Some(person) = person else {
            return Ownership::NotOwned;
        };
        let owns = |unit: Uuid| self.get(unit).is_some_and(|u| u.owners.contains(&person));
        if owns(uuid) {
            return Ownership::Direct;
        }
        self.ancestors(uuid)
            .into_iter()
            .rev()
            .find(|ancestor| owns(*ancestor))
            .map_or(Ownership::NotOwned, |ancestor| Ownership::Via {
                uuid: ancestor,
                name: self.units[&ancestor].name.clone(),
            })
    }

    /// Where a unit may be moved: every unit outside its own subtree, depth-first with depth.
    pub fn move_targets(&self, uuid: Uuid) -> Vec<(Uuid, usize)> {
        let excluded = self.subtree(uuid);
        self.depth_first()
            .into_iter()
            .filter(|(candidate, _)| !excluded.contains(candidate))
            .collect()
    }
}

/// What a name filter matched, and what must be shown for the matches to be found in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterResult {
    pub matches: HashSet<Uuid>,
    /// The matches and their ancestors.
    pub visible: HashSet<Uuid>,
}
