//! `quotient audit --db <url> --policy <file|dir>`: replay every stored account's ledger and
//! compare it with the stored snapshot and the conservation totals; exit 1 on any difference.

use std::io::Write;
use std::path::PathBuf;

/// Options of `quotient audit`.
#[derive(clap::Args)]
pub struct Args {
    /// The database: sqlite://FILE or postgres://...
    #[arg(long, value_name = "URL")]
    db: String,
    /// The policy file or directory the accounts were decided under.
    #[arg(long, value_name = "PATH")]
    policy: PathBuf,
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    Ok(crate::serve::audit::run(&args.db, &args.policy, out, err))
}
