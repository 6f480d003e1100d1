//! RBAC property test: random trees, owner sets, callers and operations; the decisions and the
//! reported permissions must match a reference model that walks parents recursively over indices.

use proptest::prelude::*;
use proptest::sample::Index;

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

    /// May `caller` write `unit` (an unknown unit: never, unless roles alone allow it)?
    fn may_write(&self, caller: ModelCaller, unit: usize) -> bool {
        if !caller.rbac_enabled || caller.admin {
            return true;
        }
        match caller.person {
            Some(person) if caller.owner => unit < self.parent.len() && self.owns(person, unit),
            _ => false,
        }
    }

    fn allowed(&self, caller: ModelCaller, op: ModelOp) -> bool {
        let n = self.parent.len();
        let everything = !caller.rbac_enabled || caller.admin;
        match op.kind {
            // create under `target` (top-level when target >= n + 1)
            0 if op.target > n => everything,
            0 => self.may_write(caller, op.target),
            // move `unit` to `target`
            1 if op.target == n + 1 => everything,
            1 if op.target == n + 2 => self.may_write(caller, op.unit),
            1 => self.may_write(caller, op.unit) && self.may_write(caller, op.target),
            // update, delete, owners
            _ => self.may_write(caller, op.unit),
        }
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
            let decision = access.decide(&model.operation(op));
            prop_assert_eq!(decision.is_ok(), model.allowed(caller, op), "{:?} → {:?}", op, decision);
        }
        for unit in 0..n {
            let write = model.may_write(caller, unit);
            let expected = api::Permissions {
                update: write,
                create_child: write,
                move_unit: write,
                delete: write,
                manage_owners: write,
            };
            prop_assert_eq!(access.permissions(Model::unit_uuid(unit)), expected, "unit {}", unit);
        }
    }
}
