//! Evaluating a compiled [`Program`] against an [`Env`]. No parsing, no name lookups, no heap
//! allocation unless the expression itself builds a list, a map or a text.

use rust_decimal::Decimal;
use std::sync::Arc;

use super::Env;
use super::ir::{ArithOp, Builtin, CmpOp, MacroKind, Node, Op, Program};
use super::value::{Text, Value};
use crate::limits::Limits;
use crate::syntax::ast::Range;

/// Why an evaluation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalErrorKind {
    Overflow,
    DivisionByZero,
    NoSuchKey,
    IndexOutOfRange,
    NoMatchingOverload,
    BadConversion,
    BadRegex,
    LimitExceeded,
    DuplicateKey,
}

impl EvalErrorKind {
    /// Stable code, shown in decisions and `--explain`.
    pub fn code(self) -> &'static str {
        match self {
            EvalErrorKind::Overflow => "eval.overflow",
            EvalErrorKind::DivisionByZero => "eval.division_by_zero",
            EvalErrorKind::NoSuchKey => "eval.no_such_key",
            EvalErrorKind::IndexOutOfRange => "eval.index_out_of_range",
            EvalErrorKind::NoMatchingOverload => "eval.no_matching_overload",
            EvalErrorKind::BadConversion => "eval.bad_conversion",
            EvalErrorKind::BadRegex => "eval.bad_regex",
            EvalErrorKind::LimitExceeded => "eval.limit_exceeded",
            EvalErrorKind::DuplicateKey => "eval.duplicate_key",
        }
    }
}

/// An evaluation error with the part of the expression that raised it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    pub kind: EvalErrorKind,
    pub message: String,
    /// Byte range inside the expression's text.
    pub range: Range,
}

type R<'a> = Result<Value<'a>, EvalError>;

fn err<'a>(kind: EvalErrorKind, message: impl Into<String>, node: &Node) -> R<'a> {
    Err(EvalError {
        kind,
        message: message.into(),
        range: node.range,
    })
}

fn overload<'a>(op: &str, a: &Value<'_>, b: &Value<'_>, node: &Node) -> R<'a> {
    err(
        EvalErrorKind::NoMatchingOverload,
        format!(
            "no matching overload for `{op}` on {} and {}",
            a.type_name(),
            b.type_name()
        ),
        node,
    )
}

use crate::limits::MAX_LOCALS;

struct Machine<'e, 'a, E: Env<'a> + ?Sized> {
    env: &'e E,
    limits: &'e Limits,
    locals: [Value<'a>; MAX_LOCALS],
    steps: u32,
    /// The last pattern a `matches` built at run time, compiled: a comprehension that matches
    /// against the same pattern every turn compiles it once.
    last_regex: Option<(String, regex::Regex)>,
}

impl Program {
    /// Evaluates the program. The same program, environment and limits always give the same
    /// result.
    pub fn eval<'a, E: Env<'a> + ?Sized>(
        &self,
        env: &E,
        limits: &Limits,
    ) -> Result<Value<'a>, EvalError> {
        let mut m = Machine {
            env,
            limits,
            locals: std::array::from_fn(|_| Value::Null),
            steps: 0,
            last_regex: None,
        };
        m.eval(&self.root)
    }
}

impl<'a, E: Env<'a> + ?Sized> Machine<'_, 'a, E> {
    /// Charges `n` more steps (work that grows with its input, such as compiling a pattern).
    fn charge(&mut self, n: usize, node: &Node) -> Result<(), EvalError> {
        self.steps = self
            .steps
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        if self.steps > self.limits.max_eval_steps {
            return Err(EvalError {
                kind: EvalErrorKind::LimitExceeded,
                message: format!(
                    "evaluation took more than {} steps",
                    self.limits.max_eval_steps
                ),
                range: node.range,
            });
        }
        Ok(())
    }

