//! From the YAML tree to a checked [`Policy`]: reads every section, resolves every name,
//! compiles every expression, and reports every problem it meets without stopping.
//!
//! This file reads the top level (`lower`) and holds the `Reader` every section is read
//! with, and the helpers they share: names, lookups with a "did you mean", unit references,
//! expiries and compiling an expression. Each section has a file of its own: `units` (units and
//! the cycle), `plans` (plans, modes, allowances, rollover), `features` (parameters and costs),
//! `platforms`, `exchanges` (ratios, the conversion check, offer texts) and `burn_down`.

use super::facts::FactTable;
use super::hooks::{ScriptFiles, read_hooks};
use super::model::*;
use super::read::{self, Fields};
use super::yaml::{YKind, YNode};
use crate::check::{self, Expect, Scope, UnitId};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::expr::Program;
use crate::hooks::HookSet;
use crate::limits::Limits;

mod burn_down;
mod exchanges;
mod features;
mod plans;
mod platforms;
mod units;

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
        let params = top.get("features").map(param_names).unwrap_or_default();
        r.hooks = read_hooks(n, &units, &params, limits, scripts, r.diags);
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

/// The parameter names every feature declares, read straight from the `features:` node (hooks
/// are read before features, and a hook may read `params.<name>` of any of them).
fn param_names(features: &YNode) -> Vec<String> {
    let entries = |n: &YNode| match &n.kind {
        YKind::Map(entries) => entries.clone(),
        _ => Vec::new(),
    };
    let mut names: Vec<String> = entries(features)
        .iter()
        .flat_map(|(_, feature)| {
            entries(feature)
                .into_iter()
                .filter(|(k, _)| k.as_scalar() == Some("params"))
                .flat_map(|(_, params)| entries(&params))
                .filter_map(|(k, _)| k.as_scalar().map(str::to_string))
        })
        .collect();
    names.sort();
    names.dedup();
    names
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
}
