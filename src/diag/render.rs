//! Rendering diagnostics for people (rustc-like, with the source line and a caret) and for
//! machines (one JSON object per line, for CI annotations).

use super::{Diagnostic, Severity, SourceMap};
use std::fmt::Write as _;

/// Renders one diagnostic like rustc:
///
/// ```text
/// error[E0100]: unknown unit `credits`
///   --> policies/x.yaml:12:22
///    |
/// 12 |     eligible: balance.credits > 0
///    |                       ^^^^^^^
///    = help: did you mean `credit`?
/// ```
pub fn human(d: &Diagnostic, sources: &SourceMap) -> String {
    let mut out = String::new();
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(
        out,
        "{level}[{} {}]: {}",
        d.code.id(),
        d.code.name(),
        d.message
    );
    let located = d.span.and_then(|s| sources.get(s.file).map(|f| (s, f)));
    if let Some((span, file)) = located {
        let (line, col) = file.line_col(span.start as usize);
        let text = file.line_text(line);
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {}:{line}:{col}", file.name);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{line} | {}", text.replace('\t', " "));
        // The caret covers the span's characters on its first line (at least one).
        let (end_line, end_col) = file.line_col(span.end as usize);
        let width = if end_line == line {
            end_col.saturating_sub(col).max(1)
        } else {
            text.chars().count().saturating_sub(col - 1).max(1)
        };
        let _ = writeln!(out, "{pad} | {}{}", " ".repeat(col - 1), "^".repeat(width));
        if let Some(help) = &d.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
    } else if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {help}");
    }
    out
}

/// Renders every diagnostic, followed by a summary line when there are errors.
pub fn human_all<'a>(ds: impl IntoIterator<Item = &'a Diagnostic>, sources: &SourceMap) -> String {
    let mut out = String::new();
    let mut errors = 0;
    let mut warnings = 0;
    for d in ds {
        match d.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
        out.push_str(&human(d, sources));
        out.push('\n');
    }
    if errors > 0 || warnings > 0 {
        let _ = writeln!(out, "{errors} error(s), {warnings} warning(s)");
    }
    out
}

/// One JSON object (no trailing newline) with file, line and column for CI annotations.
pub fn json(d: &Diagnostic, sources: &SourceMap) -> String {
    serde_json::to_string(&super::LocatedDiagnostic::of(d, sources)).unwrap_or_default()
}
