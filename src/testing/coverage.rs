//! Rule coverage: the list of a policy's rules a test suite should exercise (every plan and mode,
//! feature cost, platform capability, exchange outcome and eligibility branch, allowance grant
//! and rollover rule), and marking them from the decisions tests make.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::account::{GrantSource, Snapshot};
use crate::eval::{Change, Decision, EntryKind, GrantRef, Outcome, Reason, RequestKind};
use crate::policy::Policy;
use crate::policy::model::{Expiry, Rollover};

/// The rules of one policy version and how often tests exercised each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// The policy's name.
    pub policy: String,
    /// The version.
    pub version: String,
    /// Rule to the number of decisions that exercised it.
    pub rules: BTreeMap<String, u64>,
}

impl Coverage {
    /// Every rule of `policy`, none exercised yet.
    pub fn of(policy: &Policy) -> Self {
        let mut rules = BTreeMap::new();
        let mut rule = |r: String| {
            rules.insert(r, 0);
        };
        for p in &policy.plans {
            rule(format!("plan {}", p.name));
            for (m, _) in &p.pays_with {
                rule(format!(
                    "plan {} mode {} pays",
                    p.name, policy.modes[m.0 as usize]
                ));
            }
            for a in &p.allowances {
                let key = format!(
                    "plan {} mode {} {}",
                    p.name, policy.modes[a.mode.0 as usize], policy.units[a.unit.0 as usize].name
                );
                rule(format!("{key} granted"));
                match (&a.rollover, a.expires) {
                    (Rollover::None, Expiry::Never) => {} // never ends, so never expires unused
                    (Rollover::None, _) => rule(format!("{key} expires unused")),
                    _ => rule(format!("{key} rolls over")),
                }
            }
        }
        for f in &policy.features {
            for c in &f.costs {
                rule(format!(
                    "feature {} cost {}",
                    f.name, policy.units[c.unit.0 as usize].name
                ));
            }
        }
        for p in &policy.platforms {
            rule(format!("platform {} use", p.name));
            rule(format!("platform {} balance", p.name));
            rule(format!(
                "platform {} exchange {}",
                p.name,
                p.exchange.word()
            ));
            if p.offer {
                rule(format!("platform {} offer", p.name));
            }
            if p.min_version.is_some() {
                rule(format!("platform {} min_version", p.name));
            }
        }
        for x in &policy.exchanges {
            rule(format!("exchange {} eligible", x.name));
            rule(format!("exchange {} not eligible", x.name));
            rule(format!("exchange {} quoted", x.name));
            rule(format!("exchange {} executed", x.name));
            if x.one_time {
                rule(format!("exchange {} already done", x.name));
            }
        }
        for h in &policy.hooks.hooks {
            rule(format!("hook {}", h.name));
        }
        Coverage {
            policy: policy.name.clone(),
            version: policy.version.clone(),
            rules,
        }
    }

    fn hit(&mut self, rule: String) {
        if let Some(n) = self.rules.get_mut(&rule) {
            *n += 1;
        }
    }

