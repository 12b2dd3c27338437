//! The checker proper: walks an expression once, resolving names to slots, giving every node a
//! type, and building the program's nodes as it goes.
//!
//! This file has the entry point (`check`), the `Checker` and its one place for diagnostics
//! (`report`, which stamps the span and a help line), the check of the result against what the
//! policy expects, literals, lists, maps and indexing, and name resolution (locals, the scope's
//! facts and groups, `.field` selections, with a "did you mean"). Operators are in `operators`,
//! function calls, `has` and the comprehension macros in `calls`.

use std::sync::Arc;

use super::Expect;
use super::scope::{Entry, Scope, ScopeNode};
use super::types::Type;
use crate::diag::{Code, Diagnostic};
use crate::expr::{Node, Op, Program, Value};
use crate::limits::Limits;
use crate::syntax::Origin;
use crate::syntax::ast::{Expr, ExprKind, Name, Range};

mod calls;
mod operators;

pub(super) fn check(
    ast: &Expr,
    text: &str,
    origin: &Origin,
    scope: &Scope,
    expect: Expect,
    limits: &Limits,
) -> Result<(Program, Type), Vec<Diagnostic>> {
    let mut c = Checker {
        origin,
        scope,
        limits,
        locals: Vec::new(),
        diags: Vec::new(),
    };
    let result = c.expr(ast);
    if let Ok((_, ty)) = &result {
        c.expect(ty, expect, ast.range);
    }
    match result {
        Ok((root, ty)) if c.diags.is_empty() => Ok((
            Program {
                root,
                source: Arc::from(text),
            },
            ty,
        )),
        _ => Err(c.diags),
    }
}

/// Marker that a diagnostic has already been recorded for this subtree.
struct Reported;

type Checked = Result<(Node, Type), Reported>;

struct Checker<'a> {
    origin: &'a Origin,
    scope: &'a Scope,
    limits: &'a Limits,
    /// Comprehension variables in scope, innermost last.
    locals: Vec<(String, Type)>,
    diags: Vec<Diagnostic>,
}

/// What a name or path refers to.
enum Resolved<'s> {
    Group(&'s [Entry], String, Option<(Code, &'static str)>),
    Value(Node, Type),
}

fn node(op: Op, range: Range) -> Node {
    Node { op, range }
}

impl<'a> Checker<'a> {
    /// The single place diagnostics are recorded: stamps the location and makes sure every
    /// diagnostic carries a help line.
    fn report(&mut self, d: Diagnostic, r: Range) -> Reported {
        let d = if d.help.is_none() {
            let help = match d.code {
                Code::TypeMismatch => {
                    "check the kinds of the values here; convert with `int()`, `decimal()` or `string()` where needed"
                }
                Code::WrongArity => "see the function list in the README's expression reference",
                Code::UnknownName => "nothing is in scope here under that name",
                Code::UnknownField => "only maps have fields; check the name of the value",
                _ => "see the README's expression reference",
            };
            d.with_help(help)
        } else {
            d
        };
        self.diags.push(d.or_at(self.origin.span(r)));
        Reported
    }

    fn ty(&self, t: &Type) -> String {
        t.display(&self.scope.units).to_string()
    }

    fn expect(&mut self, ty: &Type, expect: Expect, r: Range) {
        let ok = match expect {
            Expect::Any => true,
            Expect::Bool => matches!(ty, Type::Bool | Type::Dyn),
            Expect::Amount(u) => match ty {
                Type::Amount(v) => *v == u,
                t => t.is_plain_number() || *t == Type::Dyn,
            },
        };
        if ok {
            return;
        }
        let (want, help) = match expect {
            Expect::Bool => (
                "a condition (bool)".to_string(),
                "compare with `==`, `<`, `>` ... to get true or false".to_string(),
            ),
            Expect::Amount(u) => {
                let unit = self
                    .scope
                    .units
                    .get(u.0 as usize)
                    .cloned()
                    .unwrap_or_default();
                (
                    format!("an amount of `{unit}`"),
                    match ty {
                        Type::Amount(_) => format!(
                            "this is an amount of another unit; costs here are counted in `{unit}`"
                        ),
                        _ => "write a number or an arithmetic expression".to_string(),
                    },
                )
            }
            Expect::Any => (String::new(), String::new()),
        };
        let code = if matches!((ty, expect), (Type::Amount(_), Expect::Amount(_))) {
            Code::UnitMismatch
        } else {
            Code::WrongResultType
        };
        let d = Diagnostic::error(code, format!("expected {want}, found {}", self.ty(ty)))
            .with_help(help);
        self.report(d, r);
    }

