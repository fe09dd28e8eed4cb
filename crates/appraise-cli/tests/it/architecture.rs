//! The workspace's structure: no crate has a module that, through `crate::` or
//! `super::` paths, uses a module that uses it back (CONTRIBUTING.md, "Layout").
//!
//! Modules come from the file tree (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`); a
//! path names the deepest module it walks through, or, for an item re-exported with
//! `pub use m::Item`, the module `m` it comes from. A module's use of its own
//! submodules or of the crate root is not an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module name (`""` for the root) → its source, comments removed.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code: String = text
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(parts.join("::"), code);
        }
    }
    out
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}::{b}")
    }
}

/// The words of a path after `crate` or `super` at byte `at` of `code`.
fn path_at(code: &str, at: usize) -> Vec<&str> {
    let rest = &code[at..];
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(rest.len());
    rest[..end].split("::").filter(|s| !s.is_empty()).collect()
}

/// Module → the modules it uses.
fn edges(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    // `pub use m::{A, B}` in module `at`: (at, A) → at::m.
    let mut reexports: BTreeMap<(String, String), String> = BTreeMap::new();
    for (at, code) in mods {
        for line in code.lines() {
            let line = line.trim();
            let Some(rest) = line
                .strip_prefix("pub use ")
                .or_else(|| line.strip_prefix("pub(crate) use "))
            else {
                continue;
            };
            let rest = rest.trim_end_matches(';');
            let (base, items) = match rest.split_once("::{") {
                Some((b, i)) => (b, i.trim_end_matches('}')),
                None => rest.rsplit_once("::").unwrap_or(("", rest)),
            };
            let base = base.trim_start_matches("self::");
            let from = match base.strip_prefix("crate::") {
                Some(b) => b.to_string(),
                None => join(at, base),
            };
            for item in items.split(',') {
                let item = item.split(" as ").next().unwrap_or("").trim();
                reexports.insert((at.clone(), item.to_string()), from.clone());
            }
        }
    }
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, code) in mods {
        for (at, word) in code
            .match_indices("crate::")
            .chain(code.match_indices("super::"))
        {
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let mut path = match word {
                "crate::" => String::new(),
                _ => m.rsplit_once("::").map_or(String::new(), |(p, _)| p.into()),
            };
            for seg in path_at(code, at + word.len()) {
                let next = join(&path, seg);
                if mods.contains_key(&next) {
                    path = next;
                } else {
                    if let Some(from) = reexports.get(&(path.clone(), seg.to_string())) {
                        path = from.clone();
                    }
                    break;
                }
            }
            while !mods.contains_key(&path) && path.contains("::") {
                path = path.rsplit_once("::").unwrap().0.to_string();
            }
            let own = path == *m || path.is_empty() || m.starts_with(&format!("{path}::"));
            if mods.contains_key(&path) && !own {
                out.entry(m.clone()).or_default().insert(path);
            }
        }
    }
    out
}

/// A cycle through `start`, if any: the modules in order, `start` at both ends.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((m, path)) = stack.pop() {
        for next in edges.get(&m).into_iter().flatten() {
            if next == start {
                let mut found = path.clone();
                found.push(start.to_string());
                return Some(found);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

fn crates() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut cycles = Vec::new();
    for src in crates() {
        let mods = modules(&src);
        let edges = edges(&mods);
        for m in mods.keys() {
            if let Some(c) = cycle(&edges, m) {
                cycles.push(format!("{}: {}", src.display(), c.join(" → ")));
                break;
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

/// The check finds a cycle where there is one.
#[test]
fn a_module_cycle_is_found() {
    let mods: BTreeMap<String, String> = [
        ("", "mod a; mod b; mod c;"),
        ("a", "use crate::b::Thing;"),
        ("b", "pub use self::inner::Thing;\nfn f() { crate::Other }"),
        ("b::inner", "use crate::c::helper;"),
        ("c", "fn g() { super::a::f() }"),
    ]
    .into_iter()
    .map(|(m, c)| (m.to_string(), c.to_string()))
    .collect();
    let edges = edges(&mods);
    let found = cycle(&edges, "a").unwrap();
    assert_eq!(found, ["a", "b::inner", "c", "a"]);
    // Without c's use of a, none.
    let mut acyclic = mods.clone();
    acyclic.insert("c".into(), "fn g() {}".into());
    assert!(cycle(&self::edges(&acyclic), "a").is_none());
}
