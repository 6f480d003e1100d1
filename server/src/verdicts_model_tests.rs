//! RBAC property test: random trees, owner sets, callers and operations; the decisions, the
//! judgments with the rule that refuses, every unit's verdicts and its move destinations must match
//! a reference model that walks parents recursively over indices and tries every destination.

use api::Rule;
use model::UnitTree;
use proptest::prelude::*;
use proptest::sample::Index;
use uuid::Uuid;

use super::*;

/// Persons 0..PERSONS may own units; a caller's uuid is drawn from 0..=PERSONS (the last owns nothing).
const PERSONS: u8 = 3;

/// The reference model: units are indices, `parent[i] < i`, ownership by walking up recursively.
#[derive(Debug, Clone)]
struct Model {
    parent: Vec<Option<usize>>,
    owners: Vec<(usize, u8)>,
}

#[derive(Debug, Clone, Copy)]
struct ModelCaller {
    rbac_enabled: bool,
    admin: bool,
    owner: bool,
    person: Option<u8>,
}

/// `unit`/`target` of `n` is a uuid that is not in the tree; a `target` of `n + 1` is top-level and
/// `n + 2` is "not chosen".
#[derive(Debug, Clone, Copy)]
struct ModelOp {
    kind: u8,
    unit: usize,
    target: usize,
}

impl Model {
    fn unit_uuid(unit: usize) -> Uuid {
        Uuid::from_u128(0x1000 + unit as u128)
    }

    fn person_uuid(person: u8) -> Uuid {
        Uuid::from_u128(0x2000 + u128::from(person))
    }

    fn owns(&self, person: u8, unit: usize) -> bool {
        self.owners.contains(&(unit, person))
            || self.parent[unit].is_some_and(|up| self.owns(person, up))
    }

    /// Is `unit` the unit `root` or below it (false for an unknown unit)?
    fn is_within(&self, unit: usize, root: usize) -> bool {
        unit < self.parent.len()
            && (unit == root || self.parent[unit].is_some_and(|up| self.is_within(up, root)))
    }

    /// The rule that refuses `op` (RBAC first, in OS2mo's order, then the tree), `None` if allowed.
    fn refusal(&self, caller: ModelCaller, op: ModelOp) -> Option<Rule> {
        let n = self.parent.len();
        if caller.rbac_enabled && !caller.admin {
            let Some(person) = caller.person.filter(|_| caller.owner) else {
                return Some(if caller.owner {
                    Rule::OwnerWithoutUuid
                } else {
                    Rule::NoWriteRole
                });
            };
            let owns = |unit: usize| unit < n && self.owns(person, unit);
            let rbac = match op.kind {
                0 if op.target > n => Some(Rule::TopLevelAdminOnly),
                0 => (!owns(op.target)).then_some(Rule::NotOwner),
                1 if op.target == n + 1 => Some(Rule::TopLevelAdminOnly),
                1 if !owns(op.unit) => Some(Rule::NotOwner),
                1 if op.target < n + 1 && !owns(op.target) => Some(Rule::NotOwnerOfNewParent),
                1 => None,
                _ => (!owns(op.unit)).then_some(Rule::NotOwner),
            };
            if rbac.is_some() {
                return rbac;
            }
        }
        match op.kind {
            1 if op.target < n && self.is_within(op.target, op.unit) => Some(Rule::WouldCycle),
            3 if op.unit < n && self.parent.contains(&Some(op.unit)) => Some(Rule::HasChildren),
            _ => None,
        }
    }

    /// Every destination of `unit` the model allows: top level (when it has a parent), then units
    /// in index order, never its current parent.
    fn destinations(&self, caller: ModelCaller, unit: usize) -> (Option<Option<Rule>>, Vec<usize>) {
        let n = self.parent.len();
        let to = |target: usize| {
            self.refusal(
                caller,
                ModelOp {
                    kind: 1,
                    unit,
                    target,
                },
            )
        };
        let top_level = self.parent[unit].map(|_| to(n + 1));
        let parents = (0..n)
            .filter(|t| Some(*t) != self.parent[unit] && to(*t).is_none())
            .collect();
        (top_level, parents)
    }

    /// The verdicts of `unit`: each action's refusal, and `move` = the unit may be moved and at
    /// least one destination is allowed.
    fn verdicts(&self, caller: ModelCaller, unit: usize) -> [Option<Rule>; 5] {
        let n = self.parent.len();
        let of = |kind: u8, target: usize| self.refusal(caller, ModelOp { kind, unit, target });
        let (top_level, parents) = self.destinations(caller, unit);
        let somewhere = top_level == Some(None) || !parents.is_empty();
        let moving = of(1, n + 2).or((!somewhere).then_some(Rule::NoDestination));
        [of(2, unit), of(0, unit), moving, of(3, unit), of(4, unit)]
    }

