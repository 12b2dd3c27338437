//! Decoding literal tokens: integers, exact decimals and quoted text with CEL's escapes.

use rust_decimal::Decimal;

/// An integer token (`42`, `0x2A`) as a magnitude; the sign is applied by the caller.
pub(super) fn int(token: &str) -> Result<i128, String> {
    let parsed = if let Some(hex) = token
        .strip_prefix("0x")
        .or_else(|| token.strip_prefix("0X"))
    {
        i128::from_str_radix(hex, 16)
    } else {
        token.parse::<i128>()
    };
    parsed
        .ok()
        .filter(|v| *v <= i128::from(u64::MAX))
        .ok_or_else(|| format!("integer `{token}` is too large"))
}

/// A decimal token (`1.5`, `.25`, `2e3`) read exactly, never through binary floating point.
pub(super) fn decimal(token: &str) -> Result<Decimal, String> {
    let too_precise = || format!("decimal `{token}` has more digits than can be held exactly (28)");
    if token.contains(['e', 'E']) {
        Decimal::from_scientific(token).map_err(|_| too_precise())
    } else {
        let normalized = if token.starts_with('.') {
            format!("0{token}")
        } else {
            token.to_string()
        };
        Decimal::from_str_exact(&normalized).map_err(|_| too_precise())
    }
}

/// The contents of a quoted token, with escapes decoded. Errors carry the byte offset of the bad
/// escape inside the token.
pub(super) fn string(token: &str) -> Result<String, (usize, String)> {
    // Strip the quotes; the grammar guarantees both are present.
    let inner = token.get(1..token.len().saturating_sub(1)).unwrap_or("");
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let at = i + 1; // offset of the backslash within the token (after the opening quote)
        let Some((_, e)) = chars.next() else {
            return Err((at, "a backslash must be followed by an escape".into()));
        };
        let simple = match e {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '"' | '\'' | '\\' | '`' | '?' => Some(e),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (radix, digits) = match e {
            'x' | 'X' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            '0'..='3' => (8, 2),
            other => return Err((at, format!("unknown escape `\\{other}`"))),
        };
        let mut code: u32 = if radix == 8 {
            e.to_digit(8).unwrap_or(0)
        } else {
            0
        };
        for _ in 0..digits {
            let digit = chars.next().and_then(|(_, d)| d.to_digit(radix));
            let Some(d) = digit else {
                return Err((at, format!("escape `\\{e}` needs {digits} more digits")));
            };
            code = code * radix + d;
        }
        match char::from_u32(code) {
            Some(ch) => out.push(ch),
            None => return Err((at, format!("escape `\\{e}` is not a valid character"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes() {
        assert_eq!(
            string(r#""\a\t\"\u270c\x41\101""#).as_deref(),
            Ok("\u{7}\t\"\u{270c}AA")
        );
        assert!(string(r#""\q""#).is_err());
        assert!(string(r#""\uD800""#).is_err());
    }

    #[test]
    fn reads_numbers_exactly() {
        assert_eq!(decimal("0.1").map(|d| d.to_string()).as_deref(), Ok("0.1"));
        assert_eq!(decimal(".25").map(|d| d.to_string()).as_deref(), Ok("0.25"));
        assert_eq!(int("0x2A"), Ok(42));
        assert!(int("99999999999999999999999").is_err());
    }
}
