//! The types expressions are checked against. Units are types: an amount of `credit` and an
//! amount of `pro_use` cannot be added or compared.

use std::fmt;

pub use crate::ids::UnitId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// Known only at run time (free variables, mixed lists); checked when evaluated.
    Dyn,
    Null,
    Bool,
    Int,
    Dec,
    Str,
    /// An amount of one unit (an exact decimal at run time).
    Amount(UnitId),
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
}

impl Type {
    pub fn is_plain_number(&self) -> bool {
        matches!(self, Type::Int | Type::Dec)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Dec | Type::Amount(_))
    }

    /// The common type of two branches or list elements; `Dyn` when they differ.
    pub fn unify(&self, other: &Type) -> Type {
        match (self, other) {
            (a, b) if a == b => a.clone(),
            (Type::Int, Type::Dec) | (Type::Dec, Type::Int) => Type::Dec,
            (Type::Amount(u), n) | (n, Type::Amount(u)) if n.is_plain_number() => Type::Amount(*u),
            _ => Type::Dyn,
        }
    }

    /// Renders with unit names.
    pub fn display<'a>(&'a self, units: &'a [String]) -> TypeDisplay<'a> {
        TypeDisplay { ty: self, units }
    }
}

pub struct TypeDisplay<'a> {
    ty: &'a Type,
    units: &'a [String],
}

impl fmt::Display for TypeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ty {
            Type::Dyn => write!(f, "dyn"),
            Type::Null => write!(f, "null"),
            Type::Bool => write!(f, "bool"),
            Type::Int => write!(f, "int"),
            Type::Dec => write!(f, "decimal"),
            Type::Str => write!(f, "string"),
            Type::Amount(u) => match self.units.get(u.0 as usize) {
                Some(name) => write!(f, "amount of `{name}`"),
                None => write!(f, "amount"),
            },
            Type::List(t) => write!(f, "list({})", t.display(self.units)),
            Type::Map(k, v) => write!(
                f,
                "map({}, {})",
                k.display(self.units),
                v.display(self.units)
            ),
        }
    }
}
