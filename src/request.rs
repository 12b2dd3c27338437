//! Requests: the serde format callers send (JSON or YAML), one flat shape for every kind. Which
//! fields a kind needs, and that no field is sent that the kind does not read, is checked when the
//! request is decided, so a mistake gets an error naming the field instead of being ignored.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::amount;

/// What the caller asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Use a feature: may it, and which grants pay? Also says whether to show the offer.
    Use,
    /// Quote an exchange: the amounts, the rounding, what is forfeited, how long it holds.
    Quote,
    /// Exchange (confirmed, normally with a quote).
    Exchange,
    /// Roll the account over to the cycle containing the instant.
    Rollover,
    /// Show the balance.
    Balance,
    /// Change the account's time zone: the current cycle keeps its bounds, the new zone takes
    /// effect from the next cycle.
    TimeZone,
}

impl RequestKind {
    /// The kind's word (`use`, `quote`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Use => "use",
            RequestKind::Quote => "quote",
            RequestKind::Exchange => "exchange",
            RequestKind::Rollover => "rollover",
            RequestKind::Balance => "balance",
            RequestKind::TimeZone => "time_zone",
        }
    }
}

/// One request. The instant is passed to [`decide`](crate::eval::decide) separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The caller's id for the request, recorded in the ledger.
    pub id: String,
    /// What is asked.
    pub kind: RequestKind,
    /// The platform asking (`web`, `desktop`, ...). Every kind but `rollover` needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The client's version, such as `6.1.0`; compared with a platform's `min_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    /// `use`: the feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// `use`: the feature's parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, ParamValue>,
    /// `quote` and `exchange`: which exchange (may be left out when the policy has only one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
    /// `exchange`: the quote being accepted, as a `quote` decision gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<QuoteRef>,
    /// `exchange`: the user confirmed the final warning.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirm: bool,
    /// `time_zone`: the account's new IANA time zone, such as `Asia/Tokyo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// When the request was made, for callers that send it with the request (`quotient eval`
    /// uses it when `--at` is not given). [`decide`](crate::eval::decide) always uses the
    /// instant it is passed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::account::instant::deserialize_option"
    )]
    pub at: Option<DateTime<Utc>>,
}

impl Request {
    /// A request of `kind` with nothing else set.
    pub fn new(id: impl Into<String>, kind: RequestKind) -> Self {
        Request {
            id: id.into(),
            kind,
            platform: None,
            client_version: None,
            feature: None,
            params: BTreeMap::new(),
            exchange: None,
            quote: None,
            confirm: false,
            time_zone: None,
            at: None,
        }
    }

    /// The same request, asked from `platform`.
    pub fn on(mut self, platform: &str) -> Self {
        self.platform = Some(platform.to_string());
        self
    }
}

/// A quote, as sent back with an `exchange` request: what the quote was bound to and the amounts
/// it promised. Execution grants exactly these amounts or refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QuoteRef {
    /// The exchange quoted.
    pub exchange: String,
    /// The cycle index the quote was made in.
    pub cycle: i64,
    /// The policy version that quoted.
    pub policy_version: String,
    /// The account snapshot's `version` when quoted.
    pub balance_version: u64,
    /// Until when the quote holds.
    #[serde(deserialize_with = "crate::account::instant::deserialize")]
    pub valid_until: DateTime<Utc>,
    /// The balance exchanged.
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub from_amount: Decimal,
    /// What it gives.
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub to_amount: Decimal,
    /// The quote's MAC, as the quote gave it, when quotes are signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// A feature parameter's value: a bool, a whole number, or text (decimals are written as text,
/// `"1.5"`, so they never pass through binary floating point).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ParamValue {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// Text, or a decimal written as text (`"1.5"`).
    Text(String),
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a bool, a whole number, or text (write decimals as text: \"1.5\")")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ParamValue, E> {
                Ok(ParamValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
                i64::try_from(v).map(ParamValue::Int).map_err(|_| {
                    E::custom(format!("{v} is too large for a whole-number parameter"))
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamValue, E> {
                // `{v:?}` keeps the fraction a whole `45.0` was written with.
                if v.fract() == 0.0 && v.abs() < 1e15 {
                    return Err(E::custom(format!(
                        "write the whole number {v:?} without a fraction ({v}), or a decimal \
                         as text (\"{v:?}\") so it stays exact"
                    )));
                }
                Err(E::custom(format!(
                    "write the number {v:?} as text, like \"{v:?}\", so it stays exact"
                )))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamValue, E> {
                Ok(ParamValue::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}
