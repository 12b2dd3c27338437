//! Compiled expressions and their evaluation.
//!
//! `check/` turns a parsed tree into a [`Program`]: names already resolved to [`Slot`]s, regular
//! expressions compiled, types checked. Evaluating a program does no parsing and no lookup of
//! names by string; it reads facts through the [`Env`] trait, which the evaluator implements over
//! an account snapshot without allocating. CEL's semantics are kept: int64 overflow and division
//! by zero are errors, `&&`/`||` absorb errors when the other side decides, equality across
//! types is `false`.

mod interp;
mod ir;
mod value;

pub use interp::{EvalError, EvalErrorKind};
pub use ir::{ArithOp, Builtin, CmpOp, MacroKind, Node, Op, Program, Slot};
pub use value::Value;

/// Where a program reads the facts its slots name. Implemented by the evaluator over a snapshot
/// and a request, and by [`Vars`] for free-standing expressions.
pub trait Env<'a> {
    fn load(&self, slot: Slot) -> Value<'a>;
}

/// Values for free variables, by slot index: used by `quotient expr --vars` and the conformance
/// suite.
#[derive(Debug, Clone, Default)]
pub struct Vars<'a> {
    pub values: Vec<Value<'a>>,
}

impl<'a> Env<'a> for Vars<'a> {
    fn load(&self, slot: Slot) -> Value<'a> {
        self.values
            .get(slot.0 as usize)
            .cloned()
            .unwrap_or(Value::Null)
    }
}
