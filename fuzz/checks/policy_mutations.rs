//! The `policy_mutations` target: a bundled policy (`policies/`) with a few edits the fuzzer
//! chooses (`arbitrary` reads them from its bytes): bytes and tokens of the policy language
//! replaced, inserted or deleted at chosen positions, words and values swapped for others,
//! lines swapped, duplicated, deleted, re-indented or borrowed from the other policy. Most
//! edits keep the text close enough to a policy to reach lowering, checking and hooks, not only
//! the YAML parser. The result is loaded and held to `policy_bytes`'s invariants; when it loads,
//! it decides the standard requests with every transition checked (see `transition`).

use arbitrary::{Result as ArbitraryResult, Unstructured};

use super::{Checked, bundled, policy_bytes, transition};

/// Tokens an edit inserts or puts in place of a word or a value: YAML syntax, the policies'
/// own names and keywords, numbers at the bounds, expression and script fragments, texts with
/// placeholders, instants and zones.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    ": ", "- ", "\n", "  ", "    ", "{", "}", "[", "]", ", ", "#", "&a ", "*a", "<<: *a", "!!str ",
    "!!int ", "!!binary ", "|", "|-", ">", "'", "\"", "~", "null", "true", "false", "yes", "0", "1",
    "-1", "1.5", "0.001", "0.0000000001", "1e3", "1e999", ".5", "0x10", "-0", "999999999999999",
    "1000000000000000", "1000000000000001", "99999999999999999999", "9223372036854775807",
    "9223372036854775808", "pro_use", "credit", "token", "minute", "pro", "studio", "credits",
    "pro_uses", "web", "desktop", "mobile", "ai_image_generation", "video_seconds",
    "pro_uses_to_credits", "cycle_end", "next_cycle_end", "never", "all", "none", "{ max: 10 }",
    "{ max_percent: 50 }", "{ max_percent: 101 }", "floor", "ceiling", "half_even", "exact",
    "monthly", "yearly", "subscription_start", "account", "UTC", "Europe/Berlin",
    "America/New_York", "Pacific/Chatham", "Mars/Olympus", "execute", "refuse",
    "{ delegate_to: web }", "{ delegate_to: mobile }", "{ hook: loyalty_tokens }",
    "{ hook: nope }", "amount of credit", "amount of token", "condition", "priority",
    "soonest_expiry", "oldest", "id", "decimals: 9", "decimals: 10", "amount: 0", "min: 5",
    "max: 1", "type: decimal", "type: string", "type: bool", " && ", " || ", "!", " == ", " > ",
    " / ", " % ", " ? 1 : 2", "(", ")", "balance.pro_use", "balance.credit", "balance.token",
    "account.cycles", "account.exchanged.pro_uses_to_credits", "params.video_seconds",
    "cycle.days_left", "platform.version", "request.feature", ".size()", ".exists(x, x > 1)",
    "[1, 2].map(x, x * 2)", "'a'.matches('(a+)+$')", "int('9')", "decimal('1.5')", "string(1)",
    "1 / 0", "has(account.plan)", "9223372036854775807 + 1", "{from_amount}", "{to_amount}",
    "{exact}", "{remainder}", "{expires}", "{nope}", "{", "50 pro_use = 40 credit",
    "0 pro_use = 1 credit", "1 credit = 1 credit", "1 pro_use = 1000000000000000 credit",
    "0.5 pro_use = 3 credit", "15m", "0s", "999999h", "-5m", "6.0", "6.0.0.1", "",
    "2026-03-16T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "loop { }",
    "let x = 1; x", "account.cycles * 1000000000000", "500 + account.cycles",
    "while true { }", "\"a\" + 1", "throw \"no\"",
];

/// The longest edit list one input applies.
const MAX_EDITS: u32 = 8;

/// Edits a bundled policy as the bytes say, loads it and checks the result.
pub fn check(data: &[u8]) -> Checked {
    let mut u = Unstructured::new(data);
    let Ok(text) = edited(&mut u) else {
        return Ok(());
    };
    let loaded = quotient::load_bytes("mutated.yaml", &text, &quotient::Limits::default());
    policy_bytes::loaded_is_consistent(&loaded)?;
    for set in loaded.policies() {
        for policy in set.versions() {
            transition::play_standard(policy)?;
        }
    }
    Ok(())
}

