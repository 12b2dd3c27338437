//! `quotient test <files or dirs> [--min-coverage <percent>] [--verbose]`: run policy tests,
//! print failures with their `file:line` and differences, rule coverage, and `N passed, M failed`.
//! Exit 0 when everything passes (and coverage is high enough), 1 on failures, 2 when a file or
//! policy cannot be read.

use std::io::Write;
use std::path::PathBuf;

use super::exit;
use super::input::{self, Format};
use quotient::{Limits, testing};

/// Options of `quotient test`.
#[derive(clap::Args)]
pub struct Args {
    /// Test files (*.test.yaml) or directories holding them.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Fail when any policy version's rule coverage is below this percentage (0 to 100).
    #[arg(long, value_name = "PERCENT", value_parser = percent)]
    min_coverage: Option<f64>,
    /// List passing cases too.
    #[arg(long)]
    verbose: bool,
    /// `human`: failures, coverage and the closing line; `json`: every case and the coverage.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// `--min-coverage`: a percentage, `80` or `80%`.
fn percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "expected a percentage from 0 to 100, found `{text}`"
        )),
    }
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let (paths, min, verbose) = (args.paths, args.min_coverage, args.verbose);
    let run = testing::run_paths(&paths, &Limits::default());
    input::print(out, args.format, &run, || run.to_text(verbose))?;
    if !run.errors.is_empty() {
        let _ = writeln!(err, "{} file(s) could not be run", run.errors.len());
        return Ok(exit::USAGE);
    }
    if run.failed() > 0 {
        return Ok(exit::ERRORS);
    }
    if let Some(min) = min {
        let have = run.min_coverage();
        if have < min {
            let _ = writeln!(err, "coverage {have:.1}% is below the required {min:.1}%");
            return Ok(exit::ERRORS);
        }
    }
    Ok(exit::OK)
}
