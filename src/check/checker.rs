//! The checker proper: one method per kind of expression node.

use std::sync::Arc;

use super::Expect;
use super::scope::{Entry, Scope, ScopeNode};
use super::types::Type;
use crate::diag::{Code, Diagnostic};
use crate::expr::{ArithOp, Builtin, CmpOp, MacroKind, Node, Op, Program, Value};
use crate::limits::Limits;
use crate::syntax::Origin;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Name, Range, UnaryOp};

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
            ExprKind::Unary(op, inner) => {
                let (n, t) = self.expr(inner)?;
                match op {
                    UnaryOp::Not => {
                        if !matches!(t, Type::Bool | Type::Dyn) {
                            return Err(self.report(
                                Diagnostic::error(
                                    Code::TypeMismatch,
                                    format!("`!` needs a bool, found {}", self.ty(&t)),
                                )
                                .with_help(
                                    "`!` negates a condition; compare first, like `!(x > 0)`",
                                ),
                                r,
                            ));
                        }
                        Ok((node(Op::Not(Box::new(n)), r), Type::Bool))
                    }
                    UnaryOp::Neg => {
                        if !(t.is_numeric() || t == Type::Dyn) {
                            return Err(self.report(
                                Diagnostic::error(
                                    Code::TypeMismatch,
                                    format!("`-` needs a number, found {}", self.ty(&t)),
                                ),
                                r,
                            ));
                        }
                        Ok((node(Op::Neg(Box::new(n)), r), t))
                    }
                }
            }
            ExprKind::Binary(op, a, b) => {
                let ac = self.expr(a);
                let bc = self.expr(b);
                let ((an, at), (bn, bt)) = (ac?, bc?);
                self.binary(*op, an, at, bn, bt, r, a.range, b.range)
            }
            ExprKind::Cond(c, t, f) => {
                let cc = self.expr(c);
                let tc = self.expr(t);
                let fc = self.expr(f);
                let ((cn, ct), (tn, tt), (fn_, ft)) = (cc?, tc?, fc?);
                if !matches!(ct, Type::Bool | Type::Dyn) {
                    return Err(self.report(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            format!(
                                "the condition before `?` must be a bool, found {}",
                                self.ty(&ct)
                            ),
                        ),
                        c.range,
                    ));
                }
                if let (Type::Amount(x), Type::Amount(y)) = (&tt, &ft) {
                    if x != y {
                        return Err(self.unit_mismatch("the two branches of `?:`", &tt, &ft, r));
                    }
                }
                let ty = tt.unify(&ft);
                Ok((
                    node(Op::Cond(Box::new(cn), Box::new(tn), Box::new(fn_)), r),
                    ty,
                ))
            }
            ExprKind::Call { target, func, args } => self.call(target.as_deref(), func, args, r),
        }
    }

    fn unit_mismatch(&mut self, what: &str, a: &Type, b: &Type, r: Range) -> Reported {
        self.report(
            Diagnostic::error(
                Code::UnitMismatch,
                format!(
                    "units do not match in {what}: {} and {}",
                    self.ty(a),
                    self.ty(b)
                ),
            )
            .with_help(
                "amounts of different units cannot be combined; convert with an exchange instead",
            ),
            r,
        )
    }

    /// Whether `==` may compare the two types.
    fn comparable(&self, a: &Type, b: &Type) -> bool {
        match (a, b) {
            (Type::Dyn, _) | (_, Type::Dyn) | (Type::Null, _) | (_, Type::Null) => true,
            (Type::Amount(x), Type::Amount(y)) => x == y,
            (x, y) if x.is_numeric() && y.is_numeric() => true,
            (Type::List(x), Type::List(y)) => self.comparable(x, y),
            (Type::Map(k1, v1), Type::Map(k2, v2)) => {
                self.comparable(k1, k2) && self.comparable(v1, v2)
            }
            (x, y) => x == y,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn binary(
        &mut self,
        op: BinaryOp,
        an: Node,
        at: Type,
        bn: Node,
        bt: Type,
        r: Range,
        ar: Range,
        br: Range,
    ) -> Checked {
        let (a, b) = (Box::new(an), Box::new(bn));
        let sym = op.symbol();
        match op {
            BinaryOp::And | BinaryOp::Or => {
                for (t, rr) in [(&at, ar), (&bt, br)] {
                    if !matches!(t, Type::Bool | Type::Dyn) {
                        return Err(self.report(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("`{sym}` needs bools on both sides, found {}", self.ty(t)),
                            )
                            .with_help("compare the value with `==`, `<`, `>` ... to get a bool"),
                            rr,
                        ));
                    }
                }
                let op = if op == BinaryOp::And {
                    Op::And(a, b)
                } else {
                    Op::Or(a, b)
                };
                Ok((node(op, r), Type::Bool))
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if let (Type::Amount(x), Type::Amount(y)) = (&at, &bt) {
                    if x != y {
                        return Err(self.unit_mismatch(&format!("`{sym}`"), &at, &bt, r));
                    }
                }
                if !self.comparable(&at, &bt) {
                    return Err(self.report(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            format!(
                                "`{sym}` compares {} with {}, which are never equal",
                                self.ty(&at),
                                self.ty(&bt)
                            ),
                        ),
                        r,
                    ));
                }
                let op = if op == BinaryOp::Eq {
                    Op::Eq(a, b)
                } else {
                    Op::Ne(a, b)
                };
                Ok((node(op, r), Type::Bool))
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ok = match (&at, &bt) {
                    (Type::Amount(x), Type::Amount(y)) if x != y => {
                        return Err(self.unit_mismatch(&format!("`{sym}`"), &at, &bt, r));
                    }
                    (Type::Dyn, _) | (_, Type::Dyn) => true,
                    (x, y) if x.is_numeric() && y.is_numeric() => true,
                    (Type::Str, Type::Str) | (Type::Bool, Type::Bool) => true,
                    _ => false,
                };
                if !ok {
                    return Err(self.report(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            format!("`{sym}` cannot order {} and {}", self.ty(&at), self.ty(&bt)),
                        ),
                        r,
                    ));
                }
                let cmp = match op {
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Le => CmpOp::Le,
                    BinaryOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                Ok((node(Op::Cmp(cmp, a, b), r), Type::Bool))
            }
            BinaryOp::In => {
                let ok = match &bt {
                    Type::List(t) => self.comparable(&at, t),
                    Type::Map(k, _) => self.comparable(&at, k),
                    Type::Dyn => true,
                    _ => false,
                };
                if !ok {
                    return Err(self.report(
                        Diagnostic::error(Code::TypeMismatch, format!("`in` looks for {} in {}", self.ty(&at), self.ty(&bt)))
                            .with_help("the right side of `in` must be a list or a map of the same kind of value"),
                        r,
                    ));
                }
                Ok((node(Op::In(a, b), r), Type::Bool))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let ty = match (&at, &bt) {
                    (Type::Amount(x), Type::Amount(y)) => {
                        if x != y {
                            return Err(self.unit_mismatch(&format!("`{sym}`"), &at, &bt, r));
                        }
                        match op {
                            BinaryOp::Mul => {
                                return Err(self.report(
                                    Diagnostic::error(
                                        Code::UnitMismatch,
                                        "multiplying two amounts gives no unit",
                                    )
                                    .with_help("multiply an amount by a plain number instead"),
                                    r,
                                ));
                            }
                            BinaryOp::Div => Type::Dec,
                            _ => at.clone(),
                        }
                    }
                    (Type::Amount(u), n) | (n, Type::Amount(u)) if n.is_plain_number() => {
                        Type::Amount(*u)
                    }
                    (Type::Int, Type::Int) => Type::Int,
                    (x, y) if x.is_plain_number() && y.is_plain_number() => Type::Dec,
                    (Type::Str, Type::Str) if op == BinaryOp::Add => Type::Str,
                    (Type::List(x), Type::List(y)) if op == BinaryOp::Add => {
                        Type::List(Box::new(x.unify(y)))
                    }
                    (Type::Dyn, _) | (_, Type::Dyn) => Type::Dyn,
                    _ => {
                        return Err(self.report(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!(
                                    "`{sym}` cannot combine {} and {}",
                                    self.ty(&at),
                                    self.ty(&bt)
                                ),
                            ),
                            r,
                        ));
                    }
                };
                let aop = match op {
                    BinaryOp::Add => ArithOp::Add,
                    BinaryOp::Sub => ArithOp::Sub,
                    BinaryOp::Mul => ArithOp::Mul,
                    BinaryOp::Div => ArithOp::Div,
                    _ => ArithOp::Rem,
                };
                Ok((node(Op::Arith(aop, a, b), r), ty))
            }
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

    fn arity(&mut self, func: &Name, want: usize, got: usize, r: Range) -> Result<(), Reported> {
        if want == got {
            return Ok(());
        }
        Err(self.report(
            Diagnostic::error(
                Code::WrongArity,
                format!(
                    "`{}` takes {want} argument{}, found {got}",
                    func.text,
                    if want == 1 { "" } else { "s" }
                ),
            ),
            r,
        ))
    }

    fn call(&mut self, target: Option<&Expr>, func: &Name, args: &[Expr], r: Range) -> Checked {
        let name = func.text.as_str();
        // Macros first: their first argument is a variable name, not an expression.
        if let Some(kind) = macro_kind(name).filter(|_| target.is_some()) {
            let target = target.ok_or(Reported)?;
            return self.comprehension(kind, target, func, args, r);
        }
        if name == "has" && target.is_none() {
            self.arity(func, 1, args.len(), r)?;
            return self.has(&args[0], r);
        }
        // Methods: receiver becomes the first argument.
        let mut all: Vec<&Expr> = Vec::with_capacity(args.len() + 1);
        all.extend(target);
        all.extend(args.iter());
        let builtin = match name {
            "size" => Builtin::Size,
            "contains" => Builtin::Contains,
            "startsWith" => Builtin::StartsWith,
            "endsWith" => Builtin::EndsWith,
            "matches" => Builtin::MatchesDynamic,
            "int" => Builtin::ToInt,
            "string" => Builtin::ToString,
            "decimal" => Builtin::ToDecimal,
            _ => {
                let known = [
                    "size",
                    "contains",
                    "startsWith",
                    "endsWith",
                    "matches",
                    "int",
                    "string",
                    "decimal",
                    "has",
                    "all",
                    "exists",
                    "exists_one",
                    "map",
                    "filter",
                ];
                let d =
                    Diagnostic::error(Code::UnknownFunction, format!("unknown function `{name}`"))
                        .suggest_or_list(name, &known, "functions");
                return Err(self.report(d, func.range));
            }
        };
        let want = match builtin {
            Builtin::Size | Builtin::ToInt | Builtin::ToString | Builtin::ToDecimal => 1,
            _ => 2,
        };
        if all.len() != want {
            let shown = if target.is_some() { want - 1 } else { want };
            let got = if target.is_some() {
                all.len() - 1
            } else {
                all.len()
            };
            self.arity(func, shown, got, r)?;
        }
        let mut nodes = Vec::new();
        let mut types = Vec::new();
        let mut failed = false;
        for a in &all {
            match self.expr(a) {
                Ok((n, t)) => {
                    nodes.push(n);
                    types.push(t);
                }
                Err(Reported) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        let arg_ok = |t: &Type, allowed: &[Type]| {
            *t == Type::Dyn
                || allowed.contains(t)
                || (allowed.contains(&Type::Dec) && t.is_numeric())
        };
        let (allowed, result): (Vec<Type>, Type) = match builtin {
            Builtin::Size => (vec![Type::Str], Type::Int),
            Builtin::Contains
            | Builtin::StartsWith
            | Builtin::EndsWith
            | Builtin::MatchesDynamic => (vec![Type::Str], Type::Bool),
            Builtin::ToInt => (vec![Type::Int, Type::Dec, Type::Str], Type::Int),
            Builtin::ToString => (vec![Type::Int, Type::Dec, Type::Str, Type::Bool], Type::Str),
            Builtin::ToDecimal => (vec![Type::Int, Type::Dec, Type::Str], Type::Dec),
        };
        for (i, t) in types.iter().enumerate() {
            let ok = if builtin == Builtin::Size {
                matches!(t, Type::Str | Type::List(_) | Type::Map(..) | Type::Dyn)
            } else {
                arg_ok(t, &allowed)
            };
            if !ok {
                return Err(self.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("`{name}` does not accept {}", self.ty(t)),
                    ),
                    all[i].range,
                ));
            }
        }
        // A constant pattern is compiled once, now.
        if builtin == Builtin::MatchesDynamic {
            if let Op::Const(Value::Str(p)) = &nodes[1].op {
                let re = regex::RegexBuilder::new(p.as_str())
                    .size_limit(self.limits.max_regex_size)
                    .build();
                return match re {
                    Ok(re) => {
                        let subject = nodes.swap_remove(0);
                        Ok((
                            node(Op::Matches(Box::new(subject), Arc::new(re)), r),
                            Type::Bool,
                        ))
                    }
                    Err(e) => {
                        let detail = e.to_string();
                        let reason = detail
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim()
                            .trim_start_matches("error: ")
                            .to_string();
                        Err(self.report(
                            Diagnostic::error(
                                Code::BadRegex,
                                format!("invalid regular expression: {reason}"),
                            )
                            .with_help("patterns follow RE2 syntax, as in CEL"),
                            all[1].range,
                        ))
                    }
                };
            }
        }
        Ok((node(Op::Call(builtin, nodes), r), result))
    }

    fn has(&mut self, arg: &Expr, r: Range) -> Checked {
        let ExprKind::Select(inner, field) = &arg.kind else {
            return Err(self.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    "`has` needs a field selection like `has(request.params.x)`",
                ),
                arg.range,
            ));
        };
        match self.resolve(arg) {
            Ok(Resolved::Value(n, _)) => {
                // A declared fact: present unless null. A map field: the key exists.
                match n.op {
                    Op::Load(slot) => Ok((node(Op::Present(slot), r), Type::Bool)),
                    Op::Field(m, key) => Ok((node(Op::HasField(m, key), r), Type::Bool)),
                    _ => {
                        let _ = inner;
                        Err(self.report(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("cannot test `{}` with `has`", field.text),
                            ),
                            arg.range,
                        ))
                    }
                }
            }
            Ok(Resolved::Group(..)) => Ok((node(Op::Const(Value::Bool(true)), r), Type::Bool)),
            Err(rep) => Err(rep),
        }
    }

    fn comprehension(
        &mut self,
        kind: MacroKind,
        target: &Expr,
        func: &Name,
        args: &[Expr],
        r: Range,
    ) -> Checked {
        let want = if kind == MacroKind::Map && args.len() == 3 {
            3
        } else {
            2
        };
        self.arity(func, want, args.len(), r)?;
        let ExprKind::Ident(var) = &args[0].kind else {
            return Err(self.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "the first argument of `{}` must be a variable name",
                        func.text
                    ),
                ),
                args[0].range,
            ));
        };
        if self.locals.len() >= self.limits.max_comprehension_nesting.min(8) {
            return Err(self.report(
                Diagnostic::error(Code::ExprTooDeep, "comprehensions nest too deeply"),
                r,
            ));
        }
        let (range_node, range_ty) = self.expr(target)?;
        let elem = match &range_ty {
            Type::List(t) => (**t).clone(),
            Type::Map(k, _) => (**k).clone(),
            Type::Dyn => Type::Dyn,
            other => {
                return Err(self.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "`{}` iterates over a list or map, not {}",
                            func.text,
                            self.ty(other)
                        ),
                    ),
                    target.range,
                ));
            }
        };
        let level = u8::try_from(self.locals.len()).unwrap_or(u8::MAX);
        self.locals.push((var.clone(), elem));
        let filter = if want == 3 {
            Some(self.expr(&args[1]))
        } else {
            None
        };
        let body = self.expr(&args[want - 1]);
        self.locals.pop();
        let filter = match filter {
            Some(f) => {
                let (n, t) = f?;
                self.want_bool(&t, args[1].range)?;
                Some(Box::new(n))
            }
            None => None,
        };
        let (body_node, body_ty) = body?;
        let ty = match kind {
            MacroKind::All | MacroKind::Exists | MacroKind::ExistsOne | MacroKind::Filter => {
                self.want_bool(&body_ty, args[want - 1].range)?;
                if kind == MacroKind::Filter {
                    Type::List(Box::new(match &range_ty {
                        Type::List(t) => (**t).clone(),
                        Type::Map(k, _) => (**k).clone(),
                        _ => Type::Dyn,
                    }))
                } else {
                    Type::Bool
                }
            }
            MacroKind::Map => Type::List(Box::new(body_ty)),
        };
        Ok((
            node(
                Op::Comprehension {
                    kind,
                    range: Box::new(range_node),
                    var: level,
                    filter,
                    body: Box::new(body_node),
                },
                r,
            ),
            ty,
        ))
    }

    fn want_bool(&mut self, t: &Type, r: Range) -> Result<(), Reported> {
        if matches!(t, Type::Bool | Type::Dyn) {
            return Ok(());
        }
        Err(self.report(
            Diagnostic::error(
                Code::TypeMismatch,
                format!("expected a condition (bool), found {}", self.ty(t)),
            )
            .with_help("write a condition here, like `x > 0`"),
            r,
        ))
    }
}

fn macro_kind(name: &str) -> Option<MacroKind> {
    match name {
        "all" => Some(MacroKind::All),
        "exists" => Some(MacroKind::Exists),
        "exists_one" => Some(MacroKind::ExistsOne),
        "map" => Some(MacroKind::Map),
        "filter" => Some(MacroKind::Filter),
        _ => None,
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
