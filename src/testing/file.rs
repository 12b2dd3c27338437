//! The test file format (`*.test.yaml` beside a policy): named accounts, then test cases, each an
//! account at an instant, optional requests played first (`given`), the request under test and
//! what to expect. Read with serde-saphyr so each case knows its line.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::account::Snapshot;
use crate::amount;
use crate::eval::Request;
use crate::timeline::Step;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// The policy file or directory, relative to the test file.
    pub policy: String,
    /// Accounts the cases name.
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountRef>,
    pub tests: Vec<serde_saphyr::Spanned<TestCase>>,
}

/// An account: the name of one in `accounts`, a file (relative to the test file), or inline.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AccountRef {
    Name(String),
    Inline(Box<Snapshot>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    pub name: String,
    pub account: AccountRef,
    pub at: DateTime<Utc>,
    /// Requests played and applied before the one under test (rollovers happen automatically).
    #[serde(default)]
    pub given: Vec<Step>,
    pub request: Request,
    /// Send back the quote of the latest `quote` decision.
    #[serde(default)]
    pub with_last_quote: bool,
    pub expect: Expect,
}

/// An exact amount written as a number or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Amount(#[serde(with = "amount")] pub Decimal);

/// What a case expects; only what is written is checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub outcome: Option<String>,
    /// The reason codes, in order.
    pub reasons: Option<Vec<String>>,
    /// `{ credit: 2 }`: the unit and amount the use costs.
    pub cost: Option<BTreeMap<String, Amount>>,
    /// Grant id to amount paid from it.
    pub charges: Option<BTreeMap<String, Amount>>,
    /// Whether the exchange offer is shown with a use.
    pub offer: Option<bool>,
    pub quote: Option<ExpectQuote>,
    /// The platform an exchange is handed off to.
    pub hand_off: Option<String>,
    /// Usable balances after the request, by unit.
    pub balances_after: Option<BTreeMap<String, Amount>>,
    pub mode_after: Option<String>,
    /// The request is refused as malformed, with a message containing this text.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectQuote {
    pub from_amount: Option<Amount>,
    pub to_amount: Option<Amount>,
    pub remainder: Option<Amount>,
}
