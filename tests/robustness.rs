//! Property tests: nothing a user can send makes the front-end panic, and nesting is bounded
//! with a clear error. Seeds are fixed so CI runs are reproducible.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use quotient::Code;
use quotient::Limits;

const CAPCUT: &str = include_str!("../policies/capcut-pro.yaml");

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5107_1e47),
        failure_persistence: None,
        ..Config::default()
    }
}

fn eval(text: &str) -> Result<String, Vec<Code>> {
    let vars = serde_json::Map::new();
    let evaluation = quotient::evaluate_expression(text, &vars, &Limits::default());
    evaluation
        .value_text()
        .ok_or_else(|| evaluation.diagnostics().iter().map(|d| d.code()).collect())
}

proptest! {
    #![proptest_config(config(2000))]

    /// Arbitrary text: a value or diagnostics, never a panic.
    #[test]
    fn any_string_gives_a_value_or_diagnostics(text in any::<String>()) {
        let _ = eval(&text);
    }

    /// Text made of the language's own tokens reaches deeper into parser and checker.
    #[test]
    fn token_soup_gives_a_value_or_diagnostics(
        parts in proptest::collection::vec(
            prop::sample::select(vec![
                "1", "0", "-", "+", "*", "/", "%", "(", ")", "[", "]", "{", "}", ",", ":", "?", "!",
                "==", "!=", "<", "<=", "&&", "||", " in ", "'a'", "\"b\"", "true", "null", "2.5",
                "9223372036854775807", "x", ".size()", ".all(v, v)", ".map(v, v + 1)", "has(", ".f",
                "int(", "string(", ".matches('a+')", " ",
            ]),
            0..40,
        )
    ) {
        let text: String = parts.concat();
        let _ = eval(&text);
    }

    /// Arbitrary bytes given to the policy loader: diagnostics, never a panic.
    #[test]
    fn any_bytes_give_a_policy_or_diagnostics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let loaded = quotient::load_bytes("fuzz.yaml", &bytes, &Limits::default());
        prop_assert!(loaded.has_errors() || !loaded.policies().is_empty());
    }

    /// The reference policy with random edits: still no panic, and a policy is handed out only
    /// when there is no error.
    #[test]
    fn edited_reference_policy_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..6)
    ) {
        let mut bytes = CAPCUT.as_bytes().to_vec();
        for (at, kind, byte) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match kind {
                0 => { bytes.remove(i); }
                1 => bytes.insert(i, byte),
                _ => bytes[i] = byte,
            }
        }
        let loaded = quotient::load_bytes("edited.yaml", &bytes, &Limits::default());
        prop_assert_eq!(loaded.has_errors(), loaded.policies().is_empty());
    }
}

#[test]
fn deep_nesting_is_refused_clearly() {
    let deep_parens = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let deep_not = format!("{}true", "!".repeat(10_000));
    let deep_neg = format!("{}1", "- ".repeat(3_000));
    let deep_ternary = "true ? 1 : ".repeat(100) + "2";
    let deep_lists = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    for text in [deep_parens, deep_not, deep_neg, deep_ternary, deep_lists] {
        let codes = eval(&text).expect_err("too deep to evaluate");
        assert!(
            codes
                .iter()
                .all(|c| matches!(c, Code::ExprTooDeep | Code::ExprTooLong)),
            "{codes:?}"
        );
    }
    // A long chain of operators is bounded by the tree-depth limit.
    let chain = vec!["1"; 1_000].join(" + ");
    assert_eq!(eval(&chain), Err(vec![Code::ExprTooDeep]));
    // Nesting within the limit still works.
    assert_eq!(
        eval(&format!("{}1{}", "(".repeat(20), ")".repeat(20))),
        Ok("1".to_string())
    );
}

#[test]
fn deeply_nested_yaml_is_refused_clearly() {
    let yaml = format!("policy: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let loaded = quotient::load_str("deep.yaml", &yaml, &Limits::default());
    assert!(loaded.has_errors());
    assert_eq!(loaded.diagnostics()[0].code(), Code::YamlSyntax);
}
