//! The `plans` section: each plan's modes (gathered across every plan first, so that all plans
//! share mode ids), the allowances a mode grants (a fixed amount or an amount hook, when they
//! expire, how they roll over) and the units a mode pays with. Checks that modes, units and the
//! starting mode exist, that amounts fit their unit's decimals, and that a rollover is
//! consistent: `max` or `max_percent` but not both, at most 100 percent, never ending at
//! `cycle_end`.

use rust_decimal::Decimal;

use super::{Reader, id16, is_name};
use crate::check::UnitId;
use crate::diag::{Code, Diagnostic};
use crate::hooks::HookType;
use crate::policy::hooks::{HookUse, hook_use};
use crate::policy::model::*;
use crate::policy::read::{self, Fields};
use crate::policy::yaml::{YKind, YNode};

impl Reader<'_> {
    fn rollover(&mut self, node: &YNode, unit: &Unit) -> Option<Rollover> {
        if let Some(s) = node.as_scalar() {
            return read::word(node, "`rollover`", &["none", "all"], self.diags).map(|w| {
                if w == "none" || s.is_empty() {
                    Rollover::None
                } else {
                    Rollover::All {
                        expires: Expiry::NextCycleEnd,
                    }
                }
            });
        }
        let mut f = Fields::open(node, "`rollover`", self.diags)?;
        // Counted from the cycle the amount was first granted in: `next_cycle_end` is the end of
        // the cycle it rolls into; `cycle_end` would end it the moment it rolls over.
        let expires = match f.get("expires") {
            Some(n) => match self.expiry(n, "rolled-over `expires`")? {
                Expiry::CycleEnd => {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            "rolled-over amounts cannot expire at `cycle_end`: that is the moment they roll over",
                        )
                        .at(n.span)
                        .with_help("use `next_cycle_end` (the end of the cycle they roll into) or `never`"),
                    );
                    return None;
                }
                e => e,
            },
            None => Expiry::NextCycleEnd,
        };
        let max = f
            .get("max")
            .map(|n| (n, read::amount(n, "`max`", unit.decimals, self.diags)));
        let pct = f
            .get("max_percent")
            .map(|n| (n, read::amount(n, "`max_percent`", 4, self.diags)));
        f.finish(&["max", "max_percent", "expires"], self.diags);
        match (max, pct) {
            (Some((_, m)), None) => Some(Rollover::Capped { max: m?, expires }),
            (None, Some((n, p))) => {
                let p = p?;
                if p > Decimal::from(100) {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidAmount,
                            format!("`max_percent` {p} is above 100"),
                        )
                        .at(n.span),
                    );
                    return None;
                }
                Some(Rollover::Percent {
                    percent: p,
                    expires,
                })
            }
            (Some((n, _)), Some(_)) => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        "a rollover has either `max` or `max_percent`, not both",
                    )
                    .at(n.span),
                );
                None
            }
            (None, None) => {
                self.push(
                    Diagnostic::error(
                        Code::MissingKey,
                        "a capped rollover needs `max` or `max_percent`",
                    )
                    .at(node.span)
                    .with_help("or write `rollover: all` or `rollover: none`"),
                );
                None
            }
        }
    }

    pub(super) fn plans(&mut self, node: &YNode, units: &[Unit]) -> (Vec<Plan>, Vec<String>) {
        let Some(mut f) = Fields::open(node, "`plans`", self.diags) else {
            return Default::default();
        };
        // Modes are the union of every plan's mode names, in order of first appearance.
        let mut modes: Vec<String> = Vec::new();
        let entries = f.all();
        for (_, _, v) in &entries {
            if let YKind::Map(fields) = &v.kind {
                for (k, mv) in fields {
                    if k.as_scalar() == Some("modes") {
                        if let YKind::Map(ms) = &mv.kind {
                            for (mk, _) in ms {
                                if let Some(m) = mk.as_scalar().filter(|m| is_name(m)) {
                                    if !modes.iter().any(|x| x == m) {
                                        modes.push(m.to_string());
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut plans = Vec::new();
        for (key, knode, v) in entries {
            let Some(name) = self.name(knode, "plan name") else {
                continue;
            };
            let Some(mut pf) = Fields::open(v, "a plan", self.diags) else {
                continue;
            };
            let display = pf
                .get("name")
                .and_then(|n| read::text(n, "`name`", self.diags))
                .unwrap_or_else(|| key.to_string());
            let starts = pf.require("starts_in", self.diags);
            let mut allowances = Vec::new();
            let mut pays_with = Vec::new();
            let mut plan_modes: Vec<String> = Vec::new();
            if let Some(mn) = pf.require("modes", self.diags) {
                if let Some(mut mf) = Fields::open(mn, "`modes`", self.diags) {
                    for (_, mknode, mv) in mf.all() {
                        let Some(mode_name) = self.name(mknode, "mode name") else {
                            continue;
                        };
                        let Some(mode) = modes
                            .iter()
                            .position(|m| *m == mode_name)
                            .map(|i| ModeId(id16(i)))
                        else {
                            continue;
                        };
                        plan_modes.push(mode_name);
                        let Some(mut gf) = Fields::open(mv, "a mode", self.diags) else {
                            continue;
                        };
                        let mut granted = Vec::new();
                        if let Some(gn) = gf.require("grants", self.diags) {
                            if let Some(mut g) = Fields::open(gn, "`grants`", self.diags) {
                                for (_, uknode, av) in g.all() {
                                    let Some(unit) = self.unit_ref(uknode, units) else {
                                        continue;
                                    };
                                    let u = &units[unit.0 as usize];
                                    if let Some(a) = self.allowance(av, mode, unit, u) {
                                        granted.push(unit);
                                        allowances.push(a);
                                    }
                                }
                            }
                        }
                        let payers = match gf.get("pays_with") {
                            Some(pn) => match &pn.kind {
                                YKind::Seq(items) => items
                                    .iter()
                                    .filter_map(|i| self.unit_ref(i, units))
                                    .collect(),
                                _ => {
                                    self.push(
                                        Diagnostic::error(
                                            Code::WrongType,
                                            "`pays_with` must be a list of units",
                                        )
                                        .at(pn.span)
                                        .with_help("write it like `[credit]`"),
                                    );
                                    Vec::new()
                                }
                            },
                            None => granted,
                        };
                        gf.finish(&["grants", "pays_with"], self.diags);
                        pays_with.push((mode, payers));
                    }
                }
            }
            let initial = starts
                .and_then(|n| self.lookup(n, "mode", Code::UnknownMode, &plan_modes))
                .and_then(|i| {
                    modes
                        .iter()
                        .position(|m| *m == plan_modes[i])
                        .map(|i| ModeId(id16(i)))
                });
            pf.finish(&["name", "starts_in", "modes"], self.diags);
            if let Some(initial_mode) = initial {
                plans.push(Plan {
                    name,
                    display,
                    initial_mode,
                    allowances,
                    pays_with,
                });
            }
        }
        if matches!(&node.kind, YKind::Null) || matches!(&node.kind, YKind::Map(m) if m.is_empty())
        {
            self.push(
                Diagnostic::error(Code::EmptyPolicy, "`plans` declares no plan").at(node.span),
            );
        }
        (plans, modes)
    }

    fn allowance(
        &mut self,
        node: &YNode,
        mode: ModeId,
        unit: UnitId,
        u: &Unit,
    ) -> Option<Allowance> {
        let mut f = Fields::open(node, "an allowance", self.diags)?;
        let mut amount_hook = None;
        let amount = f.require("amount", self.diags).and_then(|n| {
            match hook_use(
                n,
                &self.hooks,
                HookType::Amount(unit),
                &self.units,
                self.diags,
            ) {
                HookUse::Hook(h) => {
                    amount_hook = Some(h);
                    Some(Decimal::ZERO)
                }
                HookUse::Invalid => None,
                HookUse::NotAHook => read::amount(n, "`amount`", u.decimals, self.diags),
            }
        });
        let expires = match f.get("expires") {
            Some(n) => self.expiry(n, "`expires`"),
            None => Some(Expiry::CycleEnd),
        };
        let rollover = match f.get("rollover") {
            Some(n) => self.rollover(n, u),
            None => Some(Rollover::None),
        };
        f.finish(&["amount", "expires", "rollover"], self.diags);
        Some(Allowance {
            mode,
            unit,
            amount: amount?,
            amount_hook,
            expires: expires?,
            rollover: rollover?,
        })
    }
}
