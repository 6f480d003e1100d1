//! The browser keeps no copy of a rule: the frontend's sources name no role the RBAC looks at and
//! walk no parent chain of their own (the shared tree in this crate does that). Grep-level, on
//! purpose: a new copy of a rule shows up as text before it shows up as a bug.

use std::path::{Path, PathBuf};

/// The role names the server's RBAC decides by.
const ROLE_LITERALS: [&str; 2] = ["\"admin\"", "\"owner\""];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The text of the block that opens at the first `{` at or after `from`, braces balanced.
fn block_from(text: &str, from: usize) -> &str {
    let Some(open) = text[from..].find('{').map(|at| from + at) else {
        return "";
    };
    let mut depth = 0usize;
    for (at, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..=open + at];
                }
            }
            _ => {}
        }
    }
    &text[open..]
}

/// Every loop (`while`, `loop`, `for`) whose body reads a `.parent`: the shape of an ancestor walk.
fn parent_walks(text: &str) -> Vec<String> {
    let mut walks = Vec::new();
    for keyword in ["while ", "loop ", "loop{", "for "] {
        for (at, _) in text.match_indices(keyword) {
            let starts_word =
                at == 0 || !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
            let body = block_from(text, at);
            if starts_word && body.contains(".parent") {
                let line = text[..at].lines().count() + 1;
                walks.push(format!(
                    "line {line}: {}",
                    text[at..].lines().next().unwrap_or("")
                ));
            }
        }
    }
    walks
}

/// What in `dir` (a frontend's `src/`) copies a rule.
fn rule_copies(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    assert!(
        files.len() > 10,
        "found only {files:?} in {}",
        dir.display()
    );
    let mut copies = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        for role in ROLE_LITERALS {
            if text.contains(role) {
                copies.push(format!("{name}: the role name {role}"));
            }
        }
        for walk in parent_walks(&text) {
            copies.push(format!("{name}: an ancestor walk at {walk}"));
        }
    }
    copies
}

fn frontend_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/src")
}

#[test]
fn the_frontend_names_no_role_and_walks_no_ancestors() {
    let copies = rule_copies(&frontend_src());
    assert!(
        copies.is_empty(),
        "rules copied into the browser:\n{}",
        copies.join("\n")
    );
}

#[test]
fn the_check_sees_a_role_check_and_an_ancestor_walk() {
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
