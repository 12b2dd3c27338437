//! Runs the CEL specification's conformance cases (from `../shared/cel-conformance/cases.json`)
//! whose features lie within what Quotient supports: {map, null, macro, regex} or none.
//! An expected error is met by any load-time or evaluation error.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The suite compares typed values (an int is not a decimal), which only the internal value
// type shows: it reaches it through `unstable`.
use quotient::Limits;
use quotient::unstable::Value;
use serde_json::Value as Json;
use std::path::PathBuf;

const SUPPORTED: &[&str] = &["map", "null", "macro", "regex"];

/// `../shared/cel-conformance/cases.json`, or the file named by `QUOTIENT_CEL_CASES`.
fn cases_path() -> PathBuf {
    std::env::var_os("QUOTIENT_CEL_CASES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cel-conformance/cases.json")
        })
}

/// Converts an expected conformance value into our value model (`None` for kinds we lack).
fn expected(v: &Json) -> Option<Value<'static>> {
    let (kind, inner) = v.as_object()?.iter().next()?;
    Some(match kind.as_str() {
        "int" => Value::Int(inner.as_i64()?),
        "string" => Value::shared_str(inner.as_str()?),
        "bool" => Value::Bool(inner.as_bool()?),
        "null" => Value::Null,
        "list" => Value::List(
            inner
                .as_array()?
                .iter()
                .map(expected)
                .collect::<Option<Vec<_>>>()?
                .into(),
        ),
        "map" => Value::Map(
            inner
                .as_array()?
                .iter()
                .map(|pair| {
                    let pair = pair.as_array()?;
                    Some((expected(pair.first()?)?, expected(pair.get(1)?)?))
                })
                .collect::<Option<Vec<_>>>()?
                .into(),
        ),
        _ => return None,
    })
}

/// Strict equality for checking results: same kinds, not CEL's cross-type numeric equality.
fn same(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Int(_), Value::Dec(_)) | (Value::Dec(_), Value::Int(_)) => false,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        _ => a.equals(b),
    }
}

/// A harness-less test binary (see `Cargo.toml`), so its closing line reaches CI's log.
fn main() {
    let path = cases_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            eprintln!(
                "cel conformance: data missing at {} (required when CI=true)",
                path.display()
            );
            std::process::exit(1);
        }
        println!(
            "cel conformance skipped: data not found at {}",
            path.display()
        );
        return;
    };
    let cases: Vec<Json> = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{} is not valid JSON: {e}", path.display());
            std::process::exit(1);
        }
    };
    let limits = Limits::default();
    let (mut passed, mut failed) = (0usize, 0usize);
    for case in &cases {
        let features: Vec<&str> = case["features"]
            .as_array()
            .map(|f| f.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        if !features.iter().all(|f| SUPPORTED.contains(f)) {
            continue;
        }
        let name = format!(
            "{}/{}/{}",
            case["file"].as_str().unwrap_or(""),
            case["section"].as_str().unwrap_or(""),
            case["name"].as_str().unwrap_or("")
        );
        let expr = case["expr"].as_str().unwrap_or("");
        let vars = serde_json::Map::new();
        let evaluation = quotient::evaluate_expression(expr, &vars, &limits);
        let got = evaluation.value().ok_or_else(|| evaluation.render_human());
        let expect = &case["expect"];
        let ok = if expect.get("error").is_some() {
            got.is_err()
        } else if expect.get("any").is_some() {
            true
        } else {
            match (expected(&expect["value"]), &got) {
                (Some(want), Ok(v)) => same(&want, v),
                _ => false,
            }
        };
        if ok {
            passed += 1;
        } else {
            failed += 1;
            println!("FAILED {name}: `{expr}` expected {expect}, got {got:?}");
        }
    }
    println!("cel conformance: {passed} passed, {failed} failed");
    if passed == 0 || failed > 0 {
        std::process::exit(1);
    }
}
