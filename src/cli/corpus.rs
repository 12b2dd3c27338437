//! `quotient corpus --policy <p> --count N --seed S [--at <instant>] [--out accounts.jsonl]`:
//! write a deterministic synthetic population of accounts as JSON Lines (stdout without `--out`).

use std::io::{BufWriter, Write};

use super::input::{self, instant};
use super::{Args, exit};
use quotient::testing::corpus;

/// The instant corpora are positioned at when `--at` is not given (fixed, so the same seed gives
/// the same file whenever it is run).
pub const DEFAULT_AT: &str = "2026-04-15T12:00:00Z";

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let policy_path = args
        .value("policy")?
        .ok_or("`corpus` needs `--policy <file or dir>`")?;
    let count = args.value("count")?.ok_or("`corpus` needs `--count N`")?;
    let count: u64 = count
        .parse()
        .map_err(|_| format!("`--count` must be a whole number, found `{count}`"))?;
    if count > quotient::MAX_ACCOUNTS {
        return Err(format!("`--count` is at most {}", quotient::MAX_ACCOUNTS));
    }
    let seed = match args.value("seed")? {
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| format!("`--seed` must be a whole number, found `{s}`"))?,
        None => 1,
    };
    let at = instant(
        "at",
        &args.value("at")?.unwrap_or_else(|| DEFAULT_AT.into()),
    )?;
    let out_path = args.value("out")?;
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
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
