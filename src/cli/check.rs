//! `quotient check <paths>... [--format human|json]`: load policies and print every diagnostic.

use std::io::Write;
use std::path::PathBuf;

use super::exit;
use super::input::{self, Format};

/// Options of `quotient check`.
#[derive(clap::Args)]
pub struct Args {
    /// Policy files or directories (`-` reads one policy from standard input).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// `human`: diagnostics rendered like rustc on stderr, `ok:` lines on stdout; `json`: one
    /// JSON object per diagnostic on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let loaded = input::load(&args.paths)?;
    let json = args.format == Format::Json;
    if json {
        let _ = write!(out, "{}", loaded.render_json());
    } else {
        let _ = write!(err, "{}", loaded.render_human_styled(input::colour()));
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
