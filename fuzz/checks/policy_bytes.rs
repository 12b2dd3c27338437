//! The `policy_bytes` target: arbitrary bytes loaded as one policy file
//! (`quotient::load_bytes`). Never a panic; a policy is handed out exactly when no error was
//! reported; every diagnostic renders like rustc, as one JSON line, and located at a line and
//! column from 1; a policy that loads decides the standard requests (see `transition`).

use quotient::{Limits, Loaded};

use super::{Checked, ensure, transition};

/// Loads `data` as a policy file and checks what comes back.
pub fn check(data: &[u8]) -> Checked {
    let loaded = quotient::load_bytes("fuzz.yaml", data, &Limits::default());
    loaded_is_consistent(&loaded)?;
    for set in loaded.policies() {
        for policy in set.versions() {
            transition::play_standard(policy)?;
        }
    }
    Ok(())
}

/// What holds of any load: errors and policies exclude each other, and every diagnostic renders.
pub fn loaded_is_consistent(loaded: &Loaded) -> Checked {
    ensure(loaded.has_errors() == loaded.policies().is_empty(), || {
        format!(
            "has_errors is {} with {} policies handed out:\n{}",
            loaded.has_errors(),
            loaded.policies().len(),
            loaded.render_human()
        )
    })?;
    let count = loaded.diagnostics().len();
    let human = loaded.render_human();
    ensure(count == 0 || !human.is_empty(), || {
        format!("{count} diagnostics render as nothing")
    })?;
    let json = loaded.render_json();
    let lines: Vec<&str> = json.lines().collect();
    ensure(lines.len() == count, || {
        format!("{count} diagnostics render as {} JSON lines", lines.len())
    })?;
    for line in lines {
        let parsed = serde_json::from_str::<serde_json::Value>(line);
        ensure(
            parsed.as_ref().is_ok_and(serde_json::Value::is_object),
            || format!("a diagnostic's JSON line is not an object: {line}"),
        )?;
    }
    for d in loaded.located() {
        let starts = d.line.is_none_or(|l| l >= 1) && d.column.is_none_or(|c| c >= 1);
        let ordered = match (d.line, d.column, d.end_line, d.end_column) {
            (Some(l), Some(c), Some(el), Some(ec)) => (el, ec) >= (l, c),
            _ => true,
        };
        ensure(starts && ordered && !d.message.is_empty(), || {
            format!("a diagnostic is misplaced or empty: {d:?}")
        })?;
    }
    Ok(())
}
