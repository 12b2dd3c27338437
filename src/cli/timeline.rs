//! `quotient timeline --policy <p> [--account <file>] --script <file> [--explain]
//! [--format human|json] [--out <file>] [--ledger <file>]`: play a script of requests at instants
//! against one account and print each decision with the balances after it.

use std::io::Write;

use super::input;
use super::{Args, exit};
use quotient::DecideOptions;
use quotient::testing::timeline::{Script, play};

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let policy_path = args
        .value("policy")?
        .ok_or("`timeline` needs `--policy <file or dir>`")?;
    let account_path = args.value("account")?;
    let script_path = args
        .value("script")?
        .ok_or("`timeline` needs `--script <file>`")?;
    let explain = args.flag("explain");
    let out_path = args.value("out")?;
    let ledger_path = args.value("ledger")?;
    let json = args.json_format("human")?;
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    let Some(set) = input::policy_set(&policy_path, err) else {
        return Ok(exit::ERRORS);
    };
    let text = input::read_file(&script_path)?;
    let script: Script = match quotient::read_record(&script_path, &text) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let first = script.steps.first().map(|s| s.at);
    let Some(policy) = first.and_then(|at| set.at(at)).or(set.latest()) else {
        let _ = writeln!(err, "error: the policy has no version");
        return Ok(exit::ERRORS);
    };
    let account = match (&account_path, &script.account) {
        (Some(path), _) => match input::account(path, policy, err) {
            Some(a) => a,
            None => return Ok(exit::ERRORS),
        },
        (None, Some(a)) => {
            let problems = quotient::validate(a, policy);
            if !problems.is_empty() {
                for p in problems {
                    let _ = writeln!(err, "error: {script_path}: account.{p}");
                }
                return Ok(exit::ERRORS);
            }
            a.clone()
        }
        (None, None) => return Err("give `--account <file>` or an `account` in the script".into()),
    };
    let options = DecideOptions::explaining(explain);
    let timeline = match play(&set, &account, &script, &options) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "error: {script_path}: {e}");
            return Ok(exit::ERRORS);
        }
    };
    input::print(out, json, &timeline, || {
        let heading = script
            .description
            .as_ref()
            .map_or_else(String::new, |d| format!("# {}\n", d.trim()));
        heading + timeline.to_text().as_str()
    })?;
    if let Some(path) = &out_path {
        let text = input::pretty_json(&timeline.account)?;
        input::write_file(path, &format!("{text}\n"))?;
    }
    if let Some(path) = &ledger_path {
        let mut text = String::new();
        for g in &timeline.ledger {
            text.push_str(&serde_json::to_string(g).map_err(|e| e.to_string())?);
            text.push('\n');
        }
        input::write_file(path, &text)?;
    }
    Ok(exit::OK)
}