    /// `s.matches(pattern)` with a pattern built at run time: bounded by the run-time pattern
    /// limits, charged by the pattern's and the text's size, compiled once while the pattern
    /// stays the same.
    fn matches_dynamic(&mut self, s: &str, pattern: &str, node: &Node) -> Result<bool, EvalError> {
        if pattern.len() > self.limits.max_dynamic_regex_len {
            return Err(EvalError {
                kind: EvalErrorKind::BadRegex,
                message: format!(
                    "a pattern built while evaluating is {} bytes, more than the {} allowed; write the pattern as a literal",
                    pattern.len(),
                    self.limits.max_dynamic_regex_len
                ),
                range: node.range,
            });
        }
        self.charge(s.len() / 64, node)?;
        if let Some((p, re)) = &self.last_regex {
            if p == pattern {
                return Ok(re.is_match(s));
            }
        }
        self.charge(pattern.len().saturating_mul(4), node)?;
        let re = regex::RegexBuilder::new(pattern)
            .size_limit(self.limits.max_dynamic_regex_size)
            .build()
            .map_err(|e| EvalError {
                kind: EvalErrorKind::BadRegex,
                message: format!("bad regular expression: {e}"),
                range: node.range,
            })?;
        let found = re.is_match(s);
        self.last_regex = Some((pattern.to_string(), re));
        Ok(found)
    }

    fn tick(&mut self, node: &Node) -> Result<(), EvalError> {
        self.steps += 1;
        if self.steps > self.limits.max_eval_steps {
            return Err(EvalError {
                kind: EvalErrorKind::LimitExceeded,
                message: format!(
                    "evaluation took more than {} steps",
                    self.limits.max_eval_steps
                ),
                range: node.range,
            });
        }
        Ok(())
    }

