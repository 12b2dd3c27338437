//! Calls: the functions (`size`, `contains`, `startsWith`, `endsWith`, `matches`, `int`,
//! `string`, `decimal`), called as functions or as methods on their first argument, with the
//! number and types of their arguments; `has(x.field)`, which asks whether a fact or a map key
//! is present; and the macros `all`, `exists`, `exists_one`, `map` and `filter`, whose first
//! argument names a variable bound in the body, nested no deeper than the limits allow. A
//! constant `matches` pattern is compiled here, once, within the regex size limit.

use std::sync::Arc;

use super::{Checked, Checker, Reported, Resolved, node};
use crate::check::types::Type;
use crate::diag::{Code, Diagnostic};
use crate::expr::{Builtin, MacroKind, Op, Value};
use crate::syntax::ast::{Expr, ExprKind, Name, Range};

impl Checker<'_> {
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

    pub(super) fn call(
        &mut self,
        target: Option<&Expr>,
        func: &Name,
        args: &[Expr],
        r: Range,
    ) -> Checked {
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
