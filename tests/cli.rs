//! The `quotient` binary end to end: exit codes and output formats.

use std::process::Command;

fn quotient(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quotient"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_passes_on_the_reference_policies() {
    let (code, out, err) = quotient(&["check", "policies/"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok: capcut-pro version 2026.03"), "{out}");
    assert!(out.contains("ok: lumen-studio version 1.0"), "{out}");
}

#[test]
fn check_fails_with_located_diagnostics() {
    let (code, _, err) = quotient(&[
        "check",
        "tests/inputs/policies/unknown_unit_in_eligibility.yaml",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[E0100 unknown-unit]: unknown unit `credits` in `balance`"),
        "{err}"
    );
    assert!(
        err.contains("--> tests/inputs/policies/unknown_unit_in_eligibility.yaml:31:20"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `credit`?"), "{err}");
}

#[test]
fn check_json_gives_one_object_per_diagnostic() {
    let (code, out, _) = quotient(&[
        "check",
        "--format",
        "json",
        "tests/inputs/policies/unknown_unit_in_eligibility.yaml",
    ]);
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let unit = lines
        .iter()
        .find(|l| l["code"] == "E0100")
        .expect("the unknown unit is reported");
    assert_eq!(unit["line"], 31);
    assert_eq!(unit["column"], 20);
    assert_eq!(unit["end_column"], 27);
    assert_eq!(unit["name"], "unknown-unit");
    assert_eq!(unit["help"], "did you mean `credit`?");
}

#[test]
fn check_reports_missing_files_and_bad_usage() {
    let (code, _, err) = quotient(&["check", "no/such/policy.yaml"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read `no/such/policy.yaml`"), "{err}");
    let (code, _, err) = quotient(&["check"]);
    assert_eq!(code, 2);
    assert!(err.contains("needs at least one policy"), "{err}");
    let (code, _, _) = quotient(&["frobnicate"]);
    assert_eq!(code, 2);
}

#[test]
fn expr_prints_values_and_errors() {
    let (code, out, _) = quotient(&["expr", "balance * 2 + 0.5", "--vars", r#"{"balance": 20}"#]);
    assert_eq!((code, out.trim()), (0, "40.5"));
    let (code, _, err) = quotient(&["expr", "1 / 0"]);
    assert_eq!(code, 1);
    assert!(err.contains("division by zero"), "{err}");
    let (code, _, err) = quotient(&["expr", "1", "--vars", "[1]"]);
    assert_eq!(code, 2);
    assert!(err.contains("must be a JSON object"), "{err}");
}

#[test]
fn cycles_prints_month_end_clamped_boundaries() {
    let (code, out, err) = quotient(&[
        "cycles",
        "--anchor",
        "2027-01-31T15:00:00Z",
        "--tz",
        "America/New_York",
        "--count",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[1].starts_with("    0  2027-01-31T15:00:00Z  2027-02-28T15:00:00Z"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("    1  2027-02-28T15:00:00Z  2027-03-31T14:00:00Z"),
        "{out}"
    );
    assert!(
        lines[3].starts_with("    2  2027-03-31T14:00:00Z  2027-04-30T14:00:00Z"),
        "{out}"
    );
    let (code, _, err) = quotient(&[
        "cycles",
        "--anchor",
        "2027-01-31T15:00:00Z",
        "--tz",
        "Europe/Berln",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("Europe/Berlin"), "{err}");
}
