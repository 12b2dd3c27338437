//! The architecture invariants of ARCHITECTURE.md that a reader of the source can check, checked:
//! the modules of the library import one another without cycles (dependencies point one way),
//! the core below the edge does no IO and reads no clock, and every module opens with a `//!`
//! paragraph. The import graph is read from the source text: every `crate::<module>` path
//! outside comments and `#[cfg(test)]` modules is an edge.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's source files (the binary's `main.rs` and `cli/` are not the library).
fn library_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("src is readable")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&src, &mut out);
    out.retain(|p| {
        let rel = p.strip_prefix(&src).expect("under src");
        rel != Path::new("main.rs") && !rel.starts_with("cli") && !rel.starts_with("serve")
    });
    out
}

/// The top-level module a file belongs to (`src/eval/exchange.rs` -> `eval`).
fn module_of(path: &Path) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rel = path.strip_prefix(&src).expect("under src");
    let first = rel
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// The text without comments, string literals and `#[cfg(test)]` modules.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '\'' => {
                // A char literal ('"', '\\') or a lifetime: skip a char literal whole.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\\") || rest.chars().nth(1) == Some('\'') {
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '\'' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Module -> the modules it names through `crate::`.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = library_files();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| module_of(p))
        .filter(|m| m != "lib")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let from = module_of(f);
        if from == "lib" {
            continue;
        }
        let text = code(&std::fs::read_to_string(f).expect("readable"));
        let entry = graph.entry(from.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name != from && modules.contains(&name) {
                entry.insert(name);
            }
        }
    }
    graph
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn library_modules_import_each_other_without_cycles() {
    let graph = import_graph();
    assert!(graph.len() > 10, "the graph was not read: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("an import cycle: {}", cycle.join(" -> "));
    }
    // The layers ARCHITECTURE.md names: the base knows nothing above it.
    for (module, forbidden) in [
        ("ids", &["policy", "eval", "account", "hooks", "check"][..]),
        ("amount", &["policy", "eval", "account"][..]),
        ("cycle", &["policy", "eval", "account"][..]),
        ("facts", &["policy", "eval", "hooks"][..]),
        ("hooks", &["policy", "eval"][..]),
        ("account", &["policy", "eval", "document"][..]),
        (
            "eval",
            &["report", "apply", "testing", "diff", "corpus", "timeline"][..],
        ),
        ("report", &["apply", "testing", "timeline"][..]),
    ] {
        let uses = graph.get(module).cloned().unwrap_or_default();
        for f in forbidden {
            assert!(
                !uses.contains(*f),
                "`{module}` must not import `{f}` (it imports {uses:?})"
            );
        }
    }
}

#[test]
fn the_core_does_no_io_and_reads_no_clock() {
    // Only the loaders and the test runner read files; nothing in the library reads the clock
    // or the environment, or opens a socket.
    let readers = ["policy/load.rs", "testing/mod.rs"];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for f in library_files() {
        let rel = f
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .into_owned();
        let text = code(&std::fs::read_to_string(&f).expect("readable"));
        for banned in [
            "SystemTime::now",
            "Utc::now",
            "Instant::now",
            "std::env::",
            "std::net::",
        ] {
            assert!(!text.contains(banned), "{rel} uses `{banned}`");
        }
        if !readers.contains(&rel.as_str()) {
            for banned in ["std::fs::", "File::open"] {
                assert!(
                    !text.contains(banned),
                    "{rel} uses `{banned}`; only {readers:?} read files"
                );
            }
        }
    }
}

#[test]
fn every_module_opens_with_a_paragraph_on_what_it_is_for() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = library_files();
    all.push(src.join("main.rs"));
    let missing: Vec<String> = all
        .iter()
        .filter(|f| !f.ends_with("lib.rs"))
        .filter(|f| {
            !std::fs::read_to_string(f)
                .expect("readable")
                .starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(missing.is_empty(), "no `//!` paragraph: {missing:?}");
}
