//! Impact reports: what a policy change does to a population of accounts. Both versions decide
//! the same requests for every account (every feature on every platform, quotes, the exchange,
//! the balance, and the next rollover at the account's next cycle boundary); the report counts
//! the decisions that changed, grouped by request kind, outcome transition and reasons, with a
//! few example accounts each; the change in amounts granted and consumed per unit; and, for each
//! exchange, what the units given up and the units received buy per feature (DOMAIN.md rule 6).
//!
//! Pure and streaming: accounts come from an iterator, aggregates are bounded, nothing here reads
//! a file or a clock. `markdown`, `html` and serde render the result.

pub mod html;
pub mod markdown;
pub mod requests;

use crate::limits::EXAMPLES_PER_GROUP;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::account::Snapshot;
use crate::eval::{DecideOptions, Decision, Outcome, Request, RequestKind, decide, typical_cost};
use crate::policy::Policy;

/// One decision reduced to what a reviewer compares.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Gist {
    outcome: &'static str,
    reasons: Vec<&'static str>,
    cost: Option<(String, Decimal)>,
    received: Option<(String, Decimal)>,
    granted: Vec<(String, Decimal)>,
    offer: Option<Decimal>,
}

impl Gist {
    fn of(policy: &Policy, d: &Result<Decision<'_>, crate::eval::RequestError>) -> Gist {
        let unit = |u: crate::check::UnitId| {
            policy
                .units
                .get(u.0 as usize)
                .map_or_else(String::new, |u| u.name.clone())
        };
        match d {
            Err(e) => Gist {
                outcome: "request_error",
                reasons: vec![e.code()],
                cost: None,
                received: None,
                granted: Vec::new(),
                offer: None,
            },
            Ok(d) => {
                let to_unit = |q: &crate::eval::Quote| {
                    policy
                        .exchanges
                        .get(q.exchange.0 as usize)
                        .map(|x| unit(x.to))
                        .unwrap_or_default()
                };
                Gist {
                    outcome: d.outcome.as_str(),
                    reasons: d.reason_codes().collect(),
                    cost: d
                        .use_detail
                        .as_ref()
                        .and_then(|u| u.cost)
                        .map(|(u, a)| (unit(u), a)),
                    received: d.quote.as_ref().map(|q| (to_unit(q), q.to_amount)),
                    granted: d
                        .changes
                        .as_ref()
                        .map(|c| {
                            // New value only: allowances and what exchanges give, not amounts
                            // a rollover moves from one grant to another.
                            c.new_grants
                                .iter()
                                .filter(|g| g.kind != crate::eval::EntryKind::Rollover)
                                .map(|g| (unit(g.unit), g.amount))
                                .collect()
                        })
                        .unwrap_or_default(),
                    offer: d
                        .use_detail
                        .as_ref()
                        .and_then(|u| u.offer)
                        .map(|o| o.quote.to_amount),
                }
            }
        }
    }

    /// Which parts differ from `other`, in words.
    fn differences(&self, other: &Gist) -> String {
        let mut out = Vec::new();
        if self.outcome != other.outcome {
            out.push("outcome");
        }
        if self.reasons != other.reasons {
            out.push("reasons");
        }
        if self.cost != other.cost {
            out.push("cost");
        }
        if self.received != other.received {
            out.push("amount received");
        }
        if self.granted != other.granted {
            out.push("amounts granted");
        }
        if self.offer != other.offer {
            out.push("offer");
        }
        out.join(", ")
    }

    fn describe(&self) -> String {
        let mut s = self.outcome.to_string();
        if !self.reasons.is_empty() {
            s.push_str(&format!(" ({})", self.reasons.join(", ")));
        }
        if let Some((u, a)) = &self.cost {
            s.push_str(&format!(", costs {} {u}", a.normalize()));
        }
        if let Some((u, a)) = &self.received {
            s.push_str(&format!(", gives {} {u}", a.normalize()));
        }
        if let Some(a) = &self.offer {
            s.push_str(&format!(", offers {}", a.normalize()));
        }
        for (u, a) in &self.granted {
            s.push_str(&format!(", grants {} {u}", a.normalize()));
        }
        s
    }
}

/// An example of a change: which account, which request, and both decisions in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    /// The account's id.
    pub account: String,
    /// The request, in a few words.
    pub request: String,
    /// The decision under the base policy, in one line.
    pub base: String,
    /// The decision under the head policy, in one line.
    pub head: String,
}

/// Changed decisions of one kind: request kind, outcome before and after, reasons after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeGroup {
    /// The request kind.
    pub kind: &'static str,
    /// The outcome under the base policy.
    pub from: &'static str,
    /// The outcome under the head policy.
    pub to: &'static str,
    /// The reason codes under the head policy.
    pub reasons: String,
    /// Which parts of the decision differ: `outcome`, `reasons`, `cost`, `amount received`,
    /// `amounts granted`, `offer`.
    pub what: String,
    /// How many decisions changed this way.
    pub count: u64,
    /// A few of them.
    pub examples: Vec<Example>,
}

