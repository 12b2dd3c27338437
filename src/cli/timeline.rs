//! `quotient timeline --policy <p> [--account <file>] --script <file> [--explain]
//! [--format human|json] [--out <file>] [--ledger <file>]`: play a script of requests at instants
//! against one account and print each decision with the balances after it.

use std::io::Write;

use super::exit;
use super::input::{self, Format};
use quotient::DecideOptions;
use quotient::testing::timeline::{Script, play};

/// Options of `quotient timeline`.
#[derive(clap::Args)]
pub struct Args {
    /// The policy file or directory.
    #[arg(long, value_name = "PATH")]
    policy: String,
    /// The starting account snapshot (default: the script's `account`).
    #[arg(long, value_name = "FILE")]
    account: Option<String>,
    /// The script: requests at instants (YAML or JSON; `-` for standard input).
    #[arg(long, value_name = "FILE")]
    script: String,
    /// Show the cost and eligibility trace of each decision.
    #[arg(long)]
    explain: bool,
    /// `human`: text for people; `json`: the whole timeline.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the final account snapshot here.
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
    /// Write the ledger groups here, one JSON line each.
    #[arg(long, value_name = "FILE")]
    ledger: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    input::one_stdin([
        Some(args.policy.as_str()),
        args.account.as_deref(),
        Some(args.script.as_str()),
    ])?;
    let Args {
        policy: policy_path,
        account: account_path,
        script: script_path,
        explain,
        format,
        out: out_path,
        ledger: ledger_path,
    } = args;
    let Some(set) = input::policy_set(&policy_path, err) else {
        return Ok(exit::ERRORS);
    };
    let text = input::read_file(&script_path)?;
    let script_path = input::display_name(&script_path).to_string();
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
    input::print(out, format, &timeline, || {
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
