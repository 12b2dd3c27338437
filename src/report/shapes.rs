//! The report shapes: a decision as owned, serializable words (names instead of ids, messages
//! and help lines instead of reason data). These are the types the outside world sees: the
//! CLI's JSON, the service's responses, timelines and snapshot tests.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::eval::TraceStep;

/// One reason for a decision, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonReport {
    /// The stable code, such as `exchange.already_done`.
    pub code: &'static str,
    /// What happened, for people.
    pub message: String,
    /// What would change the outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// What a use costs (or would have cost): `amount` of `unit`, and both in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostReport {
    /// The unit's name (`pro_use`).
    pub unit: String,
    /// The exact amount, as text.
    pub amount: String,
    /// Amount and unit for people (`1 Pro uses`).
    pub text: String,
}

/// One grant paying part of a use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChargeReport {
    /// The grant's id in the snapshot.
    pub grant: String,
    /// How much it pays, as exact text.
    pub amount: String,
}

/// A quote in words: what converting the balance gives, what is lost, what it is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteReport {
    /// The exchange's name.
    pub exchange: String,
    /// The unit given up (`pro_use`).
    pub from_unit: String,
    /// The unit received (`credit`).
    pub to_unit: String,
    /// The usable balance of `from_unit` being exchanged.
    pub from_amount: String,
    /// How much of it pays for what is received.
    pub converted: String,
    /// `from_amount - converted`: forfeited or kept, as `remainder_is` says.
    pub remainder: String,
    /// `forfeited` or `kept`.
    pub remainder_is: &'static str,
    /// What the account receives.
    pub to_amount: String,
    /// The exact, unrounded value of `from_amount` in `to_unit`.
    pub exact: String,
    /// `floor`, `ceiling`, `half_even` or `exact`.
    pub rounding: &'static str,
    /// Whether rounding changed the amount.
    pub rounded: bool,
    /// When the received grant expires (`None`: never).
    pub grant_expires: Option<DateTime<Utc>>,
    /// The cycle the quote is bound to.
    pub cycle: i64,
    /// The policy version the quote is bound to.
    pub policy_version: String,
    /// The account version the quote is bound to.
    pub balance_version: u64,
    /// Until when the quote holds.
    pub valid_until: DateTime<Utc>,
    /// The quote's MAC, to send back unaltered, when quotes are signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// The exchange offer shown with a feature use, its texts filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferReport {
    /// The exchange's name.
    pub exchange: String,
    /// The offer's title ("Switch to Credits?").
    pub title: String,
    /// The offer's body ("36 Pro uses = 28 credits").
    pub body: String,
    /// The confirming button's label ("Exchange now").
    pub confirm: String,
    /// The final, irreversible warning.
    pub warning: String,
    /// `execute here`, or where "Exchange now" leads.
    pub action: String,
    /// The quote the offer shows.
    pub quote: QuoteReport,
}

/// Where a platform that delegates sends the user to exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandOffReport {
    /// The platform that executes.
    pub platform: String,
    /// The policy's link to the exchange page, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A billing cycle: `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CycleReport {
    /// Cycles since the anchor (0 for the first).
    pub index: i64,
    /// The first instant of the cycle.
    pub start: DateTime<Utc>,
    /// The first instant of the next cycle.
    pub end: DateTime<Utc>,
}

/// A decision in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionReport {
    /// The request's id.
    pub request: String,
    /// `use`, `quote`, `exchange`, `rollover` or `balance`.
    pub kind: &'static str,
    /// The instant decided at.
    pub at: DateTime<Utc>,
    /// The policy and version that decided (`capcut-pro 2026.03`).
    pub policy: String,
    /// `allowed`, `denied`, `handed_off`, `quoted`, `confirm_required`, `exchanged`,
    /// `rolled_over`, `unchanged`, `shown` or `error`.
    pub outcome: &'static str,
    /// Why, in order.
    pub reasons: Vec<ReasonReport>,
    /// The cycle containing `at`.
    pub cycle: CycleReport,
    /// Usable balances before the decision, by unit.
    pub balances: BTreeMap<String, String>,
    /// The feature used (`use` requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// What the use costs (or would have cost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostReport>,
    /// Which grants pay for an allowed use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<ChargeReport>,
    /// The exchange offer to show with this use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<OfferReport>,
    /// The quote (`quote` and `exchange` requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<QuoteReport>,
    /// Where to continue, for a platform that hands the exchange off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hand_off: Option<HandOffReport>,
    /// What applying the decision does, one line per change (exchanges and rollovers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    /// The rules and expressions that decided, when explaining.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceStep>>,
}