/// Totals per unit under both versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Under the base policy.
    #[serde(with = "crate::amount")]
    pub base: Decimal,
    /// Under the head policy.
    #[serde(with = "crate::amount")]
    pub head: Decimal,
}

/// What an exchange's units buy of one feature, summed over the accounts that exchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExchangeValue {
    /// The exchange's name.
    pub exchange: String,
    /// The feature whose operations are counted.
    pub feature: String,
    /// The unit given up.
    pub from_unit: String,
    /// The unit received.
    pub to_unit: String,
    /// Accounts whose exchange was executed, under base and head.
    pub accounts_base: u64,
    /// Accounts whose exchange was executed under head.
    pub accounts_head: u64,
    /// Operations the units given up would have bought, under base and head costs.
    pub ops_given_up_base: u64,
    /// Operations the units given up would have bought, under head costs.
    pub ops_given_up_head: u64,
    /// Operations the units received buy, under base and head.
    pub ops_received_base: u64,
    /// Operations the units received buy, under head.
    pub ops_received_head: u64,
}

/// An impact report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    /// The base policy and version.
    pub base: String,
    /// The head policy and version.
    pub head: String,
    /// The instant decided at.
    pub at: Option<DateTime<Utc>>,
    /// Accounts compared.
    pub accounts: u64,
    /// Decisions compared.
    pub decisions: u64,
    /// Decisions that changed.
    pub changed: u64,
    /// Decisions and changed decisions per request kind.
    pub by_kind: BTreeMap<&'static str, (u64, u64)>,
    /// Changed decisions, grouped by kind of change.
    pub groups: Vec<ChangeGroup>,
    /// Amounts granted (allowances, rollovers and exchanges) per unit.
    pub granted: BTreeMap<String, Totals>,
    /// Amounts consumed by allowed uses per unit.
    pub consumed: BTreeMap<String, Totals>,
    /// What each exchange's units buy of each feature (DOMAIN rule 6).
    pub exchange_value: Vec<ExchangeValue>,
}

impl DiffReport {
    /// Whether any decision changed.
    pub fn has_changes(&self) -> bool {
        self.changed > 0
    }

    /// The share of decisions that changed, in percent, to one decimal.
    pub fn changed_percent(&self) -> Decimal {
        (Decimal::from(self.changed) * Decimal::ONE_HUNDRED / Decimal::from(self.decisions.max(1)))
            .round_dp(1)
    }

    /// Every unit granted or consumed under either version, in name order.
    pub fn units(&self) -> Vec<&String> {
        let mut units: Vec<&String> = self.granted.keys().chain(self.consumed.keys()).collect();
        units.sort();
        units.dedup();
        units
    }
}

/// Compares `base` with `head` over `accounts` at `at`.
pub struct Diff<'p> {
    base: &'p Policy,
    head: &'p Policy,
    at: DateTime<Utc>,
    requests: Vec<Request>,
    /// One typical `use` per feature (its parameters from `requests`), to price operations.
    uses: Vec<Request>,
    report: DiffReport,
    groups: BTreeMap<(&'static str, &'static str, &'static str, String, String), ChangeGroup>,
    values: BTreeMap<(String, String), ExchangeValue>,
    options: DecideOptions<'static>,
}

impl<'p> Diff<'p> {
    /// Starts comparing `base` with `head` at `at`, with the standard requests unless `requests` are given.
    pub fn new(
        base: &'p Policy,
        head: &'p Policy,
        at: DateTime<Utc>,
        requests: Option<Vec<Request>>,
    ) -> Self {
        let requests = requests.unwrap_or_else(|| requests::standard(base, head));
        let mut uses: Vec<Request> = Vec::new();
        for f in base.features.iter().chain(&head.features) {
            if uses
                .iter()
                .any(|u| u.feature.as_deref() == Some(f.name.as_str()))
            {
                continue;
            }
            let mut u = Request::new("value", RequestKind::Use);
            u.feature = Some(f.name.clone());
            if let Some(r) = requests
                .iter()
                .find(|r| r.feature.as_deref() == Some(f.name.as_str()))
            {
                u.params.clone_from(&r.params);
            }
            uses.push(u);
        }
        Diff {
            base,
            head,
            at,
            requests,
            uses,
            report: DiffReport {
                base: format!("{}@{} ({})", base.name, base.version, base.file),
                head: format!("{}@{} ({})", head.name, head.version, head.file),
                at: Some(at),
                ..DiffReport::default()
            },
            groups: BTreeMap::new(),
            values: BTreeMap::new(),
            options: DecideOptions::default(),
        }
    }

    /// Decides every request for one account under both versions.
    pub fn account(&mut self, s: &Snapshot) {
        self.report.accounts += 1;
        let requests = std::mem::take(&mut self.requests);
        for r in &requests {
            self.compare(s, r, self.at);
        }
        self.requests = requests;
        // The next rollover, at the account's next cycle boundary under each version.
        let roll = Request::new("next rollover", RequestKind::Rollover);
        let (b, h) = (
            next_boundary(self.base, s, self.at),
            next_boundary(self.head, s, self.at),
        );
        let base = b.map(|t| (t, decide(self.base, s, &roll, t, &self.options)));
        let head = h.map(|t| (t, decide(self.head, s, &roll, t, &self.options)));
        if let (Some((_, base)), Some((_, head))) = (base, head) {
            self.record(s, &roll, &base, &head);
        }
    }

