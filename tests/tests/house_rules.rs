//! The house rules, checked on the sources (no Keycloak, no browser; `cargo test -p e2e --test
//! house_rules`): imports flow one way (no cycle between files or top-level modules of a crate),
//! no Rust file over 400 lines, every file opens with the `//!` line that says what it owns, and
//! the browser keeps no copy of a rule (no role name, no ancestor walk of its own).

use std::collections::{BTreeMap, BTreeSet};

use e2e::sources::{
    ModulePath, cycles, describe, module_graph, parent_walks, references, repo, rule_copies,
    rust_files, top_level, without_inline_tests,
};

/// The longest a Rust file may grow.
const MAX_LINES: usize = 400;
/// The crates whose module graphs must have no cycle.
const CRATES: [&str; 5] = [
    "api/src",
    "model/src",
    "server/src",
    "frontend/src",
    "tests/src",
];
/// Where Rust files live (generated and third-party trees are not walked).
const RUST_TREES: [&str; 8] = [
    "api",
    "model",
    "server",
    "frontend",
    "tests",
    "bench/peers/src",
    "fuzz/fuzz_targets",
    "fuzz/src",
];

#[test]
fn imports_flow_one_way() {
    let mut found = Vec::new();
    for krate in CRATES {
        let graph = module_graph(&repo().join(krate));
        assert!(graph.len() > 1, "{krate}: no modules found");
        for component in cycles(&graph)
            .iter()
            .chain(cycles(&top_level(&graph)).iter())
        {
            found.push(format!("{krate}: {}", describe(component)));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
        for (from, to) in edges {
            let path = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
            g.entry(path(from)).or_default().insert(path(to));
            g.entry(path(to)).or_default();
        }
        g
    };
    let layered = graph(&[("app", "state"), ("state", "auth"), ("routes", "state")]);
    assert!(cycles(&layered).is_empty());
    let cyclic = graph(&[("app", "routes::me"), ("routes::me", "app")]);
    assert_eq!(cycles(&cyclic).len(), 1);
    let via_children = graph(&[("settings", "auth::jwks"), ("auth::keyset", "settings")]);
    assert!(cycles(&via_children).is_empty(), "no file-level cycle");
    assert_eq!(
        cycles(&top_level(&via_children)).len(),
        1,
        "but a top-level one"
    );
    let paths = references(
        "use crate::{auth::{Principal, bearer_token}, state::AppState};\nlet x = super::caller(s);",
    );
    let names: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        names,
        [
            "crate::auth::Principal",
            "crate::auth::bearer_token",
            "crate::state::AppState",
            "super::caller"
        ]
    );
    let stripped =
        without_inline_tests("fn a() {}\n#[cfg(test)]\nmod tests {\n use crate::x;\n}\nfn b() {}");
    assert!(
        !stripped.contains("crate::x") && stripped.contains("fn b()"),
        "{stripped}"
    );
}

#[test]
fn files_stay_small_and_say_what_they_own() {
    let mut files = Vec::new();
    for tree in RUST_TREES {
        rust_files(&repo().join(tree), &mut files);
    }
    assert!(files.len() > 100, "found only {} files", files.len());
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(repo())
            .unwrap_or(&file)
            .display()
            .to_string();
        let lines = text.lines().count();
        if lines > MAX_LINES {
            problems.push(format!("{name}: {lines} lines (at most {MAX_LINES})"));
        }
        if !text.starts_with("//!") {
            problems.push(format!("{name}: does not open with a `//!` line"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_browser_names_no_role_and_walks_no_ancestors() {
    let copies = rule_copies(&repo().join("frontend/src"));
    assert!(
        copies.is_empty(),
        "rules copied into the browser:\n{}",
        copies.join("\n")
    );
}

#[test]
fn the_rule_check_sees_a_role_check_and_an_ancestor_walk() {
    let walk = "fn up(&self) { let mut at = self.get(u); while let Some(p) = at { at = self.get(p).parent; } }";
    assert_eq!(parent_walks(walk).len(), 1);
    assert!(parent_walks("for x in xs { y.push(x.name) }").is_empty());
    assert!(parent_walks("let p = unit.parent; format!(\"{}\", p)").is_empty());
    let dir = std::env::temp_dir().join(format!("rule-copies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for n in 0..11 {
        std::fs::write(dir.join(format!("f{n}.rs")), "fn f() {}").unwrap();
    }
    std::fs::write(
        dir.join("roles.rs"),
        "fn is_admin(r: &str) -> bool { r == \"admin\" }",
    )
    .unwrap();
    std::fs::write(dir.join("tree.rs"), walk).unwrap();
    let copies = rule_copies(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(copies.len(), 2, "{copies:?}");
}
