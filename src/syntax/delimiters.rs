//! Finding where an unbalanced delimiter began: a scan over an expression's text (string
//! literals with their escapes, `//` comments) for the first bracket or quote that is never
//! closed or is closed by the wrong bracket. It runs only when pest has failed, so a
//! well-bracketed expression keeps pest's own error; when the brackets do not balance, the
//! diagnostic points at the opener, as rustc's "unclosed delimiter" does, with a secondary label
//! where the parser noticed.
//!
//! The grammar has no raw or triple-quoted strings, and its strings never span a line break, so a
//! quote is closed by the same quote on its line or not at all.

use super::Origin;
use super::ast::Range;
use crate::diag::{Code, Diagnostic};

/// The first delimiter problem of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unbalanced {
    /// A `(`, `[` or `{` at `at` that is still open at the end of the text.
    Unclosed { at: usize, open: u8 },
    /// A `'` or `"` at `at` whose text reaches the end of its line (`end`) unclosed.
    UnclosedText { at: usize, quote: u8, end: usize },
    /// An opener at `at` closed by the wrong closer at `closer`.
    Mismatched {
        at: usize,
        open: u8,
        closer: usize,
        close: u8,
    },
}

impl Unbalanced {
    /// Where a parser meets the problem: an error of pest's from here on is its symptom.
    pub(super) fn noticed_from(self, text: &str) -> usize {
        match self {
            Unbalanced::Unclosed { .. } => text.trim_end().len(),
            Unbalanced::UnclosedText { at, .. } => at,
            Unbalanced::Mismatched { closer, .. } => closer,
        }
    }
}

fn closer_of(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

/// The first unbalanced delimiter of `text`, or `None` when every bracket and quote is closed
/// (a closer with no opener is left to the parser, which reports it where it is).
pub(super) fn scan(text: &str) -> Option<Unbalanced> {
    scan_as(text, false)
}

/// [`scan`] for an expression (`rhai: false`) or a rhai script, which also has `/* */`
/// comments and `` `...` `` strings that may span lines.
fn scan_as(text: &str, rhai: bool) -> Option<Unbalanced> {
    let bytes = text.as_bytes();
    let mut open: Vec<(usize, u8)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' if rhai => {
                let at = i;
                i += 1;
                while bytes.get(i).is_some_and(|b| *b != b'`') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    let end = text.trim_end().len().max(at + 1);
                    return Some(Unbalanced::UnclosedText {
                        at,
                        quote: b'`',
                        end,
                    });
                }
            }
            b'/' if rhai && bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            quote @ (b'"' | b'\'') => {
                let at = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            let end = i.min(bytes.len());
                            let end = at + 1 + text[at + 1..end].trim_end().len();
                            return Some(Unbalanced::UnclosedText { at, quote, end });
                        }
                        Some(b'\\') => i += 2,
                        Some(&b) if b == quote => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b @ (b'(' | b'[' | b'{') => open.push((i, b)),
            b @ (b')' | b']' | b'}') => match open.pop() {
                Some((at, o)) if closer_of(o) != b => {
                    return Some(Unbalanced::Mismatched {
                        at,
                        open: o,
                        closer: i,
                        close: b,
                    });
                }
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
    open.last()
        .map(|&(at, open)| Unbalanced::Unclosed { at, open })
}

/// For a rhai script that did not compile, where rhai stopped at byte `stopped`: the unbalanced
/// delimiter that explains it, as a diagnostic at the opener (its code and message are the
/// caller's to adjust), or `None` when the delimiters balance or rhai stopped before the
/// imbalance shows (its own error is then about something else).
pub(crate) fn explain_script(text: &str, stopped: usize, origin: &Origin) -> Option<Diagnostic> {
    let u = scan_as(text, true)?;
    (stopped >= u.noticed_from(text)).then(|| diagnostic(u, text, origin, "script"))
}

