//! `quotient check <paths> [--format human|json]`: load policies and print every diagnostic.

use std::io::Write;
use std::path::PathBuf;

use super::{Args, exit};
use crate::diag::render;
use crate::limits::Limits;
use crate::policy;

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let json = args.json_format("human")?;
    let paths: Vec<PathBuf> = args.positionals().into_iter().map(PathBuf::from).collect();
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    if paths.is_empty() {
        return Err("`check` needs at least one policy file or directory".into());
    }
    let loaded = policy::load_paths(&paths, &Limits::default());
    if json {
        for d in &loaded.diagnostics {
            let _ = writeln!(out, "{}", render::json(d, &loaded.sources));
        }
    } else {
        let _ = write!(
            err,
            "{}",
            render::human_all(&loaded.diagnostics, &loaded.sources)
        );
    }
    if loaded.has_errors() {
        return Ok(exit::ERRORS);
    }
    if !json {
        for set in &loaded.policies {
            for v in set.versions() {
                let _ = writeln!(
                    out,
                    "ok: {} version {} (from {}) in {}",
                    v.name,
                    v.version,
                    v.effective_from.to_rfc3339(),
                    v.file
                );
            }
        }
    }
    Ok(exit::OK)
}
