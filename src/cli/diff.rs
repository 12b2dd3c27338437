//! `quotient diff --base <policy> --head <policy> --accounts <corpus.jsonl> [--at <instant>]
//! [--requests <file>] [--format markdown|json]`: decide the same requests for every account of a
//! corpus under both policy versions and report what changed. Exit 0 when nothing changed, 3 when
//! decisions changed (so CI can require an acknowledgement), 1 on input errors, 2 on usage. A
//! progress line is drawn on standard error only when it is a terminal.

use std::io::{BufRead, BufReader, IsTerminal, Write};

use super::corpus::DEFAULT_AT;
use super::input::{self, instant};
use super::{Args, exit};
use quotient::Request;
use quotient::testing::diff::{Diff, markdown};

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

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let base_path = args
        .value("base")?
        .ok_or("`diff` needs `--base <policy file or dir>`")?;
    let head_path = args
        .value("head")?
        .ok_or("`diff` needs `--head <policy file or dir>`")?;
    let accounts = args
        .value("accounts")?
        .ok_or("`diff` needs `--accounts <corpus.jsonl>`")?;
    let at = instant(
        "at",
        &args.value("at")?.unwrap_or_else(|| DEFAULT_AT.into()),
    )?;
    let requests_path = args.value("requests")?;
    let json = args.json_format("markdown")?;
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
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
            match quotient::read_document::<Vec<Request>>(path, &text) {
                Ok(r) => Some(r),
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    return Ok(exit::ERRORS);
                }
            }
        }
        None => None,
    };
    let open =
        || std::fs::File::open(&accounts).map_err(|e| format!("cannot read `{accounts}`: {e}"));
    let progress = std::io::stderr().is_terminal();
    let total = if progress {
        BufReader::new(open()?)
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.trim().is_empty())
            .count()
    } else {
        0
    };
    let mut diff = Diff::new(base, head, at, requests);
    for (n, account) in quotient::testing::corpus::read_jsonl(BufReader::new(open()?)).enumerate() {
        let account = match account {
            Ok(a) => a,
            Err(e) => {
                let _ = writeln!(err, "error: {accounts}: {e}");
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
    input::print(out, json, &report, || markdown(&report))?;
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
