//! `quotient test <files or dirs> [--min-coverage <percent>] [--verbose]`: run policy tests,
//! print failures with their `file:line` and differences, rule coverage, and `N passed, M failed`.
//! Exit 0 when everything passes (and coverage is high enough), 1 on failures, 2 when a file or
//! policy cannot be read.

use std::io::Write;
use std::path::PathBuf;

use super::{Args, exit};
use quotient::{Limits, testing};

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let min = match args.value("min-coverage")? {
        Some(p) => {
            let p = p.trim_end_matches('%');
            let v: f64 = p
                .parse()
                .map_err(|_| format!("`--min-coverage` must be a percentage, found `{p}`"))?;
            if !(0.0..=100.0).contains(&v) {
                return Err("`--min-coverage` is between 0 and 100".into());
            }
            Some(v)
        }
        None => None,
    };
    let verbose = args.flag("verbose");
    let paths: Vec<PathBuf> = args.positionals().into_iter().map(PathBuf::from).collect();
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    if paths.is_empty() {
        return Err("`test` needs at least one test file or directory".into());
    }
    let run = testing::run_paths(&paths, &Limits::default());
    let _ = write!(out, "{}", run.to_text(verbose));
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
