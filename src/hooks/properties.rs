//! The properties a hook reads of its inputs, checked against what the inputs have when the
//! policy loads. A rhai map answers a property it does not have with `()`, so `account.cyclzx`
//! would compile and quietly be nothing at every call; walking the compiled script's AST finds
//! every `input.property` (and `input["property"]`) and names the ones that do not exist.
//!
//! An input name that the script declares itself (`let`, `const`, a `for` variable) is not
//! checked in that script: it may hold anything. Inside function bodies and closures, a
//! parameter of any function with an input's name stops that name's checks too (the walk does
//! not say which body a node is in).

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
    // The script's own statements, where only its `let`s and `for`s can hide an input.
    let top = |visit: &mut dyn FnMut(&[ASTNode<'_>]) -> bool| {
        let mut path = Vec::new();
        for stmt in ast.statements() {
            stmt.walk(&mut path, visit);
        }
    };
    let mut top_names = Vec::new();
    top(&mut |path| declares(path, &mut top_names));
    let mut found = Vec::new();
    top(&mut |path| reads(path, &top_names, declared, &mut found));
    // Everything, function bodies and closures included, where any parameter also can (which
    // body a node is in is not known to the walk, so a name declared anywhere counts).
    let mut all_names: Vec<String> = ast
        .iter_functions()
        .flat_map(|f| f.params.into_iter().map(str::to_string))
        .collect();
    ast.walk(&mut |path: &[ASTNode<'_>]| declares(path, &mut all_names));
    ast.walk(&mut |path: &[ASTNode<'_>]| reads(path, &all_names, declared, &mut found));
    found.sort_by_key(|u| (u.line, u.column));
    found.dedup();
    found
}

/// Records the names a `let`, `const` or `for` at the end of `path` declares.
fn declares(path: &[ASTNode<'_>], names: &mut Vec<String>) -> bool {
    match path.last() {
        Some(ASTNode::Stmt(Stmt::Var(x, ..))) => names.push(x.0.name.to_string()),
        Some(ASTNode::Stmt(Stmt::For(x, ..))) => {
            names.push(x.0.name.to_string());
            if let Some(counter) = &x.1 {
                names.push(counter.name.to_string());
            }
        }
        _ => {}
    }
    true
}

/// Records `input.property` (or `input["property"]`) at the end of `path` when `input` is a
/// hook input that the script does not redeclare and has no such property.
fn reads(
    path: &[ASTNode<'_>],
    shadowed: &[String],
    declared: &Declared<'_>,
    found: &mut Vec<UnknownProperty>,
) -> bool {
    let Some(ASTNode::Expr(e @ (Expr::Dot(x, ..) | Expr::Index(x, ..)))) = path.last() else {
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
    let is_dot = matches!(e, Expr::Dot(..));
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::Sandbox;
    use crate::limits::Limits;

    #[test]
    fn finds_the_properties_the_inputs_do_not_have() {
        let script = "let a = account.cyclzx + account.cycles;\n\
                      let b = balance[\"credits\"] + balance.credit;\n\
                      let c = request.feature.len() + params.images;\n\
                      fn f(account) { account.anything }\n\
                      for platform in [1] { platform.whatever }\n\
                      cycle.dayz_left";
        let ast = Sandbox::new(&Limits::default())
            .compile(script)
            .expect("compiles");
        let units = ["credit".to_string()];
        let params = ["images".to_string()];
        let declared = Declared {
            units: &units,
            params: &params,
        };
        let found: Vec<(String, String, usize, usize)> = unknown_properties(&ast, &declared)
            .into_iter()
            .map(|u| (u.input, u.property, u.line, u.column))
            .collect();
        let want = [
            ("account", "cyclzx", 1, 17),
            ("balance", "credits", 2, 17),
            ("cycle", "dayz_left", 6, 7),
        ];
        let want: Vec<(String, String, usize, usize)> = want
            .iter()
            .map(|(i, p, l, c)| (i.to_string(), p.to_string(), *l, *c))
            .collect();
        assert_eq!(found, want);
    }
}
