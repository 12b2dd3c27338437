//! pest parse tree to [`Expr`]: one lowering function per grammar rule, operator precedence in
//! one `PrattParser`, and pest's errors turned into words a pricing person can read.

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::Origin;
use super::ast::{BinaryOp, Expr, ExprKind, Name, Range, UnaryOp};
use super::delimiters;
use super::literal;
use crate::diag::{Code, Diagnostic};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/cel.pest"]
struct CelParser;

type Lowered = Result<Expr, Vec<Diagnostic>>;

pub(super) fn parse(text: &str, origin: &Origin) -> Lowered {
    let mut pairs = CelParser::parse(Rule::expression, text).map_err(|e| {
        let pest_error = syntax_error(&e, text, origin);
        match delimiters::scan(text) {
            None => vec![pest_error],
            Some(u) => {
                let delimiter = delimiters::diagnostic(u, text, origin, "expression");
                // pest failing where the imbalance shows is its symptom; failing earlier is a
                // mistake of its own, reported beside the delimiter.
                if error_position(&e) >= u.noticed_from(text) {
                    vec![delimiter]
                } else {
                    vec![pest_error, delimiter]
                }
            }
        }
    })?;
    let Some(expression) = pairs.next() else {
        return Err(vec![
            Diagnostic::error(Code::ExprSyntax, "empty expression")
                .at(origin.span(Range::new(0, 0))),
        ]);
    };
    let lowerer = Lowerer { origin, text };
    match expression.into_inner().next() {
        Some(expr) => lowerer.expr(expr),
        None => Err(vec![
            Diagnostic::error(Code::ExprSyntax, "empty expression")
                .at(origin.span(Range::new(0, 0))),
        ]),
    }
}

fn range(pair: &Pair<'_, Rule>) -> Range {
    let s = pair.as_span();
    Range::new(s.start(), s.end())
}

struct Lowerer<'o> {
    origin: &'o Origin,
    text: &'o str,
}

