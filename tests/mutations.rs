//! A mutation corpus: the bundled policies in `policies/`, each broken in one small way at a
//! time (a misspelt name, a deleted closing delimiter or quote, an extra opener, a tab in the
//! indentation, a garbage line), deterministically. Every mutant must load without a panic, and
//! every mutant that fails to load must have a diagnostic within one line of where it was
//! broken: the point of issue 12 is that diagnostics point where the mistake began. Mutants that
//! still load are fine (a misspelt display name is still a name); they are counted.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use quotient::Limits;

/// One broken copy of a policy: what was done, and the 1-based line it was done on.
struct Mutant {
    class: &'static str,
    line: usize,
    what: String,
    text: String,
}

/// The part of a line before its comment (a `#` at the start or after a space, outside quotes
/// as far as a line-level look can tell).
fn code_part(line: &str) -> &str {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' => quote = Some(c),
            None if c == b'#' && (i == 0 || b[i - 1] == b' ') => return &line[..i],
            None => {}
        }
    }
    line
}

/// Keys whose children declare names (renaming a declaration makes every use of the old name
/// wrong, and those uses are where it is reported: which of the two is the mistake is not
/// knowable from the text, so these keys are not misspelt).
const DECLARING: [&str; 8] = [
    "units",
    "plans",
    "modes",
    "features",
    "platforms",
    "exchanges",
    "hooks",
    "params",
];

/// For each line, whether its key (if any) declares a name: its parent key is in [`DECLARING`].
fn declaring_lines(lines: &[&str]) -> Vec<bool> {
    let mut parents: Vec<(usize, String)> = Vec::new();
    lines
        .iter()
        .map(|line| {
            let code = code_part(line);
            let trimmed = code.trim_start();
            if trimmed.is_empty() {
                return false;
            }
            let indent = code.len() - trimmed.len();
            while parents.last().is_some_and(|(i, _)| *i >= indent) {
                parents.pop();
            }
            let Some((key, _)) = trimmed.split_once(':') else {
                return false;
            };
            let key = key.trim();
            let declares = parents
                .last()
                .is_some_and(|(_, p)| DECLARING.contains(&p.as_str()));
            if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                parents.push((indent, key.to_string()));
            }
            declares
        })
        .collect()
}

fn replace_line(lines: &[&str], index: usize, new: &str) -> String {
    let mut out: Vec<&str> = lines.to_vec();
    out[index] = new;
    out.join("\n") + "\n"
}

fn insert_line(lines: &[&str], index: usize, new: &str) -> String {
    let mut out: Vec<&str> = lines.to_vec();
    out.insert(index, new);
    out.join("\n") + "\n"
}

/// A name with its middle character changed.
fn misspell(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'x' { 'q' } else { 'x' };
    chars.into_iter().collect()
}

/// Every identifier-like word of a line's code, with its byte offset.
fn words(code: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() || b[i] == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((start, &code[start..i]));
        } else {
            i += 1;
        }
    }
    out
}

