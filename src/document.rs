//! Reading the documents callers hand the engine (account snapshots, requests, timeline scripts)
//! from JSON or YAML text into their serde types, with errors that say where. Numbers with a
//! fraction are refused by the amount readers, so nothing passes through binary floating point.

use serde::de::DeserializeOwned;

/// A document that does not read: where (`line 3 column 7`, when known) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct DocumentError {
    /// The file name and position.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

/// Reads `text` as JSON when it starts with `{` or `[` (or `name` ends in `.json`), else as YAML.
pub fn read<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, DocumentError> {
    if let Some(e) = too_large(text, name) {
        return Err(e);
    }
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(DocumentError {
            name: format!("{name}:1:1"),
            message: "the document is empty".to_string(),
        });
    }
    if name.ends_with(".json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
        serde_json::from_str(text).map_err(|e| DocumentError {
            // serde_json counts the column of an error at a line's start as 0.
            name: format!("{name}:{}:{}", e.line(), e.column().max(1)),
            message: explain(
                e.to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or("invalid JSON"),
            ),
        })
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            let rendered = e.to_string();
            let location = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            let first = rendered.lines().next().unwrap_or("invalid YAML");
            let message = match yaml_budget(first) {
                Some((what, help)) => format!("{what}; {help}"),
                None => explain(yaml_message(first)),
            };
            DocumentError {
                name: format!("{name}{location}"),
                message,
            }
        })
    }
}

/// The error for a document past [`MAX_DOCUMENT_BYTES`](crate::limits::MAX_DOCUMENT_BYTES),
/// refused before any parsing.
fn too_large(text: &str, name: &str) -> Option<DocumentError> {
    (text.len() > crate::limits::MAX_DOCUMENT_BYTES).then(|| DocumentError {
        name: name.to_string(),
        message: format!(
            "the document is {} bytes, more than the {} a snapshot, request or script may be",
            text.len(),
            crate::limits::MAX_DOCUMENT_BYTES
        ),
    })
}

/// A serde-saphyr budget breach (`budget breached: Depth { depth: 65 }`) in words, with a help
/// line: which bound the document went past and what to do. `None` for other errors.
pub(crate) fn yaml_budget(message: &str) -> Option<(String, &'static str)> {
    let rest = message.split("budget breached: ").nth(1)?;
    let (kind, count) = match rest.split_once(" {") {
        Some((kind, inner)) => {
            let digits: String = inner.chars().filter(char::is_ascii_digit).collect();
            (kind.trim(), digits.parse::<u64>().ok())
        }
        None => (rest.trim(), None),
    };
    let found = |what: &str| match count {
        Some(n) => format!("{what} (found {n})"),
        None => what.to_string(),
    };
    Some(match kind {
        "Depth" => (
            found("lists and mappings nest more than 64 deep"),
            "flatten the document: no Quotient file needs more than a few levels",
        ),
        "Nodes" => (
            found("the document has more than 250 000 values, counting what aliases repeat"),
            "split the document, or write out what a repeated alias (`*name`) stands for once",
        ),
        "Aliases" => (
            found("the document uses aliases (`*name`) more than 50 000 times"),
            "write the values out instead of repeating an alias",
        ),
        "Anchors" => (
            found("the document defines more than 50 000 anchors (`&name`)"),
            "remove anchors nothing refers to",
        ),
        "Events" => (
            found("the document is larger than 1 000 000 YAML events"),
            "split the document",
        ),
        "Documents" => (
            found("the file holds more than 1 024 YAML documents (`---`)"),
            "put one document in each file",
        ),
        "ScalarBytes" => (
            found("the document's text values add up to more than 64 MiB"),
            "split the document",
        ),
        "MergeKeys" => (
            found("the document uses more than 10 000 merge keys (`<<`)"),
            "write the merged mappings out",
        ),
        _ => (
            format!("the document is too large or too deeply nested ({kind})"),
            "split or flatten the document",
        ),
    })
}

/// serde-saphyr's first line without what the name already says: "error: line 3 column 7:
/// unexpected end of input at line 3, column 7" -> "unexpected end of input".
fn yaml_message(first: &str) -> &str {
    let mut m = first.trim();
    m = m.strip_prefix("error:").unwrap_or(m).trim_start();
    if let Some(rest) = m.strip_prefix("line ") {
        if let Some(i) = rest.find(": ") {
            if rest[..i]
                .split(" column ")
                .all(|n| n.trim().parse::<u64>().is_ok())
            {
                m = &rest[i + 2..];
            }
        }
    }
    if let Some(i) = m.rfind(" at line ") {
        if m[i + 9..]
            .chars()
            .all(|c| c.is_ascii_digit() || ", column".contains(c))
        {
            m = &m[..i];
        }
    }
    // serde-saphyr's advice on its options and Rust type names are not for document authors.
    let m = m
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(m)
        .trim();
    if m.starts_with("cannot deserialize null into") {
        return "expected a value, found nothing (null)";
    }
    match m {
        "expected string scalar" => "expected text, found a list or a mapping",
        "expected mapping start" => "expected a mapping (`key: value` entries)",
        "externally tagged enum expected scalar or mapping" => "expected a name",
        _ => m,
    }
}

