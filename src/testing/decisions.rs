//! Decisions over an account corpus as stable, sorted lines: what an embedder snapshots (with
//! insta or any snapshot tool) so that a policy change shows up as a reviewable diff, one line per
//! account and request.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::account::Snapshot;
use crate::eval::{DecideOptions, Request, decide};
use crate::policy::Policy;

/// One decision in one line: the account, the request, the outcome and the amounts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DecisionLine {
    /// The account's id.
    pub account: String,
    /// The request, in a few words.
    pub request: String,
    /// `allowed`, `denied (balance.insufficient)`, `quoted 29 credit`, ...
    pub decision: String,
}

impl std::fmt::Display for DecisionLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} | {} | {}", self.account, self.request, self.decision)
    }
}

/// Decides every request (the standard set of [`crate::diff::requests::standard`] when `None`)
/// for every account at `at`, sorted by account and request.
pub fn decisions<'a>(
    policy: &Policy,
    accounts: impl IntoIterator<Item = &'a Snapshot>,
    requests: Option<&[Request]>,
    at: DateTime<Utc>,
) -> Vec<DecisionLine> {
    let standard;
    let requests = match requests {
        Some(r) => r,
        None => {
            standard = crate::diff::requests::standard(policy, policy);
            &standard
        }
    };
    let options = DecideOptions::default();
    let mut out = Vec::new();
    for s in accounts {
        for r in requests {
            let decision = match decide(policy, s, r, at, &options) {
                Err(e) => format!("error ({})", e.code()),
                Ok(d) => {
                    let report = d.report(policy, s);
                    let mut text = report.outcome.to_string();
                    let codes: Vec<&str> = report.reasons.iter().map(|r| r.code).collect();
                    if !codes.is_empty() {
                        text.push_str(&format!(" ({})", codes.join(", ")));
                    }
                    if let Some(c) = &report.cost {
                        text.push_str(&format!(" cost {} {}", c.amount, c.unit));
                    }
                    let quote = |q: &crate::report::QuoteReport| {
                        format!(
                            "{} {} -> {} {}",
                            q.from_amount, q.from_unit, q.to_amount, q.to_unit
                        )
                    };
                    if let Some(q) = &report.quote {
                        text.push_str(&format!(" {}", quote(q)));
                    }
                    if let Some(o) = &report.offer {
                        text.push_str(&format!(", offer {}", quote(&o.quote)));
                    }
                    if let Some(h) = &report.hand_off {
                        text.push_str(&format!(" to {}", h.platform));
                    }
                    text
                }
            };
            out.push(DecisionLine {
                account: s.id.clone(),
                request: r.id.clone(),
                decision,
            });
        }
    }
    out.sort();
    out
}