    /// Marks what `d`, made on `before`, exercised.
    pub fn observe(&mut self, policy: &Policy, before: &Snapshot, d: &Decision<'_>) {
        let plan = &before.plan;
        self.hit(format!("plan {plan}"));
        let platform = d.platform.and_then(|p| policy.platforms.get(p.0 as usize));
        if let (Some(p), RequestKind::Use) = (platform, d.kind) {
            self.hit(format!("platform {} use", p.name));
            if d.outcome == Outcome::Allowed {
                self.hit(format!("plan {plan} mode {} pays", before.mode));
            }
        }
        if let (Some(p), RequestKind::Balance) = (platform, d.kind) {
            self.hit(format!("platform {} balance", p.name));
        }
        if let Some(u) = &d.use_detail {
            if let (Some((unit, _)), Some(f)) = (u.cost, policy.features.get(u.feature.0 as usize))
            {
                self.hit(format!(
                    "feature {} cost {}",
                    f.name, policy.units[unit.0 as usize].name
                ));
            }
            if let (Some(_), Some(p)) = (u.offer, platform) {
                self.hit(format!("platform {} offer", p.name));
            }
        }
        for r in d.reasons.iter() {
            match *r {
                Reason::ClientTooOld { platform, .. } => {
                    self.hit(format!(
                        "platform {} min_version",
                        policy.platforms[platform.0 as usize].name
                    ));
                }
                Reason::PlatformRefuses { platform, .. } if d.kind == RequestKind::Exchange => {
                    self.hit(format!(
                        "platform {} exchange refuse",
                        policy.platforms[platform.0 as usize].name
                    ));
                }
                Reason::ExchangeAlreadyDone { exchange, .. } => {
                    self.hit(format!(
                        "exchange {} already done",
                        policy.exchanges[exchange.0 as usize].name
                    ));
                }
                _ => {}
            }
        }
        self.hooks_called(policy, before, d);
        if let Some((x, eligible)) = d.eligibility {
            let name = &policy.exchanges[x.0 as usize].name;
            self.hit(format!(
                "exchange {name} {}",
                if eligible { "eligible" } else { "not eligible" }
            ));
        }
        match (d.outcome, platform) {
            (Outcome::HandedOff, Some(p)) => {
                self.hit(format!("platform {} exchange delegate", p.name))
            }
            (Outcome::Exchanged, Some(p)) => {
                self.hit(format!("platform {} exchange execute", p.name));
                if let Some(q) = d.quote {
                    self.hit(format!(
                        "exchange {} executed",
                        policy.exchanges[q.exchange.0 as usize].name
                    ));
                }
            }
            (Outcome::Quoted, _) => {
                if let Some(q) = d.quote {
                    self.hit(format!(
                        "exchange {} quoted",
                        policy.exchanges[q.exchange.0 as usize].name
                    ));
                }
            }
            _ => {}
        }
        if let (Outcome::RolledOver, Some(c)) = (d.outcome, &d.changes) {
            let key = |unit: &str| format!("plan {plan} mode {} {unit}", before.mode);
            for g in &c.new_grants {
                if g.kind == EntryKind::Grant {
                    self.hit(format!(
                        "{} granted",
                        key(&policy.units[g.unit.0 as usize].name)
                    ));
                }
            }
            for step in &c.steps {
                match *step {
                    Change::Debit {
                        grant: GrantRef::Existing(i),
                        kind: EntryKind::Rollover,
                        ..
                    } => {
                        if let Some(g) = before.grants.get(i) {
                            self.hit(format!("{} rolls over", key(&g.unit)));
                        }
                    }
                    Change::Close(GrantRef::Existing(i)) => {
                        if let Some(g) = before.grants.get(i) {
                            if g.source == GrantSource::Allowance && g.remaining > Decimal::ZERO {
                                self.hit(format!("{} expires unused", key(&g.unit)));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The hooks `d` called: a cost, an eligibility rule or an allowance amount.
    fn hooks_called(&mut self, policy: &Policy, before: &Snapshot, d: &Decision<'_>) {
        use crate::policy::model::Rule;
        let mut called = Vec::new();
        if let Some(u) = &d.use_detail {
            if let (Some((unit, _)), Some(f)) = (u.cost, policy.features.get(u.feature.0 as usize))
            {
                if let Some(Rule::Hook(h)) =
                    f.costs.iter().find(|c| c.unit == unit).map(|c| &c.amount)
                {
                    called.push(*h);
                }
            }
        }
        if let Some((x, _)) = d.eligibility {
            if let Some(Rule::Hook(h)) = policy.exchanges.get(x.0 as usize).map(|x| &x.eligible) {
                called.push(*h);
            }
        }
        if let (Some(c), Some(plan)) = (
            &d.changes,
            policy.plans.iter().find(|p| p.name == before.plan),
        ) {
            for g in c.new_grants.iter().filter(|g| g.kind == EntryKind::Grant) {
                let hook = plan
                    .allowances
                    .iter()
                    .find(|a| a.unit == g.unit && policy.modes[a.mode.0 as usize] == before.mode)
                    .and_then(|a| a.amount_hook);
                called.extend(hook);
            }
        }
        for h in called {
            if let Some(hook) = policy.hooks.get(h) {
                self.hit(format!("hook {}", hook.name));
            }
        }
    }

    /// How many rules some decision touched.
    pub fn covered(&self) -> usize {
        self.rules.values().filter(|n| **n > 0).count()
    }

    /// Covered rules as a percentage (100 for a policy with no rules).
    pub fn percent(&self) -> f64 {
        if self.rules.is_empty() {
            return 100.0;
        }
        let covered = u32::try_from(self.covered()).unwrap_or(u32::MAX);
        let total = u32::try_from(self.rules.len()).unwrap_or(u32::MAX);
        f64::from(covered) * 100.0 / f64::from(total)
    }

    /// The rules no decision touched.
    pub fn missed(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(r, _)| r.as_str())
    }
}
