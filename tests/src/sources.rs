//! Reading the repository's own Rust sources for the house-rules tests: walking the trees, the
//! module graph of a crate (`crate::`/`super::`/`self::` paths, `#[path]` files, test code left
//! out) and its cycles, and the shapes of a rule copied into the browser.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() && name != "target" && name != "corpus" {
            rust_files(&path, found);
        } else if name.ends_with(".rs") {
            found.push(path);
        }
    }
}

/// `text` without `//` comments (a `//` inside a string on the same line goes too; harmless here).
pub fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The index just past the block that opens at the first `{` at or after `from`.
pub fn block_end(text: &str, from: usize) -> usize {
    let Some(open) = text[from..].find('{').map(|at| from + at) else {
        return text.len();
    };
    let mut depth = 0usize;
    for (at, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + at + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// `text` without its inline `#[cfg(test)] mod … { … }` blocks (test code may import anything).
pub fn without_inline_tests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at..];
        let head = after.split('\n').take(3).collect::<Vec<_>>().join("\n");
        let next = after.find(['{', ';']).unwrap_or(after.len());
        if head.contains("mod ")
            && after[..next].contains("mod ")
            && after.as_bytes().get(next) == Some(&b'{')
        {
            out.push_str(&rest[..at]);
            rest = &rest[at + block_end(after, 0)..];
        } else {
            out.push_str(&rest[..at + 1]);
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// `a::{b, c::{d}}, e` → [a::b, a::c::d, e].
pub fn expand(prefix: &[String], body: &str) -> Vec<Vec<String>> {
    let mut parts = Vec::new();
    let (mut depth, mut current) = (0usize, String::new());
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == ',' && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    let mut paths = Vec::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        // `self` inside a group (`a::{self, B}`) names the group's module; a leading `self::` is a path.
        let segments = |s: &str| -> Vec<String> {
            s.split("::")
                .map(|x| x.split_whitespace().next().unwrap_or("").to_owned())
                .enumerate()
                .filter(|(n, x)| !x.is_empty() && (x != "self" || (*n == 0 && prefix.is_empty())))
                .map(|(_, x)| x)
                .collect()
        };
        match (part.find('{'), part.ends_with('}')) {
            (Some(open), true) => {
                let mut inner = prefix.to_vec();
                inner.extend(segments(part[..open].trim_end_matches("::")));
                paths.extend(expand(&inner, &part[open + 1..part.len() - 1]));
            }
            _ => {
                let mut path = prefix.to_vec();
                path.extend(segments(part));
                paths.push(path);
            }
        }
    }
    paths
}

/// Every `crate::`, `super::` and `self::` path the text names (in `use` or inline). A parent's
/// bare `pub use child::…` is its facade, not a dependency, and is not counted.
pub fn references(text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("use ") {
        if at > 0 && text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = text[at..].find(';').map_or(text.len(), |e| at + e);
        found.extend(expand(&[], &text[at + 4..end]));
    }
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in text.match_indices(start) {
            if at > 0 && text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            {
                continue;
            }
            let path: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let segments: Vec<String> = path
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            // `crate::{…}` alone is a `use` group, read above.
            if segments.len() > 1 {
                found.push(segments);
            }
        }
    }
    found
        .into_iter()
        .filter(|p| {
            matches!(
                p.first().map(String::as_str),
                Some("crate" | "super" | "self")
            )
        })
        .collect()
}

pub type ModulePath = Vec<String>;

/// The modules of the crate in `src` (file → module path), `#[path]` files under the module
/// that declares them; test-only modules (`*_tests.rs`, `tests`, `test_support`, `fuzz_support`) left out.
pub fn modules(src: &Path) -> BTreeMap<ModulePath, PathBuf> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut by_file: BTreeMap<PathBuf, ModulePath> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(src).unwrap().with_extension("");
        let mut path: ModulePath = rel
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        if matches!(
            path.last().map(String::as_str),
            Some("lib" | "main" | "mod")
        ) {
            path.pop();
        }
        by_file.insert(file.clone(), path);
    }
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (at, _) in text.match_indices("#[path = \"") {
            let rest = &text[at + 10..];
            let target = &rest[..rest.find('"').unwrap()];
            let declared = &rest[rest.find("mod ").unwrap() + 4..];
            let name: String = declared
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let target = file.parent().unwrap().join(target);
            if let Some(target) = files
                .iter()
                .find(|f| f.canonicalize().ok() == target.canonicalize().ok())
            {
                let mut path = by_file[file].clone();
                path.push(name);
                by_file.insert(target.clone(), path);
            }
        }
    }
    let is_test = |path: &ModulePath| {
        path.iter().any(|s| {
            s == "tests" || s.ends_with("_tests") || s == "test_support" || s == "fuzz_support"
        })
    };
    by_file
        .into_iter()
        .filter(|(_, p)| !is_test(p))
        .map(|(f, p)| (p, f))
        .collect()
}

