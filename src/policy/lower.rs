//! From the YAML tree to a checked [`Policy`]: reads every section, resolves every name,
//! compiles every expression, and reports every problem it meets without stopping.

use rust_decimal::Decimal;

use super::facts::FactTable;
use super::hooks::{HookUse, ScriptFiles, hook_use, read_hooks};
use super::model::*;
use super::ratio;
use super::read::{self, Fields};
use super::yaml::{YKind, YNode};
use crate::check::{self, Expect, Scope, UnitId};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::expr::{Program, Value};
use crate::hooks::{HookSet, HookType};
use crate::limits::Limits;
use crate::syntax::ast::Range;

const TOP_KEYS: &[&str] = &[
    "policy",
    "version",
    "effective_from",
    "description",
    "units",
    "cycle",
    "plans",
    "features",
    "platforms",
    "exchanges",
    "burn_down",
    "hooks",
];

/// Reads a whole policy document. Returns the policy only if no error was found.
pub fn lower(
    root: &YNode,
    file: &str,
    limits: &Limits,
    scripts: &mut dyn ScriptFiles,
    diags: &mut Diagnostics,
) -> Option<Policy> {
    let before = diags.error_count();
    let mut top = Fields::open(root, "a policy file", diags)?;
    let mut r = Reader {
        limits,
        diags,
        hooks: HookSet::new(limits),
        units: Vec::new(),
    };

    let name = top
        .require("policy", r.diags)
        .and_then(|n| read::text(n, "the policy name", r.diags));
    let version = top
        .require("version", r.diags)
        .and_then(|n| read::text(n, "`version`", r.diags));
    let effective_from = top
        .require("effective_from", r.diags)
        .and_then(|n| read::instant(n, "`effective_from`", r.diags));
    if let Some(d) = top.get("description") {
        read::text(d, "`description`", r.diags);
    }

    let units = top
        .require("units", r.diags)
        .map(|n| r.units(n))
        .unwrap_or_default();
    let unit_names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
    let cycle = top.require("cycle", r.diags).and_then(|n| r.cycle(n));
    // Hooks come before the sections that may name them.
    if let Some(n) = top.get("hooks") {
        r.hooks = read_hooks(n, &units, limits, scripts, r.diags);
    }
    r.units.clone_from(&units);

    // Exchange names are needed for `account.exchanged.<name>` before exchanges are read.
    let exchanges_node = top.get("exchanges");
    let exchange_names: Vec<String> = exchanges_node
        .and_then(|n| match &n.kind {
            YKind::Map(entries) => Some(
                entries
                    .iter()
                    .filter_map(|(k, _)| k.as_scalar().map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    let mut table = FactTable::new(&unit_names, &exchange_names);

    let (plans, modes) = top
        .require("plans", r.diags)
        .map(|n| r.plans(n, &units))
        .unwrap_or_default();
    let features = top
        .require("features", r.diags)
        .map(|n| r.features(n, &units, &mut table))
        .unwrap_or_default();
    let platforms = top
        .require("platforms", r.diags)
        .map(|n| r.platforms(n))
        .unwrap_or_default();
    let exchanges = exchanges_node
        .map(|n| r.exchanges(n, &units, &modes, &plans, &table.common))
        .unwrap_or_default();
    let burn_down = top
        .require("burn_down", r.diags)
        .map(|n| r.burn_down(n))
        .unwrap_or_default();
    top.finish(TOP_KEYS, r.diags);

    let mut hooks = r.hooks;
    if diags.error_count() > before {
        return None;
    }
    hooks.bind(crate::hooks::Schema {
        units: units.iter().map(|u| (u.name.clone(), u.decimals)).collect(),
        params: features
            .iter()
            .map(|f| f.params.iter().map(|p| (p.name.clone(), p.index)).collect())
            .collect(),
    });
    Some(Policy {
        name: name?,
        version: version?,
        effective_from: effective_from?,
        file: file.to_string(),
        units,
        cycle: cycle?,
        modes,
        plans,
        features,
        platforms,
        exchanges,
        burn_down,
        facts: table.facts,
        hooks,
        limits: *limits,
    })
}

struct Reader<'a> {
    limits: &'a Limits,
    diags: &'a mut Diagnostics,
    hooks: HookSet,
    units: Vec<Unit>,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn id16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

impl Reader<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A name that expressions can refer to: letters, digits and `_`.
    fn name(&mut self, node: &YNode, what: &str) -> Option<String> {
        let s = read::text(node, what, self.diags)?;
        if is_name(&s) {
            Some(s)
        } else {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("{what} `{s}` is not a valid name"),
                )
                .at(node.span)
                .with_help("use letters, digits and `_`, starting with a letter, like `pro_use`"),
            );
            None
        }
    }

    /// Looks up a name among declared ones; reports an unknown name with a suggestion.
    fn lookup(&mut self, node: &YNode, kind: &str, code: Code, names: &[String]) -> Option<usize> {
        let s = read::text(node, kind, self.diags)?;
        let s = s.trim();
        if let Some(i) = names.iter().position(|n| n == s) {
            return Some(i);
        }
        let d = Diagnostic::error(code, format!("unknown {kind} `{s}`"))
            .at(node.span)
            .suggest_or_list(
                s,
                &names.iter().map(String::as_str).collect::<Vec<_>>(),
                &format!("declared {kind}s"),
            );
        let d = if names.is_empty() {
            d.with_help(format!("this policy declares no {kind}s"))
        } else {
            d
        };
        self.push(d);
        None
    }

    fn unit_ref(&mut self, node: &YNode, units: &[Unit]) -> Option<UnitId> {
        // With no units at all, the missing `units` section is the one error worth reading.
        if units.is_empty() {
            return None;
        }
        let names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
        self.lookup(node, "unit", Code::UnknownUnit, &names)
            .and_then(|i| u8::try_from(i).ok())
            .map(UnitId)
    }

    fn units(&mut self, node: &YNode) -> Vec<Unit> {
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

    fn cycle(&mut self, node: &YNode) -> Option<CycleRule> {
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

    fn expiry(&mut self, node: &YNode, what: &str) -> Option<Expiry> {
        read::word(
            node,
            what,
            &["cycle_end", "next_cycle_end", "never"],
            self.diags,
        )
        .map(|w| match w {
            "cycle_end" => Expiry::CycleEnd,
            "next_cycle_end" => Expiry::NextCycleEnd,
            _ => Expiry::Never,
        })
    }

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

    fn plans(&mut self, node: &YNode, units: &[Unit]) -> (Vec<Plan>, Vec<String>) {
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

    fn features(&mut self, node: &YNode, units: &[Unit], table: &mut FactTable) -> Vec<Feature> {
        let Some(mut f) = Fields::open(node, "`features`", self.diags) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, knode, v) in f.all() {
            let Some(name) = self.name(knode, "feature name") else {
                continue;
            };
            let Some(mut ff) = Fields::open(v, "a feature", self.diags) else {
                continue;
            };
            let display = ff
                .get("name")
                .and_then(|n| read::text(n, "`name`", self.diags))
                .unwrap_or_else(|| key.to_string());
            let mut params = Vec::new();
            if let Some(pn) = ff.get("params") {
                if let Some(mut pf) = Fields::open(pn, "`params`", self.diags) {
                    for (i, (_, pk, pv)) in pf.all().into_iter().enumerate() {
                        let Some(pname) = self.name(pk, "parameter name") else {
                            continue;
                        };
                        // The evaluator binds parameters into a fixed array.
                        if i >= crate::limits::MAX_PARAMS {
                            self.push(
                                Diagnostic::error(
                                    Code::OverLimit,
                                    format!(
                                        "a feature may declare at most {} parameters",
                                        crate::limits::MAX_PARAMS
                                    ),
                                )
                                .at(pk.span)
                                .with_help("pass related values as one parameter"),
                            );
                            continue;
                        }
                        let Some(ty) = read::word(
                            pv,
                            "a parameter type",
                            &["int", "decimal", "string", "bool"],
                            self.diags,
                        ) else {
                            continue;
                        };
                        let ty = match ty {
                            "int" => ParamType::Int,
                            "decimal" => ParamType::Decimal,
                            "string" => ParamType::String,
                            _ => ParamType::Bool,
                        };
                        params.push(Param {
                            name: pname,
                            ty,
                            index: id16(i),
                        });
                    }
                }
            }
            let scope = table.feature_scope(
                &params
                    .iter()
                    .map(|p| (p.name.clone(), p.ty, p.index))
                    .collect::<Vec<_>>(),
            );
            let mut costs = Vec::new();
            if let Some(cn) = ff.require("cost", self.diags) {
                if let Some(mut cf) = Fields::open(cn, "`cost`", self.diags) {
                    for (_, uk, expr) in cf.all() {
                        let Some(unit) = self.unit_ref(uk, units) else {
                            continue;
                        };
                        let rule = match hook_use(
                            expr,
                            &self.hooks,
                            HookType::Amount(unit),
                            units,
                            self.diags,
                        ) {
                            HookUse::Hook(h) => Some(Rule::Hook(h)),
                            HookUse::Invalid => None,
                            HookUse::NotAHook => self
                                .amount_expr(expr, unit, &units[unit.0 as usize], &scope)
                                .map(Rule::Expr),
                        };
                        if let Some(amount) = rule {
                            costs.push(Cost { unit, amount });
                        }
                    }
                }
            }
            ff.finish(&["name", "params", "cost"], self.diags);
            out.push(Feature {
                name,
                display,
                params,
                costs,
            });
        }
        out
    }

    /// Compiles an expression that must give an amount of `unit`; a constant is also checked
    /// against the unit's decimal places.
    fn amount_expr(
        &mut self,
        node: &YNode,
        unit: UnitId,
        u: &Unit,
        scope: &Scope,
    ) -> Option<Program> {
        let text = read::text(node, "a cost", self.diags)?;
        let program = self.compile(node, &text, scope, Expect::Amount(unit))?;
        if let Some(v) = program.as_const() {
            let d = match v {
                Value::Int(i) => Some(Decimal::from(*i)),
                Value::Dec(d) => Some(*d),
                _ => None,
            };
            if let Some(d) = d {
                if d.is_sign_negative() && !d.is_zero() {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidAmount,
                            format!("cost `{text}` is negative"),
                        )
                        .at(node.span),
                    );
                    return None;
                }
                if d.normalize().scale() > u.decimals {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidAmount,
                            format!(
                                "cost `{}` has more decimal places than `{}` allows ({})",
                                text.trim(),
                                u.name,
                                u.decimals
                            ),
                        )
                        .at(node.span)
                        .with_help("round the cost, or raise the unit's `decimals`"),
                    );
                    return None;
                }
            }
        }
        Some(program)
    }

    fn compile(
        &mut self,
        node: &YNode,
        text: &str,
        scope: &Scope,
        expect: Expect,
    ) -> Option<Program> {
        match check::compile(text, &node.origin(), scope, expect, self.limits) {
            Ok((p, _)) => Some(p),
            Err(ds) => {
                self.diags.extend(ds);
                None
            }
        }
    }

    fn platforms(&mut self, node: &YNode) -> Vec<Platform> {
        let Some(mut f) = Fields::open(node, "`platforms`", self.diags) else {
            return Vec::new();
        };
        let entries = f.all();
        let names: Vec<String> = entries.iter().map(|(k, _, _)| k.to_string()).collect();
        let mut out = Vec::new();
        let mut delegations: Vec<(usize, &YNode, PlatformId)> = Vec::new();
        for (key, knode, v) in entries {
            let Some(name) = self.name(knode, "platform name") else {
                continue;
            };
            let Some(mut pf) = Fields::open(v, "a platform", self.diags) else {
                continue;
            };
            let display = pf
                .get("name")
                .and_then(|n| read::text(n, "`name`", self.diags))
                .unwrap_or_else(|| key.to_string());
            let min_version = pf.get("min_version").and_then(|n| {
                let s = read::text(n, "`min_version`", self.diags)?;
                let parts: Option<Vec<u32>> = s.trim().split('.').map(|p| p.parse().ok()).collect();
                if parts.is_none() {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!("`min_version` `{s}` is not a version"),
                        )
                        .at(n.span)
                        .with_help("write numbers separated by dots, like `6.0`"),
                    );
                }
                parts
            });
            let mut flag = |this: &mut Self, k: &str| {
                pf.get(k)
                    .and_then(|n| read::boolean(n, &format!("`{k}`"), this.diags))
                    .unwrap_or(false)
            };
            let consume = flag(self, "consume");
            let show_balance = flag(self, "show_balance");
            let offer = flag(self, "offer");
            let exchange = match pf.get("exchange") {
                None => Some(ExchangeCapability::Refuse),
                Some(en) if en.as_scalar().is_some() => {
                    read::word(en, "`exchange`", &["execute", "refuse"], self.diags).map(|w| {
                        if w == "execute" {
                            ExchangeCapability::Execute
                        } else {
                            ExchangeCapability::Refuse
                        }
                    })
                }
                Some(en) => Fields::open(en, "`exchange`", self.diags).and_then(|mut ef| {
                    let to = ef.require("delegate_to", self.diags).and_then(|t| {
                        self.lookup(t, "platform", Code::UnknownPlatform, &names)
                            .map(|i| (t, i))
                    });
                    let link = ef
                        .get("link")
                        .and_then(|l| read::text(l, "`link`", self.diags));
                    ef.finish(&["delegate_to", "link"], self.diags);
                    let (tnode, to) = to?;
                    delegations.push((out.len(), tnode, PlatformId(id16(to))));
                    Some(ExchangeCapability::Delegate {
                        to: PlatformId(id16(to)),
                        link,
                    })
                }),
            };
            pf.finish(
                &[
                    "name",
                    "min_version",
                    "consume",
                    "show_balance",
                    "offer",
                    "exchange",
                ],
                self.diags,
            );
            if let Some(exchange) = exchange {
                out.push(Platform {
                    name,
                    display,
                    min_version,
                    consume,
                    show_balance,
                    offer,
                    exchange,
                });
            }
        }
        // A hand-off must land on a platform that executes.
        for (_, tnode, to) in delegations {
            if let Some(target) = out.get(to.0 as usize) {
                if target.exchange != ExchangeCapability::Execute {
                    self.push(
                        Diagnostic::error(Code::HandOffLoop, format!("platform `{}` cannot execute exchanges, so it cannot receive a hand-off", target.name))
                            .at(tnode.span)
                            .with_help("delegate to a platform whose `exchange` is `execute`"),
                    );
                }
            }
        }
        out
    }

    fn exchanges(
        &mut self,
        node: &YNode,
        units: &[Unit],
        modes: &[String],
        plans: &[Plan],
        scope: &Scope,
    ) -> Vec<Exchange> {
        let Some(mut f) = Fields::open(node, "`exchanges`", self.diags) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, (_, knode, v)) in f.all().into_iter().enumerate() {
            let Some(name) = self.name(knode, "exchange name") else {
                continue;
            };
            // Which exchanges an account has done is one bit each in a 64-bit set.
            if i >= crate::limits::MAX_EXCHANGES {
                self.push(
                    Diagnostic::error(
                        Code::OverLimit,
                        format!(
                            "a policy may declare at most {} exchanges",
                            crate::limits::MAX_EXCHANGES
                        ),
                    )
                    .at(knode.span)
                    .with_help("split the policy, or make one exchange repeatable"),
                );
                continue;
            }
            let Some(mut ef) = Fields::open(v, "an exchange", self.diags) else {
                continue;
            };
            let from = ef
                .require("from", self.diags)
                .and_then(|n| self.unit_ref(n, units));
            let to = ef
                .require("to", self.diags)
                .and_then(|n| self.unit_ref(n, units));
            if let (Some(a), Some(b), Some(n)) = (from, to, ef.get("to")) {
                if a == b {
                    self.push(
                        Diagnostic::error(
                            Code::BadRatio,
                            "an exchange must convert between two different units",
                        )
                        .at(n.span),
                    );
                }
            }
            let ratio = ef.require("ratio", self.diags).and_then(|n| {
                let text = read::text(n, "`ratio`", self.diags)?;
                let parsed = ratio::parse(&text, n, self.diags)?;
                let origin = n.origin();
                let mut ok = true;
                for ((written, range), expected) in [(parsed.from_unit, from), (parsed.to_unit, to)] {
                    if let Some(exp) = expected {
                        let want = &units[exp.0 as usize].name;
                        if written != want {
                            ok = false;
                            self.push(
                                Diagnostic::error(Code::RatioUnitMismatch, format!("ratio names `{written}` where the exchange converts `{want}`"))
                                    .at(origin.span(range))
                                    .with_help(format!("write `{want}` here")),
                            );
                        }
                    }
                }
                ok.then_some((Ratio { from: parsed.from_amount, to: parsed.to_amount }, n))
            });
            let rounding = ef.require("rounding", self.diags).and_then(|n| {
                read::word(
                    n,
                    "`rounding`",
                    &["floor", "ceiling", "half_even", "exact"],
                    self.diags,
                )
                .map(|w| match w {
                    "floor" => Rounding::Floor,
                    "ceiling" => Rounding::Ceiling,
                    "half_even" => Rounding::HalfEven,
                    _ => Rounding::Exact,
                })
            });
            let one_time = ef
                .require("one_time", self.diags)
                .and_then(|n| read::boolean(n, "`one_time`", self.diags));
            let eligible = ef.require("eligible", self.diags).and_then(|n| {
                match hook_use(n, &self.hooks, HookType::Bool, units, self.diags) {
                    HookUse::Hook(h) => Some(Rule::Hook(h)),
                    HookUse::Invalid => None,
                    HookUse::NotAHook => {
                        let text = read::text(n, "`eligible`", self.diags)?;
                        self.compile(n, &text, scope, Expect::Bool).map(Rule::Expr)
                    }
                }
            });
            let forfeit_remainder = ef.get("forfeit_remainder").map_or(Some(true), |n| {
                read::boolean(n, "`forfeit_remainder`", self.diags)
            });
            let grant_expires = ef.get("grant_expires").map_or(Some(Expiry::CycleEnd), |n| {
                self.expiry(n, "`grant_expires`")
            });
            let switch_mode = match ef.get("switch_mode") {
                None => Some(None),
                Some(n) => self
                    .lookup(n, "mode", Code::UnknownMode, modes)
                    .map(|i| Some(ModeId(id16(i)))),
            };
            let quote_valid = ef.get("quote_valid_for").map_or(Some(900), |n| {
                read::duration(n, "`quote_valid_for`", self.diags)
            });
            let allow_zero = ef.get("allow_zero").map_or(Some(false), |n| {
                read::boolean(n, "`allow_zero`", self.diags)
            });
            let offer = ef.get("offer").map(|n| self.offer(n)).unwrap_or_default();
            ef.finish(
                &[
                    "from",
                    "to",
                    "ratio",
                    "rounding",
                    "one_time",
                    "eligible",
                    "forfeit_remainder",
                    "grant_expires",
                    "switch_mode",
                    "quote_valid_for",
                    "allow_zero",
                    "offer",
                ],
                self.diags,
            );
            let (
                Some(from),
                Some(to),
                Some((ratio, ratio_node)),
                Some(rounding),
                Some(one_time),
                Some(eligible),
            ) = (from, to, ratio, rounding, one_time, eligible)
            else {
                continue;
            };
            let (
                Some(forfeit_remainder),
                Some(grant_expires),
                Some(switch_mode),
                Some(quote_valid_for_secs),
                Some(allow_zero),
            ) = (
                forfeit_remainder,
                grant_expires,
                switch_mode,
                quote_valid,
                allow_zero,
            )
            else {
                continue;
            };
            let exchange = Exchange {
                name,
                from,
                to,
                ratio,
                rounding,
                one_time,
                eligible,
                forfeit_remainder,
                grant_expires,
                switch_mode,
                quote_valid_for_secs,
                allow_zero,
                offer,
            };
            self.check_conversion(&exchange, units, plans, ratio_node);
            out.push(exchange);
        }
        out
    }

    /// A full cycle's allowance of the source unit must convert to something, unless the policy
    /// explicitly allows giving nothing.
    fn check_conversion(
        &mut self,
        e: &Exchange,
        units: &[Unit],
        plans: &[Plan],
        ratio_node: &YNode,
    ) {
        if e.allow_zero {
            return;
        }
        let to = &units[e.to.0 as usize];
        for plan in plans {
            for a in plan
                .allowances
                .iter()
                .filter(|a| a.unit == e.from && a.amount > Decimal::ZERO)
            {
                let converted = e.ratio.convert(a.amount, to.decimals, e.rounding);
                let gives_nothing = converted.as_ref().is_none_or(|c| c.amount.is_zero());
                if gives_nothing {
                    let what = match converted {
                        None if e.rounding == Rounding::Exact => {
                            "cannot be converted exactly".to_string()
                        }
                        _ => format!("converts to 0 `{}`", to.name),
                    };
                    self.push(
                        Diagnostic::error(
                            Code::ConversionGivesNothing,
                            format!("plan `{}`'s full allowance of {} `{}` {what}", plan.name, a.amount, units[e.from.0 as usize].name),
                        )
                        .at(ratio_node.span)
                        .with_help(if e.rounding == Rounding::Exact {
                            "use `floor`, `ceiling` or `half_even`, or a ratio under which the allowance converts exactly"
                        } else {
                            "change the ratio or the rounding, or set `allow_zero: true` to allow giving nothing"
                        }),
                    );
                    return;
                }
            }
        }
    }

    fn offer(&mut self, node: &YNode) -> OfferText {
        const PLACEHOLDERS: &[&str] = &[
            "from_amount",
            "to_amount",
            "from_unit",
            "to_unit",
            "remainder",
            "expires",
            "exact",
        ];
        let Some(mut f) = Fields::open(node, "`offer`", self.diags) else {
            return OfferText::default();
        };
        let mut text = |this: &mut Self, key: &str| -> String {
            let Some(n) = f.get(key) else {
                return String::new();
            };
            let Some(s) = read::text(n, &format!("`{key}`"), this.diags) else {
                return String::new();
            };
            let origin = n.origin();
            let mut rest = 0;
            while let Some(open) = s[rest..].find('{').map(|i| i + rest) {
                let Some(close) = s[open..].find('}').map(|i| i + open) else {
                    break;
                };
                let ph = &s[open + 1..close];
                if !PLACEHOLDERS.contains(&ph) {
                    this.push(
                        Diagnostic::error(
                            Code::UnknownPlaceholder,
                            format!("unknown placeholder `{{{ph}}}`"),
                        )
                        .at(origin.span(Range::new(open, close + 1)))
                        .suggest(ph, PLACEHOLDERS.iter().copied()),
                    );
                }
                rest = close + 1;
            }
            s
        };
        let title = text(self, "title");
        let body = text(self, "body");
        let confirm = text(self, "confirm");
        let warning = text(self, "warning");
        f.finish(&["title", "body", "confirm", "warning"], self.diags);
        OfferText {
            title,
            body,
            confirm,
            warning,
        }
    }

    fn burn_down(&mut self, node: &YNode) -> Vec<BurnKey> {
        let YKind::Seq(items) = &node.kind else {
            self.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!("`burn_down` must be a list, found {}", node.describe()),
                )
                .at(node.span)
                .with_help("write it like `[priority, soonest_expiry, oldest, id]`"),
            );
            return Vec::new();
        };
        let keys: Vec<BurnKey> = items
            .iter()
            .filter_map(|i| {
                read::word(
                    i,
                    "a burn-down key",
                    &["priority", "soonest_expiry", "oldest", "id"],
                    self.diags,
                )
                .map(|w| match w {
                    "priority" => BurnKey::Priority,
                    "soonest_expiry" => BurnKey::SoonestExpiry,
                    "oldest" => BurnKey::Oldest,
                    _ => BurnKey::Id,
                })
            })
            .collect();
        if keys.len() == items.len() && !keys.contains(&BurnKey::Id) {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    "the burn-down order is not total: two grants could tie",
                )
                .at(node.span)
                .with_help("end the list with `id`, which no two grants share"),
            );
        }
        keys
    }
}
