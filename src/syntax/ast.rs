//! The expression tree produced by the parser: plain data with byte ranges into the expression
//! text. Names are still strings here; `check/` resolves them to slots.

use rust_decimal::Decimal;

/// A byte range inside the expression's own text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: u32,
    pub end: u32,
}

impl Range {
    pub fn new(start: usize, end: usize) -> Self {
        let c = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Range {
            start: c(start),
            end: c(end),
        }
    }

    pub fn to(self, other: Range) -> Range {
        Range {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A name with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub range: Range,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub range: Range,
    /// Height of this tree (a leaf is 1); bounded by `Limits::max_ast_depth`.
    pub depth: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// Kept wider than `i64` until checking so `-9223372036854775808` can be written.
    Int(i128),
    Decimal(Decimal),
    Str(String),
    Ident(String),
    Select(Box<Expr>, Name),
    Index(Box<Expr>, Box<Expr>),
    Call {
        target: Option<Box<Expr>>,
        func: Name,
        args: Vec<Expr>,
    },
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
}

impl Expr {
    pub fn leaf(kind: ExprKind, range: Range) -> Expr {
        Expr {
            kind,
            range,
            depth: 1,
        }
    }

    /// A node whose height is one more than its tallest child.
    pub fn node(kind: ExprKind, range: Range) -> Expr {
        let depth = 1 + match &kind {
            ExprKind::Select(e, _) | ExprKind::Unary(_, e) => e.depth,
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => a.depth.max(b.depth),
            ExprKind::Cond(a, b, c) => a.depth.max(b.depth).max(c.depth),
            ExprKind::Call { target, args, .. } => target
                .iter()
                .map(|t| t.depth)
                .chain(args.iter().map(|a| a.depth))
                .max()
                .unwrap_or(0),
            ExprKind::List(items) => items.iter().map(|e| e.depth).max().unwrap_or(0),
            ExprKind::Map(entries) => entries
                .iter()
                .map(|(k, v)| k.depth.max(v.depth))
                .max()
                .unwrap_or(0),
            _ => 0,
        };
        Expr { kind, range, depth }
    }
}
