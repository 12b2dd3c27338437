//! Scripted hooks: rhai scripts a policy names for rules an expression cannot say (a tenure
//! bonus, a tiered price list). Scripts are untrusted, so they run in a sandbox: no imports
//! (`no_module`), no clock (`no_time`), no files, network or environment (rhai has none and we
//! register none), `eval` disabled, strict variables, and every limit of [`Limits`] (operations,
//! call depth, expression depth, string, array and map sizes) set on the engine. `print` and
//! `debug` go into the call's output, never to stdout. Amounts stay exact: scripts see and return
//! decimals (`rust_decimal`), never floats.
//!
//! Hooks are compiled once when the policy loads; a call builds read-only constants from the
//! same facts an expression sees, runs the compiled script and checks the result's type.

pub mod properties;
pub mod sandbox;

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::check::UnitId;
use crate::facts::FactValues;
use crate::limits::Limits;
pub use sandbox::Sandbox;

pub use crate::ids::HookId;

/// What a hook returns, as declared in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookType {
    /// An amount of one unit (a whole number or a decimal with at most the unit's places).
    Amount(UnitId),
    Bool,
}

/// A compiled hook.
#[derive(Clone)]
pub struct Hook {
    pub name: String,
    pub returns: HookType,
    pub(crate) ast: Arc<rhai::AST>,
    /// The script, for `--explain` and error lines.
    pub script: Arc<str>,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("name", &self.name)
            .field("returns", &self.returns)
            .finish_non_exhaustive()
    }
}

/// Why a hook call failed; `line` is the line in the script (1-based) when rhai knows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hook `{hook}` failed{}: {message}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
pub struct HookError {
    pub hook: String,
    pub kind: HookErrorKind,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookErrorKind {
    /// A limit of the sandbox was reached (operations, call depth, sizes).
    Limit,
    /// The script raised an error (unknown function, type error, `throw`).
    Script,
    /// The script returned a value of another type than declared.
    ResultType,
}

impl HookErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            HookErrorKind::Limit => "hook.limit_exceeded",
            HookErrorKind::Script => "hook.failed",
            HookErrorKind::ResultType => "hook.wrong_result_type",
        }
    }
}

/// A hook's result, with what `--explain` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookOutput {
    pub value: HookValue,
    /// Operations the call ran.
    pub operations: u64,
    /// What the script printed (`print`, `debug`), at most a few lines.
    pub printed: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookValue {
    Amount(Decimal),
    Bool(bool),
}

impl HookValue {
    /// As an expression value, so hooks and expressions are interchangeable where a rule sits.
    pub fn to_value(self) -> crate::expr::Value<'static> {
        match self {
            HookValue::Amount(d) => crate::expr::Value::Dec(d),
            HookValue::Bool(b) => crate::expr::Value::Bool(b),
        }
    }
}

/// What hooks see of their policy, captured once at load: unit names and decimal places (by
/// unit id) and each feature's parameter names and slots (by feature id). A call never looks
/// anything up in the policy.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// `(name, decimals)` per unit.
    pub units: Vec<(String, u32)>,
    /// `(name, index into the request's parameters)` per parameter, per feature.
    pub params: Vec<Vec<(String, u16)>>,
}

/// A policy's hooks and the sandboxed engine that runs them.
#[derive(Clone)]
pub struct HookSet {
    sandbox: Arc<Sandbox>,
    schema: Schema,
    pub hooks: Vec<Hook>,
    /// Hooks declared but not compiled (their error was reported; references stay quiet).
    pub broken: Vec<String>,
}

impl std::fmt::Debug for HookSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.hooks).finish()
    }
}

impl Default for HookSet {
    fn default() -> Self {
        HookSet::new(&Limits::default())
    }
}

impl HookSet {
    pub fn new(limits: &Limits) -> Self {
        HookSet {
            sandbox: Arc::new(Sandbox::new(limits)),
            schema: Schema::default(),
            hooks: Vec::new(),
            broken: Vec::new(),
        }
    }

    /// Captures what calls will need to know of the policy (see [`Schema`]).
    pub fn bind(&mut self, schema: Schema) {
        self.schema = schema;
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    pub fn get(&self, id: HookId) -> Option<&Hook> {
        self.hooks.get(id.0 as usize)
    }

    /// Calls hook `id` with the facts an expression at the same place would see.
    pub fn call(&self, id: HookId, facts: &FactValues<'_>) -> Result<HookOutput, HookError> {
        let Some(hook) = self.get(id) else {
            return Err(HookError {
                hook: format!("#{}", id.0),
                kind: HookErrorKind::Script,
                line: None,
                message: "no such hook".into(),
            });
        };
        self.sandbox.call(hook, &self.schema, facts)
    }
}