impl Lowerer<'_> {
    fn error(&self, code: Code, message: impl Into<String>, r: Range) -> Vec<Diagnostic> {
        vec![Diagnostic::error(code, message).at(self.origin.span(r))]
    }

    /// `expr = { binary ~ (question ~ binary ~ colon ~ expr)? }`
    fn expr(&self, pair: Pair<'_, Rule>) -> Lowered {
        let r = range(&pair);
        let mut inner = pair
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::question | Rule::colon));
        let Some(first) = inner.next() else {
            return Err(self.error(Code::ExprSyntax, "expected an expression", r));
        };
        let cond = self.binary(first)?;
        match (inner.next(), inner.next()) {
            (Some(then), Some(otherwise)) => {
                let then = self.binary(then)?;
                let otherwise = self.expr(otherwise)?;
                Ok(Expr::node(
                    ExprKind::Cond(Box::new(cond), Box::new(then), Box::new(otherwise)),
                    r,
                ))
            }
            _ => Ok(cond),
        }
    }

    /// `binary = { unary ~ (infix_op ~ unary)* }` with `unary` flattened into prefix operators,
    /// a primary and postfix accessors; precedence comes from the PrattParser.
    fn binary(&self, pair: Pair<'_, Rule>) -> Lowered {
        let pratt = pratt();
        pratt
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let r = range(&op).to(rhs.range);
                match op.as_rule() {
                    Rule::neg_op => {
                        // `-9223372036854775808`: fold the sign into an adjacent integer literal so
                        // the most negative int64 can be written.
                        let digit_follows = self
                            .text
                            .as_bytes()
                            .get(rhs.range.start as usize)
                            .is_some_and(u8::is_ascii_digit);
                        if let ExprKind::Int(v) = rhs.kind {
                            if rhs.range.start == range(&op).end && digit_follows {
                                return Ok(Expr::leaf(ExprKind::Int(-v), r));
                            }
                        }
                        Ok(Expr::node(ExprKind::Unary(UnaryOp::Neg, Box::new(rhs)), r))
                    }
                    _ => Ok(Expr::node(ExprKind::Unary(UnaryOp::Not, Box::new(rhs)), r)),
                }
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                let r = lhs.range.to(range(&op));
                match op.as_rule() {
                    Rule::member => {
                        let name = self.name(op.into_inner().find(|p| p.as_rule() == Rule::ident));
                        Ok(Expr::node(ExprKind::Select(Box::new(lhs), name), r))
                    }
                    Rule::member_call => {
                        let mut func = None;
                        let mut args = Vec::new();
                        for p in op.into_inner() {
                            match p.as_rule() {
                                Rule::ident => func = Some(p),
                                Rule::args => args = self.args(p)?,
                                _ => {}
                            }
                        }
                        let func = self.name(func);
                        Ok(Expr::node(
                            ExprKind::Call {
                                target: Some(Box::new(lhs)),
                                func,
                                args,
                            },
                            r,
                        ))
                    }
                    _ => {
                        // index: `[expr]`
                        let Some(idx) = op.into_inner().find(|p| p.as_rule() == Rule::expr) else {
                            return Err(self.error(Code::ExprSyntax, "expected an index", r));
                        };
                        let idx = self.expr(idx)?;
                        Ok(Expr::node(ExprKind::Index(Box::new(lhs), Box::new(idx)), r))
                    }
                }
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = match (lhs, rhs) {
                    (Ok(l), Ok(r)) => (l, r),
                    (Err(mut a), Err(b)) => {
                        a.extend(b);
                        return Err(a);
                    }
                    (Err(e), _) | (_, Err(e)) => return Err(e),
                };
                let r = lhs.range.to(rhs.range);
                let op = match op.as_rule() {
                    Rule::or_op => BinaryOp::Or,
                    Rule::and_op => BinaryOp::And,
                    Rule::eq_op => BinaryOp::Eq,
                    Rule::ne_op => BinaryOp::Ne,
                    Rule::lt_op => BinaryOp::Lt,
                    Rule::le_op => BinaryOp::Le,
                    Rule::gt_op => BinaryOp::Gt,
                    Rule::ge_op => BinaryOp::Ge,
                    Rule::in_op => BinaryOp::In,
                    Rule::add_op => BinaryOp::Add,
                    Rule::sub_op => BinaryOp::Sub,
                    Rule::mul_op => BinaryOp::Mul,
                    Rule::div_op => BinaryOp::Div,
                    _ => BinaryOp::Rem,
                };
                Ok(Expr::node(
                    ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    r,
                ))
            })
            .parse(pair.into_inner())
    }

    fn name(&self, pair: Option<Pair<'_, Rule>>) -> Name {
        match pair {
            Some(p) => Name {
                text: p.as_str().to_string(),
                range: range(&p),
            },
            None => Name {
                text: String::new(),
                range: Range::new(0, 0),
            },
        }
    }

    fn args(&self, pair: Pair<'_, Rule>) -> Result<Vec<Expr>, Vec<Diagnostic>> {
        self.exprs(pair.into_inner())
    }

    /// Lowers every `expr` among the pairs, collecting all errors.
    fn exprs(&self, pairs: Pairs<'_, Rule>) -> Result<Vec<Expr>, Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for p in pairs.filter(|p| p.as_rule() == Rule::expr) {
            match self.expr(p) {
                Ok(e) => out.push(e),
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Lowered {
        let r = range(&pair);
        match pair.as_rule() {
            Rule::null_lit => Ok(Expr::leaf(ExprKind::Null, r)),
            Rule::bool_lit => Ok(Expr::leaf(ExprKind::Bool(pair.as_str() == "true"), r)),
            Rule::int => literal::int(pair.as_str())
                .map(|v| Expr::leaf(ExprKind::Int(v), r))
                .map_err(|m| self.error(Code::BadLiteral, m, r)),
            Rule::uint_lit => Err(vec![
                Diagnostic::error(
                    Code::Unsupported,
                    format!("unsigned integer `{}` is not supported", pair.as_str()),
                )
                .at(self.origin.span(r))
                .with_help("drop the `u` suffix: integers are signed 64-bit"),
            ]),
            Rule::decimal => literal::decimal(pair.as_str())
                .map(|v| Expr::leaf(ExprKind::Decimal(v), r))
                .map_err(|m| self.error(Code::BadLiteral, m, r)),
            Rule::string => literal::string(pair.as_str())
                .map(|s| Expr::leaf(ExprKind::Str(s), r))
                .map_err(|(at, m)| {
                    let start = r.start as usize + at;
                    self.error(Code::BadLiteral, m, Range::new(start, start + 2))
                }),
            Rule::ident => Ok(Expr::leaf(ExprKind::Ident(pair.as_str().to_string()), r)),
            Rule::paren => match pair.into_inner().find(|p| p.as_rule() == Rule::expr) {
                // Keep the parentheses in the range so `-(x)` is not folded as a literal.
                Some(e) => self.expr(e).map(|mut e| {
                    e.range = r;
                    e
                }),
                None => Err(self.error(Code::ExprSyntax, "expected an expression", r)),
            },
            Rule::global_call => {
                let mut func = None;
                let mut args = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::ident => func = Some(p),
                        Rule::args => args = self.args(p)?,
                        _ => {}
                    }
                }
                let func = self.name(func);
                Ok(Expr::node(
                    ExprKind::Call {
                        target: None,
                        func,
                        args,
                    },
                    r,
                ))
            }
            Rule::list => Ok(Expr::node(
                ExprKind::List(self.exprs(pair.into_inner())?),
                r,
            )),
            Rule::map => {
                let mut entries = Vec::new();
                let mut errors = Vec::new();
                for entry in pair.into_inner().filter(|p| p.as_rule() == Rule::entry) {
                    match self.exprs(entry.into_inner()) {
                        Ok(mut kv) if kv.len() == 2 => {
                            let v = kv.pop();
                            let k = kv.pop();
                            if let (Some(k), Some(v)) = (k, v) {
                                entries.push((k, v));
                            }
                        }
                        Ok(_) => {}
                        Err(e) => errors.extend(e),
                    }
                }
                if errors.is_empty() {
                    Ok(Expr::node(ExprKind::Map(entries), r))
                } else {
                    Err(errors)
                }
            }
            Rule::expr => self.expr(pair),
            other => Err(self.error(
                Code::ExprSyntax,
                format!("unexpected {}", rule_word(other)),
                r,
            )),
        }
    }
}

