//! Where a YAML syntax error began: a scan of a policy file's text for the quote or flow bracket
//! that was never closed, so a syntax error that serde-saphyr notices many lines later (an
//! unclosed `"` runs on to the next quote in the file; an unclosed `{` to the next key) is
//! reported at its opener, like rustc's "unclosed delimiter".
//!
//! The scan knows just enough YAML to find openers: a quote or bracket opens only at the start of
//! a scalar (after indentation, `key: `, `- `, or `[`, `{`, `,` inside a flow collection), so the
//! `'` of a plain `don't` is text; comments and the content of `|` and `>` blocks are skipped;
//! `\` escapes in double quotes and `''` in single quotes are honoured. It only runs after
//! serde-saphyr has failed, and it answers only when what it finds explains the failure.

/// A delimiter problem that explains a YAML syntax error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unclosed {
    /// A quote at `at` that is not closed on its line: closed at `closed` many lines on, or not
    /// at all (`None`, the file ends inside it).
    Quote {
        at: usize,
        quote: u8,
        closed: Option<usize>,
    },
    /// A flow `[` or `{` at `at` that is still open when the file ends.
    Flow { at: usize, open: u8 },
    /// A flow `[` or `{` at `at` closed by the other bracket at `closer`.
    Mismatched {
        at: usize,
        open: u8,
        closer: usize,
        close: u8,
    },
}

/// What the scan saw: quoted scalars that span lines, the first mismatched bracket, and the
/// brackets still open at the end.
#[derive(Default)]
struct Seen {
    multi_line_quotes: Vec<(usize, u8, Option<usize>)>,
    mismatched: Option<(usize, u8, usize, u8)>,
    open_at_end: Vec<(usize, u8)>,
}

fn scan(text: &str) -> Seen {
    let b = text.as_bytes();
    let mut seen = Seen::default();
    let mut flow: Vec<(usize, u8)> = Vec::new();
    let mut i = 0;
    // Whether the next character starts a scalar (so a quote or bracket there opens).
    let mut at_start = true;
    let mut line_start = true;
    // The indentation of the line that opened a `|` or `>` block, while inside its content.
    let mut block: Option<usize> = None;
    while i < b.len() {
        if line_start {
            line_start = false;
            let indent = b[i..].iter().take_while(|c| **c == b' ').count();
            let blank = matches!(b.get(i + indent), None | Some(b'\n' | b'\r'));
            if let Some(parent) = block {
                if blank || indent > parent {
                    i = skip_line(b, i);
                    line_start = true;
                    continue;
                }
                block = None;
            }
            if flow.is_empty() {
                at_start = true;
            }
        }
        let c = b[i];
        match c {
            b'\n' => {
                line_start = true;
                if !flow.is_empty() {
                    // In a flow collection a line break is a space.
                } else {
                    at_start = true;
                }
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                i = skip_line(b, i);
                line_start = true;
                continue;
            }
            b'"' | b'\'' if at_start => {
                let end = quoted_end(b, i, c);
                let closes_on_its_line = end.is_some_and(|e| !b[i..e].contains(&b'\n'));
                if !closes_on_its_line {
                    seen.multi_line_quotes.push((i, c, end));
                }
                let Some(end) = end else {
                    break;
                };
                i = end + 1;
                at_start = false;
                continue;
            }
            b'[' | b'{' if at_start || !flow.is_empty() => {
                flow.push((i, c));
                at_start = true;
            }
            b']' | b'}' if !flow.is_empty() => {
                if let Some((at, open)) = flow.pop() {
                    let matches = (open == b'[') == (c == b']');
                    if !matches && seen.mismatched.is_none() {
                        seen.mismatched = Some((at, open, i, c));
                    }
                }
                at_start = false;
            }
            b',' if !flow.is_empty() => at_start = true,
            b':' if !flow.is_empty()
                || matches!(b.get(i + 1), None | Some(b' ' | b'\n' | b'\r')) =>
            {
                at_start = true;
            }
            b'-' | b'?'
                if at_start && matches!(b.get(i + 1), None | Some(b' ' | b'\n' | b'\r')) => {}
            b'|' | b'>' if at_start && flow.is_empty() => {
                // A block scalar: its content is the following lines indented more than this one.
                let line_begin = text[..i].rfind('\n').map_or(0, |n| n + 1);
                let indent = b[line_begin..].iter().take_while(|c| **c == b' ').count();
                block = Some(indent);
                i = skip_line(b, i);
                line_start = true;
                continue;
            }
            _ => at_start = false,
        }
        i += 1;
    }
    seen.open_at_end = flow;
    seen
}

/// The index just past the line break that ends the line containing `i` (or the end).
fn skip_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(b.len(), |n| i + n + 1)
}

/// The index of the quote that closes the quoted scalar opening at `at`.
fn quoted_end(b: &[u8], at: usize, quote: u8) -> Option<usize> {
    let mut i = at + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// 0-based line numbers of byte offsets, from the line breaks found once.
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Self {
        Lines(text.match_indices('\n').map(|(i, _)| i).collect())
    }

    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&n| n < offset)
    }
}

