//! Free-standing expressions: one expression with optional JSON variables, checked, compiled and
//! evaluated. This is what `quotient expr` runs and what the CEL conformance suite exercises;
//! policies go through `policy/` instead.

use crate::check::{self, Expect, Scope, Type};
use crate::diag::{Code, Diagnostic, SourceMap};
use crate::expr::{Program, Slot, Value, Vars};
use crate::limits::Limits;
use crate::syntax::Origin;

/// The result of [`evaluate_expression`]: the value, or every diagnostic with the sources to
/// render them.
pub struct Evaluation {
    pub(crate) sources: SourceMap,
    pub(crate) result: Result<Value<'static>, Vec<Diagnostic>>,
}

impl Evaluation {
    /// The value as CEL writes it (`29.6`, `"text"`, `[4, 6]`), when the expression evaluated.
    pub fn value_text(&self) -> Option<String> {
        self.result.as_ref().ok().map(ToString::to_string)
    }

    /// Every diagnostic (empty when the expression evaluated).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.result.as_ref().err().map_or(&[], Vec::as_slice)
    }

    /// The diagnostics rendered like rustc, pointing into the expression.
    pub fn render_human(&self) -> String {
        crate::diag::render::human_all(self.diagnostics(), &self.sources)
    }

    /// [`Evaluation::render_human`], in colour (ANSI escapes) when `colour` is set.
    pub fn render_human_styled(&self, colour: bool) -> String {
        crate::diag::render::human_all_styled(self.diagnostics(), &self.sources, colour)
    }

    /// Every diagnostic with its line and column in the expression, as serializable data.
    pub fn located(&self) -> Vec<crate::diag::LocatedDiagnostic> {
        self.diagnostics()
            .iter()
            .map(|d| crate::diag::LocatedDiagnostic::of(d, &self.sources))
            .collect()
    }

    /// The value itself (internal representation; for the conformance suite).
    #[cfg(feature = "unstable")]
    pub fn value(&self) -> Option<&Value<'static>> {
        self.result.as_ref().ok()
    }
}

/// A compiled free-standing expression and the variables it was compiled against.
pub(crate) struct Compiled {
    pub program: Program,
    vars: Vars<'static>,
    origin: Origin,
}

/// Compiles `text` with each top-level key of `vars` in scope as a variable of dynamic type.
pub(crate) fn compile(
    text: &str,
    vars: &serde_json::Map<String, serde_json::Value>,
    sources: &mut SourceMap,
    limits: &Limits,
) -> Result<Compiled, Vec<Diagnostic>> {
    let values = vars
        .iter()
        .map(|(name, json)| (name.clone(), Value::from_json(json)));
    compile_values(text, values, sources, limits)
}

/// Compiles `text` with each `(name, value)` in scope as a variable of dynamic type.
fn compile_values(
    text: &str,
    vars: impl Iterator<Item = (String, Result<Value<'static>, String>)>,
    sources: &mut SourceMap,
    limits: &Limits,
) -> Result<Compiled, Vec<Diagnostic>> {
    let file = sources.add("<expr>", text);
    let origin = Origin::verbatim(file, 0);
    let mut scope = Scope::new(Vec::new());
    let mut values = Vec::new();
    let mut diags = Vec::new();
    for (i, (name, value)) in vars.enumerate() {
        let slot = Slot(u16::try_from(i).unwrap_or(u16::MAX));
        scope.fact(&name, slot, Type::Dyn);
        match value {
            Ok(v) => values.push(v),
            Err(m) => {
                diags.push(Diagnostic::error(
                    Code::InvalidValue,
                    if name.is_empty() {
                        m
                    } else {
                        format!("variable `{name}`: {m}")
                    },
                ));
                values.push(Value::Null);
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let (program, _) = check::compile(text, &origin, &scope, Expect::Any, limits)?;
    Ok(Compiled {
        program,
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

/// Parses, checks and evaluates one expression in one go, with each top-level key of `vars`
/// (a JSON object) in scope as a variable: what `quotient expr` runs.
pub fn evaluate_expression(
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

/// [`evaluate_expression`] with the variables given as the text of a JSON object, every number
/// read from its literal: `12345678901234567.5` stays exact, where a `serde_json::Value` would
/// have rounded it through `f64`. What `quotient expr --vars` runs.
pub fn evaluate_expression_with_json(text: &str, vars_json: &str, limits: &Limits) -> Evaluation {
    let mut sources = SourceMap::new();
    let vars = match Value::from_json_text(vars_json) {
        Ok(Value::Map(members)) => members
            .iter()
            .map(|(k, v)| {
                let name = match k {
                    Value::Str(s) => s.as_str().to_owned(),
                    other => other.to_string(),
                };
                (name, Ok(v.clone()))
            })
            .collect::<Vec<_>>(),
        Ok(_) => vec![(
            String::new(),
            Err("the variables must be a JSON object".to_owned()),
        )],
        Err(e) => vec![(
            String::new(),
            Err(format!("the variables are not JSON: {e}")),
        )],
    };
    let result = match compile_values(text, vars.into_iter(), &mut sources, limits) {
        Ok(c) => c.run(limits).map_err(|d| vec![d]),
        Err(ds) => Err(ds),
    };
    Evaluation { sources, result }
}
