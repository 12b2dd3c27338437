//! Timelines: a sequence of requests at instants played against one account, each decided and
//! (when it changes state) applied, with the balances after every step. The fastest way for a
//! pricing person to see what a policy does to one customer over months, and the engine behind
//! the scenario tests. Pure: the caller reads the script and the account; nothing here does IO.

use crate::limits::MAX_STEPS;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::Snapshot;
use crate::apply::apply;
use crate::eval::{DecideOptions, Decision, QuoteRef, Request, RequestKind, decide};
use crate::ledger::LedgerGroup;
use crate::policy::{Policy, PolicySet};
use crate::report::DecisionReport;

/// A script: requests at instants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Free text shown at the top of the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The account to start from (scenario files carry it inline; the CLI can also read a file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Snapshot>,
    /// Roll the account over before a step whose instant is in a later cycle (default true).
    #[serde(default = "yes")]
    pub auto_rollover: bool,
    /// The steps, in order of their instants.
    pub steps: Vec<Step>,
}

fn yes() -> bool {
    true
}

/// One step: a request at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// When the request is made.
    pub at: DateTime<Utc>,
    /// The request.
    pub request: Request,
    /// Send back the quote of the latest `quote` decision (for an `exchange`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub with_last_quote: bool,
    /// Play the request this many times (ids get `#2`, `#3`, ...). Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u32>,
}

/// What one played step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Played {
    /// The decision, in words.
    pub decision: DecisionReport,
    /// Whether the decision was applied (the account changed).
    pub applied: bool,
    /// Usable balances after the step, by unit.
    pub balances_after: BTreeMap<String, String>,
    /// The account's mode after the step.
    pub mode_after: String,
}

/// A played timeline: every step, the final account and the whole ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// Every step played, automatic rollovers included.
    pub steps: Vec<Played>,
    /// The account at the end.
    pub account: Snapshot,
    /// Every ledger group, in order.
    pub ledger: Vec<LedgerGroup>,
}

/// Why a timeline stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    /// A step could not be decided or applied.
    #[error("step {step} (request `{request}`): {message}")]
    Step {
        /// The step's number (1 for the first).
        step: usize,
        /// Its request id.
        request: String,
        /// What went wrong.
        message: String,
    },
    /// The script is longer than the limit.
    #[error("the script has more than {MAX_STEPS} steps")]
    TooLong,
}

/// Plays `script` from `account` with the policy version in force at each step's instant.
pub fn play(
    policies: &PolicySet,
    account: &Snapshot,
    script: &Script,
    options: &DecideOptions,
) -> Result<Timeline, TimelineError> {
    play_observed(policies, account, script, options, &mut |_, _, _| {})
}

/// Sees every decision a timeline makes (automatic rollovers included) with the policy and the
/// snapshot it was made on; `quotient test` measures rule coverage with it.
pub type Observer<'o> = dyn FnMut(&Policy, &Snapshot, &Decision<'_>) + 'o;

/// Like [`play`], showing every decision to `observe` before it is applied.
pub fn play_observed(
    policies: &PolicySet,
    account: &Snapshot,
    script: &Script,
    options: &DecideOptions,
    observe: &mut Observer<'_>,
) -> Result<Timeline, TimelineError> {
    let total: usize = script
        .steps
        .iter()
        .map(|s| s.repeat.unwrap_or(1) as usize)
        .sum();
    if total > MAX_STEPS {
        return Err(TimelineError::TooLong);
    }
    let mut state = account.clone();
    let mut out = Timeline {
        steps: Vec::new(),
        account: account.clone(),
        ledger: Vec::new(),
    };
    let mut last_quote: Option<QuoteRef> = None;
    for (n, step) in script.steps.iter().enumerate() {
        let fail = |message: String| TimelineError::Step {
            step: n + 1,
            request: step.request.id.clone(),
            message,
        };
        let policy = policies.at(step.at).ok_or_else(|| {
            fail(format!(
                "no version of `{}` is in force at {}",
                policies.name(),
                step.at.to_rfc3339()
            ))
        })?;
        for k in 0..step.repeat.unwrap_or(1) {
            let mut request = step.request.clone();
            if k > 0 {
                request.id = format!("{}#{}", request.id, k + 1);
            }
            if step.with_last_quote {
                request.quote =
                    Some(last_quote.clone().ok_or_else(|| {
                        fail("`with_last_quote`, but no quote was made yet".into())
                    })?);
            }
            if script.auto_rollover && request.kind != RequestKind::Rollover {
                let roll = Request::new(format!("{}/rollover", request.id), RequestKind::Rollover);
                let d = decide(policy, &state, &roll, step.at, options)
                    .map_err(|e| fail(e.to_string()))?;
                if d.changes_state() {
                    let next = record(policy, &state, &mut out, &d, observe)
                        .map_err(|e| fail(e.to_string()))?;
                    if let Some(next) = next {
                        state = next;
                    }
                }
            }
            let d = decide(policy, &state, &request, step.at, options)
                .map_err(|e| fail(e.to_string()))?;
            // Only a `quote` decision that quoted is "the latest quote": an exchange decision
            // (a warning, a stale refusal) recomputes one, which must not renew the one sent.
            if let (Some(q), RequestKind::Quote, crate::eval::Outcome::Quoted) =
                (&d.quote, d.kind, d.outcome)
            {
                last_quote = Some(q.to_ref(policy));
            }
            let next =
                record(policy, &state, &mut out, &d, observe).map_err(|e| fail(e.to_string()))?;
            if let Some(next) = next {
                state = next;
            }
        }
    }
    out.account = state;
    Ok(out)
}

/// Records the step `d` decided on `state`, applying it when it changes state: the new
/// snapshot, if there is one.
fn record(
    policy: &Policy,
    state: &Snapshot,
    out: &mut Timeline,
    d: &Decision<'_>,
    observe: &mut Observer<'_>,
) -> Result<Option<Snapshot>, crate::apply::ApplyError> {
    observe(policy, state, d);
    let decision = d.report(policy, state);
    let next = if d.changes_state() {
        let t = apply(policy, state, d)?;
        out.ledger.push(t.ledger);
        Some(t.snapshot)
    } else {
        None
    };
    let after = next.as_ref().unwrap_or(state);
    out.steps.push(Played {
        decision,
        applied: next.is_some(),
        balances_after: balances(policy, after, d.at),
        mode_after: after.mode.clone(),
    });
    Ok(next)
}

/// Usable balances of every unit at `at`.
pub fn balances(
    policy: &crate::policy::Policy,
    s: &Snapshot,
    at: DateTime<Utc>,
) -> BTreeMap<String, String> {
    policy
        .units
        .iter()
        .map(|u| {
            let sum: rust_decimal::Decimal = s
                .grants
                .iter()
                .filter(|g| g.unit == u.name && g.is_live(at))
                .map(|g| g.remaining)
                .sum();
            (u.name.clone(), sum.normalize().to_string())
        })
        .collect()
}

impl Timeline {
    /// The timeline as text: one block per step with the balances after it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for p in &self.steps {
            let _ = write!(
                out,
                "{}  {}",
                p.decision.at.format("%Y-%m-%dT%H:%M:%SZ"),
                p.decision.to_text()
            );
            let b: Vec<String> = p
                .balances_after
                .iter()
                .map(|(u, a)| format!("{u} {a}"))
                .collect();
            let _ = writeln!(
                out,
                "  after: {} (mode {}){}",
                b.join(", "),
                p.mode_after,
                if p.applied { "" } else { ", unchanged" }
            );
        }
        out
    }
}
