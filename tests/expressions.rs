//! Data-driven expression cases: each file under `tests/inputs/expr/` holds expressions, one
//! per line (`#` lines are comments, an optional `  -- vars: {json}` suffix binds variables).
//! The snapshot shows each expression with its value or its rendered diagnostics.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quotient::Limits;

#[test]
fn expression_cases() {
    insta::glob!("inputs/expr/*.txt", |path| {
        let text = std::fs::read_to_string(path).expect("test input is readable");
        let mut out = String::new();
        for line in text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (expr, vars) = match line.split_once("  -- vars: ") {
                Some((e, v)) => (e, serde_json::from_str(v).expect("vars are a JSON object")),
                None => (line, serde_json::Map::new()),
            };
            let evaluation = quotient::evaluate_expression(expr, &vars, &Limits::default());
            out.push_str(&format!(">>> {expr}\n"));
            match evaluation.value_text() {
                Some(v) => out.push_str(&format!("{v}\n")),
                None => out.push_str(&evaluation.render_human()),
            }
            out.push('\n');
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn variables_given_as_json_text_keep_every_digit() {
    let limits = Limits::default();
    let value = |expr: &str, vars: &str| {
        quotient::evaluate_expression_with_json(expr, vars, &limits).value_text()
    };
    // Through f64 these would be 12345678901234568.0 and 0.30000000000000004.
    assert_eq!(
        value("x", r#"{"x": 12345678901234567.5}"#).as_deref(),
        Some("12345678901234567.5")
    );
    assert_eq!(
        value("a + b", r#"{"a": 0.1, "b": 0.2}"#).as_deref(),
        Some("0.3")
    );
    // Nested values too, and the last of repeated keys wins, as serde_json reads it.
    assert_eq!(
        value("m.k[1]", r#"{"m": {"k": [1, 2.000000000000000001]}}"#).as_deref(),
        Some("2.000000000000000001")
    );
    assert_eq!(value("x", r#"{"x": 1, "x": 2}"#).as_deref(), Some("2"));
    // Anything but an object is refused with a diagnostic, not a panic.
    let not_object = quotient::evaluate_expression_with_json("1", "[1]", &limits);
    assert!(not_object.value_text().is_none());
    assert!(not_object.render_human().contains("must be a JSON object"));
}
