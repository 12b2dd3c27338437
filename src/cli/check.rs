//! `quotient check <paths>... [--format human|json|github]`: load policies and print every
//! diagnostic, for people, as JSON lines, or as GitHub Actions workflow annotations.

use std::io::Write;
use std::path::PathBuf;

use super::exit;
use super::input;

/// Options of `quotient check`.
#[derive(clap::Args)]
pub struct Args {
    /// Policy files or directories (`-` reads one policy from standard input).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// `human`: diagnostics rendered like rustc on stderr, `ok:` lines on stdout; `json`: one
    /// JSON object per diagnostic on stdout; `github`: GitHub Actions annotations on stdout.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
}

/// How `check` prints diagnostics.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckFormat {
    /// Rendered like rustc, for people.
    Human,
    /// One JSON object per diagnostic.
    Json,
    /// GitHub Actions workflow commands (`::error file=...::message`), shown on the pull request.
    Github,
}

/// One diagnostic as a GitHub Actions workflow command.
fn github_annotation(d: &quotient::LocatedDiagnostic) -> String {
    // Workflow commands escape `%`, CR and LF in the message, and also `:` and `,` in values.
    let data = |t: &str| {
        t.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let value = |t: &str| data(t).replace(':', "%3A").replace(',', "%2C");
    let level = match d.severity {
        quotient::Severity::Error => "error",
        quotient::Severity::Warning => "warning",
    };
    let mut properties = Vec::new();
    if let Some(file) = &d.file {
        properties.push(format!("file={}", value(file)));
    }
    for (key, n) in [
        ("line", d.line),
        ("endLine", d.end_line),
        ("col", d.column),
        ("endColumn", d.end_column),
    ] {
        if let Some(n) = n {
            properties.push(format!("{key}={n}"));
        }
    }
    properties.push(format!(
        "title={}",
        value(&format!("{} {}", d.code, d.name))
    ));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{level} {}::{}", properties.join(","), data(&message))
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let loaded = input::load(&args.paths)?;
    match args.format {
        CheckFormat::Json => {
            let _ = write!(out, "{}", loaded.render_json());
        }
        CheckFormat::Github => {
            for d in loaded.located() {
                let _ = writeln!(out, "{}", github_annotation(&d));
            }
        }
        CheckFormat::Human => {
            let _ = write!(err, "{}", loaded.render_human_styled(input::colour()));
        }
    }
    if loaded.has_errors() {
        return Ok(exit::ERRORS);
    }
    if args.format == CheckFormat::Human {
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
