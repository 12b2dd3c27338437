//! Exact amounts: the largest one Quotient accepts, and their serde format: written as text
//! (`"12.5"`) or whole numbers (`12`), never read through binary floating point. A JSON `12.5`
//! number is refused with a clear message, and so is any amount larger than [`MAX`] in size,
//! wherever it is read (snapshots, requests, ledgers), so no sum of amounts read from outside
//! can overflow. Negative amounts are read, so that validation can say which field is negative.

use rust_decimal::Decimal;
use serde::Serializer;
use serde::de::{self, Deserializer, Visitor};

/// The largest amount Quotient accepts anywhere (a grant, a policy amount, a computed cost):
/// 10^15. Far above any real balance, and far enough below the decimal type's limit (about
/// 7.9 × 10^28) that no sum of amounts an account can hold ever overflows.
pub const MAX: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// Whether `d` is within `0 ..= MAX`.
pub fn in_range(d: Decimal) -> bool {
    d >= Decimal::ZERO && d <= MAX
}

/// `d`, unless it is larger than [`MAX`] in size.
fn capped<E: de::Error>(d: Decimal, written: &dyn std::fmt::Display) -> Result<Decimal, E> {
    if d.abs() > MAX {
        return Err(E::custom(format!(
            "`{written}` is larger than the largest supported amount (10^15)"
        )));
    }
    Ok(d)
}

/// Writes an amount as exact text.
pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.normalize().to_string())
}

/// Reads an amount from text or a whole number, within `-MAX ..= MAX`.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an exact amount written as text, like \"12.5\", or a whole number")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            let d = Decimal::from_str_exact(v.trim())
                .map_err(|_| E::custom(format!("`{v}` is not an exact amount")))?;
            capped(d, &v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            capped(Decimal::from(v), &v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            capped(Decimal::from(v), &v)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            Err(E::custom(format!(
                "write the amount {v:?} as text, like \"{v:?}\", so it stays exact"
            )))
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_maximum_is_ten_to_the_fifteenth() {
        assert_eq!(
            super::MAX,
            rust_decimal::Decimal::from(1_000_000_000_000_000_i64)
        );
    }
}