/// serde's wording made plainer for people who write documents by hand: a did-you-mean for an
/// unknown field or name, and "a whole number" for Rust's integer types.
pub(crate) fn explain(message: &str) -> String {
    for what in ["field", "variant"] {
        let Some(rest) = message.strip_prefix(&format!("unknown {what} `")) else {
            continue;
        };
        let Some((wrong, expected)) = rest.split_once('`') else {
            continue;
        };
        let names = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ");
        // Both `a`, `b` (serde_json) and a, b (serde-saphyr) name the choices.
        let names: Vec<&str> = names
            .split(", ")
            .flat_map(|n| n.split(" or "))
            .map(|n| n.trim().trim_matches('`'))
            .filter(|n| !n.is_empty())
            .collect();
        let word = if what == "field" { "field" } else { "value" };
        if let Some(near) = crate::diag::suggest::did_you_mean(wrong, names.iter().copied()) {
            return format!("unknown {word} `{wrong}` (did you mean `{near}`?)");
        }
        if expected.starts_with(", expected") && !names.is_empty() {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            return format!(
                "unknown {word} `{wrong}`, expected one of {}",
                list.join(", ")
            );
        }
    }
    let mut out = message
        .replacen("invalid type: unit value", "invalid type: null", 1)
        .replacen("invalid type: sequence", "invalid type: a list", 1)
        .replacen("invalid type: map,", "invalid type: a mapping,", 1);
    // serde_json reads an integer beyond 64 bits as a float and reports that float
    // (`1.8446744073709552e+19`): say the number is too large, in the field's terms.
    let float = out
        .strip_prefix("invalid type: floating point `")
        .and_then(|rest| rest.split_once('`'));
    if let Some((number, expected)) = float {
        let range = match expected {
            ", expected u64" => Some("from 0 to 18446744073709551615"),
            ", expected u32" => Some("from 0 to 4294967295"),
            ", expected i64" => Some("from -9223372036854775808 to 9223372036854775807"),
            ", expected i32" => Some("from -2147483648 to 2147483647"),
            _ => None,
        };
        if let Some(range) = range {
            return if number.contains(['e', 'E', 'i', 'N']) {
                format!("the number is too large: expected a whole number {range}")
            } else {
                format!("`{number}` is not a whole number: expected a whole number {range}")
            };
        }
    }
    for (rust, plain) in [
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("invalid u64", "expected a whole number, 0 or more"),
        ("invalid i64", "expected a whole number"),
        ("invalid i32", "expected a whole number"),
    ] {
        if out.ends_with(rust) {
            out.truncate(out.len() - rust.len());
            out.push_str(plain);
        }
    }
    out
}

/// Where a document starts with a list (line and column, 1-based), if it does: JSON `[`, or a
/// YAML `- item` or `[` as its first content after blank lines, comments and `---`.
fn list_start(text: &str) -> Option<(usize, usize)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || t == "---" {
            continue;
        }
        let column = line.len() - t.len() + 1;
        return (t.starts_with('[') || t == "-" || t.starts_with("- ")).then_some((i + 1, column));
    }
    None
}

/// Like [`read`], for a document that is one record (a request, a snapshot, a script): a
/// top-level list is refused instead of being read field by field in order.
pub fn read_record<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, DocumentError> {
    if let Some((line, column)) = list_start(text) {
        return Err(DocumentError {
            name: format!("{name}:{line}:{column}"),
            message:
                "expected a mapping of named fields (`{ ... }` or `key: value` lines), found a list"
                    .into(),
        });
    }
    read(name, text)
}

/// Reads one JSON record (a snapshot, a request): a top-level list is refused, and an error
/// names the line and column (`line 3 column 7`).
fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, DocumentError> {
    if let Some(e) = too_large(text, "the document") {
        return Err(e);
    }
    if let Some((line, column)) = list_start(text) {
        return Err(DocumentError {
            name: format!("line {line} column {column}"),
            message: "expected a mapping of named fields (`{ ... }`), found a list".into(),
        });
    }
    serde_json::from_str(text).map_err(|e| DocumentError {
        name: format!("line {} column {}", e.line(), e.column()),
        message: explain(e.to_string().split(" at line ").next().unwrap_or(what)),
    })
}

impl crate::account::Snapshot {
    /// Reads a snapshot from JSON text; the error names the line and column.
    pub fn from_json(text: &str) -> Result<Self, DocumentError> {
        from_json(text, "invalid snapshot")
    }

    /// Reads a snapshot from JSON or YAML text (JSON when `name` ends in `.json` or the text
    /// starts with `{`); the error names `name`, the line and the column.
    pub fn read(name: &str, text: &str) -> Result<Self, DocumentError> {
        read_record(name, text)
    }
}

impl crate::request::Request {
    /// Reads a request from JSON text; the error names the line and column.
    pub fn from_json(text: &str) -> Result<Self, DocumentError> {
        from_json(text, "invalid request")
    }

    /// Reads a request from JSON or YAML text, like [`Snapshot::read`](crate::Snapshot::read).
    pub fn read(name: &str, text: &str) -> Result<Self, DocumentError> {
        read_record(name, text)
    }
}

#[cfg(test)]
mod record_tests {
    #[test]
    fn a_list_is_not_a_record() {
        assert_eq!(super::list_start("[1, 2]"), Some((1, 1)));
        assert_eq!(super::list_start("# c\n---\n  - id: x\n"), Some((3, 3)));
        assert_eq!(super::list_start("{\"id\": 1}"), None);
        assert_eq!(super::list_start("id: x\nsteps:\n  - a\n"), None);
    }
}