fn pratt() -> PrattParser<Rule> {
    PrattParser::new()
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::infix(Rule::eq_op, Assoc::Left)
            | Op::infix(Rule::ne_op, Assoc::Left)
            | Op::infix(Rule::lt_op, Assoc::Left)
            | Op::infix(Rule::le_op, Assoc::Left)
            | Op::infix(Rule::gt_op, Assoc::Left)
            | Op::infix(Rule::ge_op, Assoc::Left)
            | Op::infix(Rule::in_op, Assoc::Left))
        .op(Op::infix(Rule::add_op, Assoc::Left) | Op::infix(Rule::sub_op, Assoc::Left))
        .op(Op::infix(Rule::mul_op, Assoc::Left)
            | Op::infix(Rule::div_op, Assoc::Left)
            | Op::infix(Rule::rem_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op) | Op::prefix(Rule::neg_op))
        .op(Op::postfix(Rule::member) | Op::postfix(Rule::member_call) | Op::postfix(Rule::index))
}

/// What a grammar rule is called in an error message.
fn rule_word(rule: Rule) -> &'static str {
    match rule {
        Rule::or_op
        | Rule::and_op
        | Rule::eq_op
        | Rule::ne_op
        | Rule::le_op
        | Rule::ge_op
        | Rule::lt_op
        | Rule::gt_op
        | Rule::in_op
        | Rule::add_op
        | Rule::sub_op
        | Rule::mul_op
        | Rule::div_op
        | Rule::rem_op => "an operator",
        Rule::rparen => "`)`",
        Rule::lparen => "`(`",
        Rule::rbracket => "`]`",
        Rule::lbracket => "`[`",
        Rule::rbrace => "`}`",
        Rule::lbrace => "`{`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::question => "`?`",
        Rule::dot | Rule::member | Rule::member_call => "`.`",
        Rule::index => "`[`",
        Rule::ident => "a name",
        Rule::EOI => "the end of the expression",
        _ => "an expression",
    }
}

fn error_position(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
}

fn syntax_error(e: &pest::error::Error<Rule>, text: &str, origin: &Origin) -> Diagnostic {
    let pos = error_position(e);
    let mut expected: Vec<&'static str> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            let w = rule_word(*r);
            if !expected.contains(&w) {
                expected.push(w);
            }
        }
    }
    // "an expression" already covers names, literals and brackets.
    if expected.contains(&"an expression") {
        expected.retain(|w| !matches!(*w, "a name" | "`(`" | "`[`" | "`{`"));
    }
    let found = text.get(pos..).and_then(|s| s.chars().next());
    let what = match found {
        None => "unexpected end of expression".to_string(),
        Some('"') | Some('\'')
            if !text[pos + 1..].contains(text[pos..].chars().next().unwrap_or('"')) =>
        {
            "text is not closed".to_string()
        }
        Some(c) => format!("unexpected `{c}`"),
    };
    let unclosed_text = what == "text is not closed";
    let message = match expected.as_slice() {
        _ if unclosed_text => what,
        [] => what,
        [one] => format!("{what}, expected {one}"),
        [init @ .., last] => format!("{what}, expected {} or {last}", init.join(", ")),
    };
    let width = found.map(char::len_utf8).unwrap_or(0);
    let mut d =
        Diagnostic::error(Code::ExprSyntax, message).at(origin.span(Range::new(pos, pos + width)));
    let help = match found {
        None if expected.contains(&"an expression") => {
            "the expression stops too early: an operand is missing".to_string()
        }
        None if expected.contains(&"`)`") => "a `(` is not closed: add `)`".to_string(),
        None if expected.contains(&"`]`") => "a `[` is not closed: add `]`".to_string(),
        None if expected.contains(&"`}`") => "a `{` is not closed: add `}`".to_string(),
        None => "the expression stops too early".to_string(),
        Some('=') => "compare with `==`; a single `=` is not an operator".to_string(),
        Some(c @ ('\'' | '"')) => format!("close the text with a matching `{c}`"),
        Some(')') => "this `)` has no matching `(`".to_string(),
        Some(']') => "this `]` has no matching `[`".to_string(),
        Some('}') => "this `}` has no matching `{`".to_string(),
        Some(_) => "see the README's expression reference for what may appear here".to_string(),
    };
    d = d.with_help(help);
    d
}
