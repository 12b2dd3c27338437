//! `quotient diff --base <policy> --head <policy> --accounts <corpus.jsonl> [--at <instant>]
//! [--requests <file>] [--format markdown|json]`: decide the same requests for every account of a
//! corpus under both policy versions and report what changed. Exit 0 when nothing changed, 3 when
//! decisions changed (so CI can require an acknowledgement), 1 on input errors, 2 on usage. A
//! progress line is drawn on standard error only when it is a terminal.

use std::io::{BufRead, BufReader, IsTerminal, Write};

use chrono::{DateTime, Utc};

use super::corpus::DEFAULT_AT;
use super::exit;
use super::input::{self, Format};
use quotient::Request;
use quotient::testing::diff::{Diff, html, markdown};

/// Options of `quotient diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The policy before the change (file or directory).
    #[arg(long, value_name = "PATH")]
    base: String,
    /// The policy after the change (file or directory).
    #[arg(long, value_name = "PATH")]
    head: String,
    /// The accounts, as JSON Lines (`quotient corpus` writes them; `-` for standard input).
    #[arg(long, value_name = "FILE")]
    accounts: String,
    /// The instant both policies decide at (RFC 3339).
    #[arg(long, value_name = "INSTANT", default_value = DEFAULT_AT, value_parser = input::instant)]
    at: DateTime<Utc>,
    /// The requests to decide for every account (default: one of each kind the policy offers).
    #[arg(long, value_name = "FILE")]
    requests: Option<String>,
    /// `markdown`: the report for a pull request; `json`: the same numbers as data; `html`: one
    /// self-contained page with the same tables and bar charts (write it with `> report.html`).
    #[arg(long, value_enum, default_value_t = DiffFormat::Markdown)]
    format: DiffFormat,
}

/// How `diff` prints its report.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Markdown for a pull request.
    Markdown,
    /// JSON for programs.
    Json,
    /// One self-contained HTML page with charts.
    Html,
}

/// `[#########-----------]  45%  45000 of 100000 accounts`
fn bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    let percent = (done * 100).checked_div(total).unwrap_or(100).min(100);
    format!(
        "[{}{}] {percent:>3}%  {done} of {total} accounts",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled)
    )
}

/// Exit code when decisions changed.
pub const CHANGED: i32 = 3;

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    input::one_stdin([
        Some(args.base.as_str()),
        Some(args.head.as_str()),
        Some(args.accounts.as_str()),
        args.requests.as_deref(),
    ])?;
    let Args {
        base: base_path,
        head: head_path,
        accounts,
        at,
        requests: requests_path,
        format,
    } = args;
    let Some(base_set) = input::policy_set(&base_path, err) else {
        return Ok(exit::ERRORS);
    };
    let Some(head_set) = input::policy_set(&head_path, err) else {
        return Ok(exit::ERRORS);
    };
    let (Some(base), Some(head)) = (
        input::in_force(&base_set, at, err),
        input::in_force(&head_set, at, err),
    ) else {
        return Ok(exit::ERRORS);
    };
    let requests = match &requests_path {
        Some(path) => {
            let text = input::read_file(path)?;
            match quotient::read_document::<Vec<Request>>(input::display_name(path), &text) {
                Ok(r) => Some(r),
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    return Ok(exit::ERRORS);
                }
            }
        }
        None => None,
    };
    let open = || -> Result<Box<dyn BufRead>, String> {
        if accounts == "-" {
            return Ok(Box::new(std::io::stdin().lock()));
        }
        let file =
            std::fs::File::open(&accounts).map_err(|e| format!("cannot read `{accounts}`: {e}"))?;
        Ok(Box::new(BufReader::new(file)))
    };
    // The bar needs the total, so it reads the file twice; standard input is read once, unbarred.
    let progress = std::io::stderr().is_terminal() && accounts != "-";
    let total = if progress {
        open()?
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.trim().is_empty())
            .count()
    } else {
        0
    };
    let mut diff = Diff::new(base, head, at, requests);
    let accounts_name = input::display_name(&accounts).to_string();
    for (n, account) in quotient::testing::corpus::read_jsonl(open()?).enumerate() {
        let account = match account {
            Ok(a) => a,
            Err(e) => {
                let _ = writeln!(err, "error: {accounts_name}: {e}");
                return Ok(exit::ERRORS);
            }
        };
        diff.account(&account);
        if progress && n % 1000 == 999 {
            let _ = write!(err, "\r{}", bar(n + 1, total));
        }
    }
    if progress {
        let _ = writeln!(err, "\r{}", bar(total, total));
    }
    let report = diff.finish();
    match format {
        DiffFormat::Markdown => input::print(out, Format::Human, &report, || markdown(&report))?,
        DiffFormat::Json => input::print(out, Format::Json, &report, String::new)?,
        DiffFormat::Html => input::print(out, Format::Human, &report, || html(&report))?,
    }
    Ok(if report.has_changes() {
        CHANGED
    } else {
        exit::OK
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_bar_fills_with_the_accounts_done() {
        assert_eq!(
            super::bar(0, 100),
            "[------------------------------]   0%  0 of 100 accounts"
        );
        assert_eq!(
            super::bar(50, 100),
            "[###############---------------]  50%  50 of 100 accounts"
        );
        assert_eq!(
            super::bar(100, 100),
            "[##############################] 100%  100 of 100 accounts"
        );
        assert_eq!(
            super::bar(0, 0),
            "[##############################] 100%  0 of 0 accounts"
        );
    }
}
