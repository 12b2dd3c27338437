//! Small readers from [`YNode`]s to typed values, each reporting into a shared diagnostics bag
//! and never stopping the whole read: a bad field yields `None` and the reader moves on.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::yaml::{YKind, YNode};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};

/// The fields of one YAML mapping, with unknown-key detection when done.
pub struct Fields<'n> {
    pub node: &'n YNode,
    entries: Vec<(&'n str, &'n YNode, &'n YNode)>,
    used: Vec<bool>,
    what: &'static str,
}

impl<'n> Fields<'n> {
    /// Opens a mapping; reports and returns `None` if the node is not one.
    pub fn open(
        node: &'n YNode,
        what: &'static str,
        diags: &mut Diagnostics,
    ) -> Option<Fields<'n>> {
        match &node.kind {
            YKind::Map(entries) => {
                let mut out = Vec::new();
                for (k, v) in entries {
                    match k.as_scalar() {
                        Some(name) => out.push((name, k, v)),
                        None => diags.push(
                            Diagnostic::error(
                                Code::WrongType,
                                format!("a key in {what} must be a name, found {}", k.describe()),
                            )
                            .at(k.span)
                            .with_help("keys are plain names, like `credit`"),
                        ),
                    }
                }
                let used = vec![false; out.len()];
                Some(Fields {
                    node,
                    entries: out,
                    used,
                    what,
                })
            }
            YKind::Null => Some(Fields {
                node,
                entries: Vec::new(),
                used: Vec::new(),
                what,
            }),
            _ => {
                diags.push(
                    Diagnostic::error(
                        Code::WrongType,
                        format!(
                            "{what} must be a mapping of `key: value`, found {}",
                            node.describe()
                        ),
                    )
                    .at(node.span)
                    .with_help("write one `key: value` per line, indented under it"),
                );
                None
            }
        }
    }

    /// An optional field.
    pub fn get(&mut self, key: &str) -> Option<&'n YNode> {
        let i = self.entries.iter().position(|(k, _, _)| *k == key)?;
        self.used[i] = true;
        Some(self.entries[i].2)
    }

    /// A required field; reports when missing.
    pub fn require(&mut self, key: &str, diags: &mut Diagnostics) -> Option<&'n YNode> {
        let found = self.get(key);
        if found.is_none() {
            diags.push(
                Diagnostic::error(Code::MissingKey, format!("{} needs `{key}`", self.what))
                    .at(self.key_span())
                    .with_help(format!("add `{key}:` here")),
            );
        }
        found
    }

    /// Where to point for a problem with the mapping as a whole: its first key, or the node.
    fn key_span(&self) -> Span {
        self.entries
            .first()
            .map(|(_, k, _)| k.span)
            .unwrap_or(self.node.span)
    }

    /// Every entry, for mappings whose keys are names the user chooses (units, plans, ...).
    pub fn all(&mut self) -> Vec<(&'n str, &'n YNode, &'n YNode)> {
        self.used.iter_mut().for_each(|u| *u = true);
        self.entries.clone()
    }

    /// Reports every key that was never asked for, suggesting the nearest known key.
    pub fn finish(self, known: &[&str], diags: &mut Diagnostics) {
        for (i, (key, knode, _)) in self.entries.iter().enumerate() {
            if !self.used[i] {
                let d = Diagnostic::error(
                    Code::UnknownKey,
                    format!("unknown key `{key}` in {}", self.what),
                )
                .at(knode.span);
                diags.push(d.suggest_or_list(key, known, "known keys"));
            }
        }
    }
}

/// A scalar as text.
pub fn text(node: &YNode, what: &str, diags: &mut Diagnostics) -> Option<String> {
    match &node.kind {
        YKind::Scalar(s) => Some(s.clone()),
        _ => {
            diags.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!("{what} must be text, found {}", node.describe()),
                )
                .at(node.span)
                .with_help("write a single value here, quoted if it contains `:` or `#`"),
            );
            None
        }
    }
}

/// `true` or `false` (also `yes`/`no`, which pricing people write).
pub fn boolean(node: &YNode, what: &str, diags: &mut Diagnostics) -> Option<bool> {
    match node.as_scalar().map(str::trim) {
        Some("true" | "yes" | "on") => Some(true),
        Some("false" | "no" | "off") => Some(false),
        _ => {
            diags.push(
                Diagnostic::error(Code::WrongType, format!("{what} must be `true` or `false`"))
                    .at(node.span)
                    .with_help("write `true` or `false`"),
            );
            None
        }
    }
}

