//! Reading YAML into a tree of nodes that know where they sit in the file.
//!
//! serde-saphyr parses; we deserialize into our own [`YNode`] tree through `Spanned`, so the
//! policy reader can report every problem with its location instead of stopping at serde's
//! first error. Every scalar is kept as text (numbers are never read through `f64`).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::scalar_map;
use super::unclosed::{self, Unclosed};
use crate::diag::{Code, Diagnostic, FileId, Span};
use crate::syntax::Origin;

/// A YAML node with its span in the file.
#[derive(Debug, Clone)]
pub struct YNode {
    pub kind: YKind,
    pub span: Span,
    /// For scalars: how the decoded text maps back to file offsets.
    origin: Option<Origin>,
}

#[derive(Debug, Clone)]
pub enum YKind {
    Null,
    /// Any scalar, as text: the decoded content of quoted and block scalars, the source text of
    /// plain ones (so `1.50` stays `1.50` and `y` stays `y`).
    Scalar(String),
    Seq(Vec<YNode>),
    Map(Vec<(YNode, YNode)>),
}

impl YNode {
    /// How the node is named in a message: `` the text `monthly` ``, `a list`, ...
    pub fn describe(&self) -> String {
        match &self.kind {
            YKind::Null => "nothing".into(),
            YKind::Scalar(s) if s.chars().count() <= 40 && !s.contains('\n') => format!("`{s}`"),
            YKind::Scalar(_) => "a text".into(),
            YKind::Seq(_) => "a list".into(),
            YKind::Map(_) => "a mapping".into(),
        }
    }

    pub fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            YKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// How offsets in this scalar's text map to the file (for expressions inside it).
    pub fn origin(&self) -> Origin {
        self.origin
            .clone()
            .unwrap_or_else(|| Origin::verbatim(self.span.file, self.span.start as usize))
    }
}

