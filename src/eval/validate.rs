//! Checking a snapshot against a policy: every problem, each with the path of the field.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use crate::account::{GrantSource, Snapshot};
use crate::diag::suggest::hint;
use crate::limits::MAX_EARLIER_TIME_ZONES;
use crate::policy::Policy;

/// One thing wrong with a snapshot, at a field path such as `grants[2].remaining`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SnapshotProblem {
    /// The field path (`grants[1].remaining`, or `line 3 column 7` for text that does not read).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn near(wrong: &str, names: impl IntoIterator<Item = String>) -> String {
    let names: Vec<String> = names.into_iter().collect();
    hint(wrong, names.iter().map(String::as_str))
}

/// Every inconsistency between the snapshot and the policy, or within the snapshot.
pub fn validate(s: &Snapshot, policy: &Policy) -> Vec<SnapshotProblem> {
    let mut out = Vec::new();
    let mut problem = |path: String, message: String| out.push(SnapshotProblem { path, message });
    if s.id.trim().is_empty() {
        problem("id".into(), "the account id is empty".into());
    }
    let plan = policy.plans.iter().find(|p| p.name == s.plan);
    if plan.is_none() {
        problem(
            "plan".into(),
            format!(
                "unknown plan `{}`{}",
                s.plan,
                near(&s.plan, policy.plans.iter().map(|p| p.name.clone()))
            ),
        );
    }
    match (policy.mode_id(&s.mode), plan) {
        (None, _) => problem(
            "mode".into(),
            format!(
                "unknown mode `{}`{}",
                s.mode,
                near(&s.mode, policy.modes.iter().cloned())
            ),
        ),
        (Some(mode), Some(plan)) if !plan.pays_with.iter().any(|(m, _)| *m == mode) => {
            let modes: Vec<String> = plan
                .pays_with
                .iter()
                .filter_map(|(m, _)| policy.modes.get(m.0 as usize).cloned())
                .collect();
            problem(
                "mode".into(),
                format!(
                    "plan `{}` has no mode `{}`{}",
                    plan.name,
                    s.mode,
                    near(&s.mode, modes)
                ),
            );
        }
        _ => {}
    }
    if s.time_zone.parse::<chrono_tz::Tz>().is_err() {
        problem(
            "time_zone".into(),
            format!(
                "unknown time zone `{}`{}",
                s.time_zone,
                near(
                    &s.time_zone,
                    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name().to_string())
                )
            ),
        );
    }
    if let Some(c) = s.cycle.filter(|c| *c < 0) {
        problem(
            "cycle".into(),
            format!("cycle {c} is negative; cycles are numbered from 0"),
        );
    }
    earlier_time_zones(s, &mut problem);
    let mut ids = BTreeSet::new();
    if s.grants.len() > crate::limits::MAX_GRANTS {
        problem(
            "grants".into(),
            format!(
                "{} grants, more than the {} an account may hold",
                s.grants.len(),
                crate::limits::MAX_GRANTS
            ),
        );
    }
    for (i, g) in s.grants.iter().enumerate() {
        let at = |f: &str| format!("grants[{i}].{f}");
        if !ids.insert(g.id.as_str()) {
            problem(at("id"), format!("grant id `{}` is used twice", g.id));
        }
        match policy.units.iter().find(|u| u.name == g.unit) {
            None => problem(
                at("unit"),
                format!(
                    "unknown unit `{}`{}",
                    g.unit,
                    near(&g.unit, policy.unit_names())
                ),
            ),
            Some(u) => {
                for (field, v) in [("amount", g.amount), ("remaining", g.remaining)] {
                    if v.normalize().scale() > u.decimals {
                        problem(
                            at(field),
                            format!(
                                "{v} has more decimal places than `{}` allows ({})",
                                u.name, u.decimals
                            ),
                        );
                    }
                }
            }
        }
        if g.amount < Decimal::ZERO {
            problem(at("amount"), format!("amount {} is negative", g.amount));
        }
        if g.remaining < Decimal::ZERO {
            problem(
                at("remaining"),
                format!("remaining {} is negative", g.remaining),
            );
        }
        if g.amount > crate::amount::MAX {
            problem(
                at("amount"),
                format!(
                    "amount {} is larger than the largest supported amount (10^15)",
                    g.amount
                ),
            );
        }
        if g.remaining > g.amount {
            problem(
                at("remaining"),
                format!(
                    "remaining {} is more than the granted {}",
                    g.remaining, g.amount
                ),
            );
        }
        if let Some(e) = g.expires {
            if e == g.effective {
                problem(
                    at("expires"),
                    format!(
                        "expires at {}, the instant it becomes effective, so it can never be used",
                        e.to_rfc3339()
                    ),
                );
            } else if e < g.effective {
                problem(
                    at("expires"),
                    format!(
                        "expires at {} but becomes effective only at {}",
                        e.to_rfc3339(),
                        g.effective.to_rfc3339()
                    ),
                );
            }
        }
    }
    allowances_fit_the_calendar(s, policy, &mut problem);
    for (i, x) in s.exchanges.iter().enumerate() {
        match policy.exchanges.iter().find(|e| e.name == x.exchange) {
            None => problem(
                format!("exchanges[{i}].exchange"),
                format!(
                    "unknown exchange `{}`{}",
                    x.exchange,
                    near(&x.exchange, policy.exchanges.iter().map(|e| e.name.clone()))
                ),
            ),
            Some(e) if e.one_time && s.exchanges[..i].iter().any(|p| p.exchange == x.exchange) => {
                problem(
                    format!("exchanges[{i}]"),
                    format!("one-time exchange `{}` is recorded twice", x.exchange),
                );
            }
            Some(_) => {}
        }
    }
    out
}

