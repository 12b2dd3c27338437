//! Expression syntax: the pest grammar in `grammar/cel.pest`, a depth pre-scan, and lowering of
//! pest's parse tree into [`ast::Expr`] with byte ranges.
//!
//! This module knows nothing about policies, units or types: it turns text into a tree or into
//! diagnostics. Names are resolved and types checked in `check/`.

pub mod ast;
mod delimiters;
mod literal;
mod lower;
mod origin;
mod prescan;

pub(crate) use delimiters::explain_script as unbalanced_in_script;
pub use origin::Origin;

use crate::diag::Diagnostic;
use crate::limits::Limits;

/// Parses one expression. Every problem comes back as a located diagnostic; nothing panics.
pub fn parse(text: &str, origin: &Origin, limits: &Limits) -> Result<ast::Expr, Vec<Diagnostic>> {
    prescan::check(text, origin, limits).map_err(|d| vec![d])?;
    let expr = lower::parse(text, origin)?;
    if expr.depth > limits.max_ast_depth {
        return Err(vec![
            Diagnostic::error(
                crate::diag::Code::ExprTooDeep,
                format!(
                    "expression is {} levels deep, more than the limit of {}",
                    expr.depth, limits.max_ast_depth
                ),
            )
            .at(origin.span(expr.range))
            .with_help("split long chains of operators into separate rules or shorter expressions"),
        ]);
    }
    Ok(expr)
}
