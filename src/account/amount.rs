//! Serde for exact amounts: written as text (`"12.5"`) or whole numbers (`12`), never read
//! through binary floating point. A JSON `12.5` number is refused with a clear message.

use rust_decimal::Decimal;
use serde::Serializer;
use serde::de::{self, Deserializer, Visitor};

pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.normalize().to_string())
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an exact amount written as text, like \"12.5\", or a whole number")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            Decimal::from_str_exact(v.trim())
                .map_err(|_| E::custom(format!("`{v}` is not an exact amount")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            Err(E::custom(format!(
                "write the amount {v:?} as text, like \"{v:?}\", so it stays exact"
            )))
        }
    }
    d.deserialize_any(V)
}