/// One of a fixed set of words.
pub fn word<'w>(
    node: &YNode,
    what: &str,
    words: &[&'w str],
    diags: &mut Diagnostics,
) -> Option<&'w str> {
    let s = node.as_scalar().map(str::trim);
    if let Some(w) = s.and_then(|s| words.iter().find(|w| **w == s)) {
        return Some(w);
    }
    let shown = s.map_or_else(|| node.describe().to_string(), |s| format!("`{s}`"));
    let d =
        Diagnostic::error(Code::InvalidValue, format!("{what} cannot be {shown}")).at(node.span);
    diags.push(d.suggest_or_list(s.unwrap_or(""), words, "allowed values"));
    None
}

/// A non-negative exact decimal with at most `decimals` places, read from text.
pub fn amount(node: &YNode, what: &str, decimals: u32, diags: &mut Diagnostics) -> Option<Decimal> {
    let s = node.as_scalar().map(str::trim).unwrap_or("");
    let parsed = Decimal::from_str_exact(s)
        .ok()
        .filter(|_| !s.is_empty() && !s.starts_with('+'));
    match parsed {
        Some(d) if d.is_sign_negative() && !d.is_zero() => {
            diags.push(
                Diagnostic::error(Code::InvalidAmount, format!("{what} cannot be negative"))
                    .at(node.span),
            );
            None
        }
        Some(d) if d.normalize().scale() > decimals => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidAmount,
                    format!(
                        "{what} `{s}` has more decimal places than its unit allows ({decimals})"
                    ),
                )
                .at(node.span)
                .with_help(format!(
                    "round it to {decimals} decimal place(s), or raise the unit's `decimals`"
                )),
            );
            None
        }
        Some(d) if d > crate::amount::MAX => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidAmount,
                    format!("{what} `{s}` is larger than the largest supported amount (10^15)"),
                )
                .at(node.span)
                .with_help("amounts are at most 1 000 000 000 000 000"),
            );
            None
        }
        Some(d) => Some(d),
        None => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidAmount,
                    format!("{what} must be an exact number, found `{s}`"),
                )
                .at(node.span)
                .with_help("write digits with an optional decimal point, like `40` or `12.5`"),
            );
            None
        }
    }
}

/// A whole number within `range`.
pub fn integer(
    node: &YNode,
    what: &str,
    range: std::ops::RangeInclusive<i64>,
    diags: &mut Diagnostics,
) -> Option<i64> {
    let s = node.as_scalar().map(str::trim).unwrap_or("");
    match s.parse::<i64>() {
        Ok(v) if range.contains(&v) => Some(v),
        _ => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "{what} must be a whole number from {} to {}, found `{s}`",
                        range.start(),
                        range.end()
                    ),
                )
                .at(node.span),
            );
            None
        }
    }
}

/// An RFC 3339 instant such as `2026-03-16T00:00:00Z`.
pub fn instant(node: &YNode, what: &str, diags: &mut Diagnostics) -> Option<DateTime<Utc>> {
    let s = node.as_scalar().map(str::trim).unwrap_or("");
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidInstant,
                    format!("{what} must be a date and time with its offset, found `{s}`"),
                )
                .at(node.span)
                .with_help("write it like `2026-03-16T00:00:00Z`"),
            );
            None
        }
    }
}

/// A duration such as `15m`, `2h`, `7d` or `90s`, in seconds.
pub fn duration(node: &YNode, what: &str, diags: &mut Diagnostics) -> Option<i64> {
    let s = node.as_scalar().map(str::trim).unwrap_or("");
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: Option<i64> = digits.parse().ok();
    let mult = match unit {
        "s" => Some(1),
        "m" => Some(60),
        "h" => Some(3600),
        "d" => Some(86_400),
        _ => None,
    };
    match (n, mult) {
        (Some(n), Some(m)) if n > 0 => n.checked_mul(m).filter(|v| *v <= 366 * 86_400),
        _ => None,
    }
    .or_else(|| {
        diags.push(
            Diagnostic::error(
                Code::InvalidInstant,
                format!("{what} must be a duration like `15m`, `2h` or `7d`, found `{s}`"),
            )
            .at(node.span)
            .with_help("a positive number followed by `s`, `m`, `h` or `d`, at most a year"),
        );
        None
    })
}
