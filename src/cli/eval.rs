//! `quotient eval --policy <p> --account <file> --request <file or JSON> [--at <instant>]
//! [--explain] [--format human|json] [--apply --out <file> [--ledger <file>]]`: decide one
//! request and, with `--apply`, write the new snapshot and print (or write) its ledger group.

use std::io::Write;

use chrono::Utc;

use super::input::{self, instant};
use super::{Args, exit};
use crate::apply::apply;
use crate::eval::{DecideOptions, Request, decide};

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let policy_path = args
        .value("policy")?
        .ok_or("`eval` needs `--policy <file or dir>`")?;
    let account_path = args
        .value("account")?
        .ok_or("`eval` needs `--account <file>`")?;
    let request_arg = args
        .value("request")?
        .ok_or("`eval` needs `--request <file or JSON>`")?;
    // The edge may read the clock; the evaluator never does.
    let at = match args.value("at")? {
        Some(t) => instant("at", &t)?,
        None => chrono::DateTime::<Utc>::from(std::time::SystemTime::now()),
    };
    let explain = args.flag("explain");
    let do_apply = args.flag("apply");
    let out_path = args.value("out")?;
    let ledger_path = args.value("ledger")?;
    let json = match args.value("format")?.as_deref() {
        None | Some("human") => false,
        Some("json") => true,
        Some(other) => return Err(format!("unknown format `{other}`: use `human` or `json`")),
    };
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
    let Some(policy) = input::in_force(&set, at, err) else {
        return Ok(exit::ERRORS);
    };
    let Some(snapshot) = input::account(&account_path, policy, err) else {
        return Ok(exit::ERRORS);
    };
    let (name, text) = if request_arg.trim_start().starts_with('{') {
        ("--request".to_string(), request_arg.clone())
    } else {
        (request_arg.clone(), input::read_file(&request_arg)?)
    };
    let request: Request = match crate::document::read(&name, &text) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let options = DecideOptions {
        explain,
        ..DecideOptions::default()
    };
    let decision = match decide(policy, &snapshot, &request, at, &options) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let report = decision.report(policy, &snapshot);
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        let _ = write!(out, "{}", report.to_text());
    }
    if !do_apply {
        return Ok(exit::OK);
    }
    if !decision.changes_state() {
        let _ = writeln!(
            err,
            "nothing to apply: the decision changes nothing; no file written"
        );
        return Ok(exit::OK);
    }
    let transition = match apply(policy, &snapshot, &decision) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let snapshot_json =
        serde_json::to_string_pretty(&transition.snapshot).map_err(|e| e.to_string())?;
    let ledger_json =
        serde_json::to_string_pretty(&transition.ledger).map_err(|e| e.to_string())?;
    if let Some(path) = &out_path {
        input::write_file(path, &format!("{snapshot_json}\n"))?;
    }
    match &ledger_path {
        Some(path) => input::write_file(path, &format!("{ledger_json}\n"))?,
        None => {
            let _ = writeln!(out, "{ledger_json}");
        }
    }
    Ok(exit::OK)
}
