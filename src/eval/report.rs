//! Decisions for people and programs: [`DecisionReport`] is the owned, serializable shape of a
//! decision (names instead of ids, messages and help lines instead of reason data), used by the
//! CLI's JSON output, `--explain`, timelines and snapshot tests. Building one allocates; deciding
//! does not need it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::decision::{Decision, Quote, Reason, RuleRef, Staleness, TraceStep};
use crate::account::Snapshot;
use crate::check::UnitId;
use crate::policy::Policy;
use crate::policy::model::{ExchangeCapability, PlatformId, TimeZoneSource};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonReport {
    pub code: &'static str,
    pub message: String,
    /// What would change the outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// What a use costs (or would have cost): `amount` of `unit`, and both in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostReport {
    pub unit: String,
    pub amount: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChargeReport {
    pub grant: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteReport {
    pub exchange: String,
    pub from_unit: String,
    pub to_unit: String,
    pub from_amount: String,
    pub converted: String,
    pub remainder: String,
    /// `forfeited` or `kept`.
    pub remainder_is: &'static str,
    pub to_amount: String,
    pub exact: String,
    pub rounding: crate::policy::model::Rounding,
    pub rounded: bool,
    pub grant_expires: Option<DateTime<Utc>>,
    pub cycle: i64,
    pub policy_version: String,
    pub balance_version: u64,
    pub valid_until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferReport {
    pub exchange: String,
    pub title: String,
    pub body: String,
    pub confirm: String,
    pub warning: String,
    /// `execute here`, or where "Exchange now" leads.
    pub action: String,
    pub quote: QuoteReport,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandOffReport {
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    pub index: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A decision in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionReport {
    pub request: String,
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub policy: String,
    pub outcome: &'static str,
    pub reasons: Vec<ReasonReport>,
    pub cycle: CycleReport,
    /// Usable balances before the decision, by unit.
    pub balances: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<ChargeReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<OfferReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<QuoteReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hand_off: Option<HandOffReport>,
    /// What applying the decision does, one line per change (exchanges and rollovers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceStep>>,
}

struct Words<'p> {
    policy: &'p Policy,
    zone: Option<chrono_tz::Tz>,
}

impl Words<'_> {
    fn unit(&self, u: UnitId) -> &str {
        self.policy
            .units
            .get(u.0 as usize)
            .map_or("?", |u| u.name.as_str())
    }

    fn amount(&self, u: UnitId, a: Decimal) -> String {
        let display = self
            .policy
            .units
            .get(u.0 as usize)
            .map_or("?", |u| u.display.as_str());
        format!("{} {display}", a.normalize())
    }

    fn platform(&self, p: PlatformId) -> &str {
        self.policy
            .platforms
            .get(p.0 as usize)
            .map_or("?", |p| p.name.as_str())
    }

    fn exchange(&self, x: crate::policy::model::ExchangeId) -> &str {
        self.policy
            .exchanges
            .get(x.0 as usize)
            .map_or("?", |x| x.name.as_str())
    }

    fn local(&self, t: DateTime<Utc>) -> String {
        match self.zone {
            Some(z) => t.with_timezone(&z).format("%Y-%m-%d %H:%M %Z").to_string(),
            None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    fn rule(&self, r: RuleRef) -> String {
        match r {
            RuleRef::Cost { feature, unit } => format!(
                "features.{}.cost.{}",
                self.policy
                    .features
                    .get(feature.0 as usize)
                    .map_or("?", |f| f.name.as_str()),
                self.unit(unit)
            ),
            RuleRef::Allowance { unit } => format!("allowance.{}", self.unit(unit)),
            RuleRef::Eligible { exchange } => {
                format!("exchanges.{}.eligible", self.exchange(exchange))
            }
        }
    }

    fn platforms_where(&self, ok: impl Fn(&crate::policy::model::Platform) -> bool) -> String {
        let names: Vec<String> = self
            .policy
            .platforms
            .iter()
            .filter(|p| ok(p))
            .map(|p| format!("`{}`", p.name))
            .collect();
        names.join(", ")
    }

    fn reason(&self, r: &Reason, d: &Decision<'_>, s: &Snapshot) -> ReasonReport {
        let (message, help) = match *r {
            Reason::Paid { unit, amount } => {
                (format!("paid with {}", self.amount(unit, amount)), None)
            }
            Reason::PlatformCannotConsume { platform } => (
                format!("`{}` may not use features", self.platform(platform)),
                Some(format!(
                    "available on {}",
                    self.platforms_where(|p| p.consume)
                )),
            ),
            Reason::PlatformCannotShowBalance { platform } => (
                format!("`{}` does not show balances", self.platform(platform)),
                Some(format!(
                    "available on {}",
                    self.platforms_where(|p| p.show_balance)
                )),
            ),
            Reason::PlatformRefuses {
                platform,
                executes_on,
            } => (
                format!("`{}` cannot start an exchange", self.platform(platform)),
                executes_on.map(|p| format!("available on {}", self.platform(p))),
            ),
            Reason::PlatformDelegates { platform, to } => {
                let link = self.link(platform);
                (
                    format!(
                        "`{}` hands the exchange off to `{}`; nothing changed",
                        self.platform(platform),
                        self.platform(to)
                    ),
                    Some(match link {
                        Some(l) => format!("continue on {}: {l}", self.platform(to)),
                        None => format!("continue on {}", self.platform(to)),
                    }),
                )
            }
            Reason::ClientTooOld {
                platform,
                version_sent,
            } => {
                let min = self
                    .policy
                    .platforms
                    .get(platform.0 as usize)
                    .and_then(|p| p.min_version.as_ref())
                    .map(|v| v.iter().map(u32::to_string).collect::<Vec<_>>().join("."))
                    .unwrap_or_default();
                if version_sent {
                    (
                        format!("this `{}` client is older than {min}", self.platform(platform)),
                        Some(format!("update the app to {min} or later")),
                    )
                } else {
                    (
                        format!(
                            "this `{}` client did not say its version; {min} or later is needed",
                            self.platform(platform)
                        ),
                        Some("send `client_version` with the request".to_string()),
                    )
                }
            }
            Reason::FeatureNotInPlan { feature } => (
                format!(
                    "`{}` has no cost in a unit the `{}` plan pays with in mode `{}`",
                    self.policy
                        .features
                        .get(feature.0 as usize)
                        .map_or("?", |f| f.name.as_str()),
                    s.plan,
                    s.mode
                ),
                None,
            ),
            Reason::BalanceInsufficient {
                unit,
                needed,
                available,
            } => (
                format!(
                    "needs {}, the balance is {}",
                    self.amount(unit, needed),
                    self.amount(unit, available)
                ),
                Some(format!(
                    "needs {} more",
                    self.amount(unit, needed - available)
                )),
            ),
            Reason::ExchangeAlreadyDone { exchange, at } => (
                format!(
                    "`{}` was already done on {}; it is one-time",
                    self.exchange(exchange),
                    self.local(at)
                ),
                None,
            ),
            Reason::ExchangeNotEligible { exchange } => (
                format!(
                    "the account is not eligible for `{}`",
                    self.exchange(exchange)
                ),
                self.policy.exchanges.get(exchange.0 as usize).map(|x| {
                    format!(
                        "eligible when {}",
                        x.eligible
                            .describe(self.policy)
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                }),
            ),
            Reason::ExchangeGivesNothing { exchange } => (
                format!(
                    "`{}` would give nothing for what is left",
                    self.exchange(exchange)
                ),
                Some(
                    "the policy does not allow an exchange that gives nothing (`allow_zero`)"
                        .into(),
                ),
            ),
            Reason::ExchangeNotExact { exchange } => (
                format!(
                    "`{}` converts only exact amounts, and this one is not",
                    self.exchange(exchange)
                ),
                None,
            ),
            Reason::NothingToExchange { exchange } => {
                let unit = self
                    .policy
                    .exchanges
                    .get(exchange.0 as usize)
                    .map(|x| x.from);
                (
                    format!(
                        "nothing to exchange: no {} left",
                        unit.and_then(|u| self.policy.units.get(u.0 as usize))
                            .map_or("?", |u| u.display.as_str())
                    ),
                    None,
                )
            }
            Reason::ConfirmationRequired { exchange } => (
                d.quote
                    .as_ref()
                    .and_then(|q| {
                        self.policy
                            .exchanges
                            .get(exchange.0 as usize)
                            .map(|x| self.fill(&x.offer.warning, q))
                    })
                    .filter(|w| !w.trim().is_empty())
                    .unwrap_or_else(|| "this exchange is irreversible".into()),
                Some("send the exchange again with `confirm: true` to go ahead".into()),
            ),
            Reason::QuoteStale { why } => (
                format!(
                    "the quote no longer holds: {}",
                    match why {
                        Staleness::OtherExchange => "it is for another exchange".to_string(),
                        Staleness::NewCycle { quoted, now } =>
                            format!("it was made in cycle {quoted}, this is cycle {now}"),
                        Staleness::PolicyChanged => "the policy version changed".to_string(),
                        Staleness::BalanceChanged { quoted, now } => format!(
                            "the balance changed since (account version {quoted}, now {now})"
                        ),
                        Staleness::Expired { valid_until } =>
                            format!("it held until {}", self.local(valid_until)),
                        Staleness::AmountsDiffer =>
                            "its amounts differ from what the account has".to_string(),
                    }
                ),
                Some("ask for a new quote".into()),
            ),
            Reason::RolloverNeeded {
                account_cycle,
                now_cycle,
            } => (
                match account_cycle {
                    Some(c) => format!(
                        "the account is still in cycle {c}; the instant is in cycle {now_cycle}"
                    ),
                    None => "the account has not received its first allowance".to_string(),
                },
                Some(format!("roll the account over to cycle {now_cycle} first")),
            ),
            Reason::RolloverAlreadyDone { cycle } => {
                (format!("already rolled over to cycle {cycle}"), None)
            }
            Reason::ExpressionFailed { rule, error } => (
                format!(
                    "`{}` failed while deciding ({})",
                    self.rule(rule),
                    error.code()
                ),
                Some("fix the policy expression; other requests are not affected".into()),
            ),
            Reason::HookFailed { rule, kind } => (
                match &d.hook_error {
                    Some(e) => format!("`{}`: {e}", self.rule(rule)),
                    None => format!("`{}` failed in a hook ({})", self.rule(rule), kind.code()),
                },
                Some(match kind {
                    crate::hooks::HookErrorKind::Limit => {
                        "the hook hit a sandbox limit; fix the script, other requests are not affected".into()
                    }
                    _ => "fix the hook's script; other requests are not affected".into(),
                }),
            ),
            Reason::NegativeAmount { rule } => (
                format!(
                    "`{}` gave an amount that is negative, not a number, or above 10^15",
                    self.rule(rule)
                ),
                Some("fix the policy expression; other requests are not affected".into()),
            ),
        };
        ReasonReport {
            code: r.code(),
            message,
            help,
        }
    }

    /// Each change of an exchange or rollover, in words.
    fn changes(&self, c: &super::decision::Changes, s: &Snapshot) -> Vec<String> {
        use super::decision::{Change, EntryKind, GrantRef};
        let name = |r: GrantRef| match r {
            GrantRef::Existing(i) => s
                .grants
                .get(i)
                .map_or("?".to_string(), |g| format!("`{}`", g.id)),
            GrantRef::New(j) => c.new_grants.get(j).map_or("?".to_string(), |g| {
                format!("the new {} grant of cycle {}", self.unit(g.unit), g.cycle)
            }),
        };
        let mut out = Vec::new();
        for step in &c.steps {
            out.push(match *step {
                Change::Debit {
                    grant,
                    kind,
                    amount,
                } => {
                    let verb = match kind {
                        EntryKind::Consume => "consume",
                        EntryKind::Forfeit => "forfeit",
                        EntryKind::ConvertOut => "convert out",
                        EntryKind::Rollover => "roll over",
                        EntryKind::Expire => "expire",
                        EntryKind::Grant | EntryKind::ConvertIn => "take",
                    };
                    format!("{verb} {} from {}", amount.normalize(), name(grant))
                }
                Change::Close(grant) => format!("expire and close {}", name(grant)),
                Change::Create(j) => match c.new_grants.get(j) {
                    Some(g) => format!(
                        "grant {} ({}, cycle {}) from {} until {}",
                        self.amount(g.unit, g.amount),
                        match g.kind {
                            EntryKind::ConvertIn => "exchange",
                            EntryKind::Rollover => "rollover",
                            _ => "allowance",
                        },
                        g.cycle,
                        self.local(g.effective),
                        g.expires.map_or("never".to_string(), |t| self.local(t))
                    ),
                    None => "?".to_string(),
                },
            });
        }
        if let Some(m) = c
            .switch_mode
            .and_then(|m| self.policy.modes.get(m.0 as usize))
        {
            out.push(format!("switch the account to mode `{m}` for good"));
        }
        if let Some(q) = &c.exchange {
            out.push(format!(
                "record the exchange `{}`",
                self.exchange(q.exchange)
            ));
        }
        if let Some(k) = c.cycle {
            out.push(format!("mark the account as rolled over to cycle {k}"));
        }
        out
    }

    fn link(&self, platform: PlatformId) -> Option<String> {
        match &self.policy.platforms.get(platform.0 as usize)?.exchange {
            ExchangeCapability::Delegate { link, .. } => link.clone(),
            _ => None,
        }
    }

    fn quote(&self, q: &Quote) -> QuoteReport {
        let x = self.policy.exchanges.get(q.exchange.0 as usize);
        let (from, to) = x.map_or((UnitId(0), UnitId(0)), |x| (x.from, x.to));
        QuoteReport {
            exchange: self.exchange(q.exchange).to_string(),
            from_unit: self.unit(from).to_string(),
            to_unit: self.unit(to).to_string(),
            from_amount: q.from_amount.normalize().to_string(),
            converted: q.converted.normalize().to_string(),
            remainder: q.remainder.normalize().to_string(),
            remainder_is: if q.remainder_forfeited {
                "forfeited"
            } else {
                "kept"
            },
            to_amount: q.to_amount.normalize().to_string(),
            exact: q.exact.normalize().to_string(),
            rounding: q.rounding,
            rounded: q.rounded,
            grant_expires: q.grant_expires,
            cycle: q.cycle,
            policy_version: self.policy.version.clone(),
            balance_version: q.balance_version,
            valid_until: q.valid_until,
        }
    }

    /// An offer text with its placeholders filled in.
    fn fill(&self, text: &str, q: &Quote) -> String {
        let x = self.policy.exchanges.get(q.exchange.0 as usize);
        let display = |u: Option<UnitId>| {
            u.and_then(|u| self.policy.units.get(u.0 as usize))
                .map_or(String::new(), |u| u.display.clone())
        };
        text.trim_end()
            .replace("{from_amount}", &q.from_amount.normalize().to_string())
            .replace("{to_amount}", &q.to_amount.normalize().to_string())
            .replace("{from_unit}", &display(x.map(|x| x.from)))
            .replace("{to_unit}", &display(x.map(|x| x.to)))
            .replace("{remainder}", &q.remainder.normalize().to_string())
            .replace("{exact}", &readable(&q.exact.normalize().to_string()))
            .replace(
                "{expires}",
                &q.grant_expires
                    .map_or_else(|| "never".to_string(), |t| self.local(t)),
            )
    }
}

impl Decision<'_> {
    /// The decision in words, with names from `policy` and grant ids from `snapshot` (the one it
    /// was decided on).
    pub fn report(&self, policy: &Policy, snapshot: &Snapshot) -> DecisionReport {
        let zone_name = match &policy.cycle.time_zone {
            TimeZoneSource::Account => snapshot.time_zone.as_str(),
            TimeZoneSource::Fixed(z) => z.as_str(),
        };
        let w = Words {
            policy,
            zone: zone_name.parse().ok(),
        };
        let balances = policy
            .units
            .iter()
            .zip(self.balances.iter())
            .map(|(u, b)| (u.name.clone(), b.normalize().to_string()))
            .collect();
        let use_detail = self.use_detail.as_ref();
        let offer = use_detail.and_then(|u| u.offer).and_then(|o| {
            let x = policy.exchanges.get(o.quote.exchange.0 as usize)?;
            Some(OfferReport {
                exchange: x.name.clone(),
                title: w.fill(&x.offer.title, &o.quote),
                body: w.fill(&x.offer.body, &o.quote),
                confirm: w.fill(&x.offer.confirm, &o.quote),
                warning: w.fill(&x.offer.warning, &o.quote),
                action: match o.hand_off_to {
                    None => "execute here".to_string(),
                    Some(to) => match self.platform.and_then(|p| w.link(p)) {
                        Some(link) => format!("open {}: {link}", w.platform(to)),
                        None => format!("continue on {}", w.platform(to)),
                    },
                },
                quote: w.quote(&o.quote),
            })
        });
        DecisionReport {
            request: self.request_id.to_string(),
            kind: self.kind.as_str(),
            at: self.at,
            policy: format!("{}@{}", policy.name, policy.version),
            outcome: self.outcome.as_str(),
            reasons: self
                .reasons
                .iter()
                .map(|r| w.reason(r, self, snapshot))
                .collect(),
            cycle: CycleReport {
                index: self.cycle.index,
                start: self.cycle.start,
                end: self.cycle.end,
            },
            balances,
            feature: use_detail
                .and_then(|u| policy.features.get(u.feature.0 as usize))
                .map(|f| f.name.clone()),
            cost: use_detail.and_then(|u| u.cost).map(|(unit, a)| CostReport {
                unit: w.unit(unit).to_string(),
                amount: a.normalize().to_string(),
                text: w.amount(unit, a),
            }),
            charges: use_detail
                .map(|u| {
                    u.charges
                        .iter()
                        .map(|c| ChargeReport {
                            grant: snapshot
                                .grants
                                .get(c.grant)
                                .map_or("?".into(), |g| g.id.clone()),
                            amount: c.amount.normalize().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            offer,
            quote: self.quote.as_ref().map(|q| w.quote(q)),
            hand_off: self.hand_off_to.map(|to| HandOffReport {
                platform: w.platform(to).to_string(),
                link: self.platform.and_then(|p| w.link(p)),
            }),
            changes: self
                .changes
                .as_ref()
                .map_or_else(Vec::new, |c| w.changes(c, snapshot)),
            trace: self.trace.clone(),
        }
    }
}

impl DecisionReport {
    /// A few lines for a terminal or a reviewer: outcome, reasons with help, amounts, the offer.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let what = match &self.feature {
            Some(f) => format!("{} {f}", self.kind),
            None => self.kind.to_string(),
        };
        let _ = writeln!(out, "{} {what}: {}", self.request, self.outcome);
        for r in &self.reasons {
            let _ = writeln!(out, "  {}: {}", r.code, r.message);
            if let Some(h) = &r.help {
                let _ = writeln!(out, "    help: {h}");
            }
        }
        if let Some(c) = &self.cost {
            let _ = writeln!(out, "  cost: {}", c.text);
        }
        for c in &self.charges {
            let _ = writeln!(out, "  charge: {} from `{}`", c.amount, c.grant);
        }
        if let Some(q) = &self.quote {
            let _ = writeln!(out, "  quote: {}", quote_line(q));
        }
        if let Some(h) = &self.hand_off {
            let _ = writeln!(
                out,
                "  hand off to {}{}",
                h.platform,
                h.link.as_ref().map_or(String::new(), |l| format!(": {l}"))
            );
        }
        if self.kind == "balance" && self.outcome == "shown" {
            let b: Vec<String> = self
                .balances
                .iter()
                .map(|(u, a)| format!("{u} {a}"))
                .collect();
            let _ = writeln!(out, "  balance: {}", b.join(", "));
        }
        for c in &self.changes {
            let _ = writeln!(out, "  change: {c}");
        }
        if let Some(o) = &self.offer {
            let _ = writeln!(
                out,
                "  offer: {} \"{}\" [{}] ({})",
                o.title, o.body, o.confirm, o.action
            );
        }
        if let Some(t) = &self.trace {
            let _ = writeln!(out, "  explain:");
            for s in t {
                match &s.expression {
                    Some(e) => {
                        let e = e.split_whitespace().collect::<Vec<_>>().join(" ");
                        let _ = writeln!(out, "    {}: `{e}` = {}", s.rule, s.result);
                    }
                    None => {
                        let _ = writeln!(out, "    {}: {}", s.rule, s.result);
                    }
                }
            }
        }
        out
    }
}

/// An exact value for reading: at most 6 decimal places, marked `≈` when that shortens it.
fn readable(exact: &str) -> String {
    match Decimal::from_str_exact(exact) {
        Ok(d) if d.round_dp(6) != d => format!("≈{}", d.round_dp(6).normalize()),
        _ => exact.to_string(),
    }
}

fn quote_line(q: &QuoteReport) -> String {
    let mut s = format!(
        "{} {} -> {} {} (exact {}, {}{})",
        q.from_amount,
        q.from_unit,
        q.to_amount,
        q.to_unit,
        readable(&q.exact),
        q.rounding.word(),
        if q.rounded { ", rounded" } else { "" }
    );
    if q.remainder != "0" {
        let _ = write!(s, "; {} {} {}", q.remainder, q.from_unit, q.remainder_is);
    }
    let _ = write!(
        s,
        "; expires {}; bound to cycle {}, policy {}, account version {}; valid until {}",
        q.grant_expires
            .map_or("never".to_string(), |t| t.to_rfc3339()),
        q.cycle,
        q.policy_version,
        q.balance_version,
        q.valid_until.to_rfc3339()
    );
    s
}
