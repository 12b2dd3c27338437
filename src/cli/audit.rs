//! `quotient audit --db <url> --policy <file|dir>`: replay every stored account's ledger and
//! compare it with the stored snapshot and the conservation totals; exit 1 on any difference.

use std::io::Write;
use std::path::PathBuf;

use super::Args;

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let db = args.value("db")?.ok_or("`audit` needs `--db <url>`")?;
    let policy = args
        .value("policy")?
        .ok_or("`audit` needs `--policy <file or dir>`")?;
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    Ok(crate::serve::audit::run(
        &db,
        &PathBuf::from(policy),
        out,
        err,
    ))
}
