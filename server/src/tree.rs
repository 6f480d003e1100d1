//! The org-unit tree in memory (each unit's parent, children and own owners), loaded once per request.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

/// Parents, children and owners of every unit. Built from rows, so it never needs the database.
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    parents: HashMap<Uuid, Option<Uuid>>,
    children: HashMap<Uuid, Vec<Uuid>>,
    owners: HashMap<Uuid, Vec<Uuid>>,
}

impl UnitTree {
    /// `units` as (unit, parent); `owners` as (unit, person). Owner rows of unknown units are kept
    /// (they own nothing reachable); children are listed in the order the units come.
    pub fn new(
        units: impl IntoIterator<Item = (Uuid, Option<Uuid>)>,
        owners: impl IntoIterator<Item = (Uuid, Uuid)>,
    ) -> Self {
        let mut tree = Self::default();
        for (unit, parent) in units {
            tree.parents.insert(unit, parent);
            if let Some(parent) = parent {
                tree.children.entry(parent).or_default().push(unit);
            }
        }
        for (unit, person) in owners {
            tree.owners.entry(unit).or_default().push(person);
        }
        for list in tree.owners.values_mut() {
            list.sort();
            list.dedup();
        }
        tree
    }

    pub fn contains(&self, unit: Uuid) -> bool {
        self.parents.contains_key(&unit)
    }

    pub fn len(&self) -> usize {
        self.parents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// The unit's parent (`None` for a top-level or unknown unit).
    pub fn parent(&self, unit: Uuid) -> Option<Uuid> {
        self.parents.get(&unit).copied().flatten()
    }

    /// Direct sub-units.
    pub fn children(&self, unit: Uuid) -> &[Uuid] {
        self.children.get(&unit).map_or(&[], Vec::as_slice)
    }

    /// The unit's own owners (person uuids, sorted), not those of its ancestors.
    pub fn owners(&self, unit: Uuid) -> &[Uuid] {
        self.owners.get(&unit).map_or(&[], Vec::as_slice)
    }

    /// Units that list `person` among their own owners.
    pub fn units_with_owner(&self, person: Uuid) -> impl Iterator<Item = Uuid> + '_ {
        self.owners
            .iter()
            .filter(move |(_, persons)| persons.binary_search(&person).is_ok())
            .map(|(unit, _)| *unit)
    }

    /// The ancestors of `unit`, the root first (empty for a top-level unit). Stops at a unit seen
    /// before, so even a corrupt (cyclic) table cannot make it loop.
    pub fn path(&self, unit: Uuid) -> Vec<Uuid> {
        let mut path = Vec::new();
        let mut seen = HashSet::from([unit]);
        let mut current = self.parent(unit);
        while let Some(ancestor) = current {
            if !seen.insert(ancestor) {
                break;
            }
            path.push(ancestor);
            current = self.parent(ancestor);
        }
        path.reverse();
        path
    }

    /// `roots` and every unit below them, each visited once: O(size of the subtrees).
    pub fn subtrees(&self, roots: impl IntoIterator<Item = Uuid>) -> HashSet<Uuid> {
        let mut found = HashSet::new();
        let mut stack: Vec<Uuid> = roots.into_iter().filter(|u| self.contains(*u)).collect();
        while let Some(unit) = stack.pop() {
            if found.insert(unit) {
                stack.extend_from_slice(self.children(unit));
            }
        }
        found
    }

    /// Is `candidate` the unit `root` itself or one of its descendants?
    pub fn is_in_subtree(&self, candidate: Uuid, root: Uuid) -> bool {
        candidate == root || self.path(candidate).contains(&root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// 1 → 2 → 3, 1 → 4, 5 alone; person 9 owns 2, person 8 owns 4 and 5.
    fn sample() -> UnitTree {
        UnitTree::new(
            [
                (u(1), None),
                (u(2), Some(u(1))),
                (u(3), Some(u(2))),
                (u(4), Some(u(1))),
                (u(5), None),
            ],
            [(u(2), u(9)), (u(4), u(8)), (u(5), u(8)), (u(5), u(8))],
        )
    }

    #[test]
    fn paths_children_and_owners() {
        let tree = sample();
        assert_eq!(tree.len(), 5);
        assert_eq!(tree.path(u(3)), vec![u(1), u(2)]);
        assert!(tree.path(u(1)).is_empty());
        assert_eq!(tree.children(u(1)), &[u(2), u(4)]);
        assert!(tree.children(u(3)).is_empty());
        assert_eq!(tree.owners(u(5)), &[u(8)], "duplicates collapse");
        let mut owned: Vec<Uuid> = tree.units_with_owner(u(8)).collect();
        owned.sort();
        assert_eq!(owned, vec![u(4), u(5)]);
        assert!(!tree.contains(u(7)));
        assert_eq!(tree.parent(u(7)), None);
    }

    #[test]
    fn subtrees_and_membership() {
        let tree = sample();
        assert_eq!(tree.subtrees([u(2)]), HashSet::from([u(2), u(3)]));
        assert_eq!(tree.subtrees([u(2), u(1)]).len(), 4);
        assert!(
            tree.subtrees([u(7)]).is_empty(),
            "unknown roots add nothing"
        );
        assert!(tree.is_in_subtree(u(3), u(1)));
        assert!(tree.is_in_subtree(u(2), u(2)));
        assert!(!tree.is_in_subtree(u(1), u(3)));
        assert!(!tree.is_in_subtree(u(5), u(1)));
    }

    #[test]
    fn a_cycle_in_the_rows_does_not_loop() {
        let tree = UnitTree::new([(u(1), Some(u(2))), (u(2), Some(u(1)))], []);
        assert_eq!(tree.path(u(1)), vec![u(2)]);
        assert_eq!(tree.subtrees([u(1)]).len(), 2);
    }
}