    fn tree(&self) -> UnitTree {
        UnitTree::new(
            self.parent
                .iter()
                .enumerate()
                .map(|(i, p)| (Self::unit_uuid(i), p.map(Self::unit_uuid))),
            self.owners
                .iter()
                .map(|(unit, person)| (Self::unit_uuid(*unit), Self::person_uuid(*person))),
        )
    }

    fn operation(&self, op: ModelOp) -> Operation {
        let n = self.parent.len();
        let unit = Self::unit_uuid(op.unit);
        let to = match op.target {
            t if t == n + 1 => Destination::TopLevel,
            t if t == n + 2 => Destination::Unspecified,
            t => Destination::Parent(Self::unit_uuid(t)),
        };
        match (op.kind, to) {
            (0, Destination::Parent(parent)) => Operation::Create {
                parent: Some(parent),
            },
            (0, _) => Operation::Create { parent: None },
            (1, to) => Operation::Move { unit, to },
            (2, _) => Operation::Update { unit },
            (3, _) => Operation::Delete { unit },
            _ => Operation::ManageOwners { unit },
        }
    }
}

fn model() -> impl Strategy<Value = Model> {
    (1usize..12)
        .prop_flat_map(|n| {
            (
                prop::collection::vec((0u8..4, any::<Index>()), n),
                prop::collection::vec((any::<Index>(), 0..PERSONS), 0..6),
                Just(n),
            )
        })
        .prop_map(|(parents, owners, n)| Model {
            parent: parents
                .iter()
                .enumerate()
                .map(|(i, (top, index))| (i > 0 && *top > 0).then(|| index.index(i)))
                .collect(),
            owners: owners.into_iter().map(|(i, p)| (i.index(n), p)).collect(),
        })
}

fn model_caller() -> impl Strategy<Value = ModelCaller> {
    (
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.7),
        prop::option::weighted(0.9, 0..=PERSONS),
    )
        .prop_map(|(rbac_enabled, admin, owner, person)| ModelCaller {
            rbac_enabled,
            admin,
            owner,
            person,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn decisions_and_permissions_match_the_reference_model(
        model in model(),
        caller in model_caller(),
        ops in prop::collection::vec((0u8..5, any::<Index>(), any::<Index>()), 1..8),
    ) {
        let n = model.parent.len();
        let tree = model.tree();
        let access = Access::new(
            Caller {
                rbac_enabled: caller.rbac_enabled,
                admin: caller.admin,
                owner: caller.owner,
                uuid: caller.person.map(Model::person_uuid),
            },
            &tree,
        );
        for (kind, unit, target) in ops {
            // Units 0..=n (n: unknown); targets 0..=n+2 (n+1: top-level, n+2: not chosen).
            let op = ModelOp { kind, unit: unit.index(n + 1), target: target.index(n + 3) };
            let operation = model.operation(op);
            let expected = model.refusal(caller, op);
            let decision = access.decide(&operation);
            let rbac_expected = expected.filter(|r| !matches!(r, Rule::WouldCycle | Rule::HasChildren));
            prop_assert_eq!(decision.map_err(|d| d.rule()).err(), rbac_expected, "decide {:?}", op);
            // The tree's rules only for units that exist (the handlers answer 404/422 before).
            if op.unit < n && (op.kind != 0 || op.target != n) && (op.kind != 1 || op.target != n) {
                let judged = judge(&access, &tree, &operation).map_err(|r| r.rule()).err();
                prop_assert_eq!(judged, expected, "judge {:?}", op);
            }
        }
        for unit in 0..n {
            let uuid = Model::unit_uuid(unit);
            let p = permissions(&access, &tree, uuid);
            let got = [p.update, p.create_child, p.move_unit, p.delete, p.manage_owners]
                .map(|verdict| verdict.refusal());
            prop_assert_eq!(got, model.verdicts(caller, unit), "verdicts of unit {}", unit);
            let (top_level, parents) = model.destinations(caller, unit);
            let d = move_destinations(&access, &tree, uuid);
            prop_assert_eq!(d.top_level.map(|v| v.refusal()), top_level, "top level of {}", unit);
            let expected: Vec<Uuid> = parents.into_iter().map(Model::unit_uuid).collect();
            prop_assert_eq!(&d.parents, &expected, "destinations of unit {}", unit);
            // `move` (from the units around it) is exactly "some destination is allowed" (tried one by one).
            let somewhere = d.top_level == Some(api::Verdict::Allowed) || !d.parents.is_empty();
            let movable = access.decide(&Operation::Move { unit: uuid, to: Destination::Unspecified });
            prop_assert_eq!(p.move_unit.is_allowed(), movable.is_ok() && somewhere, "move of {}", unit);
            // The browser's ownership badge (the shared tree) agrees with the model's ownership.
            if let Some(person) = caller.person {
                let through = tree.owned_through(uuid, Model::person_uuid(person));
                prop_assert_eq!(through.is_some(), model.owns(person, unit), "owned {}", unit);
            }
        }
    }
}
