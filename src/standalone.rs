//! Free-standing expressions: one expression with optional JSON variables, checked, compiled and
//! evaluated. This is what `quotient expr` runs and what the CEL conformance suite exercises;
//! policies go through `policy/` instead.

use crate::check::{self, Expect, Scope, Type};
use crate::diag::{Code, Diagnostic, SourceMap};
use crate::expr::{Program, Slot, Value, Vars};
use crate::limits::Limits;
use crate::syntax::Origin;

/// The result of [`evaluate`]: the value, or every diagnostic with the sources to render them.
pub struct Evaluation {
    pub sources: SourceMap,
    pub result: Result<Value<'static>, Vec<Diagnostic>>,
}

/// A compiled free-standing expression and the variables it was compiled against.
pub struct Compiled {
    pub program: Program,
    pub ty: Type,
    vars: Vars<'static>,
    origin: Origin,
}

/// Compiles `text` with each top-level key of `vars` in scope as a variable of dynamic type.
pub fn compile(
    text: &str,
    vars: &serde_json::Map<String, serde_json::Value>,
    sources: &mut SourceMap,
    limits: &Limits,
) -> Result<Compiled, Vec<Diagnostic>> {
    let file = sources.add("<expr>", text);
    let origin = Origin::verbatim(file, 0);
    let mut scope = Scope::new(Vec::new());
    let mut values = Vec::new();
    let mut diags = Vec::new();
    for (i, (name, json)) in vars.iter().enumerate() {
        let slot = Slot(u16::try_from(i).unwrap_or(u16::MAX));
        scope.fact(name, slot, Type::Dyn, "a variable given with --vars");
        match Value::from_json(json) {
            Ok(v) => values.push(v),
            Err(m) => {
                diags.push(Diagnostic::error(
                    Code::InvalidValue,
                    format!("variable `{name}`: {m}"),
                ));
                values.push(Value::Null);
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let (program, ty) = check::compile(text, &origin, &scope, Expect::Any, limits)?;
    Ok(Compiled {
        program,
        ty,
        vars: Vars { values },
        origin,
    })
}

impl Compiled {
    /// Evaluates, turning a runtime error into a located diagnostic.
    pub fn run(&self, limits: &Limits) -> Result<Value<'static>, Diagnostic> {
        self.program.eval(&self.vars, limits).map_err(|e| {
            Diagnostic::error(Code::EvalFailed, e.message.clone())
                .at(self.origin.span(e.range))
                .with_help(format!("error code `{}`", e.kind.code()))
        })
    }
}

/// Parses, checks and evaluates `text` in one go.
pub fn evaluate(
    text: &str,
    vars: &serde_json::Map<String, serde_json::Value>,
    limits: &Limits,
) -> Evaluation {
    let mut sources = SourceMap::new();
    let result = match compile(text, vars, &mut sources, limits) {
        Ok(c) => c.run(limits).map_err(|d| vec![d]),
        Err(ds) => Err(ds),
    };
    Evaluation { sources, result }
}
