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
///
/// Secondary places (labels) are marked with `-` and their message, on their own lines when
/// they are elsewhere (`...` stands for the lines between):
///
/// ```text
/// error[E0213 unclosed-delimiter]: this `(` is never closed
///   --> policies/x.yaml:12:28
///    |
/// 12 |       balance.credit > 0 && (account.cycles > 1
///    |                             ^
/// 13 |         || account.plan == "pro"
///    |                                 - the parser reached the end of the expression here
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
        let primary = Mark::of(file, span, '^', None);
        let mut marks = vec![primary.clone()];
        for (s, message) in &d.labels {
            if s.file == span.file {
                marks.push(Mark::of(file, *s, '-', Some(message)));
            }
        }
        let mut lines: Vec<usize> = marks.iter().map(|m| m.line).collect();
        lines.sort_unstable();
        lines.dedup();
        let gutter = lines.last().map_or(1, |l| l.to_string().len());
        let pad = " ".repeat(gutter);
        let _ = writeln!(
            out,
            "{pad}--> {}:{}:{}",
            file.name, primary.line, primary.col
        );
        let _ = writeln!(out, "{pad} |");
        let mut previous: Option<usize> = None;
        for line in lines {
            if previous.is_some_and(|p| line > p + 1) {
                let _ = writeln!(out, "...");
            }
            previous = Some(line);
            let on_line: Vec<&Mark<'_>> = marks.iter().filter(|m| m.line == line).collect();
            excerpt(&mut out, file.line_text(line), line, gutter, &on_line);
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
    } else if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {help}");
    }
    out
}

/// Source lines longer than this many characters are cut to a window around the marks.
pub const MAX_EXCERPT_COLUMNS: usize = 120;

/// A caret (`^`, the primary place) or a dash (`-`, a secondary place with its message) under
/// the characters of a span's first line.
#[derive(Clone)]
struct Mark<'a> {
    line: usize,
    /// 1-based column in characters.
    col: usize,
    width: usize,
    glyph: char,
    message: Option<&'a str>,
}

impl<'a> Mark<'a> {
    fn of(
        file: &super::source::SourceFile,
        span: super::Span,
        glyph: char,
        message: Option<&'a String>,
    ) -> Self {
        let (line, col) = file.line_col(span.start as usize);
        let (end_line, end_col) = file.line_col(span.end as usize);
        // The mark covers the span's characters on its first line (at least one).
        let width = if end_line == line {
            end_col.saturating_sub(col).max(1)
        } else {
            file.line_text(line)
                .chars()
                .count()
                .saturating_sub(col - 1)
                .max(1)
        };
        Mark {
            line,
            col,
            width,
            glyph,
            message: message.map(String::as_str),
        }
    }
}

/// Writes one source line and the marks under it. A line longer than [`MAX_EXCERPT_COLUMNS`]
/// is cut to a window around its marks (the primary one first), with `...` where it was cut,
/// and the marks shifted so they stay under their characters.
fn excerpt(out: &mut String, text: &str, line: usize, gutter: usize, marks: &[&Mark<'_>]) {
    let pad = " ".repeat(gutter);
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let len = chars.len();
    // The window [from, to) of 0-based columns shown.
    let (from, to) = if len <= MAX_EXCERPT_COLUMNS {
        (0, len)
    } else {
        let first = marks.iter().map(|m| m.col - 1).min().unwrap_or(0);
        let last = marks.iter().map(|m| m.col - 1 + m.width).max().unwrap_or(0);
        let anchor = marks
            .iter()
            .find(|m| m.glyph == '^')
            .or(marks.first())
            .map_or(0, |m| m.col - 1);
        let keep = MAX_EXCERPT_COLUMNS;
        // All marks when they fit, else a window centred on the primary mark.
        let from = if last.saturating_sub(first) + 20 <= keep {
            first.saturating_sub((keep - (last - first)) / 2)
        } else {
            anchor.saturating_sub(keep / 2)
        };
        let from = from.min(len.saturating_sub(keep));
        (from, (from + keep).min(len))
    };
    let cut_left = from > 0;
    let cut_right = to < len;
    let shown: String = chars.get(from..to).unwrap_or(&[]).iter().collect();
    let _ = writeln!(
        out,
        "{line:>gutter$} | {}{shown}{}",
        if cut_left { "..." } else { "" },
        if cut_right { "..." } else { "" }
    );
    // Columns of the marks inside the window, in the printed line (after a `...`).
    let shift = if cut_left { 3 } else { 0 };
    let mut row: Vec<char> = Vec::new();
    let mut sorted: Vec<&Mark<'_>> = marks.to_vec();
    sorted.sort_by_key(|m| (m.col, m.glyph != '^'));
    let mut placed: Vec<(usize, &Mark<'_>)> = Vec::new();
    // A mark may sit just past the line's end (where an expression ends) unless the line is cut.
    let right = if cut_right { to } else { usize::MAX };
    for m in &sorted {
        let (start, end) = (m.col - 1, m.col - 1 + m.width);
        let (start, end) = if end <= from || start >= right {
            // Entirely cut away: mark the nearest cut end.
            let at = if end <= from {
                from
            } else {
                to.saturating_sub(1).max(from)
            };
            (at, at + 1)
        } else {
            (start.max(from), end.min(right))
        };
        let (start, end) = (start - from + shift, end - from + shift);
        if row.len() < end {
            row.resize(end, ' ');
        }
        for c in row.iter_mut().take(end).skip(start) {
            if *c == ' ' {
                *c = m.glyph;
            }
        }
        placed.push((start, m));
    }
    let mut marks_line: String = row.iter().collect();
    // The rightmost secondary message goes on the mark line; others on lines of their own.
    let last_labelled = placed
        .len()
        .checked_sub(1)
        .filter(|&i| placed[i].1.message.is_some());
    if let Some(i) = last_labelled {
        if let Some(message) = placed[i].1.message {
            marks_line.push(' ');
            marks_line.push_str(message);
        }
    }
    let _ = writeln!(out, "{pad} | {}", marks_line.trim_end());
    for (i, (start, m)) in placed.iter().enumerate() {
        if Some(i) == last_labelled {
            continue;
        }
        if let Some(message) = m.message {
            let _ = writeln!(out, "{pad} | {}{message}", " ".repeat(*start));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Code, Span};

    #[test]
    fn secondary_labels_render_under_their_place_and_in_json() {
        let mut sources = SourceMap::new();
        let file = sources.add("x.yaml", "a: (b\nc: d\n");
        let d = Diagnostic::error(Code::UnclosedDelimiter, "this `(` is never closed")
            .at(Span::new(file, 3, 4))
            .with_label(Span::new(file, 9, 10), "noticed here");
        let text = human(&d, &sources);
        assert!(
            text.contains("1 | a: (b\n  |    ^\n2 | c: d\n  |    - noticed here\n"),
            "{text}"
        );
        let json = json(&d, &sources);
        assert!(
            json.contains(r#""labels":[{"message":"noticed here","line":2,"column":4,"end_line":2,"end_column":5}]"#),
            "{json}"
        );
        // Without labels, the JSON has no `labels` key.
        let plain = Diagnostic::error(Code::YamlSyntax, "x").at(Span::new(file, 0, 1));
        assert!(!super::json(&plain, &sources).contains("labels"));
    }
}