/// What serde hands us, before spans are resolved against the source text.
enum Raw {
    Text(String),
    Other,
    Null,
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Text(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::Text(v))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Raw, E> {
                Ok(Raw::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Raw, E> {
                Ok(Raw::Other)
            }
            fn visit_i128<E: de::Error>(self, _: i128) -> Result<Raw, E> {
                Ok(Raw::Other)
            }
            fn visit_u128<E: de::Error>(self, _: u128) -> Result<Raw, E> {
                Ok(Raw::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Raw, E> {
                Ok(Raw::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Raw, E> {
                Ok(Raw::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                Raw::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Raw::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    v.push(entry);
                }
                Ok(Raw::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses a file's text. A YAML syntax error is one diagnostic at the place serde-saphyr names,
/// or where the mistake began when that is elsewhere: the opener of a quote or flow bracket never
/// closed ([`unclosed`]), the line that ended the document, with the parser's place as a label.
pub fn parse(text: &str, file: FileId) -> Result<YNode, Diagnostic> {
    match serde_saphyr::from_str::<Spanned<Raw>>(text) {
        Ok(root) => Ok(convert(root, text, file)),
        Err(e) => Err(syntax_error(&e, text, file)),
    }
}

fn syntax_error(e: &serde_saphyr::Error, text: &str, file: FileId) -> Diagnostic {
    let rendered = e.to_string();
    let first = rendered.lines().next().unwrap_or("invalid YAML");
    // "error: line 2 column 2: illegal placement of ':' indicator" -> the message part.
    let message = first
        .find("column ")
        .and_then(|i| first[i..].find(": ").map(|j| &first[i + j + 2..]))
        .unwrap_or(first)
        .trim();
    let duplicate = message.starts_with("duplicate mapping key");
    // serde-saphyr's own advice on options is not for policy authors.
    let message = message
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(message);
    // The byte offset when known, else the line and column.
    let offset = e.location().and_then(|l| {
        let by_byte = l.span().byte_offset().and_then(|o| usize::try_from(o).ok());
        by_byte.or_else(|| offset_of(text, l.line(), l.column()))
    });
    let budget = crate::document::yaml_budget(message);
    let help = match &budget {
        Some((_, help)) => help,
        None if duplicate => "each key may appear only once in a mapping: remove or rename one",
        None => {
            "check indentation (spaces, not tabs), `:` after keys, and that quotes and brackets are closed"
        }
    };
    let headline = match &budget {
        Some((what, _)) => format!("the file is past a bound: {what}"),
        None => format!("invalid YAML: {message}"),
    };
    let mut d = Diagnostic::error(Code::YamlSyntax, headline).with_help(help.to_string());
    // A tab is reported where the scanner gave up, which can be a line early: point at the tab.
    let offset = if message.contains("tab") {
        offset.map(|o| nearest_tab(text, o))
    } else {
        offset
    };
    if budget.is_none() && !duplicate && !message.contains("tab") {
        let error = offset.unwrap_or(text.len()).min(text.len());
        if let Some(u) = unclosed::explain(text, error) {
            return unclosed_error(u, text, file, error);
        }
    }
    if message.contains("expected <document start>") {
        if let Some((from, to)) = offset.and_then(|o| unclosed::ended_the_document(text, o)) {
            let o = offset.unwrap_or(from);
            return Diagnostic::error(
                Code::YamlSyntax,
                "invalid YAML: the document ends with this line, so the lines after it cannot be read",
            )
            .at(Span::new(file, from, to))
            .with_label(Span::new(file, o, o), "the YAML parser expected a new document here")
            .with_help("a policy file is one mapping of `key: value` lines: remove this line or give it a key");
        }
    }
    if message.contains("expected '-' indicator") {
        if let Some(began) = offset.and_then(|o| unclosed::list_began(text, o)) {
            d = d.with_label(Span::new(file, began, began + 1), "the list began here");
        }
    }
    if let Some(o) = offset.map(|o| o.min(text.len())) {
        let rest = text.get(o..).unwrap_or("");
        let width = if duplicate {
            // The whole key, not just its first character.
            rest.find([':', '\n', ' ']).unwrap_or(rest.len())
        } else {
            rest.chars().next().map_or(0, char::len_utf8)
        };
        d = d.at(Span::new(file, o, o + width));
    }
    d
}

/// The diagnostic for an unclosed or mismatched quote or bracket, at its opener, with a label
/// where the text ran on to (or where the parser noticed).
fn unclosed_error(u: Unclosed, text: &str, file: FileId, error: usize) -> Diagnostic {
    let one = |at: usize| Span::new(file, at, at + 1);
    let c = |b: u8| char::from(b);
    let lines = |from: usize, to: usize| {
        text.get(from..to)
            .map_or(0, |t| t.bytes().filter(|b| *b == b'\n').count())
    };
    // The end of the last line with text, so the label sits under something.
    let end_of_text = text.trim_end().len();
    let later = |n: usize| match n {
        1 => "on the next line".to_string(),
        n => format!("{n} lines later"),
    };
    match u {
        Unclosed::Quote { at, quote, closed } => {
            let d = Diagnostic::error(
                Code::YamlUnclosed,
                format!("this `{}` is never closed", c(quote)),
            )
            .at(one(at))
            .with_help(format!(
                "close the quoted text with `{}` where it ends; quoted text runs on over lines until the next `{}`",
                c(quote),
                c(quote)
            ));
            match closed {
                Some(end) => d.with_label(
                    one(end),
                    format!(
                        "the text runs on to this `{}`, {}, where the YAML parser stops",
                        c(quote),
                        later(lines(at, end))
                    ),
                ),
                None => d.with_label(
                    Span::new(file, end_of_text, end_of_text),
                    "the file ends inside the quoted text",
                ),
            }
        }
        Unclosed::Flow { at, open } => {
            let close = if open == b'[' { ']' } else { '}' };
            let what = if open == b'[' { "list" } else { "mapping" };
            // serde-saphyr names the opener itself when the file ends inside the collection.
            let (noticed, label) = if error > at {
                (
                    error,
                    format!(
                        "the YAML parser noticed here, still inside the `{}`",
                        c(open)
                    ),
                )
            } else {
                (
                    end_of_text,
                    format!("the file ends inside the `{}`", c(open)),
                )
            };
            Diagnostic::error(
                Code::YamlUnclosed,
                format!("this `{}` is never closed", c(open)),
            )
            .at(one(at))
            .with_label(Span::new(file, noticed, noticed), label)
            .with_help(format!(
                "close the flow {what} with `{close}`, or write it as a block {what} on indented lines"
            ))
        }
        Unclosed::Mismatched {
            at,
            open,
            closer,
            close,
        } => {
            let expected = if open == b'[' { ']' } else { '}' };
            Diagnostic::error(
                Code::YamlMismatched,
                format!("this `{}` is closed by `{}`", c(open), c(close)),
            )
            .at(one(at))
            .with_label(
                one(closer),
                format!(
                    "`{}` does not close `{}`: expected `{expected}`",
                    c(close),
                    c(open)
                ),
            )
            .with_help(format!("close `{}` with `{expected}`", c(open)))
        }
    }
}

/// Byte offset of a 1-based line and 1-based character column.
fn offset_of(text: &str, line: u64, column: u64) -> Option<usize> {
    let line = usize::try_from(line).ok()?.checked_sub(1)?;
    let column = usize::try_from(column).ok()?.checked_sub(1)?;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let in_line = text.get(start..)?.split('\n').next()?;
    let within: usize = in_line.chars().take(column).map(char::len_utf8).sum();
    Some(start + within)
}

fn span_of(s: &serde_saphyr::Location, text: &str, file: FileId) -> Span {
    let sp = s.span();
    let start = sp
        .byte_offset()
        .map_or(0, |o| usize::try_from(o).unwrap_or(0))
        .min(text.len());
    let len = sp.byte_len().map_or(0, |l| usize::try_from(l).unwrap_or(0));
    Span::new(file, start, (start + len).min(text.len()))
}

fn convert(node: Spanned<Raw>, text: &str, file: FileId) -> YNode {
    let span = span_of(&node.referenced, text, file);
    // Aliases point at `*name`; their content lives where the anchor defined it.
    let defined = span_of(&node.defined, text, file);
    match node.value {
        Raw::Null => YNode {
            kind: YKind::Null,
            span,
            origin: None,
        },
        Raw::Other => {
            let raw = text
                .get(defined.start as usize..defined.end as usize)
                .unwrap_or("")
                .to_string();
            YNode {
                kind: YKind::Scalar(raw),
                span,
                origin: None,
            }
        }
        Raw::Text(value) => {
            let raw = text
                .get(defined.start as usize..defined.end as usize)
                .unwrap_or("");
            let origin = scalar_map::origin(&value, raw, file, defined.start as usize);
            // The span covers the visible scalar, but never its trailing line break.
            let trimmed_end = span.start + raw.trim_end_matches(['\n', '\r']).len() as u32;
            let span = Span {
                end: trimmed_end.max(span.start),
                ..span
            };
            YNode {
                kind: YKind::Scalar(value),
                span,
                origin: Some(origin),
            }
        }
        Raw::Seq(items) => {
            let items: Vec<YNode> = items.into_iter().map(|i| convert(i, text, file)).collect();
            let last = items.last().map(|n| n.span.end);
            YNode {
                kind: YKind::Seq(items),
                span: collection_span(span, last, text),
                origin: None,
            }
        }
        Raw::Map(entries) => {
            let entries: Vec<(YNode, YNode)> = entries
                .into_iter()
                .map(|(k, v)| (convert(k, text, file), convert(v, text, file)))
                .collect();
            let last = entries.last().map(|(k, v)| k.span.end.max(v.span.end));
            YNode {
                kind: YKind::Map(entries),
                span: collection_span(span, last, text),
                origin: None,
            }
        }
    }
}

/// A list or mapping spans from its start to its last item, and for `[...]` and `{...}` to the
/// closing bracket, so a caret can underline the whole value.
fn collection_span(span: Span, last_item_end: Option<u32>, text: &str) -> Span {
    let mut end = span.end.max(last_item_end.unwrap_or(span.end));
    let closer = match text.as_bytes().get(span.start as usize) {
        Some(b'[') => Some(b']'),
        Some(b'{') => Some(b'}'),
        _ => None,
    };
    if let Some(closer) = closer {
        let bytes = text.as_bytes();
        let mut i = end as usize;
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r' | b',') {
            i += 1;
        }
        if bytes.get(i) == Some(&closer) {
            end = u32::try_from(i + 1).unwrap_or(end);
        }
    }
    Span { end, ..span }
}

/// The first tab from the start of `offset`'s line through the next line, or `offset` itself.
fn nearest_tab(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let line_start = text
        .get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let window_end = text
        .get(line_start..)
        .and_then(|t| t.match_indices('\n').nth(1).map(|(i, _)| line_start + i))
        .unwrap_or(text.len());
    text.get(line_start..window_end)
        .and_then(|w| w.find('\t'))
        .map_or(offset, |i| line_start + i)
}
