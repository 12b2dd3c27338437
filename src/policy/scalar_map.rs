//! Maps the decoded text of a YAML scalar back to the bytes of the file it came from, so a
//! caret can sit on the exact characters of an expression inside `"..."`, `'...'`, `|` or `>`.

use crate::diag::FileId;
use crate::syntax::Origin;

/// Aligns `value` (the decoded scalar) with `raw` (its source text starting at `base`).
///
/// Decoding only ever removes or replaces characters: quotes, escape backslashes, indentation,
/// and line breaks folded into spaces. So each decoded character is matched to the next source
/// character equal to it, skipping those decorations; an escape that changes a character
/// (`\n` in double quotes) consumes the source character it stands on.
pub(super) fn origin(value: &str, raw: &str, file: FileId, base: usize) -> Origin {
    if value == raw {
        return Origin::verbatim(file, base);
    }
    let raw_chars: Vec<(usize, char)> = raw.char_indices().collect();
    let mut offsets: Vec<u32> = Vec::with_capacity(value.len() + 1);
    let mut p = 0usize;
    let at = |p: usize| -> usize { raw_chars.get(p).map_or(raw.len(), |(i, _)| *i) };
    let to_u32 = |n: usize| u32::try_from(base + n).unwrap_or(u32::MAX);
    for c in value.chars() {
        while let Some(&(_, r)) = raw_chars.get(p) {
            if r == c || !matches!(r, '"' | '\'' | '\\' | '\n' | '\r' | ' ' | '\t') {
                break;
            }
            p += 1;
        }
        let here = at(p);
        for b in 0..c.len_utf8() {
            offsets.push(to_u32(here + b));
        }
        if p < raw_chars.len() {
            p += 1;
        }
    }
    offsets.push(to_u32(at(p)));
    Origin::mapped(file, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::Range;

    fn start_of(value: &str, raw: &str, needle: &str) -> usize {
        let o = origin(value, raw, FileId(0), 0);
        let i = value.find(needle).unwrap_or(0);
        o.span(Range::new(i, i + needle.len())).start as usize
    }

    #[test]
    fn maps_through_quotes_escapes_and_folding() {
        let raw = r#""a \"b\" credits""#;
        assert_eq!(
            &raw[start_of("a \"b\" credits", raw, "credits")..][..7],
            "credits"
        );
        let raw = "x > 0\n  && balance.credits > 1\n";
        let value = "x > 0 && balance.credits > 1\n";
        assert_eq!(&raw[start_of(value, raw, "credits")..][..7], "credits");
        let raw = "'a == ''b'' && c'";
        assert_eq!(&raw[start_of("a == 'b' && c", raw, "c")..][..1], "c");
    }
}
