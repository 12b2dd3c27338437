//! Rendering diagnostics for people (rustc-like, with the source line and a caret, in colour
//! when asked) and for machines (one JSON object per line, for CI annotations). Carets sit under
//! their characters whatever comes before them on the line: wide (CJK) characters take two
//! columns, a tab is shown as four spaces.

use super::{Diagnostic, Severity, SourceMap};
use std::fmt::Write as _;
use unicode_width::UnicodeWidthChar;

/// ANSI styles, or nothing when colour is off.
#[derive(Clone, Copy)]
struct Paint {
    colour: bool,
    /// The style of this diagnostic's level (red for errors, yellow for warnings).
    level: &'static str,
}

/// Bold blue: the gutter, `-->`, secondary marks and their messages.
const BLUE: &str = "\x1b[1;34m";
/// Bold: the message and `help`.
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Paint {
    fn new(colour: bool, severity: Severity) -> Self {
        let level = match severity {
            Severity::Error => "\x1b[1;31m",
            Severity::Warning => "\x1b[1;33m",
        };
        Paint { colour, level }
    }

    /// `text` in `style`, or `text` itself when colour is off.
    fn paint(self, style: &str, text: &str) -> String {
        if self.colour && !text.is_empty() {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// How many columns a character takes on a terminal: tabs are shown as four spaces, wide
/// characters take two, combining marks none.
fn columns(c: char) -> usize {
    if c == '\t' {
        TAB_COLUMNS
    } else {
        c.width().unwrap_or(0)
    }
}

/// The columns a tab is shown as.
const TAB_COLUMNS: usize = 4;

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
///
/// In colour (ANSI) when `colour` is set: the level in red or yellow, the message in bold, the
/// gutter and secondary marks in blue.
pub fn human_styled(d: &Diagnostic, sources: &SourceMap, colour: bool) -> String {
    let paint = Paint::new(colour, d.severity);
    let mut out = String::new();
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(
        out,
        "{}{}",
        paint.paint(
            paint.level,
            &format!("{level}[{} {}]", d.code.id(), d.code.name())
        ),
        paint.paint(BOLD, &format!(": {}", d.message))
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
            "{pad}{} {}:{}:{}",
            paint.paint(BLUE, "-->"),
            file.name,
            primary.line,
            primary.col
        );
        let _ = writeln!(out, "{pad} {}", paint.paint(BLUE, "|"));
        let mut previous: Option<usize> = None;
        for line in lines {
            if previous.is_some_and(|p| line > p + 1) {
                let _ = writeln!(out, "{}", paint.paint(BLUE, "..."));
            }
            previous = Some(line);
            let on_line: Vec<&Mark<'_>> = marks.iter().filter(|m| m.line == line).collect();
            excerpt(
                &mut out,
                file.line_text(line),
                line,
                gutter,
                &on_line,
                paint,
            );
        }
        if let Some(help) = &d.help {
            let _ = writeln!(
                out,
                "{pad} {}{} {help}",
                paint.paint(BLUE, "="),
                paint.paint(BOLD, " help:")
            );
        }
    } else if let Some(help) = &d.help {
        let _ = writeln!(out, "  {} {help}", paint.paint(BOLD, "= help:"));
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
fn excerpt(
    out: &mut String,
    text: &str,
    line: usize,
    gutter: usize,
    marks: &[&Mark<'_>],
    paint: Paint,
) {
    let pad = " ".repeat(gutter);
    let chars: Vec<char> = text.chars().collect();
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
    let window = chars.get(from..to).unwrap_or(&[]);
    let shown: String = window
        .iter()
        .map(|&c| {
            if c == '\t' {
                " ".repeat(TAB_COLUMNS)
            } else {
                c.to_string()
            }
        })
        .collect();
    // The terminal column where the window's character `i` starts (past its end, one column per
    // character, for a mark just after the line).
    let mut starts = Vec::with_capacity(window.len() + 1);
    let mut column = 0;
    for &c in window {
        starts.push(column);
        column += columns(c);
    }
    let display = |i: usize| match starts.get(i) {
        Some(&c) => c,
        None => column + (i - window.len()),
    };
    let _ = writeln!(
        out,
        "{} {}{shown}{}",
        paint.paint(BLUE, &format!("{line:>gutter$} |")),
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
        let (start, end) = (start - from, end - from);
        let (start, end) = (
            display(start) + shift,
            display(end).max(display(start) + 1) + shift,
        );
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
    let mut marks_line = paint_marks(&row, paint);
    // The rightmost secondary message goes on the mark line; others on lines of their own.
    let last_labelled = placed
        .len()
        .checked_sub(1)
        .filter(|&i| placed[i].1.message.is_some());
    if let Some(i) = last_labelled {
        if let Some(message) = placed[i].1.message {
            marks_line.push(' ');
            marks_line.push_str(&paint.paint(BLUE, message));
        }
    }
    let bar = paint.paint(BLUE, "|");
    let _ = writeln!(out, "{pad} {bar} {}", marks_line.trim_end());
    for (i, (start, m)) in placed.iter().enumerate() {
        if Some(i) == last_labelled {
            continue;
        }
        if let Some(message) = m.message {
            let _ = writeln!(
                out,
                "{pad} {bar} {}{}",
                " ".repeat(*start),
                paint.paint(BLUE, message)
            );
        }
    }
}

/// The row of marks, each run of `^` in the level's colour and of `-` in blue.
fn paint_marks(row: &[char], paint: Paint) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < row.len() {
        let c = row[i];
        let run = row[i..].iter().take_while(|&&x| x == c).count();
        let text: String = row[i..i + run].iter().collect();
        out.push_str(&match c {
            '^' => paint.paint(paint.level, &text),
            '-' => paint.paint(BLUE, &text),
            _ => text,
        });
        i += run;
    }
    out
}

/// Renders every diagnostic, followed by a summary line when there are errors.
pub fn human_all<'a>(ds: impl IntoIterator<Item = &'a Diagnostic>, sources: &SourceMap) -> String {
    human_all_styled(ds, sources, false)
}

/// [`human_all`], in colour when `colour` is set.
pub fn human_all_styled<'a>(
    ds: impl IntoIterator<Item = &'a Diagnostic>,
    sources: &SourceMap,
    colour: bool,
) -> String {
    let mut out = String::new();
    let mut errors = 0;
    let mut warnings = 0;
    for d in ds {
        match d.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
        out.push_str(&human_styled(d, sources, colour));
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
        let text = human_styled(&d, &sources, false);
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

    /// Renders `source` with a diagnostic on the first occurrence of `target`.
    fn rendered(source: &str, target: &str, colour: bool) -> String {
        let mut sources = SourceMap::new();
        let file = sources.add("x.yaml", source);
        let start = source.find(target).expect("the target is in the source");
        let span = Span::new(file, start, start + target.len());
        let d = Diagnostic::error(Code::UnknownUnit, "unknown unit `credits`").at(span);
        human_styled(&d, &sources, colour)
    }

    #[test]
    fn carets_stand_under_their_characters_after_wide_text_and_tabs() {
        // Each CJK character takes two columns: `title: "` (8), four of them (8), `" && balance.`
        // (13) put `credits` at column 29 on the terminal.
        let text = rendered(
            "title: \"积分兑换\" && balance.credits > 0\n",
            "credits",
            false,
        );
        let expected = format!("  | {}^^^^^^^\n", " ".repeat(8 + 8 + 13));
        assert!(text.contains(&expected), "{text}");
        // A tab is shown as four spaces, and the caret counts them.
        let text = rendered("\tx: balance.credits\n", "credits", false);
        assert!(
            text.contains(&format!(
                "1 |     x: balance.credits\n  | {}^^^^^^^\n",
                " ".repeat(4 + 11)
            )),
            "{text}"
        );
        // The reported column counts characters, as rustc's does.
        assert!(text.contains("--> x.yaml:1:13"), "{text}");
    }

    #[test]
    fn colour_is_ansi_when_asked_and_absent_otherwise() {
        let plain = rendered("a: balance.credits\n", "credits", false);
        assert!(!plain.contains('\x1b'), "{plain}");
        let coloured = rendered("a: balance.credits\n", "credits", true);
        assert!(
            coloured.starts_with("\x1b[1;31merror[E0100 unknown-unit]\x1b[0m"),
            "{coloured:?}"
        );
        assert!(
            coloured.contains("\x1b[1;31m^^^^^^^\x1b[0m"),
            "{coloured:?}"
        );
        // Without the escapes, the text is the same.
        let stripped = coloured
            .split('\x1b')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('m').map_or(part, |(_, rest)| rest)
                }
            })
            .collect::<String>();
        assert_eq!(stripped, plain);
    }
}
