//! The rhai engine, configured once per policy as a sandbox, and the read-only constants a hook
//! call sees. `print`/`debug` output and the operation count are collected per call on the
//! calling thread, so one engine serves many threads.

use crate::limits::MAX_PRINTED;
use std::cell::{Cell, RefCell};

use rhai::{Dynamic, Engine, Map, Scope};
use rust_decimal::Decimal;

use super::{Hook, HookError, HookErrorKind, HookOutput, HookType, HookValue, Schema};
use crate::expr::Value;
use crate::facts::FactValues;
use crate::limits::Limits;

thread_local! {
    static OPERATIONS: Cell<u64> = const { Cell::new(0) };
    static PRINTED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn capture(line: String) {
    PRINTED.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < MAX_PRINTED {
            p.push(line);
        }
    });
}

/// The names every hook can read (all constants).
pub const INPUTS: [&str; 6] = [
    "account", "balance", "cycle", "platform", "request", "params",
];

pub struct Sandbox {
    engine: Engine,
    limits: Limits,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

/// What a hook may call, and why each is safe. The engine starts raw (`Engine::new_raw`: no
/// function at all, so none of rhai's core package: no `sleep`, which costs no operations and
/// would hang a request, no `exit`, no `parse_json`, no function-pointer calls, no debugger
/// hooks), then gets only these packages:
///
/// - `ArithmeticPackage`, `LogicPackage`: operators on ints, decimals and bools; each call is
///   one operation and constant time.
/// - `BasicStringPackage`: `print`/`debug` (captured, at most 20 lines kept) and `to_string`;
///   the result is bounded by the string limit.
/// - `MoreStringPackage`: string functions (`len`, `contains`, `sub_string`, `replace`, `pad`,
///   `split`, `trim`, ...); each is linear in its input, and every string or array it builds is
///   bounded by the string and array limits, so one call is bounded in time and memory.
/// - `BasicIteratorPackage`: `range` for `for` loops; every turn of a loop counts.
/// - `BasicArrayPackage`, `BasicMapPackage`: arrays and maps; sizes are bounded by the array and
///   map limits, and every element visited by a script-level loop counts.
/// - `BasicMathPackage`: `abs`, `floor`, `round`, `min`, `max`, ... on decimals and ints;
///   constant time.
///
/// Not registered: time (`no_time`), modules and imports (`no_module`), `eval` (disabled),
/// blobs, bit fields, function metadata, and anything reaching the process or the system.
fn raw_engine() -> Engine {
    use rhai::packages::{
        ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage,
        BasicMathPackage, BasicStringPackage, LogicPackage, MoreStringPackage, Package,
    };
    let mut engine = Engine::new_raw();
    for package in [
        ArithmeticPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(package);
    }
    engine
}

impl Sandbox {
    pub fn new(limits: &Limits) -> Self {
        let mut engine = raw_engine();
        engine
            .set_strict_variables(true)
            .set_max_operations(limits.hook_max_operations)
            .set_max_call_levels(limits.hook_max_call_levels)
            .set_max_expr_depths(limits.hook_max_expr_depth, limits.hook_max_expr_depth)
            .set_max_string_size(limits.hook_max_string_len)
            .set_max_array_size(limits.hook_max_array_len)
            .set_max_map_size(limits.hook_max_map_len)
            .disable_symbol("eval");
        engine.on_print(|s| capture(s.to_string()));
        engine.on_debug(|s, _, _| capture(s.to_string()));
        engine.on_progress(|ops| {
            OPERATIONS.with(|c| c.set(ops));
            None
        });
        Sandbox {
            engine,
            limits: *limits,
        }
    }

    /// Compiles a script; the error carries rhai's message and the 1-based line and column.
    pub fn compile(&self, script: &str) -> Result<rhai::AST, (String, usize, usize)> {
        // Declared as plain variables so strict variables knows the names; constants here would
        // be folded into the script by the optimizer. Each call binds them as constants.
        let mut scope = Scope::new();
        for name in INPUTS {
            scope.push(name, Map::new());
        }
        self.engine.compile_with_scope(&scope, script).map_err(|e| {
            let p = e.position();
            (
                e.err_type().to_string(),
                p.line().unwrap_or(1),
                p.position().unwrap_or(1),
            )
        })
    }