fn mutants(text: &str) -> Vec<Mutant> {
    let lines: Vec<&str> = text.lines().collect();
    let declaring = declaring_lines(&lines);
    let mut names = Vec::new();
    let mut delimiters = Vec::new();
    let mut tabs = Vec::new();
    let mut garbage = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let code = code_part(line);
        let n = index + 1;
        // Misspelt names: every word of the line's code, except a key that declares a name.
        let key_end = code.find(':').unwrap_or(0);
        for (at, word) in words(code) {
            if word.len() < 2 || declaring[index] && at < key_end {
                continue;
            }
            let new = format!(
                "{}{}{}",
                &line[..at],
                misspell(word),
                &line[at + word.len()..]
            );
            names.push(Mutant {
                class: "misspelt name",
                line: n,
                what: format!("`{word}` -> `{}`", misspell(word)),
                text: replace_line(&lines, index, &new),
            });
        }
        // Unbalanced delimiters and quotes: each closer and quote deleted, each opener doubled.
        for (at, c) in code.char_indices() {
            let new = match c {
                ')' | ']' | '}' | '"' | '\'' => format!("{}{}", &line[..at], &line[at + 1..]),
                '(' | '[' | '{' => format!("{}{c}{}", &line[..at], &line[at..]),
                _ => continue,
            };
            let verb = if matches!(c, '(' | '[' | '{') {
                "doubled"
            } else {
                "deleted"
            };
            delimiters.push(Mutant {
                class: "unbalanced delimiter",
                line: n,
                what: format!("`{c}` at column {} {verb}", at + 1),
                text: replace_line(&lines, index, &new),
            });
        }
        // An opener inserted where a value starts.
        if let Some(colon) = code.find(": ") {
            for opener in ['"', '\'', '[', '{', '('] {
                let at = colon + 2;
                let new = format!("{}{opener}{}", &line[..at], &line[at..]);
                delimiters.push(Mutant {
                    class: "unbalanced delimiter",
                    line: n,
                    what: format!("`{opener}` inserted at column {}", at + 1),
                    text: replace_line(&lines, index, &new),
                });
            }
        }
        // A tab in the indentation.
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent > 0 && !line.trim().is_empty() {
            let new = format!("\t{}", &line[indent.min(2)..]);
            tabs.push(Mutant {
                class: "tab in indentation",
                line: n,
                what: "a tab for the first indentation".into(),
                text: replace_line(&lines, index, &new),
            });
        }
        // A garbage line before this one.
        for junk in ["this is not a policy line", "}]", "  - : :"] {
            garbage.push(Mutant {
                class: "garbage line",
                line: n,
                what: format!("`{junk}` inserted"),
                text: insert_line(&lines, index, junk),
            });
        }
    }
    // At most 600 mutants per policy (under 1000 in all): every k-th of a class that has more
    // than its share.
    let mut out = Vec::new();
    for (mut class, cap) in [(names, 300), (delimiters, 150), (tabs, 50), (garbage, 100)] {
        let step = class.len().div_ceil(cap).max(1);
        out.extend(class.drain(..).step_by(step));
    }
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[test]
fn every_broken_bundled_policy_is_reported_where_it_was_broken() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut counts: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut total = 0;
    for file in ["capcut-pro.yaml", "lumen-studio.yaml"] {
        let text = std::fs::read_to_string(root.join(file)).expect("bundled policy");
        for m in mutants(&text) {
            total += 1;
            let name = format!("{file} (line {}: {})", m.line, m.what);
            let loaded =
                std::panic::catch_unwind(|| quotient::load_str(file, &m.text, &Limits::default()));
            let entry = counts.entry(m.class).or_default();
            let Ok(loaded) = loaded else {
                failures.push(format!("{name}: loading panicked"));
                continue;
            };
            if !loaded.has_errors() {
                entry.0 += 1;
                continue;
            }
            // A diagnostic is near when its place, or one of its secondary places, is.
            let near = loaded.diagnostics().iter().any(|d| {
                d.byte_range()
                    .into_iter()
                    .chain(d.labels().map(|(r, _)| r))
                    .any(|r| line_of(&m.text, r.start).abs_diff(m.line) <= 1)
            });
            if near {
                entry.1 += 1;
            } else {
                entry.2 += 1;
                failures.push(format!(
                    "{name}: no diagnostic within one line; got:\n{}",
                    loaded.render_human()
                ));
            }
        }
    }
    println!("{total} mutants of the bundled policies:");
    for (class, (loads, near, far)) in &counts {
        println!("  {class}: {loads} still load, {near} reported within one line, {far} not");
    }
    assert!(
        total <= 1000,
        "keep the corpus at most 1000 mutants, not {total}"
    );
    assert!(
        failures.is_empty(),
        "{} mutant(s) reported away from the mistake:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
