//! Exchange ratios (`50 pro_use = 40 credit`) and conversions with explicit rounding.

use rust_decimal::{Decimal, RoundingStrategy};

use super::model::{Ratio, Rounding};
use super::yaml::YNode;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::ast::Range;

/// A ratio's text split into its four parts, with ranges inside the scalar.
pub(super) struct ParsedRatio<'t> {
    pub from_amount: Decimal,
    pub from_unit: (&'t str, Range),
    pub to_amount: Decimal,
    pub to_unit: (&'t str, Range),
}

/// Reads `<amount> <unit> = <amount> <unit>`; amounts must be positive exact numbers.
pub(super) fn parse<'t>(
    text: &'t str,
    node: &YNode,
    diags: &mut Diagnostics,
) -> Option<ParsedRatio<'t>> {
    let origin = node.origin();
    let bad = |diags: &mut Diagnostics, msg: String, r: Range| {
        diags.push(
            Diagnostic::error(Code::BadRatio, msg)
                .at(origin.span(r))
                .with_help("write it like `50 pro_use = 40 credit`: whole or decimal amounts above zero, then the unit"),
        );
    };
    let Some(eq) = text.find('=') else {
        bad(
            diags,
            format!("ratio `{}` has no `=`", text.trim()),
            Range::new(0, text.trim_end().len()),
        );
        return None;
    };
    let side =
        |start: usize, s: &'t str| -> Result<(Decimal, &'t str, Range, Range), (String, Range)> {
            let words: Vec<(usize, &str)> = s
                .split_whitespace()
                .map(|w| (start + (w.as_ptr() as usize - s.as_ptr() as usize), w))
                .collect();
            let lead = s.len() - s.trim_start().len();
            let whole = Range::new(start + lead, start + s.trim_end().len());
            match words.as_slice() {
                [(a_at, a), (u_at, u)] => {
                    let ar = Range::new(*a_at, a_at + a.len());
                    let ur = Range::new(*u_at, u_at + u.len());
                    match Decimal::from_str_exact(a) {
                        Ok(d) if d > Decimal::ZERO => Ok((d, u, ar, ur)),
                        Ok(_) => Err((format!("ratio amount `{a}` must be above zero"), ar)),
                        Err(_) => Err((format!("ratio amount `{a}` is not an exact number"), ar)),
                    }
                }
                _ => Err((
                    format!("expected `<amount> <unit>`, found `{}`", s.trim()),
                    whole,
                )),
            }
        };
    let left = side(0, &text[..eq]);
    let right = side(eq + 1, &text[eq + 1..]);
    match (left, right) {
        (Ok((fa, fu, _, fur)), Ok((ta, tu, _, tur))) => Some(ParsedRatio {
            from_amount: fa,
            from_unit: (fu, fur),
            to_amount: ta,
            to_unit: (tu, tur),
        }),
        (l, r) => {
            for e in [l.err(), r.err()].into_iter().flatten() {
                bad(diags, e.0, e.1);
            }
            None
        }
    }
}

/// The outcome of converting an amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// What the account receives, in the target unit's decimals.
    pub amount: Decimal,
    /// The exact, unrounded value.
    pub exact: Decimal,
    /// Whether rounding changed the value.
    pub rounded: bool,
}

impl Ratio {
    /// Converts `amount` of the source unit, rounding to `decimals` places of the target unit.
    /// `None` when `Rounding::Exact` is asked for and the value is not exact, or on overflow.
    pub fn convert(
        &self,
        amount: Decimal,
        decimals: u32,
        rounding: Rounding,
    ) -> Option<Conversion> {
        let exact = amount.checked_mul(self.to)?.checked_div(self.from)?;
        let strategy = match rounding {
            Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
            Rounding::Ceiling => RoundingStrategy::ToPositiveInfinity,
            Rounding::HalfEven | Rounding::Exact => RoundingStrategy::MidpointNearestEven,
        };
        let rounded = exact.round_dp_with_strategy(decimals, strategy);
        let changed = rounded != exact;
        if changed && rounding == Rounding::Exact {
            return None;
        }
        Some(Conversion {
            amount: rounded,
            exact,
            rounded: changed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_with_each_rounding() {
        let r = Ratio {
            from: Decimal::from(50),
            to: Decimal::from(40),
        };
        let c = |n: i64, mode| {
            r.convert(Decimal::from(n), 0, mode)
                .map(|c| c.amount.to_string())
        };
        assert_eq!(c(50, Rounding::Floor).as_deref(), Some("40"));
        assert_eq!(c(7, Rounding::Floor).as_deref(), Some("5"));
        assert_eq!(c(7, Rounding::Ceiling).as_deref(), Some("6"));
        assert_eq!(c(7, Rounding::HalfEven).as_deref(), Some("6"));
        assert_eq!(c(7, Rounding::Exact), None);
        assert_eq!(c(10, Rounding::Exact).as_deref(), Some("8"));
    }
}
