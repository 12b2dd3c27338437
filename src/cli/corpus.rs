//! `quotient corpus --policy <p> --count N --seed S [--at <instant>] [--out accounts.jsonl]`:
//! write a deterministic synthetic population of accounts as JSON Lines (stdout without `--out`).

use std::io::{BufWriter, Write};

use chrono::{DateTime, Utc};

use super::exit;
use super::input;
use quotient::testing::corpus;

/// The instant corpora are positioned at when `--at` is not given (fixed, so the same seed gives
/// the same file whenever it is run).
pub const DEFAULT_AT: &str = "2026-04-15T12:00:00Z";

/// Options of `quotient corpus`.
#[derive(clap::Args)]
pub struct Args {
    /// The policy file or directory whose plans and units the accounts use.
    #[arg(long, value_name = "PATH")]
    policy: String,
    /// How many accounts to write.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=quotient::MAX_ACCOUNTS))]
    count: u64,
    /// The seed: the same seed gives the same accounts.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// The instant the accounts are positioned at (RFC 3339).
    #[arg(long, value_name = "INSTANT", default_value = DEFAULT_AT, value_parser = input::instant)]
    at: DateTime<Utc>,
    /// Write the JSON Lines here instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let Args {
        policy: policy_path,
        count,
        seed,
        at,
        out: out_path,
    } = args;
    let Some(set) = input::policy_set(&policy_path, err) else {
        return Ok(exit::ERRORS);
    };
    let Some(policy) = input::in_force(&set, at, err) else {
        return Ok(exit::ERRORS);
    };
    let mut file;
    let mut stdout;
    let sink: &mut dyn Write = match &out_path {
        Some(path) => {
            file = BufWriter::new(
                std::fs::File::create(path).map_err(|e| format!("cannot write `{path}`: {e}"))?,
            );
            &mut file
        }
        None => {
            stdout = BufWriter::new(out);
            &mut stdout
        }
    };
    let mut written = 0u64;
    for account in corpus::generate(policy, count, seed, at) {
        let line = serde_json::to_string(&account).map_err(|e| e.to_string())?;
        writeln!(sink, "{line}").map_err(|e| format!("cannot write: {e}"))?;
        written += 1;
    }
    sink.flush().map_err(|e| format!("cannot write: {e}"))?;
    if let Some(path) = &out_path {
        let _ = writeln!(err, "wrote {written} accounts to {path}");
    }
    Ok(exit::OK)
}