/// The bundled policy the bytes choose, with the edits they describe.
fn edited(u: &mut Unstructured<'_>) -> ArbitraryResult<Vec<u8>> {
    let which = u.choose_index(bundled::TEXTS.len())?;
    let other = bundled::TEXTS[(which + 1) % bundled::TEXTS.len()].1;
    let mut text = bundled::TEXTS[which].1.as_bytes().to_vec();
    let edits = u.int_in_range(1..=MAX_EDITS)?;
    for _ in 0..edits {
        if u.is_empty() || edit(u, &mut text, other).is_err() {
            break;
        }
    }
    Ok(text)
}

/// One edit of `text`.
fn edit(u: &mut Unstructured<'_>, text: &mut Vec<u8>, other: &str) -> ArbitraryResult<()> {
    let at = u.int_in_range(0..=text.len())?;
    match u.int_in_range(0..=10u8)? {
        0 => {
            let byte = u.arbitrary::<u8>()?;
            match text.get_mut(at) {
                Some(b) => *b = byte,
                None => text.push(byte),
            }
        }
        1 => {
            let token = u.choose(TOKENS)?;
            splice(text, at..at, token.as_bytes());
        }
        2 => {
            let len = u.int_in_range(1..=16usize)?;
            splice(text, at..(at + len).min(text.len()), b"");
        }
        3 => {
            let token = u.choose(TOKENS)?;
            let word = word_at(text, at);
            splice(text, word, token.as_bytes());
        }
        4 => {
            let lines = line_ranges(text);
            let (a, b) = (u.choose(&lines)?.clone(), u.choose(&lines)?.clone());
            swap_lines(text, a, b);
        }
        5 => {
            let line = line_around(text, at);
            let copy = text[line.clone()].to_vec();
            splice(text, line.end..line.end, &copy);
        }
        6 => {
            let line = line_around(text, at);
            splice(text, line, b"");
        }
        7 => {
            // The value after the line's `: `, replaced by a token.
            let line = line_around(text, at);
            if let Some(colon) = find(&text[line.clone()], b": ") {
                let start = line.start + colon + 2;
                let end = line.end - usize::from(text.get(line.end - 1) == Some(&b'\n'));
                let token = u.choose(TOKENS)?;
                splice(text, start..end.max(start), token.as_bytes());
            }
        }
        8 => {
            let line = line_around(text, at);
            if u.arbitrary::<bool>()? {
                splice(text, line.start..line.start, b"  ");
            } else if text.get(line.start..line.start + 2) == Some(b"  ") {
                splice(text, line.start..line.start + 2, b"");
            }
        }
        9 => {
            let lines: Vec<&str> = other.split_inclusive('\n').collect();
            let line = u.choose(&lines)?;
            let start = line_around(text, at).start;
            splice(text, start..start, line.as_bytes());
        }
        _ => {
            // A word replaced by a word from elsewhere in the text.
            let from = u.int_in_range(0..=text.len())?;
            let source = text[word_at(text, from)].to_vec();
            let word = word_at(text, at);
            splice(text, word, &source);
        }
    }
    Ok(())
}

/// Replaces `range` of `text` (clamped to it) by `with`.
fn splice(text: &mut Vec<u8>, range: std::ops::Range<usize>, with: &[u8]) {
    let end = range.end.min(text.len());
    let start = range.start.min(end);
    text.splice(start..end, with.iter().copied());
}

/// The first position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `b` belongs to a word: a name, a number, a dotted path.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// The word around `at` (empty at `at` when there is none).
fn word_at(text: &[u8], at: usize) -> std::ops::Range<usize> {
    let at = at.min(text.len());
    let start = text[..at]
        .iter()
        .rposition(|b| !is_word(*b))
        .map_or(0, |p| p + 1);
    let end = text[at..]
        .iter()
        .position(|b| !is_word(*b))
        .map_or(text.len(), |p| at + p);
    start..end
}

/// The line around `at`, with its newline.
fn line_around(text: &[u8], at: usize) -> std::ops::Range<usize> {
    let at = at.min(text.len());
    let start = text[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let end = text[at..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(text.len(), |p| at + p + 1);
    start..end
}

/// Every line of `text`, with its newline.
fn line_ranges(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.iter().enumerate() {
        if *b == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Swaps two lines of `text` (nothing when they are the same or overlap).
fn swap_lines(text: &mut Vec<u8>, a: std::ops::Range<usize>, b: std::ops::Range<usize>) {
    let (first, second) = if a.start <= b.start { (a, b) } else { (b, a) };
    if first.end > second.start {
        return;
    }
    let mut out = Vec::with_capacity(text.len());
    out.extend_from_slice(&text[..first.start]);
    out.extend_from_slice(&text[second.clone()]);
    out.extend_from_slice(&text[first.end..second.start]);
    out.extend_from_slice(&text[first.clone()]);
    out.extend_from_slice(&text[second.end..]);
    *text = out;
}
