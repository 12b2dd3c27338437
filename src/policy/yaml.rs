//! Reading YAML into a tree of nodes that know where they sit in the file.
//!
//! serde-saphyr parses; we deserialize into our own [`YNode`] tree through `Spanned`, so the
//! policy reader can report every problem with its location instead of stopping at serde's
//! first error. Every scalar is kept as text (numbers are never read through `f64`).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::scalar_map;
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
    pub fn describe(&self) -> &'static str {
        match self.kind {
            YKind::Null => "nothing",
            YKind::Scalar(_) => "a value",
            YKind::Seq(_) => "a list",
            YKind::Map(_) => "a mapping",
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

/// Parses a file's text. A YAML syntax error is one diagnostic at the place serde-saphyr names.
pub fn parse(text: &str, file: FileId) -> Result<YNode, Diagnostic> {
    match serde_saphyr::from_str::<Spanned<Raw>>(text) {
        Ok(root) => Ok(convert(root, text, file)),
        Err(e) => {
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or("invalid YAML");
            // "error: line 2 column 2: illegal placement of ':' indicator" -> the message part.
            let message = first
                .find("column ")
                .and_then(|i| first[i..].find(": ").map(|j| &first[i + j + 2..]))
                .unwrap_or(first)
                .trim();
            let span = e
                .location()
                .and_then(|l| l.span().byte_offset())
                .map(|o| usize::try_from(o).unwrap_or(0))
                .map(|o| {
                    Span::new(
                        file,
                        o,
                        o + text
                            .get(o..)
                            .and_then(|s| s.chars().next())
                            .map_or(0, char::len_utf8),
                    )
                });
            let mut d = Diagnostic::error(Code::YamlSyntax, format!("invalid YAML: {message}"))
                .with_help(
                    "check indentation, `:` after keys, and that quotes and brackets are closed",
                );
            if let Some(s) = span {
                d = d.at(s);
            }
            Err(d)
        }
    }
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
        Raw::Seq(items) => YNode {
            kind: YKind::Seq(items.into_iter().map(|i| convert(i, text, file)).collect()),
            span,
            origin: None,
        },
        Raw::Map(entries) => YNode {
            kind: YKind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (convert(k, text, file), convert(v, text, file)))
                    .collect(),
            ),
            span,
            origin: None,
        },
    }
}
