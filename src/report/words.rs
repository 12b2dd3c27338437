//! The words of a report: names for ids, amounts with their unit's display name, instants on
//! the account's wall clock, and the message and help line of every reason code.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::text::readable;
use super::{QuoteReport, ReasonReport};
use crate::account::Snapshot;
use crate::check::UnitId;
use crate::eval::{Decision, Quote, Reason, RuleRef, Staleness};
use crate::policy::Policy;
use crate::policy::model::{ExchangeCapability, PlatformId};

pub(super) struct Words<'p> {
    pub policy: &'p Policy,
    pub zone: Option<chrono_tz::Tz>,
}

impl Words<'_> {
    pub(super) fn unit(&self, u: UnitId) -> &str {
        self.policy
            .units
            .get(u.0 as usize)
            .map_or("?", |u| u.name.as_str())
    }

    pub(super) fn amount(&self, u: UnitId, a: Decimal) -> String {
        let display = self
            .policy
            .units
            .get(u.0 as usize)
            .map_or("?", |u| u.display.as_str());
        format!("{} {display}", a.normalize())
    }

    pub(super) fn platform(&self, p: PlatformId) -> &str {
        self.policy
            .platforms
            .get(p.0 as usize)
            .map_or("?", |p| p.name.as_str())
    }

    pub(super) fn exchange(&self, x: crate::policy::model::ExchangeId) -> &str {
        self.policy
            .exchanges
            .get(x.0 as usize)
            .map_or("?", |x| x.name.as_str())
    }

    pub(super) fn local(&self, t: DateTime<Utc>) -> String {
        match self.zone {
            Some(z) => t.with_timezone(&z).format("%Y-%m-%d %H:%M %Z").to_string(),
            None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    pub(super) fn rule(&self, r: RuleRef) -> String {
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

    pub(super) fn platforms_where(
        &self,
        ok: impl Fn(&crate::policy::model::Platform) -> bool,
    ) -> String {
        let names: Vec<String> = self
            .policy
            .platforms
            .iter()
            .filter(|p| ok(p))
            .map(|p| format!("`{}`", p.name))
            .collect();
        names.join(", ")
    }

    pub(super) fn reason(&self, r: &Reason, d: &Decision<'_>, s: &Snapshot) -> ReasonReport {
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
            Reason::QuoteTampered => (
                "the quote sent back is not one this service signed as it is: it was changed, or \
                 it carries no signature"
                    .to_string(),
                Some("ask for a new quote and send it back exactly as it came".into()),
            ),
            Reason::ExchangeAboveMaximum { exchange } => (
                format!(
                    "`{}` would grant more than the largest supported amount (10^15)",
                    self.exchange(exchange)
                ),
                Some("no account can hold an amount that large; check the balance and the ratio".into()),
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
            Reason::TimeZoneUnchanged => ("the account already has this time zone".into(), None),
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
                    "`{}` gave an amount that is negative or not a number",
                    self.rule(rule)
                ),
                Some("fix the policy expression; other requests are not affected".into()),
            ),
            Reason::AmountTooLarge { rule } => (
                format!(
                    "`{}` gave an amount above 10^15, the largest amount Quotient keeps",
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
    pub(super) fn changes(&self, c: &crate::eval::Changes, s: &Snapshot) -> Vec<String> {
        use crate::eval::{Change, EntryKind, GrantRef};
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
        if let Some((zone, until)) = c.time_zone {
            out.push(format!(
                "set the time zone to `{}`: cycle {until} ends where it did, the cycles after it \
                 end on the new zone's clock",
                zone.name()
            ));
        }
        out
    }

    pub(super) fn link(&self, platform: PlatformId) -> Option<String> {
        match &self.policy.platforms.get(platform.0 as usize)?.exchange {
            ExchangeCapability::Delegate { link, .. } => link.clone(),
            _ => None,
        }
    }

    pub(super) fn quote(&self, q: &Quote) -> QuoteReport {
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
            rounding: q.rounding.word(),
            rounded: q.rounded,
            grant_expires: q.grant_expires,
            cycle: q.cycle,
            policy_version: self.policy.version.clone(),
            balance_version: q.balance_version,
            valid_until: q.valid_until,
            mac: q.mac().map(str::to_string),
        }
    }

    /// An offer text with its placeholders filled in.
    pub(super) fn fill(&self, text: &str, q: &Quote) -> String {
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