/// `offset`, moved back to the start of the character it falls in (serde-saphyr's offsets are
/// trusted only so far).
fn on_char(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// The unclosed or mismatched delimiter that explains a syntax error serde-saphyr reported at
/// byte `error`, if the scan finds one that opened before it.
pub fn explain(text: &str, error: usize) -> Option<Unclosed> {
    let seen = scan(text);
    let lines = Lines::of(text);
    let error_line = lines.line(error);
    if let Some((at, open, closer, close)) = seen.mismatched {
        if at <= error && lines.line(closer) <= error_line {
            return Some(Unclosed::Mismatched {
                at,
                open,
                closer,
                close,
            });
        }
    }
    // A quoted scalar that runs over lines is what went wrong when the parser stopped where it
    // ended (or the file ended inside it); quoted text may span lines on purpose elsewhere.
    let quote = seen
        .multi_line_quotes
        .iter()
        .find(|(at, _, closed)| {
            // The file ending inside a quote explains any error; a quote closed lines later
            // explains one on the line it closes or the next.
            closed.is_none_or(|c| {
                let l = lines.line(c);
                *at < error && l <= error_line && l + 1 >= error_line
            })
        })
        .map(|&(at, quote, closed)| Unclosed::Quote { at, quote, closed });
    if quote.is_some() {
        return quote;
    }
    seen.open_at_end
        .iter()
        .rev()
        .find(|(at, _)| *at <= error)
        .map(|&(at, open)| Unclosed::Flow { at, open })
}

/// The `(start, end)` of the content of each line before the line of `offset`, last first,
/// skipping blank and comment lines.
fn content_lines_before(text: &str, offset: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let offset = on_char(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
    let before = &text[..line_start];
    let mut starts: Vec<usize> = vec![0];
    starts.extend(before.match_indices('\n').map(|(i, _)| i + 1));
    starts.into_iter().rev().filter_map(move |start| {
        let line = before.get(start..)?.split('\n').next()?;
        let content = line.trim_start_matches(' ');
        let code = content.trim_end();
        if code.is_empty() || code.starts_with('#') {
            return None;
        }
        let from = start + (line.len() - content.len());
        Some((from, from + code.len()))
    })
}

/// Whether `offset` is where its line's content starts (only spaces before it).
fn starts_its_line(text: &str, offset: usize) -> bool {
    let offset = on_char(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
    text[line_start..offset].bytes().all(|b| b == b' ')
}

/// For "did not find expected <document start>" at `offset`: the document's root ended before
/// it, on the content line above (a stray line of text, a list item), which is the mistake.
pub fn ended_the_document(text: &str, offset: usize) -> Option<(usize, usize)> {
    if !starts_its_line(text, offset) {
        return None;
    }
    content_lines_before(text, offset).next()
}

/// For "did not find expected '-' indicator" at `offset`: the `-` that began the list the
/// parser was reading (a stray `- ` line above, or the list an item lacks its `-` in).
pub fn list_began(text: &str, offset: usize) -> Option<usize> {
    if !starts_its_line(text, offset) {
        return None;
    }
    let offset = on_char(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
    let indent = offset - line_start;
    let mut began = None;
    for (from, _) in content_lines_before(text, offset) {
        let start = text[..from].rfind('\n').map_or(0, |n| n + 1);
        let here = from - start;
        if here < indent {
            break;
        }
        if here == indent && text[from..].starts_with('-') {
            began = Some(from);
        }
    }
    began
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_opener_that_explains_the_error() {
        let text = "a: \"1\nb: 2\nc: don't \"x\"\n";
        // The quote on line 1 runs to the `"` of line 3, where the parser stops.
        assert_eq!(
            explain(text, text.len() - 2),
            Some(Unclosed::Quote {
                at: 3,
                quote: b'"',
                closed: Some(20)
            })
        );
        let text = "a: { b: 1\nc: [x, y]\n";
        assert_eq!(
            explain(text, 11),
            Some(Unclosed::Flow { at: 3, open: b'{' })
        );
        let text = "a: [x, y}\n";
        assert_eq!(
            explain(text, 8),
            Some(Unclosed::Mismatched {
                at: 3,
                open: b'[',
                closer: 8,
                close: b'}'
            })
        );
        // Quotes inside plain scalars, comments and block scalars open nothing.
        let text = "a: it's\n# don't \"\nb: |\n  \"x\n  [y\nc: [z]\n";
        assert_eq!(explain(text, text.len()), None);
        // A quoted text that spans lines on purpose does not explain a later error.
        let text = "a: \"one\n  two\"\nb: 1\nc: 2\nd: 3\n";
        assert_eq!(explain(text, text.len() - 1), None);
    }

    #[test]
    fn finds_where_a_document_or_a_list_began() {
        let text = "# c\nstray text\n# c\npolicy: x\n";
        assert_eq!(ended_the_document(text, 19), Some((4, 14)));
        let text = "hooks:\n  - : :\n  # c\n  name:\n";
        assert_eq!(list_began(text, 23), Some(9));
    }
}
