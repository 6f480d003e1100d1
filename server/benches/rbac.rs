//! RBAC cost: the owner check at depths 1, 10 and 30 in trees of 1 000 and 100 000 units, and `permissions` for a 10 000-unit listing.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use model::UnitTree;
use server::rbac::{Access, Caller, Operation};
use server::verdicts;
use uuid::Uuid;

/// Deepest unit of the owned chain.
const SPINE_DEPTH: usize = 30;
/// Children per unit in the rest of the tree.
const FAN_OUT: usize = 10;
/// Every this many units of the rest of the tree has an owner (someone else).
const OWNED_EVERY: usize = 10;
const CALLER: u128 = u128::MAX;
const SOMEONE_ELSE: u128 = u128::MAX - 1;

/// A tree of `units` units: a chain `spine[0]` (top level, owned by the caller) → `spine[1]` → …
/// → `spine[30]`, and beside it a top-level unit with the other units below it, `FAN_OUT` children
/// each, every `OWNED_EVERY`th owned by someone else. Returns the tree, the chain and the units.
fn tree(units: usize) -> (UnitTree, Vec<Uuid>, Vec<Uuid>) {
    let id = |n: usize| Uuid::from_u128(n as u128 + 1);
    let spine: Vec<Uuid> = (0..=SPINE_DEPTH).map(id).collect();
    let mut rows: Vec<(Uuid, Option<Uuid>)> = spine
        .iter()
        .enumerate()
        .map(|(i, u)| (*u, i.checked_sub(1).map(|p| spine[p])))
        .collect();
    let mut owners = vec![(spine[0], Uuid::from_u128(CALLER))];
    let rest: Vec<Uuid> = (spine.len()..units).map(id).collect();
    for (i, unit) in rest.iter().enumerate() {
        let parent = (i > 0).then(|| rest[(i - 1) / FAN_OUT]);
        rows.push((*unit, parent));
        if i % OWNED_EVERY == 0 {
            owners.push((*unit, Uuid::from_u128(SOMEONE_ELSE)));
        }
    }
    let all = rows.iter().map(|(u, _)| *u).collect();
    (UnitTree::new(rows, owners), spine, all)
}

fn owner() -> Caller {
    Caller {
        rbac_enabled: true,
        admin: false,
        owner: true,
        uuid: Some(Uuid::from_u128(CALLER)),
    }
}

fn configure<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    group
}

/// What a write pays: build the caller's access from the tree, then decide on a unit at `depth`
/// below the unit the caller owns; and the decision alone on an access built before.
fn owner_check(c: &mut Criterion) {
    for units in [1_000, 100_000] {
        let (tree, spine, _) = tree(units);
        let access = Access::new(owner(), &tree);
        let mut group = configure(c, &format!("owner_check/{units}_units"));
        for depth in [1, 10, 30] {
            let op = Operation::Update { unit: spine[depth] };
            assert!(access.decide(&op).is_ok());
            group.bench_with_input(
                BenchmarkId::new("access_and_decide", depth),
                &op,
                |b, op| b.iter(|| Access::new(owner(), black_box(&tree)).decide(black_box(op))),
            );
            group.bench_with_input(BenchmarkId::new("decide_only", depth), &op, |b, op| {
                b.iter(|| access.decide(black_box(op)))
            });
        }
        group.finish();
    }
}

/// `GET /org-units` for 10 000 units: the caller's access once, then the verdicts of every unit.
fn permissions_listing(c: &mut Criterion) {
    let (tree, _, all) = tree(10_000);
    let mut group = configure(c, "permissions_listing");
    group.bench_function("10000_units_owner", |b| {
        b.iter(|| {
            let access = Access::new(owner(), black_box(&tree));
            all.iter()
                .map(|u| verdicts::permissions(&access, &tree, *u))
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

criterion_group!(benches, owner_check, permissions_listing);
criterion_main!(benches);