    fn compare(&mut self, s: &Snapshot, r: &Request, at: DateTime<Utc>) {
        let base = decide(self.base, s, r, at, &self.options);
        let head = decide(self.head, s, r, at, &self.options);
        self.record(s, r, &base, &head);
    }

    fn record(
        &mut self,
        s: &Snapshot,
        r: &Request,
        base: &Result<Decision<'_>, crate::eval::RequestError>,
        head: &Result<Decision<'_>, crate::eval::RequestError>,
    ) {
        let kind = r.kind.as_str();
        self.report.decisions += 1;
        let (gb, gh) = (Gist::of(self.base, base), Gist::of(self.head, head));
        self.tally(&gb, true);
        self.tally(&gh, false);
        self.value(base, true);
        self.value(head, false);
        let entry = self.report.by_kind.entry(kind).or_default();
        entry.0 += 1;
        if gb == gh {
            return;
        }
        entry.1 += 1;
        self.report.changed += 1;
        let what = gb.differences(&gh);
        let key = (kind, gb.outcome, gh.outcome, gh.reasons.join(", "), what);
        let group = self
            .groups
            .entry(key.clone())
            .or_insert_with(|| ChangeGroup {
                kind,
                from: gb.outcome,
                to: gh.outcome,
                reasons: key.3.clone(),
                what: key.4.clone(),
                count: 0,
                examples: Vec::new(),
            });
        group.count += 1;
        if group.examples.len() < EXAMPLES_PER_GROUP {
            group.examples.push(Example {
                account: s.id.clone(),
                request: r.id.clone(),
                base: gb.describe(),
                head: gh.describe(),
            });
        }
    }

    fn tally(&mut self, g: &Gist, base: bool) {
        fn add(t: &mut Totals, base: bool, a: Decimal) {
            let slot = if base { &mut t.base } else { &mut t.head };
            *slot = slot.saturating_add(a);
        }
        if g.outcome == Outcome::Allowed.as_str() {
            if let Some((u, a)) = &g.cost {
                add(self.report.consumed.entry(u.clone()).or_default(), base, *a);
            }
        }
        let executed =
            g.outcome == Outcome::Exchanged.as_str() || g.outcome == Outcome::RolledOver.as_str();
        if !executed {
            return;
        }
        for (u, a) in &g.granted {
            add(self.report.granted.entry(u.clone()).or_default(), base, *a);
        }
    }

    /// Rule 6: what the exchanged units bought and buy, per feature.
    fn value(&mut self, d: &Result<Decision<'_>, crate::eval::RequestError>, base: bool) {
        let Ok(d) = d else { return };
        let (Outcome::Exchanged, Some(q)) = (d.outcome, d.quote) else {
            return;
        };
        let policy = if base { self.base } else { self.head };
        let Some(x) = policy.exchanges.get(q.exchange.0 as usize) else {
            return;
        };
        let unit_name = |u: crate::check::UnitId| {
            policy
                .units
                .get(u.0 as usize)
                .map_or_else(String::new, |u| u.name.clone())
        };
        for use_request in &self.uses {
            let Some(feature) = use_request.feature.clone() else {
                continue;
            };
            let ops = |amount: Decimal, unit| {
                typical_cost(policy, use_request, unit)
                    .filter(|c| *c > Decimal::ZERO)
                    .and_then(|c| (amount / c).floor().to_string().parse::<u64>().ok())
                    .unwrap_or(0)
            };
            let given_up = ops(q.from_amount, x.from);
            let received = ops(q.to_amount, x.to);
            let row = self
                .values
                .entry((x.name.clone(), feature.clone()))
                .or_insert_with(|| ExchangeValue {
                    exchange: x.name.clone(),
                    feature: feature.clone(),
                    from_unit: unit_name(x.from),
                    to_unit: unit_name(x.to),
                    ..ExchangeValue::default()
                });
            if base {
                row.accounts_base += 1;
                row.ops_given_up_base += given_up;
                row.ops_received_base += received;
            } else {
                row.accounts_head += 1;
                row.ops_given_up_head += given_up;
                row.ops_received_head += received;
            }
        }
    }

    /// The report, groups ordered by size (then by key, so ties are stable).
    pub fn finish(mut self) -> DiffReport {
        let mut groups: Vec<ChangeGroup> = self.groups.into_values().collect();
        groups.sort_by(|a, b| {
            b.count.cmp(&a.count).then_with(|| {
                (a.kind, a.from, a.to, &a.reasons, &a.what)
                    .cmp(&(b.kind, b.from, b.to, &b.reasons, &b.what))
            })
        });
        self.report.groups = groups;
        self.report.exchange_value = self.values.into_values().collect();
        self.report
    }
}

/// The start of the cycle after the one containing `at`, for `s` under `policy`.
fn next_boundary(policy: &Policy, s: &Snapshot, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let calendar = policy.calendar(s).ok()?;
    calendar.cycle_at(at).ok().map(|c| c.end)
}
