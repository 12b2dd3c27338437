//! The `features` section: each feature's parameters (names and types, at most `MAX_PARAMS`)
//! and what a use costs in each unit, an expression checked against the feature's scope or an
//! amount hook. Checks that every cost gives an amount of its unit, and that a constant cost is
//! not negative and has no more decimal places than its unit.

use rust_decimal::Decimal;

use super::{Reader, id16};
use crate::check::{Expect, Scope, UnitId};
use crate::diag::{Code, Diagnostic};
use crate::expr::{Program, Value};
use crate::hooks::HookType;
use crate::policy::facts::FactTable;
use crate::policy::hooks::{HookUse, hook_use};
use crate::policy::model::*;
use crate::policy::read::{self, Fields};
use crate::policy::yaml::{YKind, YNode};

impl Reader<'_> {
    pub(super) fn features(
        &mut self,
        node: &YNode,
        units: &[Unit],
        table: &mut FactTable,
    ) -> Vec<Feature> {
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
                        // `int`, or `{ type: int, min: 0, max: 86400 }`.
                        let (ty_node, min_node, max_node) = match &pv.kind {
                            YKind::Map(_) => {
                                let Some(mut bf) = Fields::open(pv, "a parameter", self.diags)
                                else {
                                    continue;
                                };
                                let t = bf.require("type", self.diags);
                                let (lo, hi) = (bf.get("min"), bf.get("max"));
                                bf.finish(&["type", "min", "max"], self.diags);
                                let Some(t) = t else { continue };
                                (t, lo, hi)
                            }
                            _ => (pv, None, None),
                        };
                        let Some(ty) = read::word(
                            ty_node,
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
                        let min = min_node.and_then(|n| self.param_bound(n, ty, "`min`"));
                        let max = max_node.and_then(|n| self.param_bound(n, ty, "`max`"));
                        if let (Some(lo), Some(hi), Some(n)) = (min, max, max_node) {
                            if lo > hi {
                                self.push(
                                    Diagnostic::error(
                                        Code::InvalidValue,
                                        format!("`max` {hi} is below `min` {lo}"),
                                    )
                                    .at(n.span)
                                    .with_help("no value could be sent; swap them"),
                                );
                            }
                        }
                        params.push(Param {
                            name: pname,
                            ty,
                            min,
                            max,
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
}

impl Reader<'_> {
    /// A parameter's `min` or `max`: an exact number (a whole one for an `int`), within the
    /// largest supported amount; only `int` and `decimal` parameters have bounds.
    fn param_bound(&mut self, node: &YNode, ty: ParamType, what: &str) -> Option<Decimal> {
        if !matches!(ty, ParamType::Int | ParamType::Decimal) {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("{what} is for `int` and `decimal` parameters"),
                )
                .at(node.span)
                .with_help("remove it, or make the parameter a number"),
            );
            return None;
        }
        let text = node.as_scalar().map(str::trim).unwrap_or("");
        let value = Decimal::from_str_exact(text)
            .ok()
            .filter(|d| d.abs() <= crate::amount::MAX);
        match value {
            Some(d) if ty == ParamType::Int && d.fract() != Decimal::ZERO => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("{what} of an `int` parameter must be a whole number, found `{text}`"),
                    )
                    .at(node.span)
                    .with_help("requests send an `int` as a whole number; round the bound, or make the parameter a `decimal`"),
                );
                None
            }
            Some(d) => Some(d),
            None => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("{what} must be an exact number, found `{text}`"),
                    )
                    .at(node.span)
                    .with_help(
                        "write digits with an optional sign and decimal point, like `0` or `-2.5`",
                    ),
                );
                None
            }
        }
    }
}
