//! The `quotient` command line: argument parsing and one function per subcommand. All logic
//! lives in the library; these functions only read files, call it, and print.

mod args;
#[cfg(feature = "serve")]
mod audit;
mod check;
mod corpus;
mod cycles;
mod diff;
mod eval;
mod expr;
mod input;
#[cfg(feature = "serve")]
mod serve;
mod test;
mod timeline;

use std::io::Write;

pub use args::Args;

/// Exit codes shared by every subcommand.
pub mod exit {
    pub const OK: i32 = 0;
    /// The input had errors (a policy that does not check, an expression that fails).
    pub const ERRORS: i32 = 1;
    /// The command line itself was wrong.
    pub const USAGE: i32 = 2;
}

const USAGE: &str = "\
quotient: a policy engine for subscription entitlements

usage:
  quotient check <files or dirs>... [--format human|json]
      check policies; exit 0 when clean, 1 on errors
  quotient expr '<expression>' [--vars '<json object>']
      evaluate one expression and print its value or error
  quotient cycles --anchor <instant> [--tz <zone>] [--period monthly|yearly] [--from <instant>] [--count N]
      print billing-cycle boundaries (half-open: each end is the next start)
  quotient eval --policy <file|dir> (--account <file> | --accounts <corpus.jsonl>)
                --request <file|JSON> [--at <instant>]
                [--explain] [--format human|json] [--apply --out <file> [--ledger <file>]]
      decide one request (and with --apply write the new snapshot and its ledger entries)
  quotient timeline --policy <file|dir> [--account <file>] --script <file> [--explain]
                    [--format human|json] [--out <file>] [--ledger <file>]
      play requests at instants against one account; print each decision and the balances
  quotient test <files or dirs>... [--min-coverage <percent>] [--verbose]
      run policy tests (*.test.yaml); report failures, rule coverage and `N passed, M failed`
  quotient corpus --policy <file|dir> --count N [--seed S] [--at <instant>] [--out <file.jsonl>]
      write a deterministic synthetic population of accounts as JSON Lines
  quotient diff --base <policy> --head <policy> --accounts <corpus.jsonl> [--at <instant>]
                [--requests <file>] [--format markdown|json]
      what a policy change does to a population: changed decisions, amounts, exchange value;
      exit 0 when nothing changed, 3 when decisions changed
  quotient serve --policy <file|dir> --clients <file> [--db <url>] [--listen <addr>]
                 [--isolation read-committed|serializable] [--handoff-ttl <minutes>]
                 [--exchange-page policy|self|<url>]
      run the account service (SQLite by default: --db sqlite://quotient.db; or postgres://...)
  quotient audit --db <url> --policy <file|dir>
      replay every stored account's ledger; exit 1 on any difference
  quotient help
";

/// Runs the command line and returns the process exit code.
pub fn run(argv: Vec<String>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut args = Args::new(argv);
    let Some(cmd) = args.next_positional() else {
        let _ = write!(err, "{USAGE}");
        return exit::USAGE;
    };
    let result = match cmd.as_str() {
        "check" => check::run(&mut args, out, err),
        "expr" => expr::run(&mut args, out, err),
        "cycles" => cycles::run(&mut args, out, err),
        "eval" => eval::run(&mut args, out, err),
        "corpus" => corpus::run(&mut args, out, err),
        "test" => test::run(&mut args, out, err),
        "diff" => diff::run(&mut args, out, err),
        "timeline" => timeline::run(&mut args, out, err),
        #[cfg(feature = "serve")]
        "serve" => serve::run(&mut args, out, err),
        #[cfg(feature = "serve")]
        "audit" => audit::run(&mut args, out, err),
        "help" | "--help" | "-h" => {
            let _ = write!(out, "{USAGE}");
            Ok(exit::OK)
        }
        other => Err(format!("unknown command `{other}`")),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(err, "error: {message}\n\n{USAGE}");
            exit::USAGE
        }
    }
}