/// The earlier zones: known names, at most [`MAX_EARLIER_TIME_ZONES`], cycles in order and not
/// after the cycle the account is in.
fn earlier_time_zones(s: &Snapshot, problem: &mut impl FnMut(String, String)) {
    if s.earlier_time_zones.len() > MAX_EARLIER_TIME_ZONES {
        problem(
            "earlier_time_zones".into(),
            format!(
                "{} earlier time zones; an account keeps at most {MAX_EARLIER_TIME_ZONES} (only \
                 those that decide a bound still in use)",
                s.earlier_time_zones.len()
            ),
        );
    }
    let mut last = -1;
    for (i, e) in s.earlier_time_zones.iter().enumerate() {
        let at = |f: &str| format!("earlier_time_zones[{i}].{f}");
        if e.zone.parse::<chrono_tz::Tz>().is_err() {
            problem(
                at("zone"),
                format!(
                    "unknown time zone `{}`{}",
                    e.zone,
                    near(
                        &e.zone,
                        chrono_tz::TZ_VARIANTS.iter().map(|z| z.name().to_string())
                    )
                ),
            );
        }
        if e.until_cycle <= last {
            problem(
                at("until_cycle"),
                format!(
                    "cycle {} is not after the earlier zone's cycle {last}; oldest come first",
                    e.until_cycle
                ),
            );
        }
        last = e.until_cycle;
        match s.cycle {
            Some(c) if e.until_cycle <= c.saturating_add(1) => {}
            Some(c) => problem(
                at("until_cycle"),
                format!(
                    "cycle {} is after the cycle after {c}, the one the account is in (a zone \
                     keeps at most the bounds in use)",
                    e.until_cycle
                ),
            ),
            None => problem(
                at("until_cycle"),
                "the account was never rolled over, so no cycle's bounds are kept".into(),
            ),
        }
    }
}

/// Allowance grants start at the start of a cycle and, if they expire, expire at the end of one,
/// on the account's calendar: the engine makes them so. An edit that moved the calendar under
/// them (a new `time_zone` or `anchor` written into the snapshot) is refused here; otherwise the
/// next rollover would come at the moved boundary and grant the next cycle while this one's
/// grant is still live. Grants from before the cycle preceding the current one are not checked
/// (a snapshot keeps only the zones that decide the bounds still in use).
fn allowances_fit_the_calendar(
    s: &Snapshot,
    policy: &Policy,
    problem: &mut impl FnMut(String, String),
) {
    // A calendar that cannot be built is reported with its own field above.
    let Ok(calendar) = policy.calendar(s) else {
        return;
    };
    let checked_from = match s.cycle {
        Some(c) if c > 0 => match calendar.cycle(c - 1) {
            Ok(previous) => Some(previous.start),
            Err(_) => return,
        },
        _ => None,
    };
    let on_a_boundary = |t| calendar.cycle_at(t).is_ok_and(|c| c.start == t);
    let zone = calendar.zone();
    let why = "the calendar moved under the grant (a `time_zone` or `anchor` written into the \
               snapshot); change the zone with a `time_zone` request, which keeps the current \
               cycle's bounds, and grant anything else as a `top_up`";
    for (i, g) in s.grants.iter().enumerate() {
        if g.source != GrantSource::Allowance || checked_from.is_some_and(|f| g.effective < f) {
            continue;
        }
        let nearest = |t| {
            calendar
                .cycle_at(t)
                .map(|c| {
                    format!(
                        "cycle {} runs {} to {}",
                        c.index,
                        c.start.to_rfc3339(),
                        c.end.to_rfc3339()
                    )
                })
                .unwrap_or_else(|e| e.to_string())
        };
        if !on_a_boundary(g.effective) {
            problem(
                format!("grants[{i}].effective"),
                format!(
                    "allowance grant `{}` starts at {}, not at the start of a cycle on the \
                     calendar of `{zone}` ({}): {why}",
                    g.id,
                    g.effective.to_rfc3339(),
                    nearest(g.effective),
                ),
            );
        } else if let Some(e) = g.expires.filter(|e| !on_a_boundary(*e)) {
            problem(
                format!("grants[{i}].expires"),
                format!(
                    "allowance grant `{}` expires at {}, not at the end of a cycle on the \
                     calendar of `{zone}` ({}): {why}",
                    g.id,
                    e.to_rfc3339(),
                    nearest(e),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::limits::Limits;

    const TWO_PLANS: &str = r#"
policy: two-plans
version: "1"
effective_from: 2026-01-01T00:00:00Z
units: { credit: { decimals: 0 } }
cycle: { period: monthly }
plans:
  basic: { starts_in: lite, modes: { lite: { grants: { credit: { amount: 10 } } } } }
  plus: { starts_in: full, modes: { full: { grants: { credit: { amount: 50 } } } } }
features: { f: { cost: { credit: 1 } } }
platforms: { web: { consume: true, exchange: refuse } }
burn_down: [id]
"#;

    #[test]
    fn a_mode_of_another_plan_is_reported() {
        let loaded = crate::policy::load_str("two-plans.yaml", TWO_PLANS, &Limits::default());
        let policy = loaded.single().and_then(|s| s.latest()).expect("loads");
        let snapshot = crate::account::Snapshot::from_json(
            r#"{ "id": "a", "plan": "basic", "status": "active", "time_zone": "UTC",
                 "anchor": "2026-01-01T00:00:00Z", "mode": "full", "version": 1 }"#,
        )
        .expect("reads");
        let problems: Vec<String> = super::validate(&snapshot, policy)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            ["mode: plan `basic` has no mode `full` (one of `lite`)"]
        );
    }
}