/// The diagnostic for a delimiter problem, with the opener as its place.
/// `whole` names what the text is (`expression`, `script`).
pub(super) fn diagnostic(u: Unbalanced, text: &str, origin: &Origin, whole: &str) -> Diagnostic {
    let c = |b: u8| char::from(b);
    match u {
        Unbalanced::Unclosed { at, open } => {
            let end = text.trim_end().len();
            Diagnostic::error(
                Code::UnclosedDelimiter,
                format!("this `{}` is never closed", c(open)),
            )
            .at(origin.span(Range::new(at, at + 1)))
            .with_label(
                origin.span(Range::new(end, end)),
                format!("the parser reached the end of the {whole} here"),
            )
            .with_help(format!(
                "add `{}` where the part that `{}` opens ends",
                c(closer_of(open)),
                c(open)
            ))
        }
        Unbalanced::UnclosedText { at, quote, end } => {
            let line_ends = text.as_bytes().get(end..).is_some_and(|r| {
                r.iter()
                    .take_while(|b| **b != b'\n')
                    .all(u8::is_ascii_whitespace)
                    && r.contains(&b'\n')
            });
            let label = if line_ends && quote != b'`' {
                "the text reaches the end of the line here".to_string()
            } else {
                format!("the parser reached the end of the {whole} here")
            };
            let help = if quote == b'`' {
                "close the text with a matching `` ` ``".to_string()
            } else {
                format!(
                    "close the text with a matching `{}` on the same line",
                    c(quote)
                )
            };
            Diagnostic::error(
                Code::UnclosedDelimiter,
                format!("this `{}` is never closed", c(quote)),
            )
            .at(origin.span(Range::new(at, at + 1)))
            .with_label(origin.span(Range::new(end, end)), label)
            .with_help(help)
        }
        Unbalanced::Mismatched {
            at,
            open,
            closer,
            close,
        } => Diagnostic::error(
            Code::MismatchedDelimiter,
            format!("this `{}` is closed by `{}`", c(open), c(close)),
        )
        .at(origin.span(Range::new(at, at + 1)))
        .with_label(
            origin.span(Range::new(closer, closer + 1)),
            format!(
                "`{}` does not close `{}`: expected `{}`",
                c(close),
                c(open),
                c(closer_of(open))
            ),
        )
        .with_help(format!(
            "close `{}` with `{}`, or remove the `{}`",
            c(open),
            c(closer_of(open)),
            c(close)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_unbalanced_delimiter() {
        assert_eq!(scan("(a && b) || c"), None);
        assert_eq!(scan("f(\"(\", ')')"), None);
        assert_eq!(scan("\"a\\\"(\" + x"), None);
        assert_eq!(scan("a // ( comment\n+ b"), None);
        assert_eq!(
            scan("(a && [b)"),
            Some(Unbalanced::Mismatched {
                at: 6,
                open: b'[',
                closer: 8,
                close: b')'
            })
        );
        assert_eq!(
            scan("x + (a && (b)"),
            Some(Unbalanced::Unclosed { at: 4, open: b'(' })
        );
        assert_eq!(
            scan("a == \"pro  \nb"),
            Some(Unbalanced::UnclosedText {
                at: 5,
                quote: b'"',
                end: 9
            })
        );
        assert_eq!(
            scan("a == 'x\\'"),
            Some(Unbalanced::UnclosedText {
                at: 5,
                quote: b'\'',
                end: 9
            })
        );
        // A closer with no opener is the parser's to report.
        assert_eq!(scan("a)"), None);
        // Rhai scripts: backtick strings over lines, block comments.
        assert_eq!(
            scan_as("print(`a ( ${x}\n)`); /* ( */ if x { 1 }", true),
            None
        );
        assert_eq!(
            scan_as("if x {{ 1 }\n", true),
            Some(Unbalanced::Unclosed { at: 5, open: b'{' })
        );
    }
}
