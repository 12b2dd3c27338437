//! `quotient eval --policy <p> --account <file> --request <file or JSON> [--at <instant>]
//! [--explain] [--format human|json] [--apply --out <file> [--ledger <file>]]`: decide one
//! request and, with `--apply`, write the new snapshot and print (or write) its ledger group.
//! With `--accounts <corpus.jsonl>` instead of `--account`, the request is decided for every
//! account of a JSON Lines corpus, read as a stream, and each decision is printed as one JSON line.

use std::io::Write;

use chrono::Utc;

use super::input::{self, instant};
use super::{Args, exit};
use quotient::{DecideOptions, Request, apply, decide};

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let policy_path = args
        .value("policy")?
        .ok_or("`eval` needs `--policy <file or dir>`")?;
    let account_path = args.value("account")?;
    let corpus_path = args.value("accounts")?;
    let request_arg = args
        .value("request")?
        .ok_or("`eval` needs `--request <file or JSON>`")?;
    // The edge may read the clock; the evaluator never does.
    let at_arg = match args.value("at")? {
        Some(t) => Some(instant("at", &t)?),
        None => None,
    };
    let explain = args.flag("explain");
    let do_apply = args.flag("apply");
    let out_path = args.value("out")?;
    let ledger_path = args.value("ledger")?;
    let json = args.json_format("human")?;
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    if do_apply && out_path.is_none() {
        return Err("`--apply` needs `--out <file>` for the new snapshot".into());
    }
    if !do_apply && (out_path.is_some() || ledger_path.is_some()) {
        return Err("`--out` and `--ledger` go with `--apply`".into());
    }
    let Some(set) = input::policy_set(&policy_path, err) else {
        return Ok(exit::ERRORS);
    };
    let (name, text) = if request_arg.trim_start().starts_with('{') {
        ("--request".to_string(), request_arg.clone())
    } else {
        (request_arg.clone(), input::read_file(&request_arg)?)
    };
    let request: Request = match quotient::read_record(&name, &text) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    // `--at`, else the request's own `at`, else the clock: the edge may read it, the evaluator
    // never does.
    let at = at_arg
        .or(request.at)
        .unwrap_or_else(|| chrono::DateTime::<Utc>::from(std::time::SystemTime::now()));
    let Some(policy) = input::in_force(&set, at, err) else {
        return Ok(exit::ERRORS);
    };
    let options = DecideOptions::explaining(explain);
    let account_path = match (account_path, corpus_path) {
        (Some(a), None) => a,
        (None, Some(corpus)) => {
            if do_apply {
                return Err("`--apply` takes one `--account`, not a corpus".into());
            }
            return stream(policy, &corpus, &request, at, &options, out, err);
        }
        _ => return Err("`eval` needs `--account <file>` or `--accounts <corpus.jsonl>`".into()),
    };
    let Some(snapshot) = input::account(&account_path, policy, err) else {
        return Ok(exit::ERRORS);
    };
    let decision = match decide(policy, &snapshot, &request, at, &options) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let report = decision.report(policy, &snapshot);
    if !do_apply {
        input::print(out, json, &report, || report.to_text())?;
        return Ok(exit::OK);
    }
    if !decision.changes_state() {
        input::print(out, json, &report, || report.to_text())?;
        let _ = writeln!(
            err,
            "nothing to apply: the decision changes nothing; no file written"
        );
        return Ok(exit::OK);
    }
    // Nothing is printed as done until it is: apply, write every file, then report.
    let transition = match apply(policy, &snapshot, &decision) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let snapshot_json = format!("{}\n", input::pretty_json(&transition.snapshot)?);
    let ledger_json = input::pretty_json(&transition.ledger)?;
    let ledger_file = format!("{ledger_json}\n");
    let mut files = Vec::with_capacity(2);
    if let Some(path) = &out_path {
        files.push((path.as_str(), snapshot_json.as_str()));
    }
    if let Some(path) = &ledger_path {
        files.push((path.as_str(), ledger_file.as_str()));
    }
    if let Err(e) = input::write_files(&files) {
        let _ = writeln!(err, "error: {e}; nothing was applied");
        return Ok(exit::ERRORS);
    }
    input::print(out, json, &report, || report.to_text())?;
    if ledger_path.is_none() {
        let _ = writeln!(out, "{ledger_json}");
    }
    Ok(exit::OK)
}

/// Decides `request` for every account of a JSON Lines corpus, one JSON line per decision (or per
/// error, with the account's line number), without holding more than one account in memory.
fn stream(
    policy: &quotient::Policy,
    corpus: &str,
    request: &Request,
    at: chrono::DateTime<Utc>,
    options: &DecideOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, String> {
    let file = std::fs::File::open(corpus).map_err(|e| format!("cannot read `{corpus}`: {e}"))?;
    let mut out = std::io::BufWriter::new(out);
    let mut code = exit::OK;
    for (n, account) in
        quotient::testing::corpus::read_jsonl(std::io::BufReader::new(file)).enumerate()
    {
        let line = match account {
            Err(e) => {
                let _ = writeln!(err, "error: {corpus}: {e}");
                code = exit::ERRORS;
                continue;
            }
            Ok(s) => match decide(policy, &s, request, at, options) {
                Ok(d) => serde_json::to_string(&d.report(policy, &s)).map_err(|e| e.to_string())?,
                Err(e) => {
                    serde_json::json!({ "line": n + 1, "account": s.id, "error": e.to_string() })
                        .to_string()
                }
            },
        };
        writeln!(out, "{line}").map_err(|e| format!("cannot write: {e}"))?;
    }
    out.flush().map_err(|e| format!("cannot write: {e}"))?;
    Ok(code)
}
