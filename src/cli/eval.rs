//! `quotient eval --policy <p> --account <file> --request <file or JSON> [--at <instant>]
//! [--explain] [--format human|json] [--apply --out <file> [--ledger <file>]]`: decide one
//! request and, with `--apply`, write the new snapshot (and the ledger group to `--ledger`; with
//! `--format json` the output is one object holding the decision and the ledger group). With
//! `--accounts <corpus.jsonl>` instead of `--account`, the request is decided for every account
//! of a JSON Lines corpus, read as a stream, and each decision is printed as one JSON line.

use std::io::Write;

use chrono::{DateTime, Utc};

use super::exit;
use super::input::{self, Format};
use quotient::{DecideOptions, Request, apply, decide};

/// Options of `quotient eval`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["account", "accounts"])))]
pub struct Args {
    /// The policy file or directory (all its versions; the one in force at the instant decides).
    #[arg(long, value_name = "PATH")]
    policy: String,
    /// The account snapshot (JSON or YAML; `-` for standard input).
    #[arg(long, value_name = "FILE")]
    account: Option<String>,
    /// A JSON Lines corpus of accounts (`-` for standard input): one JSON decision per line.
    #[arg(long, value_name = "FILE", conflicts_with = "apply")]
    accounts: Option<String>,
    /// The request: a file (JSON or YAML; `-` for standard input) or inline JSON.
    #[arg(long, value_name = "FILE|JSON")]
    request: String,
    /// The instant to decide at (RFC 3339); default: the request's `at`, else the clock.
    #[arg(long, value_name = "INSTANT", value_parser = input::instant)]
    at: Option<DateTime<Utc>>,
    /// Show the cost and eligibility trace.
    #[arg(long)]
    explain: bool,
    /// `human`: text for people; `json`: the decision report (with --apply, `{decision, ledger}`).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Apply the decision: write the new snapshot to --out.
    #[arg(long, requires = "out")]
    apply: bool,
    /// Where --apply writes the new snapshot.
    #[arg(long, value_name = "FILE", requires = "apply")]
    out: Option<String>,
    /// Where --apply writes the ledger group (JSON).
    #[arg(long, value_name = "FILE", requires = "apply")]
    ledger: Option<String>,
    /// With --accounts: how many threads decide (default: one per core). The output is the same
    /// bytes, in the same order, whatever the number.
    #[arg(long, value_name = "N", requires = "accounts", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    input::one_stdin([
        Some(args.policy.as_str()),
        args.account.as_deref(),
        args.accounts.as_deref(),
        Some(args.request.as_str()),
    ])?;
    let Some(set) = input::policy_set(&args.policy, err) else {
        return Ok(exit::ERRORS);
    };
    let (name, text) = if args.request.trim_start().starts_with('{') {
        ("--request".to_string(), args.request.clone())
    } else {
        (
            input::display_name(&args.request).to_string(),
            input::read_file(&args.request)?,
        )
    };
    let request: Request = match quotient::read_record(&name, &text) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    // `--at`, else the request's own `at`, else the clock: the edge may read it, the evaluator
    // never does.
    let at = args
        .at
        .or(request.at)
        .unwrap_or_else(|| DateTime::<Utc>::from(std::time::SystemTime::now()));
    let Some(policy) = input::in_force(&set, at, err) else {
        return Ok(exit::ERRORS);
    };
    let options = DecideOptions::explaining(args.explain);
    let account_path = match (&args.account, &args.accounts) {
        (Some(a), _) => a,
        (None, Some(corpus)) => {
            let jobs = args.jobs.map_or_else(
                || std::thread::available_parallelism().map_or(1, |n| n.get().min(16)),
                usize::from,
            );
            let run = Stream {
                policy,
                request: &request,
                at,
                options: &options,
                jobs,
            };
            return run.corpus(corpus, out, err);
        }
        (None, None) => return Err("`eval` needs `--account` or `--accounts`".into()),
    };
    let Some(snapshot) = input::account(account_path, policy, err) else {
        return Ok(exit::ERRORS);
    };
    let decision = match decide(policy, &snapshot, &request, at, &options) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let report = decision.report(policy, &snapshot);
    if !args.apply {
        input::print(out, args.format, &report, || report.to_text())?;
        return Ok(exit::OK);
    }
    if !decision.changes_state() {
        input::print(out, args.format, &report, || report.to_text())?;
        let _ = writeln!(
            err,
            "nothing to apply: the decision changes nothing; no file written"
        );
        return Ok(exit::OK);
    }
    // Nothing is printed as done until it is: apply, write every file, then report.
    let transition = match apply(policy, &snapshot, &decision) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let snapshot_json = format!("{}\n", input::pretty_json(&transition.snapshot)?);
    let ledger_file = format!("{}\n", input::pretty_json(&transition.ledger)?);
    let mut files = Vec::with_capacity(2);
    if let Some(path) = &args.out {
        files.push((path.as_str(), snapshot_json.as_str()));
    }
    if let Some(path) = &args.ledger {
        files.push((path.as_str(), ledger_file.as_str()));
    }
    if let Err(e) = input::write_files(&files) {
        let _ = writeln!(err, "error: {e}; nothing was applied");
        return Ok(exit::ERRORS);
    }
    match args.format {
        Format::Json => {
            let both = serde_json::json!({ "decision": report, "ledger": transition.ledger });
            let _ = writeln!(out, "{}", input::pretty_json(&both)?);
        }
        Format::Human => {
            let _ = write!(out, "{}", report.to_text());
            if let Some(path) = &args.out {
                let _ = writeln!(
                    err,
                    "applied: version {} written to {path}",
                    transition.snapshot.version
                );
            }
        }
    }
    Ok(exit::OK)
}

