//! The properties a hook reads of its inputs, checked against what the inputs have when the
//! policy loads. A rhai map answers a property it does not have with `()`, so `account.cyclzx`
//! would compile and quietly be nothing at every call; walking the compiled script's AST finds
//! every `input.property` (and `input["property"]`) and names the ones that do not exist.
//!
//! An input name that the script declares itself (`let`, `const`, a `for` variable, a function
//! parameter) is not checked anywhere in that script: it may hold anything.

use rhai::{ASTNode, Expr, Stmt};

/// What each input of a hook call has, as [`super::sandbox`] builds it: fixed fields for
/// `account`, `cycle`, `platform` and `request`, the policy's units for `balance`, and the
/// parameters of its features for `params`.
pub struct Declared<'a> {
    /// Unit names (`balance.<unit>`).
    pub units: &'a [String],
    /// Parameter names of every feature (`params.<param>`).
    pub params: &'a [String],
}

/// The fields of the fixed inputs; must agree with `sandbox::inputs`.
const ACCOUNT: [&str; 5] = ["id", "plan", "status", "mode", "cycles"];
const CYCLE: [&str; 2] = ["index", "days_left"];
const PLATFORM: [&str; 2] = ["name", "version"];
const REQUEST: [&str; 2] = ["kind", "feature"];

impl Declared<'_> {
    /// The properties `input` has, or `None` when `input` is not one of the hook inputs.
    pub fn properties(&self, input: &str) -> Option<Vec<&str>> {
        let fixed = |names: &[&'static str]| Some(names.to_vec());
        match input {
            "account" => fixed(&ACCOUNT),
            "cycle" => fixed(&CYCLE),
            "platform" => fixed(&PLATFORM),
            "request" => fixed(&REQUEST),
            "balance" => Some(self.units.iter().map(String::as_str).collect()),
            "params" => Some(self.params.iter().map(String::as_str).collect()),
            _ => None,
        }
    }
}

/// One `input.property` whose input has no such property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProperty {
    pub input: String,
    pub property: String,
    /// 1-based line and column of the property in the script, as rhai gives them.
    pub line: usize,
    pub column: usize,
}

/// Every property the script reads of an input that does not have it, in script order.
pub fn unknown_properties(ast: &rhai::AST, declared: &Declared<'_>) -> Vec<UnknownProperty> {
    let mut shadowed: Vec<String> = ast
        .iter_functions()
        .flat_map(|f| f.params.into_iter().map(str::to_string))
        .collect();
    ast.walk(&mut |path: &[ASTNode<'_>]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(x, ..))) => shadowed.push(x.0.name.to_string()),
            Some(ASTNode::Stmt(Stmt::For(x, ..))) => {
                shadowed.push(x.0.name.to_string());
                if let Some(counter) = &x.1 {
                    shadowed.push(counter.name.to_string());
                }
            }
            _ => {}
        }
        true
    });
    let mut found = Vec::new();
    ast.walk(&mut |path: &[ASTNode<'_>]| {
        let Some(ASTNode::Expr(Expr::Dot(x, ..) | Expr::Index(x, ..))) = path.last() else {
            return true;
        };
        let Expr::Variable(v, ..) = &x.lhs else {
            return true;
        };
        let input = v.1.as_str();
        if shadowed.iter().any(|s| s == input) {
            return true;
        }
        let Some(known) = declared.properties(input) else {
            return true;
        };
        let is_dot = matches!(path.last(), Some(ASTNode::Expr(Expr::Dot(..))));
        // `a.b`, `a.b.c`, `a.b[i]`, `a.b.f()`: the property is the chain's first link.
        let read = match &x.rhs {
            Expr::Property(p, pos) if is_dot => Some((p.2.to_string(), *pos)),
            Expr::Dot(inner, ..) | Expr::Index(inner, ..) if is_dot => match &inner.lhs {
                Expr::Property(p, pos) => Some((p.2.to_string(), *pos)),
                _ => None,
            },
            Expr::StringConstant(s, pos) if !is_dot => Some((s.to_string(), *pos)),
            _ => None,
        };
        if let Some((property, pos)) = read {
            if !known.contains(&property.as_str()) {
                found.push(UnknownProperty {
                    input: input.to_string(),
                    property,
                    line: pos.line().unwrap_or(1),
                    column: pos.position().unwrap_or(1),
                });
            }
        }
        true
    });
    found.sort_by_key(|u| (u.line, u.column));
    found.dedup();
    found
}
