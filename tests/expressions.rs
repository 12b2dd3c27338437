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