    pub(super) fn call(
        &self,
        hook: &Hook,
        schema: &Schema,
        facts: &FactValues<'_>,
    ) -> Result<HookOutput, HookError> {
        OPERATIONS.with(|c| c.set(0));
        PRINTED.with(|p| p.borrow_mut().clear());
        let mut scope = inputs(schema, facts);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &hook.ast);
        let operations = OPERATIONS.with(Cell::get);
        let printed = PRINTED.with(|p| std::mem::take(&mut *p.borrow_mut()));
        let fail = |kind, line, message: String| HookError {
            hook: hook.name.clone(),
            kind,
            line,
            message,
        };
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                let line = e.position().line();
                let kind = match *e {
                    rhai::EvalAltResult::ErrorTooManyOperations(..)
                    | rhai::EvalAltResult::ErrorStackOverflow(..)
                    | rhai::EvalAltResult::ErrorDataTooLarge(..)
                    | rhai::EvalAltResult::ErrorTerminated(..) => HookErrorKind::Limit,
                    _ => HookErrorKind::Script,
                };
                let message = match &*e {
                    rhai::EvalAltResult::ErrorTooManyOperations(..) => {
                        format!(
                            "ran more than {} operations",
                            self.limits.hook_max_operations
                        )
                    }
                    rhai::EvalAltResult::ErrorStackOverflow(..) => {
                        format!(
                            "called functions more than {} deep",
                            self.limits.hook_max_call_levels
                        )
                    }
                    rhai::EvalAltResult::ErrorDataTooLarge(what, _) => {
                        let what = what.to_lowercase();
                        if what.contains("string") {
                            format!(
                                "built a string longer than {} bytes",
                                self.limits.hook_max_string_len
                            )
                        } else if what.contains("array") {
                            format!(
                                "built an array of more than {} items",
                                self.limits.hook_max_array_len
                            )
                        } else if what.contains("map") {
                            format!(
                                "built a map of more than {} entries",
                                self.limits.hook_max_map_len
                            )
                        } else {
                            format!("{what} is too large")
                        }
                    }
                    other => other
                        .to_string()
                        .split(" (line ")
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                };
                return Err(fail(kind, line, message));
            }
        };
        let type_name = value.type_name().to_string();
        // The result is the value of the script's last statement.
        let last_line = hook
            .script
            .lines()
            .enumerate()
            .filter(|(_, l)| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with("//")
            })
            .last()
            .map(|(i, _)| i + 1);
        let value = match hook.returns {
            HookType::Bool => value.as_bool().map(HookValue::Bool).map_err(|_| {
                fail(
                    HookErrorKind::ResultType,
                    last_line,
                    format!(
                        "returned {type_name}, but it is declared to return a condition (bool)"
                    ),
                )
            })?,
            HookType::Amount(unit) => {
                let (unit_name, decimals) = schema
                    .units
                    .get(unit.0 as usize)
                    .map_or(("?", 0), |(n, d)| (n.as_str(), *d));
                let d = if let Ok(i) = value.as_int() {
                    Decimal::from(i)
                } else if let Some(d) = value.clone().try_cast::<Decimal>() {
                    d
                } else {
                    return Err(fail(
                        HookErrorKind::ResultType,
                        last_line,
                        format!(
                            "returned {type_name}, but it is declared to return an amount of `{unit_name}`"
                        ),
                    ));
                };
                if !crate::amount::in_range(d) || d.normalize().scale() > decimals {
                    return Err(fail(
                        HookErrorKind::ResultType,
                        last_line,
                        format!(
                            "returned {}, not an amount of `{unit_name}` (0 to 10^15, at most {decimals} decimal places)",
                            d.normalize()
                        ),
                    ));
                }
                HookValue::Amount(d)
            }
        };
        Ok(HookOutput {
            value,
            operations,
            printed,
        })
    }
}

fn dynamic(v: &Value<'_>) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Int(i) => Dynamic::from_int(*i),
        Value::Dec(d) => Dynamic::from_decimal(*d),
        Value::Str(s) => Dynamic::from(s.as_str().to_string()),
        Value::List(items) => Dynamic::from_array(items.iter().map(dynamic).collect()),
        Value::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries.iter() {
                if let Value::Str(k) = k {
                    m.insert(k.as_str().into(), dynamic(v));
                }
            }
            Dynamic::from_map(m)
        }
    }
}

/// The read-only constants of one call.
fn inputs(schema: &Schema, f: &FactValues<'_>) -> Scope<'static> {
    let text = |s: &str| Dynamic::from(s.to_string());
    let mut scope = Scope::new();
    let mut account = Map::new();
    account.insert("id".into(), text(f.account_id));
    account.insert("plan".into(), text(f.plan));
    account.insert("status".into(), text(f.status));
    account.insert("mode".into(), text(f.mode));
    account.insert("cycles".into(), Dynamic::from_int(f.cycles));
    scope.push_constant("account", account);
    let mut balance = Map::new();
    for (i, (name, _)) in schema.units.iter().enumerate() {
        let b = f.balances.get(i).copied().unwrap_or_default();
        balance.insert(name.as_str().into(), Dynamic::from_decimal(b));
    }
    scope.push_constant("balance", balance);
    let mut cycle = Map::new();
    cycle.insert("index".into(), Dynamic::from_int(f.cycle_index));
    cycle.insert("days_left".into(), Dynamic::from_int(f.cycle_days_left));
    scope.push_constant("cycle", cycle);
    let mut platform = Map::new();
    platform.insert("name".into(), text(f.platform));
    platform.insert("version".into(), text(f.client_version));
    scope.push_constant("platform", platform);
    let mut request = Map::new();
    request.insert("kind".into(), text(f.request_kind));
    request.insert("feature".into(), text(f.feature));
    scope.push_constant("request", request);
    let mut params = Map::new();
    let declared = f.feature_id.and_then(|id| schema.params.get(id.0 as usize));
    for (name, index) in declared.into_iter().flatten() {
        if let Some(v) = f.params.get(*index as usize) {
            params.insert(name.as_str().into(), dynamic(v));
        }
    }
    scope.push_constant("params", params);
    scope
}
