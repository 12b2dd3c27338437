//! Policy tests: `*.test.yaml` files beside policies, each a list of cases (an account at an
//! instant, requests played first, the request under test, what to expect), run through the
//! timeline player, with rule coverage measured over every decision the cases make.
//!
//! This is the edge for tests: it reads the test files, the policies and the account files they
//! name; everything it calls below is pure. [`run_paths`] returns a [`TestRun`] that is sorted
//! and serializable, so an embedder can snapshot it with insta in an ordinary Rust test.

mod check;
mod coverage;
mod decisions;
mod file;

pub use decisions::{DecisionLine, decisions};

/// Synthetic account populations: deterministic (a seeded SplitMix64), every plan and mode,
/// every position in the cycle, generated and read one account at a time.
pub mod corpus {
    pub use crate::corpus::{Accounts, decidable, generate, read_jsonl, read_line};
}

/// Impact reports: what a policy change does to a population of accounts.
pub mod diff {
    pub use crate::diff::html::render as html;
    pub use crate::diff::markdown::render as markdown;
    pub use crate::diff::requests::standard as standard_requests;
    pub use crate::diff::{ChangeGroup, Diff, DiffReport, Example, ExchangeValue, Totals};
}

/// Timelines: a script of requests at instants played against one account.
pub mod timeline {
    pub use crate::timeline::{
        Observer, Played, Script, Step, Timeline, TimelineError, balances, play, play_observed,
    };
}

use crate::limits::MAX_TEST_FILES;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::account::Snapshot;
use crate::diag::render;
use crate::eval::DecideOptions;
use crate::limits::Limits;
use crate::policy::{PolicySet, load_paths};
use crate::timeline::{Script, Step, TimelineError, play_observed};
pub use coverage::Coverage;
use file::{AccountRef, TestCase, TestFile};

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseResult {
    /// `file:line` of the case.
    pub at: String,
    /// The case's name.
    pub name: String,
    /// Empty when the case passed; otherwise one line per difference.
    pub failures: Vec<String>,
}

/// The result of a run: every case in file order, coverage per policy version, and problems that
/// kept a file from running.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TestRun {
    /// Every case, in file order.
    pub cases: Vec<CaseResult>,
    /// Rule coverage per policy version tested.
    pub coverage: Vec<Coverage>,
    /// Files that could not be run, and why.
    pub errors: Vec<String>,
}

impl TestRun {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.failures.is_empty()).count()
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// The lowest coverage of any policy version tested, in percent.
    pub fn min_coverage(&self) -> f64 {
        self.coverage
            .iter()
            .map(Coverage::percent)
            .fold(100.0, f64::min)
    }

    /// The run as people read it: failures with their differences, coverage, the closing line.
    pub fn to_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        for e in &self.errors {
            let _ = writeln!(out, "error: {e}");
        }
        for c in &self.cases {
            if c.failures.is_empty() {
                if verbose {
                    let _ = writeln!(out, "ok    {}  {}", c.at, c.name);
                }
                continue;
            }
            let _ = writeln!(out, "FAIL  {}  {}", c.at, c.name);
            for f in &c.failures {
                let _ = writeln!(out, "      {f}");
            }
        }
        for cov in &self.coverage {
            let _ = writeln!(
                out,
                "coverage of {} {}: {} of {} rules ({:.1}%)",
                cov.policy,
                cov.version,
                cov.covered(),
                cov.rules.len(),
                cov.percent()
            );
            for r in cov.missed() {
                let _ = writeln!(out, "  not covered: {r}");
            }
        }
        let _ = writeln!(out, "{} passed, {} failed", self.passed(), self.failed());
        out
    }
}

/// Runs every `*.test.yaml` under `paths` (files are taken as named).
pub fn run_paths(paths: &[PathBuf], limits: &Limits) -> TestRun {
    let mut files = Vec::new();
    let mut run = TestRun::default();
    for p in paths {
        collect(p, &mut files, &mut run.errors);
    }
    if files.is_empty() && run.errors.is_empty() {
        run.errors.push("no `*.test.yaml` files found".into());
    }
    let mut coverage: BTreeMap<(String, String), Coverage> = BTreeMap::new();
    for f in files.iter().take(MAX_TEST_FILES) {
        run_file(f, limits, &mut run, &mut coverage);
    }
    if files.len() > MAX_TEST_FILES {
        run.errors.push(format!(
            "more than {MAX_TEST_FILES} test files; the rest were not run"
        ));
    }
    run.coverage = coverage.into_values().collect();
    run
}

