//! The compiled form of an expression: a tree of resolved operations.

use std::sync::Arc;

use super::value::Value;
use crate::syntax::ast::Range;

/// A numbered fact an expression reads (`account.plan`, `balance.credit`, a feature parameter).
/// What each number means is decided by whoever built the scope the expression was checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub u16);

/// Built-in functions, resolved at load time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Size,
    Contains,
    StartsWith,
    EndsWith,
    /// `matches` with a pattern that is not a constant (compiled on each call, size-limited).
    MatchesDynamic,
    ToInt,
    ToString,
    ToDecimal,
}

/// The comprehension macros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroKind {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// One operation with the range of text it came from (for runtime errors and `--explain`).
#[derive(Debug, Clone)]
pub struct Node {
    pub op: Op,
    pub range: Range,
}

#[derive(Debug, Clone)]
pub enum Op {
    Const(Value<'static>),
    Load(Slot),
    /// `has(x.f)` on a declared fact: true unless the fact is null.
    Present(Slot),
    /// A comprehension variable, by nesting level.
    Local(u8),
    Not(Box<Node>),
    Neg(Box<Node>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    Eq(Box<Node>, Box<Node>),
    Ne(Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    In(Box<Node>, Box<Node>),
    Index(Box<Node>, Box<Node>),
    /// `m.key` on a map value.
    Field(Box<Node>, Arc<str>),
    /// `has(m.key)` on a map value.
    HasField(Box<Node>, Arc<str>),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Call(Builtin, Vec<Node>),
    /// `s.matches(re)` with the pattern compiled at load time.
    Matches(Box<Node>, Arc<regex::Regex>),
    Comprehension {
        kind: MacroKind,
        range: Box<Node>,
        /// Nesting level of the variable the body reads as [`Op::Local`].
        var: u8,
        /// For `map(x, p, t)`: the filter `p`.
        filter: Option<Box<Node>>,
        body: Box<Node>,
    },
}

/// A checked, compiled expression, ready to evaluate any number of times from any thread.
#[derive(Debug, Clone)]
pub struct Program {
    pub(crate) root: Node,
    /// The expression's text, kept for `--explain` and error messages.
    pub(crate) source: Arc<str>,
}

impl Program {
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The constant value if the program is a literal (used for costs written as numbers).
    pub fn as_const(&self) -> Option<&Value<'static>> {
        match &self.root.op {
            Op::Const(v) => Some(v),
            _ => None,
        }
    }
}
