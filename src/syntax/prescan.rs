//! A cheap scan before parsing that bounds how deep the recursive-descent parser will go.

use super::Origin;
use super::ast::Range;
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;

/// Rejects texts that are too long or nest too deeply, before pest recurses into them.
/// Nesting counts open brackets, `?` (each `?:` nests to the right) and runs of prefix `!`/`-`.
pub(super) fn check(text: &str, origin: &Origin, limits: &Limits) -> Result<(), Diagnostic> {
    if text.len() > limits.max_expr_len {
        return Err(Diagnostic::error(
            Code::ExprTooLong,
            format!(
                "expression is {} bytes long, more than the limit of {}",
                text.len(),
                limits.max_expr_len
            ),
        )
        .at(origin.span(Range::new(0, 1)))
        .with_help("move parts of it into separate rules"));
    }
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut ternaries = 0usize;
    let mut prefix_run = 0usize;
    // Whether the previous significant byte ends an operand (so `-` is binary).
    let mut after_operand = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' | b'\'' => {
                // Skip a quoted string, honouring backslash escapes.
                i += 1;
                while i < bytes.len() && bytes[i] != b && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                after_operand = true;
                prefix_run = 0;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                after_operand = false;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                after_operand = true;
                prefix_run = 0;
            }
            b'?' => {
                ternaries += 1;
                after_operand = false;
            }
            b'!' if bytes.get(i + 1) != Some(&b'=') => {
                prefix_run += 1;
                after_operand = false;
            }
            b'-' if !after_operand => prefix_run += 1,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                let operand = b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
                if operand {
                    prefix_run = 0;
                }
                after_operand = operand;
            }
        }
        if depth + ternaries + prefix_run > limits.max_expr_nesting {
            return Err(Diagnostic::error(
                Code::ExprTooDeep,
                format!(
                    "expression nests more than {} levels deep",
                    limits.max_expr_nesting
                ),
            )
            .at(origin.span(Range::new(i, i + 1)))
            .with_help("flatten the expression: fewer nested brackets, `?:` or repeated `!`/`-`"));
        }
        i += 1;
    }
    Ok(())
}
