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
    pub message: String,
}

/// Reads `text` as JSON when it starts with `{` or `[` (or `name` ends in `.json`), else as YAML.
pub fn read<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, DocumentError> {
    let trimmed = text.trim_start();
    if name.ends_with(".json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
        serde_json::from_str(text).map_err(|e| DocumentError {
            name: format!("{name}:{}:{}", e.line(), e.column()),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or("invalid JSON")
                .to_string(),
        })
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            let message = e.to_string();
            let location = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            DocumentError {
                name: format!("{name}{location}"),
                message: message.lines().next().unwrap_or("invalid YAML").to_string(),
            }
        })
    }
}
