//! The `quotient` binary end to end: exit codes and output formats.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::quotient;

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
    assert!(
        err.contains("required arguments were not provided"),
        "{err}"
    );
    assert!(err.contains("try 'quotient check --help'"), "{err}");
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
    assert_eq!(code, 2, "an unknown zone is a usage error");
    assert!(err.contains("Europe/Berlin"), "{err}");
}

/// A fresh directory for one test's files, under the system's temporary directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("quotient-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// The confirmed exchange on Web, applied to the sample account: the snapshot to `out`, the
/// ledger group to `ledger`.
fn apply_exchange(out: &std::path::Path, ledger: &std::path::Path) -> (i32, String, String) {
    eval(&[
        "--request",
        r#"{"id": "x1", "kind": "exchange", "platform": "web", "confirm": true}"#,
        "--apply",
        "--out",
        out.to_str().expect("UTF-8"),
        "--ledger",
        ledger.to_str().expect("UTF-8"),
    ])
}

/// `eval` against the sample account, at an instant in its current cycle.
fn eval(extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "eval",
        "--policy",
        "policies/capcut-pro.yaml",
        "--account",
        "examples/accounts/pro-midcycle.json",
        "--at",
        "2026-04-02T10:00:00Z",
    ];
    args.extend_from_slice(extra);
    quotient(&args)
}

