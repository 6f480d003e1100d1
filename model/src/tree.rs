//! The org-unit tree in memory: each unit's parent, children (in the order given) and own owners,
//! the walks over it (paths, subtrees, depth-first order) and ownership through ancestors.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

/// Parents, children and owners of every unit. Built from rows (the server's) or from the API's
/// list (the browser's), so it never needs the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitTree {
    /// Every unit, in the order given.
    order: Vec<Uuid>,
    /// [`UnitTree::roots`], found once when the tree is built.
    roots: Vec<Uuid>,
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
            if tree.parents.insert(unit, parent).is_none() {
                tree.order.push(unit);
            }
            if let Some(parent) = parent {
                tree.children.entry(parent).or_default().push(unit);
            }
        }
        for (unit, person) in owners {
            tree.owners.entry(unit).or_default().push(person);
        }
        for list in tree.owners.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        tree.roots = tree
            .order
            .iter()
            .copied()
            .filter(|unit| {
                tree.parent(*unit)
                    .is_none_or(|parent| !tree.contains(parent))
            })
            .collect();
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

    /// Every unit, in the order given.
    pub fn units(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.order.iter().copied()
    }

    /// Units without a parent, or whose parent is not in the tree, in the order given.
    pub fn roots(&self) -> &[Uuid] {
        &self.roots
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

    /// Every unit in the tree that is an ancestor of one of `units`, each visited once: O(the
    /// units + their distinct ancestors). A corrupt (cyclic) table cannot make it loop.
    pub fn ancestors_of(&self, units: impl IntoIterator<Item = Uuid>) -> HashSet<Uuid> {
        let mut found = HashSet::new();
        for unit in units {
            let mut at = unit;
            while let Some(ancestor) = self.parent(at).filter(|p| self.contains(*p)) {
                if !found.insert(ancestor) {
                    break;
                }
                at = ancestor;
            }
        }
        found
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

    /// The unit that makes `person` an owner of `unit`: `unit` itself when it lists them, else the
    /// nearest ancestor that does; `None` when they own it through no unit.
    pub fn owned_through(&self, unit: Uuid, person: Uuid) -> Option<Uuid> {
        let lists = |at: Uuid| self.owners(at).binary_search(&person).is_ok();
        if !self.contains(unit) {
            return None;
        }
        if lists(unit) {
            return Some(unit);
        }
        self.path(unit).into_iter().rev().find(|at| lists(*at))
    }

    /// Every unit reachable from the roots in depth-first order (children in the order given)
    /// with its depth, the roots at 0. Each unit once, so a corrupt (cyclic) table cannot loop.
    pub fn depth_first(&self) -> Vec<(Uuid, usize)> {
        self.depth_first_into(|_| true)
    }

    /// As [`UnitTree::depth_first`], but below a unit only when `open` says so: the rows of a
    /// tree view whose open units are `open`. O(the units listed).
    pub fn depth_first_into(&self, open: impl Fn(Uuid) -> bool) -> Vec<(Uuid, usize)> {
        let mut order = Vec::new();
        let mut stack: Vec<(Uuid, usize)> = self.roots().iter().rev().map(|u| (*u, 0)).collect();
        let mut seen = HashSet::new();
        while let Some((at, depth)) = stack.pop() {
            if !seen.insert(at) {
                continue;
            }
            order.push((at, depth));
            if open(at) {
                stack.extend(self.children(at).iter().rev().map(|u| (*u, depth + 1)));
            }
        }
        order
    }

    /// The number of units in each unit's subtree (the unit included), for all units in O(units).
    pub fn subtree_sizes(&self) -> HashMap<Uuid, usize> {
        let mut sizes: HashMap<Uuid, usize> = HashMap::with_capacity(self.len());
        for (unit, _) in self.depth_first().into_iter().rev() {
            let below: usize = self
                .children(unit)
                .iter()
                .filter_map(|c| sizes.get(c))
                .sum();
            sizes.insert(unit, below + 1);
        }
        // Units no root reaches (only in a corrupt, cyclic table): counted one by one.
        for unit in &self.order {
            if !sizes.contains_key(unit) {
                sizes.insert(*unit, self.subtrees([*unit]).len());
            }
        }
        sizes
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
    fn depth_first_into_open_units_only() {
        let tree = sample();
        let open = HashSet::from([u(1), u(3)]);
        assert_eq!(
            tree.depth_first_into(|unit| open.contains(&unit)),
            vec![(u(1), 0), (u(2), 1), (u(4), 1), (u(5), 0)],
            "2 is closed, so 3 is not listed though it is open"
        );
        assert_eq!(tree.depth_first_into(|_| false), vec![(u(1), 0), (u(5), 0)]);
    }

    #[test]
    fn ancestors_of_several_units_each_once() {
        let tree = sample();
        assert_eq!(tree.ancestors_of([u(3), u(4)]), HashSet::from([u(1), u(2)]));
        assert!(
            tree.ancestors_of([u(1), u(5)]).is_empty(),
            "roots have none"
        );
        let partial = UnitTree::new([(u(3), Some(u(2))), (u(2), Some(u(1)))], []);
        assert_eq!(
            partial.ancestors_of([u(3)]),
            HashSet::from([u(2)]),
            "a parent outside the tree is not one of its units"
        );
    }

    #[test]
    fn roots_depth_first_order_and_subtree_sizes() {
        let tree = sample();
        assert_eq!(tree.roots(), &[u(1), u(5)]);
        assert_eq!(
            tree.depth_first(),
            vec![(u(1), 0), (u(2), 1), (u(3), 2), (u(4), 1), (u(5), 0)]
        );
        let sizes = tree.subtree_sizes();
        assert_eq!(sizes.len(), 5);
        assert_eq!((sizes[&u(1)], sizes[&u(2)], sizes[&u(3)]), (4, 2, 1));
        assert_eq!((sizes[&u(4)], sizes[&u(5)]), (1, 1));
        // A parent that is not in the tree makes a root.
        let orphan = UnitTree::new([(u(1), Some(u(7))), (u(2), Some(u(1)))], []);
        assert_eq!(orphan.roots(), &[u(1)]);
        assert_eq!(orphan.depth_first(), vec![(u(1), 0), (u(2), 1)]);
    }

    #[test]
    fn ownership_comes_from_the_unit_or_its_nearest_listing_ancestor() {
        let tree = sample();
        assert_eq!(tree.owned_through(u(2), u(9)), Some(u(2)));
        assert_eq!(tree.owned_through(u(3), u(9)), Some(u(2)));
        assert_eq!(tree.owned_through(u(1), u(9)), None, "not upwards");
        assert_eq!(tree.owned_through(u(4), u(9)), None, "not sideways");
        assert_eq!(tree.owned_through(u(5), u(8)), Some(u(5)));
        assert_eq!(tree.owned_through(u(7), u(8)), None, "unknown unit");
        // The nearest of two listing ancestors.
        let nested = UnitTree::new(
            [(u(1), None), (u(2), Some(u(1))), (u(3), Some(u(2)))],
            [(u(1), u(9)), (u(2), u(9))],
        );
        assert_eq!(nested.owned_through(u(3), u(9)), Some(u(2)));
    }

    #[test]
    fn a_cycle_in_the_rows_does_not_loop() {
        let tree = UnitTree::new([(u(1), Some(u(2))), (u(2), Some(u(1)))], []);
        assert_eq!(tree.path(u(1)), vec![u(2)]);
        assert_eq!(tree.subtrees([u(1)]).len(), 2);
        assert_eq!(tree.roots().len(), 0);
        assert!(tree.depth_first().is_empty());
        assert_eq!(tree.subtree_sizes()[&u(1)], 2);
        assert_eq!(tree.owned_through(u(1), u(9)), None);
        assert_eq!(tree.ancestors_of([u(1)]).len(), 2);
    }
}
