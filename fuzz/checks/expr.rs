//! The `expr` target: one expression, parsed, checked and evaluated as `quotient expr --vars`
//! does it (`quotient::evaluate_expression`), with variables of every JSON shape in scope. The
//! bytes are the expression; after a NUL byte, a JSON object adds or replaces variables. Never a
//! panic; a value or at least one diagnostic, rendered; the same text evaluates the same twice; a
//! value's text evaluates to the same text.

use quotient::{Code, Limits};
use serde_json::{Map, Value, json};

use super::{Checked, ensure};

/// The expressions' variables before the input adds its own: one of each kind of value, with
/// the names policies use, so expressions the fuzzer writes reach member access and macros.
fn base_vars() -> Map<String, Value> {
    let vars = json!({
        "x": 7,
        "n": -3,
        "big": 9_223_372_036_854_775_807_i64,
        "d": "1.5",
        "s": "héllo",
        "t": true,
        "z": null,
        "xs": [1, 2, 3],
        "ss": ["a", "b", ""],
        "m": { "a": 1, "b": [true, false], "c": { "d": "e" } },
        "balance": { "pro_use": 37, "credit": 0 },
        "account": { "plan": "pro", "status": "active", "cycles": 2, "exchanged": { "pro_uses_to_credits": false } },
        "params": { "video_seconds": 61 },
    });
    match vars {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Evaluates the expression in `data` (see the module's documentation for the format).
pub fn check(data: &[u8]) -> Checked {
    let (text, extra) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return Ok(());
    };
    let mut vars = base_vars();
    if let Some(Ok(Value::Object(more))) = extra.map(serde_json::from_slice::<Value>) {
        vars.extend(more);
    }
    let limits = Limits::default();
    let first = quotient::evaluate_expression(text, &vars, &limits);
    let value = first.value_text();
    let rendered = first.render_human();
    match &value {
        Some(_) => ensure(first.diagnostics().is_empty(), || {
            format!("`{text}` has a value and diagnostics:\n{rendered}")
        })?,
        None => ensure(
            !first.diagnostics().is_empty() && !rendered.is_empty(),
            || format!("`{text}` has neither a value nor a rendered diagnostic"),
        )?,
    }
    let again = quotient::evaluate_expression(text, &vars, &limits);
    ensure(
        again.value_text() == value && again.render_human() == rendered,
        || format!("`{text}` evaluated twice gave two results"),
    )?;
    // A value reads back as itself: its text, evaluated as an expression, is the same value
    // (unless the text is longer or deeper than an expression may be).
    if let Some(value) = value {
        let read_back = quotient::evaluate_expression(&value, &Map::new(), &limits);
        match read_back.value_text() {
            Some(back) => ensure(back == value, || {
                format!("`{text}` gives `{value}`, which evaluates to `{back}`")
            })?,
            None => ensure(
                read_back
                    .diagnostics()
                    .iter()
                    .all(|d| matches!(d.code(), Code::ExprTooLong | Code::ExprTooDeep)),
                || {
                    format!(
                        "`{text}` gives `{value}`, which does not read back:\n{}",
                        read_back.render_human()
                    )
                },
            )?,
        }
    }
    Ok(())
}