#[test]
fn eval_allows_a_use_on_web() {
    let (code, out, err) = eval(&["--request", "examples/requests/use-image-web.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("r-1001 use ai_image_generation: allowed"),
        "{out}"
    );
    assert!(out.contains("charge: 1 from `g-2026-03-pro`"), "{out}");
    assert!(!out.contains("explain:"), "{out}");
}

#[test]
fn eval_explain_prints_the_cost_and_eligibility_trace() {
    let (code, out, err) = eval(&[
        "--request",
        "examples/requests/use-image-web.json",
        "--explain",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("explain:"), "{out}");
    assert!(
        out.contains("features.ai_image_generation.cost.pro_use: `1` = 1"),
        "{out}"
    );
    assert!(
        out.contains("exchanges.pro_uses_to_credits.eligible (offer):"),
        "{out}"
    );
}

#[test]
fn eval_json_is_one_json_document() {
    let (code, out, err) = eval(&[
        "--request",
        "examples/requests/use-image-web.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("the output is JSON");
    assert_eq!(report["request"], "r-1001");
    assert_eq!(report["outcome"], "allowed");
    assert_eq!(report["balances"]["pro_use"], "37");
}

#[test]
fn eval_apply_writes_the_next_snapshot_and_prints_the_ledger() {
    let out_path = std::env::temp_dir().join(format!(
        "quotient-cli-apply-{}-{:?}.json",
        std::process::id(),
        std::thread::current().id()
    ));
    let out_arg = out_path.to_str().expect("a UTF-8 temporary path");
    let (code, out, err) = eval(&[
        "--request",
        r#"{"id": "x1", "kind": "exchange", "platform": "web", "confirm": true}"#,
        "--apply",
        "--out",
        out_arg,
        "--format",
        "json",
    ]);
    let written = std::fs::read_to_string(&out_path);
    let _ = std::fs::remove_file(&out_path);
    assert_eq!(code, 0, "{err}");
    // One JSON document: the decision and the ledger group.
    let both: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(both["decision"]["outcome"], "exchanged", "{out}");
    let ledger = &both["ledger"];
    assert_eq!(ledger["version_before"], 7);
    assert_eq!(ledger["version_after"], 8);
    assert_eq!(ledger["entries"][0]["kind"], "convert_out");
    let snapshot: serde_json::Value =
        serde_json::from_str(&written.expect("the new snapshot is written"))
            .expect("the snapshot is JSON");
    assert_eq!(snapshot["version"], 8);
    assert_eq!(snapshot["mode"], "credits");
    assert_eq!(snapshot["exchanges"][0]["exchange"], "pro_uses_to_credits");
}

#[test]
fn eval_apply_that_cannot_write_prints_nothing_as_done_and_writes_nothing() {
    let dir = scratch("apply-fail");
    let out_path = dir.join("next.json");
    // The ledger's directory does not exist: that write fails, so the snapshot must not land.
    let ledger_path = dir.join("missing").join("ledger.json");
    let (code, out, err) = apply_exchange(&out_path, &ledger_path);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("the directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out, "", "nothing is reported as done");
    assert!(err.contains("cannot write"), "{err}");
    assert!(err.contains("nothing was applied"), "{err}");
    assert!(leftovers.is_empty(), "no file written: {leftovers:?}");
}

#[test]
fn eval_refuses_a_malformed_request_and_bad_usage() {
    let (code, out, err) = eval(&[
        "--request",
        "tests/inputs/requests/unknown_platform_wbe.yaml",
    ]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(
        err.contains("request.platform: unknown platform `wbe` (did you mean `web`?)"),
        "{err}"
    );
    let (code, _, err) = eval(&["--request", "tests/inputs/requests/syntax_error.json"]);
    assert_eq!(code, 1);
    assert!(err.contains("syntax_error.json:5:3"), "{err}");
    let (code, _, err) = quotient(&[
        "eval",
        "--account",
        "examples/accounts/pro-midcycle.json",
        "--request",
        "examples/requests/use-image-web.json",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--policy <PATH>"), "{err}");
    assert!(err.contains("try 'quotient eval --help'"), "{err}");
}

#[test]
fn timeline_plays_the_capcut_exchange_script() {
    let (code, out, err) = quotient(&[
        "timeline",
        "--policy",
        "policies/capcut-pro.yaml",
        "--account",
        "examples/accounts/pro-midcycle.json",
        "--script",
        "examples/scripts/capcut-exchange.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("d2 exchange: handed_off"), "{out}");
    assert!(out.contains("x2 exchange: exchanged"), "{out}");
    assert!(out.contains("x3 exchange: denied"), "{out}");
}

#[test]
fn eval_streams_a_corpus_one_json_line_per_account() {
    let (code, out, err) = quotient(&[
        "eval",
        "--policy",
        "policies/capcut-pro.yaml",
        "--accounts",
        "examples/corpus/capcut-pro.jsonl",
        "--request",
        "examples/requests/use-image-web.json",
        "--at",
        "2026-04-15T12:00:00Z",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 24);
    assert!(lines.iter().all(|d| d["request"] == "r-1001"));
    assert!(lines.iter().any(|d| d["outcome"] == "allowed"));
    assert!(lines.iter().any(|d| d["outcome"] == "denied"));
}

#[test]
fn eval_takes_the_instant_from_the_request_when_at_is_not_given() {
    let (code, out, err) = quotient(&[
        "eval",
        "--policy",
        "policies/capcut-pro.yaml",
        "--account",
        "examples/accounts/pro-midcycle.json",
        "--request",
        r#"{"id":"q-1","kind":"quote","platform":"web","at":"2026-04-02T10:00:00Z"}"#,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("q-1 quote: quoted"), "{out}");
    assert!(out.contains("valid until 2026-04-02T10:15:00"), "{out}");
}

#[test]
fn eval_apply_for_people_prints_the_decision_and_no_json() {
    let dir = scratch("apply-text");
    let out_path = dir.join("next.json");
    let ledger_path = dir.join("ledger.json");
    let (code, out, err) = apply_exchange(&out_path, &ledger_path);
    let ledger = std::fs::read_to_string(&ledger_path);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("x1 exchange: exchanged"), "{out}");
    assert!(!out.contains('{'), "no JSON among the text: {out}");
    assert!(err.contains("applied: version 8 written to"), "{err}");
    let ledger: serde_json::Value =
        serde_json::from_str(&ledger.expect("the ledger is written")).expect("JSON");
    assert_eq!(ledger["version_after"], 8);
}

#[test]
fn eval_over_a_corpus_prints_the_same_bytes_on_one_thread_and_on_many() {
    let dir = scratch("jobs");
    let corpus = dir.join("accounts.jsonl");
    let corpus_arg = corpus.to_str().expect("UTF-8");
    // More accounts than one batch, so batches and threads both split the work.
    let (code, _, err) = quotient(&[
        "corpus",
        "--policy",
        "policies/capcut-pro.yaml",
        "--count",
        "9000",
        "--seed",
        "3",
        "--out",
        corpus_arg,
    ]);
    assert_eq!(code, 0, "{err}");
    let run = |jobs: &str| {
        quotient(&[
            "eval",
            "--policy",
            "policies/capcut-pro.yaml",
            "--accounts",
            corpus_arg,
            "--request",
            r#"{"id": "u1", "kind": "use", "feature": "ai_image_generation", "platform": "web"}"#,
            "--at",
            "2026-04-15T12:00:00Z",
            "--jobs",
            jobs,
        ])
    };
    let (one_code, one, _) = run("1");
    let (many_code, many, _) = run("7");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((one_code, many_code), (0, 0));
    assert_eq!(one.lines().count(), 9000);
    assert!(
        one == many,
        "the output does not depend on the number of threads"
    );
}

#[test]
fn diagnostics_are_coloured_only_when_asked() {
    let broken = "tests/inputs/policies/unknown_unit_in_eligibility.yaml";
    let (code, _, err) = quotient(&["--color", "always", "check", broken]);
    assert_eq!(code, 1);
    assert!(
        err.contains("\x1b[1;31merror[E0100 unknown-unit]\x1b[0m"),
        "{err:?}"
    );
    // `--color` is global: it may follow the command too.
    let (_, _, err) = quotient(&["check", broken, "--color", "never"]);
    assert!(!err.contains('\x1b'), "{err:?}");
    // `auto` colours only a terminal, and never under NO_COLOR.
    let (_, _, err) = common::quotient_with_stdin(&["check", broken], None);
    assert!(!err.contains('\x1b'), "{err:?}");
}