    fn bool(&mut self, node: &Node) -> Result<bool, EvalError> {
        match self.eval(node)? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError {
                kind: EvalErrorKind::NoMatchingOverload,
                message: format!("expected a bool, found {}", other.type_name()),
                range: node.range,
            }),
        }
    }

    fn eval(&mut self, node: &Node) -> R<'a> {
        self.tick(node)?;
        match &node.op {
            Op::Const(v) => Ok(v.clone()),
            Op::Load(slot) => Ok(self.env.load(*slot)),
            Op::Present(slot) => Ok(Value::Bool(!matches!(self.env.load(*slot), Value::Null))),
            Op::Local(i) => Ok(self.locals.get(*i as usize).cloned().unwrap_or(Value::Null)),
            Op::Not(e) => Ok(Value::Bool(!self.bool(e)?)),
            Op::Neg(e) => match self.eval(e)? {
                Value::Int(i) => match i.checked_neg() {
                    Some(v) => Ok(Value::Int(v)),
                    None => err(EvalErrorKind::Overflow, "integer overflow", node),
                },
                Value::Dec(d) => Ok(Value::Dec(-d)),
                other => err(
                    EvalErrorKind::NoMatchingOverload,
                    format!("no matching overload for `-` on {}", other.type_name()),
                    node,
                ),
            },
            Op::Arith(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                self.arith(*op, a, b, node)
            }
            Op::Cmp(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                let Some(ord) = a.compare(&b) else {
                    let sym = match op {
                        CmpOp::Lt => "<",
                        CmpOp::Le => "<=",
                        CmpOp::Gt => ">",
                        CmpOp::Ge => ">=",
                    };
                    return overload(sym, &a, &b, node);
                };
                Ok(Value::Bool(match op {
                    CmpOp::Lt => ord.is_lt(),
                    CmpOp::Le => ord.is_le(),
                    CmpOp::Gt => ord.is_gt(),
                    CmpOp::Ge => ord.is_ge(),
                }))
            }
            Op::Eq(a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                Ok(Value::Bool(a.equals(&b)))
            }
            Op::Ne(a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                Ok(Value::Bool(!a.equals(&b)))
            }
            // CEL: an error on one side is absorbed when the other side decides the result.
            Op::And(a, b) => match self.bool(a) {
                Ok(false) => Ok(Value::Bool(false)),
                Ok(true) => Ok(Value::Bool(self.bool(b)?)),
                Err(e) => match self.bool(b) {
                    Ok(false) => Ok(Value::Bool(false)),
                    _ => Err(e),
                },
            },
            Op::Or(a, b) => match self.bool(a) {
                Ok(true) => Ok(Value::Bool(true)),
                Ok(false) => Ok(Value::Bool(self.bool(b)?)),
                Err(e) => match self.bool(b) {
                    Ok(true) => Ok(Value::Bool(true)),
                    _ => Err(e),
                },
            },
            Op::Cond(c, t, f) => {
                if self.bool(c)? {
                    self.eval(t)
                } else {
                    self.eval(f)
                }
            }
            Op::In(elem, coll) => {
                let elem = self.eval(elem)?;
                match self.eval(coll)? {
                    Value::List(items) => Ok(Value::Bool(items.iter().any(|v| v.equals(&elem)))),
                    Value::Map(entries) => {
                        Ok(Value::Bool(entries.iter().any(|(k, _)| k.equals(&elem))))
                    }
                    other => overload("in", &elem, &other, node),
                }
            }
            Op::Index(coll, idx) => {
                let coll = self.eval(coll)?;
                let idx = self.eval(idx)?;
                match (&coll, &idx) {
                    (Value::List(items), Value::Int(i)) => {
                        match usize::try_from(*i).ok().and_then(|i| items.get(i)) {
                            Some(v) => Ok(v.clone()),
                            None => err(
                                EvalErrorKind::IndexOutOfRange,
                                format!("index {i} is out of range for a list of {}", items.len()),
                                node,
                            ),
                        }
                    }
                    (Value::Map(entries), key) => match entries.iter().find(|(k, _)| k.equals(key))
                    {
                        Some((_, v)) => Ok(v.clone()),
                        None => err(
                            EvalErrorKind::NoSuchKey,
                            format!("no such key: {key}"),
                            node,
                        ),
                    },
                    _ => overload("[]", &coll, &idx, node),
                }
            }
            Op::Field(m, key) => match self.eval(m)? {
                Value::Map(entries) => {
                    match entries
                        .iter()
                        .find(|(k, _)| matches!(k, Value::Str(s) if s.as_str() == &**key))
                    {
                        Some((_, v)) => Ok(v.clone()),
                        None => err(
                            EvalErrorKind::NoSuchKey,
                            format!("no such key: `{key}`"),
                            node,
                        ),
                    }
                }
                other => err(
                    EvalErrorKind::NoMatchingOverload,
                    format!("cannot select `{key}` from {}", other.type_name()),
                    node,
                ),
            },
            Op::HasField(m, key) => match self.eval(m)? {
                Value::Map(entries) => {
                    Ok(Value::Bool(entries.iter().any(
                        |(k, _)| matches!(k, Value::Str(s) if s.as_str() == &**key),
                    )))
                }
                other => err(
                    EvalErrorKind::NoMatchingOverload,
                    format!("`has` needs a map, found {}", other.type_name()),
                    node,
                ),
            },
            Op::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.eval(item)?);
                }
                Ok(Value::List(out.into()))
            }
            Op::Map(entries) => {
                let mut out: Vec<(Value<'a>, Value<'a>)> = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = self.eval(k)?;
                    if !matches!(k, Value::Int(_) | Value::Str(_) | Value::Bool(_)) {
                        return err(
                            EvalErrorKind::NoMatchingOverload,
                            format!(
                                "a map key must be int, string or bool, not {}",
                                k.type_name()
                            ),
                            node,
                        );
                    }
                    if out.iter().any(|(k2, _)| k2.equals(&k)) {
                        return err(
                            EvalErrorKind::DuplicateKey,
                            format!("duplicate map key {k}"),
                            node,
                        );
                    }
                    let v = self.eval(v)?;
                    out.push((k, v));
                }
                Ok(Value::Map(out.into()))
            }
            Op::Call(f, args) => self.call(*f, args, node),
            Op::Matches(s, re) => match self.eval(s)? {
                Value::Str(s) => Ok(Value::Bool(re.is_match(s.as_str()))),
                other => err(
                    EvalErrorKind::NoMatchingOverload,
                    format!("`matches` needs a string, found {}", other.type_name()),
                    node,
                ),
            },
            Op::Comprehension {
                kind,
                range,
                var,
                filter,
                body,
            } => self.comprehension(*kind, range, *var, filter.as_deref(), body, node),
        }
    }

    fn check_len(&self, len: usize, node: &Node) -> Result<(), EvalError> {
        if len > self.limits.max_collection_len {
            return Err(EvalError {
                kind: EvalErrorKind::LimitExceeded,
                message: format!(
                    "a list would hold {len} items, more than the limit of {}",
                    self.limits.max_collection_len
                ),
                range: node.range,
            });
        }
        Ok(())
    }

    fn arith(&self, op: ArithOp, a: Value<'a>, b: Value<'a>, node: &Node) -> R<'a> {
        let sym = match op {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        };
        match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => {
                let (x, y) = (*x, *y);
                if y == 0 && matches!(op, ArithOp::Div | ArithOp::Rem) {
                    let what = if op == ArithOp::Div {
                        "division by zero"
                    } else {
                        "modulus by zero"
                    };
                    return err(EvalErrorKind::DivisionByZero, what, node);
                }
                let r = match op {
                    ArithOp::Add => x.checked_add(y),
                    ArithOp::Sub => x.checked_sub(y),
                    ArithOp::Mul => x.checked_mul(y),
                    ArithOp::Div => x.checked_div(y),
                    ArithOp::Rem => x.checked_rem(y),
                };
                match r {
                    Some(v) => Ok(Value::Int(v)),
                    None => err(EvalErrorKind::Overflow, "integer overflow", node),
                }
            }
            (Value::Int(_) | Value::Dec(_), Value::Int(_) | Value::Dec(_)) => {
                let x = as_decimal(&a);
                let y = as_decimal(&b);
                if y.is_zero() && matches!(op, ArithOp::Div | ArithOp::Rem) {
                    return err(EvalErrorKind::DivisionByZero, "division by zero", node);
                }
                let r = match op {
                    ArithOp::Add => x.checked_add(y),
                    ArithOp::Sub => x.checked_sub(y),
                    ArithOp::Mul => x.checked_mul(y),
                    ArithOp::Div => x.checked_div(y),
                    ArithOp::Rem => x.checked_rem(y),
                };
                match r {
                    Some(v) => Ok(Value::Dec(v)),
                    None => err(EvalErrorKind::Overflow, "decimal overflow", node),
                }
            }
            (Value::Str(x), Value::Str(y)) if op == ArithOp::Add => {
                let len = x.as_str().len() + y.as_str().len();
                if len > self.limits.max_string_len {
                    return err(
                        EvalErrorKind::LimitExceeded,
                        format!(
                            "text would be {len} bytes long, more than the limit of {}",
                            self.limits.max_string_len
                        ),
                        node,
                    );
                }
                let mut s = String::with_capacity(len);
                s.push_str(x.as_str());
                s.push_str(y.as_str());
                Ok(Value::Str(Text::Shared(Arc::from(s))))
            }
            (Value::List(x), Value::List(y)) if op == ArithOp::Add => {
                self.check_len(x.len() + y.len(), node)?;
                Ok(Value::List(x.iter().chain(y.iter()).cloned().collect()))
            }
            _ => overload(sym, &a, &b, node),
        }
    }

    fn call(&mut self, f: Builtin, args: &[Node], node: &Node) -> R<'a> {
        let mut vals: [Value<'a>; 2] = [Value::Null, Value::Null];
        for (slot, arg) in vals.iter_mut().zip(args) {
            *slot = self.eval(arg)?;
        }
        let [a, b] = vals;
        let bad = |what: &str| {
            err(
                EvalErrorKind::NoMatchingOverload,
                format!("no matching overload for `{what}` on {}", a.type_name()),
                node,
            )
        };
        match f {
            Builtin::Size => match &a {
                Value::Str(s) => Ok(Value::Int(count(s.as_str().chars().count()))),
                Value::List(l) => Ok(Value::Int(count(l.len()))),
                Value::Map(m) => Ok(Value::Int(count(m.len()))),
                _ => bad("size"),
            },
            Builtin::Contains
            | Builtin::StartsWith
            | Builtin::EndsWith
            | Builtin::MatchesDynamic => {
                let (Value::Str(s), Value::Str(t)) = (&a, &b) else {
                    return overload("contains", &a, &b, node);
                };
                let (s, t) = (s.as_str(), t.as_str());
                Ok(Value::Bool(match f {
                    Builtin::Contains => s.contains(t),
                    Builtin::StartsWith => s.starts_with(t),
                    Builtin::EndsWith => s.ends_with(t),
                    _ => self.matches_dynamic(s, t, node)?,
                }))
            }
            Builtin::ToInt => match &a {
                Value::Int(i) => Ok(Value::Int(*i)),
                Value::Dec(d) => match i64::try_from(d.trunc()) {
                    Ok(i) => Ok(Value::Int(i)),
                    Err(_) => err(
                        EvalErrorKind::Overflow,
                        format!("{d} does not fit in an int"),
                        node,
                    ),
                },
                Value::Str(s) => match s.as_str().parse::<i64>() {
                    Ok(i) => Ok(Value::Int(i)),
                    Err(_) => err(
                        EvalErrorKind::BadConversion,
                        format!("cannot read {:?} as an int", s.as_str()),
                        node,
                    ),
                },
                _ => bad("int"),
            },
            Builtin::ToDecimal => match &a {
                Value::Int(i) => Ok(Value::Dec(Decimal::from(*i))),
                Value::Dec(d) => Ok(Value::Dec(*d)),
                Value::Str(s) => match Decimal::from_str_exact(s.as_str()) {
                    Ok(d) => Ok(Value::Dec(d)),
                    Err(_) => err(
                        EvalErrorKind::BadConversion,
                        format!("cannot read {:?} as a decimal", s.as_str()),
                        node,
                    ),
                },
                _ => bad("decimal"),
            },
            Builtin::ToString => match &a {
                Value::Str(_) => Ok(a.clone()),
                Value::Int(_) | Value::Dec(_) | Value::Bool(_) => {
                    let text = match &a {
                        Value::Dec(d) => d.normalize().to_string(),
                        other => other.to_string(),
                    };
                    Ok(Value::Str(Text::Shared(Arc::from(text))))
                }
                _ => bad("string"),
            },
        }
    }

    fn comprehension(
        &mut self,
        kind: MacroKind,
        range: &Node,
        var: u8,
        filter: Option<&Node>,
        body: &Node,
        node: &Node,
    ) -> R<'a> {
        let items: Arc<[Value<'a>]> = match self.eval(range)? {
            Value::List(items) => items,
            Value::Map(entries) => entries.iter().map(|(k, _)| k.clone()).collect(),
            other => {
                return err(
                    EvalErrorKind::NoMatchingOverload,
                    format!("cannot iterate over {}", other.type_name()),
                    node,
                );
            }
        };
        let slot = var as usize;
        if slot >= MAX_LOCALS {
            return err(
                EvalErrorKind::LimitExceeded,
                "comprehensions nest too deeply",
                node,
            );
        }
        let mut first_error: Option<EvalError> = None;
        let mut count = 0i64;
        let mut out: Vec<Value<'a>> = Vec::new();
        for item in items.iter() {
            self.tick(node)?;
            self.locals[slot] = item.clone();
            match kind {
                MacroKind::All | MacroKind::Exists => match self.bool(body) {
                    Ok(b) if b == (kind == MacroKind::Exists) => return Ok(Value::Bool(b)),
                    Ok(_) => {}
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                },
                MacroKind::ExistsOne => {
                    if self.bool(body)? {
                        count += 1;
                    }
                }
                MacroKind::Filter => {
                    if self.bool(body)? {
                        out.push(item.clone());
                    }
                }
                MacroKind::Map => {
                    let keep = match filter {
                        Some(f) => self.bool(f)?,
                        None => true,
                    };
                    if keep {
                        out.push(self.eval(body)?);
                    }
                }
            }
        }
        self.locals[slot] = Value::Null;
        match kind {
            MacroKind::All | MacroKind::Exists => match first_error {
                Some(e) => Err(e),
                None => Ok(Value::Bool(kind == MacroKind::All)),
            },
            MacroKind::ExistsOne => Ok(Value::Bool(count == 1)),
            MacroKind::Map | MacroKind::Filter => Ok(Value::List(out.into())),
        }
    }
}

fn as_decimal(v: &Value<'_>) -> Decimal {
    match v {
        Value::Int(i) => Decimal::from(*i),
        Value::Dec(d) => *d,
        _ => Decimal::ZERO,
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
