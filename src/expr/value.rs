//! Runtime values. Amounts are exact decimals; text borrows from the snapshot when it can.

use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// Text that is either borrowed from the input (no allocation) or shared.
#[derive(Debug, Clone)]
pub enum Text<'a> {
    Borrowed(&'a str),
    Shared(Arc<str>),
}

impl Text<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Shared(s) => s,
        }
    }
}

/// A value an expression computes or reads.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An exact decimal; amounts of every unit are decimals at run time (units are checked at
    /// load time).
    Dec(Decimal),
    Str(Text<'a>),
    List(Arc<[Value<'a>]>),
    Map(Arc<[(Value<'a>, Value<'a>)]>),
}

impl<'a> Value<'a> {
    pub fn str(s: &'a str) -> Self {
        Value::Str(Text::Borrowed(s))
    }

    pub fn shared_str(s: &str) -> Self {
        Value::Str(Text::Shared(Arc::from(s)))
    }

    /// The CEL type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Dec(_) => "decimal",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// CEL equality: numbers compare by value across int and decimal, containers element-wise,
    /// values of different types are unequal.
    pub fn equals(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Dec(a), Value::Dec(b)) => a == b,
            (Value::Int(a), Value::Dec(b)) | (Value::Dec(b), Value::Int(a)) => {
                Decimal::from(*a) == *b
            }
            (Value::Str(a), Value::Str(b)) => a.as_str() == b.as_str(),
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equals(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(k2, v2)| k.equals(k2) && v.equals(v2)))
            }
            _ => false,
        }
    }

    /// CEL ordering, defined for numbers, text and bools; `None` where no order exists.
    pub fn compare(&self, other: &Value<'_>) -> Option<Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Dec(a), Value::Dec(b)) => Some(a.cmp(b)),
            (Value::Int(a), Value::Dec(b)) => Some(Decimal::from(*a).cmp(b)),
            (Value::Dec(a), Value::Int(b)) => Some(a.cmp(&Decimal::from(*b))),
            (Value::Str(a), Value::Str(b)) => Some(a.as_str().cmp(b.as_str())),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Reads a JSON value; JSON numbers are read from their text, so `0.1` stays exactly `0.1`.
    pub fn from_json(json: &serde_json::Value) -> Result<Value<'static>, String> {
        Ok(match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else {
                    let text = n.to_string();
                    let d = if text.contains(['e', 'E']) {
                        Decimal::from_scientific(&text)
                    } else {
                        Decimal::from_str_exact(&text)
                    };
                    Value::Dec(d.map_err(|_| format!("number `{text}` cannot be held exactly"))?)
                }
            }
            serde_json::Value::String(s) => Value::shared_str(s),
            serde_json::Value::Array(items) => Value::List(
                items
                    .iter()
                    .map(Value::from_json)
                    .collect::<Result<Vec<_>, _>>()?
                    .into(),
            ),
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| Ok((Value::shared_str(k), Value::from_json(v)?)))
                    .collect::<Result<Vec<_>, String>>()?
                    .into(),
            ),
        })
    }

    /// Reads JSON text with every number taken from its literal, so `12345678901234567.5` stays
    /// exactly that (a parsed `serde_json::Value` would already have rounded it through `f64`).
    pub fn from_json_text(text: &str) -> Result<Value<'static>, String> {
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(text).map_err(|e| e.to_string())?;
        Value::from_raw(raw, 0)
    }

    /// One raw JSON value; `depth` bounds the nesting (serde_json's own limit is 128).
    fn from_raw(raw: &serde_json::value::RawValue, depth: usize) -> Result<Value<'static>, String> {
        const MAX_DEPTH: usize = 128;
        if depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} deep"));
        }
        let text = raw.get().trim();
        let parse_err = |e: serde_json::Error| e.to_string();
        match text.as_bytes().first() {
            Some(b'{') => {
                // Sorted by key, the last of repeated keys kept: as a `serde_json::Map` reads it.
                let map: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
                    serde_json::from_str(text).map_err(parse_err)?;
                Ok(Value::Map(
                    map.into_iter()
                        .map(|(k, v)| Ok((Value::shared_str(&k), Value::from_raw(v, depth + 1)?)))
                        .collect::<Result<Vec<_>, String>>()?
                        .into(),
                ))
            }
            Some(b'[') => {
                let items: Vec<&serde_json::value::RawValue> =
                    serde_json::from_str(text).map_err(parse_err)?;
                Ok(Value::List(
                    items
                        .into_iter()
                        .map(|v| Value::from_raw(v, depth + 1))
                        .collect::<Result<Vec<_>, String>>()?
                        .into(),
                ))
            }
            Some(b'-' | b'0'..=b'9') => {
                if let Ok(i) = text.parse::<i64>() {
                    return Ok(Value::Int(i));
                }
                let d = if text.contains(['e', 'E']) {
                    Decimal::from_scientific(text)
                } else {
                    Decimal::from_str_exact(text)
                };
                d.map(Value::Dec)
                    .map_err(|_| format!("number `{text}` cannot be held exactly"))
            }
            _ => Value::from_json(&serde_json::from_str(text).map_err(parse_err)?),
        }
    }
}

/// `s` as a CEL string literal that reads back as `s`: quotes, backslashes and line breaks
/// escaped, other control characters as `\uXXXX`, everything else as it is. (Rust's `{:?}`
/// writes `\0` and `\u{1}`, which CEL does not read, or reads as another string before digits.)
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    use fmt::Write;
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl fmt::Display for Value<'_> {
    /// CEL-like literal syntax: strings quoted, decimals exact.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Dec(d) => {
                let s = d.normalize().to_string();
                if s.contains('.') {
                    write!(f, "{s}")
                } else if s.trim_start_matches('-').len() < 28 {
                    write!(f, "{s}.0")
                } else {
                    // A 29th digit (`.0`) is more than a decimal holds, so it would not read back.
                    write!(f, "{s}e0")
                }
            }
            Value::Str(s) => write_quoted(f, s.as_str()),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
            Value::Map(entries) => {
                write!(f, "{{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Value;

    /// Found by the `expr` fuzz target: a NUL before `00` was written `"\000"`, which reads back
    /// as a NUL without the `00`, and other control characters as `\u{1}`, which does not read.
    #[test]
    fn text_is_written_as_a_literal_that_reads_back() {
        let cases = [
            ("\u{0}00", r#""\u000000""#),
            ("\u{1}\u{7f}\u{9b}", r#""\u0001\u007f\u009b""#),
            ("a\"b\\c\nd\re\tf", r#""a\"b\\c\nd\re\tf""#),
            ("héllo \u{301}\u{feff}", "\"héllo \u{301}\u{feff}\""),
        ];
        for (text, written) in cases {
            assert_eq!(Value::shared_str(text).to_string(), written);
        }
    }

    /// Also found by the `expr` fuzz target: `.9e28` was written `9000000000000000000000000000.0`,
    /// 29 digits, which no decimal literal holds.
    #[test]
    fn whole_decimals_of_28_digits_are_written_so_they_read_back() {
        let nine = rust_decimal::Decimal::from_scientific("9e27").unwrap_or_default();
        assert_eq!(
            Value::Dec(nine).to_string(),
            "9000000000000000000000000000e0"
        );
        assert_eq!(
            Value::Dec(-nine).to_string(),
            "-9000000000000000000000000000e0"
        );
        assert_eq!(Value::Dec(rust_decimal::Decimal::TEN).to_string(), "10.0");
    }
}
