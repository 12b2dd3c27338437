//! The report shapes: a decision as owned, serializable words (names instead of ids, messages
//! and help lines instead of reason data). These are the types the outside world sees: the
//! CLI's JSON, the service's responses, timelines and snapshot tests.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::eval::TraceStep;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonReport {
    pub code: &'static str,
    pub message: String,
    /// What would change the outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// What a use costs (or would have cost): `amount` of `unit`, and both in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostReport {
    pub unit: String,
    pub amount: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChargeReport {
    pub grant: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteReport {
    pub exchange: String,
    pub from_unit: String,
    pub to_unit: String,
    pub from_amount: String,
    pub converted: String,
    pub remainder: String,
    /// `forfeited` or `kept`.
    pub remainder_is: &'static str,
    pub to_amount: String,
    pub exact: String,
    pub rounding: crate::policy::model::Rounding,
    pub rounded: bool,
    pub grant_expires: Option<DateTime<Utc>>,
    pub cycle: i64,
    pub policy_version: String,
    pub balance_version: u64,
    pub valid_until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferReport {
    pub exchange: String,
    pub title: String,
    pub body: String,
    pub confirm: String,
    pub warning: String,
    /// `execute here`, or where "Exchange now" leads.
    pub action: String,
    pub quote: QuoteReport,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandOffReport {
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    pub index: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A decision in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionReport {
    pub request: String,
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub policy: String,
    pub outcome: &'static str,
    pub reasons: Vec<ReasonReport>,
    pub cycle: CycleReport,
    /// Usable balances before the decision, by unit.
    pub balances: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<ChargeReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<OfferReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<QuoteReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hand_off: Option<HandOffReport>,
    /// What applying the decision does, one line per change (exchanges and rollovers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceStep>>,
}
