//! Operators: `!` and unary `-`, `&&` and `||` (bools on both sides), `==` and `!=` (only
//! types that can be equal), the orderings (numbers, text or bools), `in` (a list or a map of
//! the same kind of value), arithmetic (amounts of one unit with each other or with plain
//! numbers; two amounts never multiply) and `?:` (a bool condition; branches of one unit). This is
//! where units become types: amounts of two units never meet without a unit mismatch.

use super::{Checked, Checker, Reported, node};
use crate::check::types::Type;
use crate::diag::{Code, Diagnostic};
use crate::expr::{ArithOp, CmpOp, Op};
use crate::syntax::ast::{BinaryOp, Expr, Range, UnaryOp};

impl Checker<'_> {
    /// `!` and unary `-`.
    pub(super) fn unary(&mut self, op: UnaryOp, inner: &Expr, r: Range) -> Checked {
        let (n, t) = self.expr(inner)?;
        match op {
            UnaryOp::Not => {
                if !matches!(t, Type::Bool | Type::Dyn) {
                    return Err(self.report(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            format!("`!` needs a bool, found {}", self.ty(&t)),
                        )
                        .with_help("`!` negates a condition; compare first, like `!(x > 0)`"),
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

    /// A binary operator: `&&`/`||`, `==`/`!=`, the orderings, `in`, and arithmetic.
    pub(super) fn binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr, r: Range) -> Checked {
        let (ar, br) = (a.range, b.range);
        let ac = self.expr(a);
        let bc = self.expr(b);
        let ((an, at), (bn, bt)) = (ac?, bc?);
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

    /// `c ? t : f`: a bool condition, and branches of one unit when both are amounts.
    pub(super) fn cond(&mut self, c: &Expr, t: &Expr, f: &Expr, r: Range) -> Checked {
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
    pub(super) fn comparable(&self, a: &Type, b: &Type) -> bool {
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
}