/// Accounts read and decided together: enough to keep every core busy, few enough that memory
/// stays flat whatever the corpus size.
const BATCH: usize = 4096;

/// One request to decide for every account of a corpus, on `jobs` threads.
struct Stream<'a> {
    policy: &'a quotient::Policy,
    request: &'a Request,
    at: DateTime<Utc>,
    options: &'a DecideOptions<'a>,
    jobs: usize,
}

impl Stream<'_> {
    /// Decides the request for every account of a JSON Lines corpus, one JSON line per decision
    /// (or per error, with the account's line number). Lines are read in batches; each batch is
    /// parsed and decided on every thread, and printed in input order, so the output is the same
    /// bytes as a one-thread run.
    fn corpus(
        &self,
        corpus: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, String> {
        let Stream {
            policy,
            request,
            at,
            options,
            jobs,
        } = *self;
        let reader: Box<dyn std::io::BufRead> = if corpus == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let file =
                std::fs::File::open(corpus).map_err(|e| format!("cannot read `{corpus}`: {e}"))?;
            Box::new(std::io::BufReader::new(file))
        };
        let corpus = input::display_name(corpus);
        let decide_one = |(number, line): &(usize, String)| -> Option<Result<String, String>> {
            Some(match quotient::testing::corpus::read_line(*number, line)? {
            Err(e) => Err(e),
            Ok(s) => Ok(match decide(policy, &s, request, at, options) {
                Ok(d) => serde_json::to_string(&d.report(policy, &s)).unwrap_or_else(|e| {
                    serde_json::json!({ "line": number, "error": e.to_string() }).to_string()
                }),
                Err(e) => {
                    serde_json::json!({ "line": number, "account": s.id, "error": e.to_string() })
                        .to_string()
                }
            }),
        })
        };
        let mut out = std::io::BufWriter::new(out);
        let mut code = exit::OK;
        let mut lines = std::io::BufRead::lines(reader).enumerate();
        loop {
            let mut batch = Vec::with_capacity(BATCH);
            for (n, line) in lines.by_ref() {
                let line =
                    line.map_err(|e| format!("cannot read `{corpus}`: line {}: {e}", n + 1))?;
                batch.push((n + 1, line));
                if batch.len() == BATCH {
                    break;
                }
            }
            if batch.is_empty() {
                break;
            }
            for result in in_parallel(&batch, jobs, &decide_one).into_iter().flatten() {
                match result {
                    Ok(line) => {
                        writeln!(out, "{line}").map_err(|e| format!("cannot write: {e}"))?
                    }
                    Err(e) => {
                        let _ = writeln!(err, "error: {corpus}: {e}");
                        code = exit::ERRORS;
                    }
                }
            }
        }
        out.flush().map_err(|e| format!("cannot write: {e}"))?;
        Ok(code)
    }
}

/// `work` applied to every item on up to `workers` threads, results in the items' order.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    work: &(impl Fn(&T) -> R + Sync),
) -> Vec<R> {
    if workers <= 1 || items.len() < 64 {
        return items.iter().map(work).collect();
    }
    let chunk = items.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(work).collect::<Vec<R>>()))
            .collect();
        let mut results = Vec::with_capacity(items.len());
        for handle in handles {
            match handle.join() {
                Ok(part) => results.extend(part),
                // A worker that panicked is a bug: let it surface as the panic it was.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        results
    })
}