/// The module graph of the crate in `src`: which module names which (self-references left out).
pub fn module_graph(src: &Path) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let modules = modules(src);
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let text = without_inline_tests(&without_comments(&std::fs::read_to_string(file).unwrap()));
        let mut uses = BTreeSet::new();
        for reference in references(&text) {
            let mut full: ModulePath = match reference[0].as_str() {
                "crate" => Vec::new(),
                "self" => module.clone(),
                _ => module[..module.len().saturating_sub(1)].to_vec(),
            };
            let mut rest = &reference[1..];
            while rest.first().is_some_and(|s| s == "super") {
                full.pop();
                rest = &rest[1..];
            }
            full.extend(rest.iter().cloned());
            let known = (0..=full.len())
                .rev()
                .map(|n| full[..n].to_vec())
                .find(|p| modules.contains_key(p));
            if let Some(known) = known.filter(|k| k != module && !k.is_empty()) {
                uses.insert(known);
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// The graph with every module folded into its top-level module.
pub fn top_level(
    graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>,
) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let mut folded: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for (module, uses) in graph {
        let top = module.iter().take(1).cloned().collect::<Vec<_>>();
        let entry = folded.entry(top.clone()).or_default();
        for used in uses {
            let used_top = used.iter().take(1).cloned().collect::<Vec<_>>();
            if used_top != top {
                entry.insert(used_top);
            }
        }
    }
    folded
}

/// The strongly connected components with more than one module (Tarjan).
pub fn cycles(graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Vec<Vec<ModulePath>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<ModulePath, BTreeSet<ModulePath>>,
        index: BTreeMap<&'g ModulePath, usize>,
        low: BTreeMap<&'g ModulePath, usize>,
        stack: Vec<&'g ModulePath>,
        found: Vec<Vec<ModulePath>>,
    }
    fn visit<'g>(walk: &mut Walk<'g>, v: &'g ModulePath) {
        let n = walk.index.len();
        walk.index.insert(v, n);
        walk.low.insert(v, n);
        walk.stack.push(v);
        for w in walk.graph.get(v).into_iter().flatten() {
            let Some((w, _)) = walk.graph.get_key_value(w) else {
                continue;
            };
            if !walk.index.contains_key(w) {
                visit(walk, w);
                let low = walk.low[v].min(walk.low[w]);
                walk.low.insert(v, low);
            } else if walk.stack.contains(&w) {
                let low = walk.low[v].min(walk.index[w]);
                walk.low.insert(v, low);
            }
        }
        if walk.low[v] == walk.index[v] {
            let mut component = Vec::new();
            while let Some(w) = walk.stack.pop() {
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                walk.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

pub fn describe(component: &[ModulePath]) -> String {
    let names: Vec<String> = component
        .iter()
        .map(|m| {
            if m.is_empty() {
                "crate".into()
            } else {
                m.join("::")
            }
        })
        .collect();
    names.join(" <-> ")
}

/// The role names the server's RBAC decides by.
pub const ROLE_LITERALS: [&str; 2] = ["\"admin\"", "\"owner\""];

/// Every loop (`while`, `loop`, `for`) whose body reads a `.parent`: the shape of an ancestor walk.
pub fn parent_walks(text: &str) -> Vec<String> {
    let mut walks = Vec::new();
    for keyword in ["while ", "loop ", "loop{", "for "] {
        for (at, _) in text.match_indices(keyword) {
            let starts_word =
                at == 0 || !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
            let end = block_end(text, at);
            if starts_word && text[at..end].contains(".parent") {
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
pub fn rule_copies(dir: &Path) -> Vec<String> {
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
