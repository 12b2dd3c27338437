//! `quotient check <paths> [--format human|json]`: load policies and print every diagnostic.

use std::io::Write;
use std::path::PathBuf;

use super::{Args, exit};
use quotient::Limits;

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let json = args.json_format("human")?;
    let paths: Vec<PathBuf> = args.positionals().into_iter().map(PathBuf::from).collect();
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    if paths.is_empty() {
        return Err("`check` needs at least one policy file or directory".into());
    }
    let loaded = quotient::load_paths(&paths, &Limits::default());
    if json {
        let _ = write!(out, "{}", loaded.render_json());
    } else {
        let _ = write!(err, "{}", loaded.render_human());
    }
    if loaded.has_errors() {
        return Ok(exit::ERRORS);
    }
    if !json {
        for set in loaded.policies() {
            for v in set.versions() {
                let _ = writeln!(
                    out,
                    "ok: {} version {} (from {}) in {}",
                    v.name(),
                    v.version(),
                    v.effective_from().to_rfc3339(),
                    v.file()
                );
            }
        }
    }
    Ok(exit::OK)
}