fn collect(path: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    if !path.is_dir() {
        out.push(path.to_path_buf());
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            errors.push(format!("cannot read `{}`: {e}", path.display()));
            return;
        }
    };
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out, errors);
        } else if p.to_string_lossy().ends_with(".test.yaml") {
            out.push(p);
        }
    }
}

fn run_file(
    path: &Path,
    limits: &Limits,
    run: &mut TestRun,
    coverage: &mut BTreeMap<(String, String), Coverage>,
) {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            run.errors.push(format!("cannot read `{name}`: {e}"));
            return;
        }
    };
    let file: TestFile = match crate::document::read_record(&name, &text) {
        Ok(f) => f,
        Err(e) => {
            run.errors.push(e.to_string());
            return;
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let loaded = load_paths(&[dir.join(&file.policy)], limits);
    if loaded.has_errors() {
        run.errors.push(format!(
            "{name}: the policy `{}` does not load:\n{}",
            file.policy,
            render::human_all(&loaded.diagnostics, &loaded.sources)
        ));
        return;
    }
    let Some(set) = loaded.single() else {
        run.errors.push(format!(
            "{name}: `{}` holds more than one policy",
            file.policy
        ));
        return;
    };
    for v in set.versions() {
        coverage
            .entry((v.name.clone(), v.version.clone()))
            .or_insert_with(|| Coverage::of(v));
    }
    for case in &file.tests {
        let at = format!("{name}:{}", case.defined.line());
        let failures = match account(&case.value.account, &file, dir, 0) {
            Ok(account) => run_case(set, &account, &case.value, coverage),
            Err(e) => vec![e],
        };
        run.cases.push(CaseResult {
            at,
            name: case.value.name.clone(),
            failures,
        });
    }
}

/// The account a case names: an entry of `accounts` (which may itself name a file), a file
/// relative to the test file, or an inline snapshot.
fn account(r: &AccountRef, file: &TestFile, dir: &Path, depth: u8) -> Result<Snapshot, String> {
    match r {
        AccountRef::Inline(s) => Ok((**s).clone()),
        AccountRef::Name(n) => match file.accounts.get(n) {
            Some(inner) if depth < 4 => account(inner, file, dir, depth + 1),
            Some(_) => Err(format!("account `{n}` names itself")),
            None => {
                let path = dir.join(n);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!(
                        "account `{n}` is neither in `accounts` ({}) nor a readable file: {e}",
                        file.accounts
                            .keys()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                crate::document::read_record(&path.display().to_string(), &text)
                    .map_err(|e| e.to_string())
            }
        },
    }
}

fn run_case(
    set: &PolicySet,
    account: &Snapshot,
    case: &TestCase,
    coverage: &mut BTreeMap<(String, String), Coverage>,
) -> Vec<String> {
    let mut steps = case.given.clone();
    steps.push(Step {
        at: case.at,
        request: case.request.clone(),
        with_last_quote: case.with_last_quote,
        repeat: None,
    });
    let script = Script {
        description: None,
        account: None,
        auto_rollover: true,
        steps,
    };
    let main_step = script.steps.len();
    let mut observe =
        |policy: &crate::policy::Policy, before: &Snapshot, d: &crate::eval::Decision<'_>| {
            if let Some(c) = coverage.get_mut(&(policy.name.clone(), policy.version.clone())) {
                c.observe(policy, before, d);
            }
        };
    match play_observed(
        set,
        account,
        &script,
        &DecideOptions::default(),
        &mut observe,
    ) {
        Ok(timeline) => match timeline.steps.last() {
            Some(last) => check::compare(&case.expect, last),
            None => vec!["the case made no decision".into()],
        },
        Err(TimelineError::Step { step, message, .. }) if step == main_step => {
            match &case.expect.error {
                Some(want) if message.contains(want.as_str()) => Vec::new(),
                Some(want) => vec![format!(
                    "error: expected one containing `{want}`, got `{message}`"
                )],
                None => vec![format!("the request was refused as malformed: {message}")],
            }
        }
        Err(e) => vec![format!("a `given` step failed: {e}")],
    }
}
