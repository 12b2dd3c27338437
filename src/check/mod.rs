//! Load-time checking: resolves every name in an expression to a slot, checks types and units,
//! compiles regular expressions, and produces a [`Program`] that evaluates without parsing or
//! string lookups. Reports every problem it finds, each at the exact characters.

mod checker;
mod scope;
mod types;

pub use scope::Scope;
pub use types::{Type, UnitId};

use crate::diag::Diagnostic;
use crate::expr::Program;
use crate::limits::Limits;
use crate::syntax::{self, Origin};

/// What a place in a policy needs an expression to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Anything (the `quotient expr` command).
    Any,
    /// A condition.
    Bool,
    /// An amount of this unit, or a plain number taken in this unit.
    Amount(UnitId),
}

/// Parses, checks and compiles one expression. Returns the program and its static type, or
/// every diagnostic found.
pub fn compile(
    text: &str,
    origin: &Origin,
    scope: &Scope,
    expect: Expect,
    limits: &Limits,
) -> Result<(Program, Type), Vec<Diagnostic>> {
    let ast = syntax::parse(text, origin, limits)?;
    checker::check(&ast, text, origin, scope, expect, limits)
}
