//! Serde for instants in snapshots and requests: RFC 3339 text with a `Z` or an offset
//! (`2026-04-02T10:00:00Z`), read exactly as chrono reads it, but refused with a message that
//! shows the expected form instead of chrono's "premature end of input". Writing is chrono's.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

const EXPECTED: &str =
    "an instant like 2026-04-02T10:00:00Z (RFC 3339, with `Z` or an offset such as +02:00)";

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(EXPECTED)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime<Utc>, E> {
            v.parse::<DateTime<FixedOffset>>()
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| E::custom(format!("`{v}` is not {EXPECTED}")))
        }
    }
    d.deserialize_str(V)
}

/// For an optional instant (`expires`): absent or null is `None`.
pub fn deserialize_option<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    struct Instant(#[serde(deserialize_with = "deserialize")] DateTime<Utc>);
    Option::<Instant>::deserialize(d).map(|o| o.map(|Instant(t)| t))
}