    fn expr(&mut self, e: &Expr) -> Checked {
        let r = e.range;
        match &e.kind {
            ExprKind::Null => Ok((node(Op::Const(Value::Null), r), Type::Null)),
            ExprKind::Bool(b) => Ok((node(Op::Const(Value::Bool(*b)), r), Type::Bool)),
            ExprKind::Int(v) => match i64::try_from(*v) {
                Ok(i) => Ok((node(Op::Const(Value::Int(i)), r), Type::Int)),
                Err(_) => Err(self.report(
                    Diagnostic::error(
                        Code::BadLiteral,
                        format!("integer `{v}` does not fit in 64 bits"),
                    )
                    .with_help("integers range from -9223372036854775808 to 9223372036854775807"),
                    r,
                )),
            },
            ExprKind::Decimal(d) => Ok((node(Op::Const(Value::Dec(*d)), r), Type::Dec)),
            ExprKind::Str(s) => Ok((node(Op::Const(Value::shared_str(s)), r), Type::Str)),
            ExprKind::Ident(_) | ExprKind::Select(..) => match self.resolve(e)? {
                Resolved::Value(n, t) => Ok((n, t)),
                Resolved::Group(entries, path, _) => {
                    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                    let help = if names.is_empty() {
                        format!("`{path}` has no facts in this policy")
                    } else {
                        format!(
                            "pick one of its facts: {}",
                            names
                                .iter()
                                .map(|n| format!("`{path}.{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    Err(self.report(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            format!("`{path}` is a group of facts, not a value"),
                        )
                        .with_help(help),
                        r,
                    ))
                }
            },
            ExprKind::Index(coll, idx) => {
                let c = self.expr(coll);
                let i = self.expr(idx);
                let ((cn, ct), (in_, it)) = (c?, i?);
                let ty = match (&ct, &it) {
                    (Type::List(t), Type::Int | Type::Dyn) => (**t).clone(),
                    (Type::Map(k, v), key) if self.comparable(k, key) => (**v).clone(),
                    (Type::Dyn, _) => Type::Dyn,
                    _ => {
                        return Err(self.report(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("cannot index {} with {}", self.ty(&ct), self.ty(&it)),
                            ),
                            r,
                        ));
                    }
                };
                Ok((node(Op::Index(Box::new(cn), Box::new(in_)), r), ty))
            }
            ExprKind::List(items) => {
                let mut nodes = Vec::new();
                let mut ty: Option<Type> = None;
                let mut failed = false;
                for item in items {
                    match self.expr(item) {
                        Ok((n, t)) => {
                            ty = Some(match ty {
                                None => t,
                                Some(prev) => prev.unify(&t),
                            });
                            nodes.push(n);
                        }
                        Err(Reported) => failed = true,
                    }
                }
                if failed {
                    return Err(Reported);
                }
                let ty = Type::List(Box::new(ty.unwrap_or(Type::Dyn)));
                Ok((fold_list(nodes, r), ty))
            }
            ExprKind::Map(entries) => {
                let mut nodes = Vec::new();
                let mut kt: Option<Type> = None;
                let mut vt: Option<Type> = None;
                let mut failed = false;
                for (k, v) in entries {
                    let kc = self.expr(k);
                    let vc = self.expr(v);
                    match (kc, vc) {
                        (Ok((kn, ktt)), Ok((vn, vtt))) => {
                            if !matches!(ktt, Type::Int | Type::Str | Type::Bool | Type::Dyn) {
                                self.report(
                                    Diagnostic::error(
                                        Code::TypeMismatch,
                                        format!(
                                            "a map key must be int, string or bool, not {}",
                                            self.ty(&ktt)
                                        ),
                                    ),
                                    k.range,
                                );
                                failed = true;
                            }
                            kt = Some(kt.map_or(ktt.clone(), |p| p.unify(&ktt)));
                            vt = Some(vt.map_or(vtt.clone(), |p| p.unify(&vtt)));
                            nodes.push((kn, vn));
                        }
                        _ => failed = true,
                    }
                }
                if failed {
                    return Err(Reported);
                }
                let ty = Type::Map(
                    Box::new(kt.unwrap_or(Type::Dyn)),
                    Box::new(vt.unwrap_or(Type::Dyn)),
                );
                Ok((node(Op::Map(nodes), r), ty))
            }
            ExprKind::Unary(op, inner) => self.unary(*op, inner, r),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, r),
            ExprKind::Cond(c, t, f) => self.cond(c, t, f, r),
            ExprKind::Call { target, func, args } => self.call(target.as_deref(), func, args, r),
        }
    }

    /// Resolves an identifier or a chain of `.field` selections.
    fn resolve(&mut self, e: &Expr) -> Result<Resolved<'a>, Reported> {
        match &e.kind {
            ExprKind::Ident(name) => {
                if let Some(i) = self.locals.iter().rposition(|(n, _)| n == name) {
                    let ty = self.locals[i].1.clone();
                    let slot = u8::try_from(i).unwrap_or(u8::MAX);
                    return Ok(Resolved::Value(node(Op::Local(slot), e.range), ty));
                }
                let scope: &'a Scope = self.scope;
                match scope.roots.iter().find(|en| &en.name == name) {
                    Some(entry) => Ok(self.entry(entry, name.clone(), e.range)),
                    None => {
                        let mut d =
                            Diagnostic::error(Code::UnknownName, format!("unknown name `{name}`"));
                        if let Some((_, help)) = scope.elsewhere.iter().find(|(n, _)| n == name) {
                            d = d.with_help(help.clone());
                        } else {
                            let candidates: Vec<&str> = scope
                                .roots
                                .iter()
                                .map(|en| en.name.as_str())
                                .chain(self.locals.iter().map(|(n, _)| n.as_str()))
                                .collect();
                            d = d.suggest(name, candidates.iter().copied());
                            if d.help.is_none() && candidates.is_empty() {
                                d = d.with_help("no names are in scope here");
                            } else if d.help.is_none() {
                                d = d.with_help(format!(
                                    "names in scope here: {}",
                                    candidates
                                        .iter()
                                        .map(|c| format!("`{c}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ));
                            }
                        }
                        Err(self.report(d, e.range))
                    }
                }
            }
            ExprKind::Select(inner, field) => {
                let base = match &inner.kind {
                    ExprKind::Ident(_) | ExprKind::Select(..) => self.resolve(inner)?,
                    _ => {
                        let (n, t) = self.expr(inner)?;
                        Resolved::Value(n, t)
                    }
                };
                match base {
                    Resolved::Group(entries, path, members) => {
                        match entries.iter().find(|en| en.name == field.text) {
                            Some(entry) => {
                                Ok(self.entry(entry, format!("{path}.{}", field.text), e.range))
                            }
                            None => {
                                let d = match members {
                                    Some((code, noun)) => Diagnostic::error(
                                        code,
                                        format!("unknown {noun} `{}` in `{path}`", field.text),
                                    ),
                                    None => Diagnostic::error(
                                        Code::UnknownField,
                                        format!("`{path}` has no field `{}`", field.text),
                                    ),
                                }
                                .suggest(&field.text, entries.iter().map(|en| en.name.as_str()));
                                let d = if d.help.is_none() {
                                    let names: Vec<String> =
                                        entries.iter().map(|en| format!("`{}`", en.name)).collect();
                                    match (names.is_empty(), members) {
                                        (true, _) => d.with_help(format!(
                                            "`{path}` has no fields in this policy"
                                        )),
                                        (false, Some((_, noun))) => d.with_help(format!(
                                            "declared {noun}s: {}",
                                            names.join(", ")
                                        )),
                                        (false, None) => d.with_help(format!(
                                            "fields of `{path}`: {}",
                                            names.join(", ")
                                        )),
                                    }
                                } else {
                                    d
                                };
                                Err(self.report(d, field.range))
                            }
                        }
                    }
                    Resolved::Value(n, t) => self
                        .select_value(n, t, field, e.range)
                        .map(|(n, t)| Resolved::Value(n, t)),
                }
            }
            _ => {
                let (n, t) = self.expr(e)?;
                Ok(Resolved::Value(n, t))
            }
        }
    }

    fn entry(&mut self, entry: &'a Entry, path: String, r: Range) -> Resolved<'a> {
        match &entry.node {
            ScopeNode::Fact { slot, ty } => Resolved::Value(node(Op::Load(*slot), r), ty.clone()),
            ScopeNode::Group(children) => Resolved::Group(children, path, entry.members),
        }
    }

    fn select_value(&mut self, n: Node, t: Type, field: &Name, r: Range) -> Checked {
        let ty = match &t {
            Type::Map(k, v) if matches!(**k, Type::Str | Type::Dyn) => (**v).clone(),
            Type::Dyn => Type::Dyn,
            _ => {
                return Err(self.report(
                    Diagnostic::error(
                        Code::UnknownField,
                        format!("{} has no field `{}`", self.ty(&t), field.text),
                    ),
                    field.range,
                ));
            }
        };
        Ok((
            node(Op::Field(Box::new(n), Arc::from(field.text.as_str())), r),
            ty,
        ))
    }
}

/// A list literal of constants becomes one constant, so `x in ["a", "b"]` allocates nothing.
fn fold_list(nodes: Vec<Node>, r: Range) -> Node {
    if nodes.iter().all(|n| matches!(n.op, Op::Const(_))) {
        let values: Vec<Value<'static>> = nodes
            .into_iter()
            .filter_map(|n| match n.op {
                Op::Const(v) => Some(v),
                _ => None,
            })
            .collect();
        return node(Op::Const(Value::List(values.into())), r);
    }
    node(Op::List(nodes), r)
}
