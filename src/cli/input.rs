//! What several subcommands read and how they print: value parsers for the command line
//! (instants, time zones, formats), policies (with their diagnostics rendered), account snapshots
//! checked against a policy, files named on the command line (`-` is standard input), and
//! results as text or JSON.

use std::io::{Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use quotient::{Limits, Policy, PolicySet, Snapshot, validate};

/// Whether diagnostics on stderr are coloured (set once from `--color` before a command runs).
static COLOUR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets whether diagnostics are coloured.
pub fn set_colour(colour: bool) {
    COLOUR.store(colour, std::sync::atomic::Ordering::Relaxed);
}

/// Whether diagnostics are coloured.
pub fn colour() -> bool {
    COLOUR.load(std::sync::atomic::Ordering::Relaxed)
}

/// The name standard input goes by in messages and diagnostics.
pub const STDIN_NAME: &str = "<stdin>";

/// Parses an RFC 3339 instant (a clap value parser).
pub fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("expected an instant like 2026-01-31T15:00:00Z, found `{text}`"))
}

/// Checks an IANA time zone name, with a did-you-mean (a clap value parser).
pub fn time_zone(text: &str) -> Result<String, String> {
    quotient::parse_time_zone(text)
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

/// How a command prints its results: for people, or as JSON.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// JSON for programs.
    Json,
}

/// The text of a file, or of standard input for `-`; a message naming it on failure.
pub fn read_file(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(quotient::MAX_DOCUMENT_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))
}

/// The name a file goes by in messages: `<stdin>` for `-`.
pub fn display_name(path: &str) -> &str {
    if path == "-" { STDIN_NAME } else { path }
}

/// Fails when more than one of `paths` is `-`: standard input can be read only once.
pub fn one_stdin<'a>(paths: impl IntoIterator<Item = Option<&'a str>>) -> Result<(), String> {
    let count = paths.into_iter().flatten().filter(|p| *p == "-").count();
    if count > 1 {
        return Err("only one input can be `-` (standard input)".into());
    }
    Ok(())
}

/// Loads policies from paths, or from standard input for `-` (read only once).
pub fn load(paths: &[PathBuf]) -> Result<quotient::Loaded, String> {
    let limits = Limits::default();
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            return Err("`-` (standard input) must be the only policy given".into());
        }
        let text = read_file("-")?;
        return Ok(quotient::load_str(STDIN_NAME, &text, &limits));
    }
    Ok(quotient::load_paths(paths, &limits))
}

/// Loads the one policy (all its versions) under `path`, printing every diagnostic to `err`.
pub fn policy_set(path: &str, err: &mut dyn Write) -> Option<PolicySet> {
    let loaded = match load(&[PathBuf::from(path)]) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return None;
        }
    };
    let _ = write!(err, "{}", loaded.render_human_styled(colour()));
    if loaded.has_errors() {
        return None;
    }
    match loaded.single() {
        Some(set) => Some(set.clone()),
        None => {
            let _ = writeln!(
                err,
                "error: `{path}` holds {} policies; name one policy's file or directory",
                loaded.policies().len()
            );
            None
        }
    }
}

/// Reads an account snapshot (JSON or YAML) and checks it against `policy`, printing every
/// problem to `err`.
pub fn account(path: &str, policy: &Policy, err: &mut dyn Write) -> Option<Snapshot> {
    let text = match read_file(path) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return None;
        }
    };
    let path = display_name(path);
    let snapshot: Snapshot = match quotient::read_record(path, &text) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return None;
        }
    };
    let problems = validate(&snapshot, policy);
    if problems.is_empty() {
        return Some(snapshot);
    }
    for p in problems {
        let _ = writeln!(err, "error: {path}: {p}");
    }
    None
}

/// The policy version in force at `at`, or a message.
pub fn in_force<'s>(
    set: &'s PolicySet,
    at: DateTime<Utc>,
    err: &mut dyn Write,
) -> Option<&'s std::sync::Arc<Policy>> {
    let p = set.at(at);
    if p.is_none() {
        let _ = writeln!(
            err,
            "error: no version of `{}` is in force at {}",
            set.name(),
            at.to_rfc3339()
        );
    }
    p
}

/// Writes `text` to `path`, or a message.
pub fn write_file(path: &str, text: &str) -> Result<(), String> {
    write_files(&[(path, text)])
}

/// Writes every `(path, text)` or, as far as the file system allows, none: each goes to a
/// temporary file beside its target first, and only when all are written are they renamed into
/// place (a rename within a directory is atomic). A reader never sees half a file.
pub fn write_files(files: &[(&str, &str)]) -> Result<(), String> {
    let mut staged = Vec::with_capacity(files.len());
    let mut result = Ok(());
    for (path, text) in files {
        let temporary = format!("{path}.quotient-tmp");
        if let Err(e) = std::fs::write(&temporary, text) {
            let _ = std::fs::remove_file(&temporary);
            result = Err(format!("cannot write `{path}`: {e}"));
            break;
        }
        staged.push((temporary, *path));
    }
    if result.is_err() {
        for (temporary, _) in &staged {
            let _ = std::fs::remove_file(temporary);
        }
        return result;
    }
    for (temporary, path) in &staged {
        std::fs::rename(temporary, path).map_err(|e| format!("cannot write `{path}`: {e}"))?;
    }
    Ok(())
}

/// Pretty JSON of `value`, or a message.
pub fn pretty_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|e| e.to_string())
}

/// Prints `value` as pretty JSON for `Format::Json`, otherwise its text form.
pub fn print<T: serde::Serialize>(
    out: &mut dyn Write,
    format: Format,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<(), String> {
    let shown = if format == Format::Json {
        format!("{}\n", pretty_json(value)?)
    } else {
        text()
    };
    write!(out, "{shown}").map_err(|e| format!("cannot write: {e}"))
}
