//! The `units` and `cycle` sections: the units amounts are counted in (name, display name,
//! decimal places) and the billing cycle (period, anchor, time zone). Checks that unit names are
//! names, that decimals are 0 to 9, that there are no more units than the evaluator holds and at
//! least one, and that the time zone is `account` or a known IANA zone.

use super::Reader;
use crate::diag::{Code, Diagnostic};
use crate::policy::model::*;
use crate::policy::read::{self, Fields};
use crate::policy::yaml::{YKind, YNode};

impl Reader<'_> {
    pub(super) fn units(&mut self, node: &YNode) -> Vec<Unit> {
        let Some(mut f) = Fields::open(node, "`units`", self.diags) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, knode, v) in f.all() {
            let Some(name) = self.name(knode, "unit name") else {
                continue;
            };
            let Some(mut uf) = Fields::open(v, "a unit", self.diags) else {
                continue;
            };
            let display = uf
                .get("name")
                .and_then(|n| read::text(n, "`name`", self.diags))
                .unwrap_or_else(|| key.to_string());
            let decimals = uf
                .require("decimals", self.diags)
                .and_then(|n| read::integer(n, "`decimals`", 0..=9, self.diags));
            uf.finish(&["name", "decimals"], self.diags);
            // The evaluator keeps balances in a fixed array: never more units than it holds.
            let max_units = self.limits.max_units.min(crate::limits::MAX_UNITS);
            if out.len() >= max_units {
                self.push(
                    Diagnostic::error(
                        Code::OverLimit,
                        format!("a policy may declare at most {max_units} units"),
                    )
                    .at(knode.span)
                    .with_help("count amounts of one kind in one unit, with decimals if need be"),
                );
                continue;
            }
            if let Some(d) = decimals {
                out.push(Unit {
                    name,
                    display,
                    decimals: u32::try_from(d).unwrap_or(0),
                });
            }
        }
        if out.is_empty() && matches!(node.kind, YKind::Map(ref m) if m.is_empty())
            || matches!(node.kind, YKind::Null)
        {
            self.push(
                Diagnostic::error(Code::EmptyPolicy, "`units` declares no unit")
                    .at(node.span)
                    .with_help("declare at least one unit, like `credit: { decimals: 0 }`"),
            );
        }
        out
    }

    pub(super) fn cycle(&mut self, node: &YNode) -> Option<CycleRule> {
        let mut f = Fields::open(node, "`cycle`", self.diags)?;
        let period = f
            .require("period", self.diags)
            .and_then(|n| read::word(n, "`period`", &["monthly", "yearly"], self.diags));
        // Cycles are counted from the subscription's start (the account's `anchor`), the only
        // anchor there is; the key is read so that a typo is reported.
        let anchor = match f.get("anchor") {
            Some(n) => read::word(n, "`anchor`", &["subscription_start"], self.diags).map(|_| ()),
            None => Some(()),
        };
        let time_zone = match f.get("time_zone") {
            None => Some(TimeZoneSource::Account),
            Some(n) => read::text(n, "`time_zone`", self.diags).and_then(|s| {
                let zone = s.trim();
                if zone == "account" {
                    return Some(TimeZoneSource::Account);
                }
                if crate::cycle::parse_time_zone(zone).is_ok() {
                    return Some(TimeZoneSource::Fixed(zone.to_string()));
                }
                let names = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name());
                let d =
                    Diagnostic::error(Code::InvalidValue, format!("unknown time zone `{zone}`"))
                        .at(n.span)
                        .suggest(zone, names);
                let d = if d.help.is_none() {
                    d.with_help("write `account`, or an IANA zone such as `UTC` or `Europe/Berlin`")
                } else {
                    d
                };
                self.push(d);
                None
            }),
        };
        f.finish(&["period", "anchor", "time_zone"], self.diags);
        anchor?;
        Some(CycleRule {
            period: if period? == "yearly" {
                Period::Yearly
            } else {
                Period::Monthly
            },
            time_zone: time_zone?,
        })
    }
}
