//! Decisions: what the evaluator says about one request, with the reasons (stable codes) and,
//! for decisions that change state, the exact changes [`apply`](crate::apply::apply) will make.
//!
//! A decision is plain data borrowed from nothing but the request's id: names are ids into the
//! policy and grants are indexes into the snapshot, so deciding a feature use does not allocate.
//! [`Decision::report`](super::report) turns it into owned, serializable text for people.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::small::SmallList;
use crate::check::UnitId;
use crate::cycle::Cycle;
use crate::expr::EvalErrorKind;
pub use crate::ledger::EntryKind;
use crate::policy::model::{ExchangeId, FeatureId, PlatformId, Rounding};

pub use crate::limits::MAX_UNITS;

/// Balances per unit, indexed by unit id.
pub type Balances = [Decimal; MAX_UNITS];

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A feature use may go ahead; the charges say which grants pay.
    Allowed,
    /// The request is refused; the reasons say why and what would change that.
    Denied,
    /// This platform hands the exchange off to another one; nothing changes here.
    HandedOff,
    /// A quote was made; nothing changes.
    Quoted,
    /// The exchange needs the user to confirm the final warning first.
    ConfirmRequired,
    /// The exchange is executed by applying the decision.
    Exchanged,
    /// A rollover is executed by applying the decision.
    RolledOver,
    /// Nothing to do (rolling over to a cycle already rolled over to).
    Unchanged,
    /// The balance is shown.
    Shown,
    /// A policy expression failed while deciding (division by zero, a limit): this request only.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::HandedOff => "handed_off",
            Outcome::Quoted => "quoted",
            Outcome::ConfirmRequired => "confirm_required",
            Outcome::Exchanged => "exchanged",
            Outcome::RolledOver => "rolled_over",
            Outcome::Unchanged => "unchanged",
            Outcome::Shown => "shown",
            Outcome::Error => "error",
        }
    }
}

/// Why a quote no longer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    OtherExchange,
    NewCycle { quoted: i64, now: i64 },
    PolicyChanged,
    BalanceChanged { quoted: u64, now: u64 },
    Expired { valid_until: DateTime<Utc> },
    AmountsDiffer,
}

/// One reason for a decision, with the facts its message needs. `code()` is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A use is paid in `unit`.
    Paid {
        unit: UnitId,
        amount: Decimal,
    },
    PlatformCannotConsume {
        platform: PlatformId,
    },
    PlatformCannotShowBalance {
        platform: PlatformId,
    },
    /// The platform never exchanges; `executes_on` is a platform that does.
    PlatformRefuses {
        platform: PlatformId,
        executes_on: Option<PlatformId>,
    },
    PlatformDelegates {
        platform: PlatformId,
        to: PlatformId,
    },
    /// The client is older than the platform's `min_version` (or sent no version).
    ClientTooOld {
        platform: PlatformId,
        /// Whether the request said its version at all.
        version_sent: bool,
    },
    FeatureNotInPlan {
        feature: FeatureId,
    },
    BalanceInsufficient {
        unit: UnitId,
        needed: Decimal,
        available: Decimal,
    },
    ExchangeAlreadyDone {
        exchange: ExchangeId,
        at: DateTime<Utc>,
    },
    ExchangeNotEligible {
        exchange: ExchangeId,
    },
    /// The conversion gives nothing for something and the policy does not allow that.
    ExchangeGivesNothing {
        exchange: ExchangeId,
    },
    /// `rounding: exact` and the amount does not convert exactly.
    ExchangeNotExact {
        exchange: ExchangeId,
    },
    NothingToExchange {
        exchange: ExchangeId,
    },
    ConfirmationRequired {
        exchange: ExchangeId,
    },
    QuoteStale {
        why: Staleness,
    },
    /// The account has not been rolled over to the cycle containing the instant.
    RolloverNeeded {
        account_cycle: Option<i64>,
        now_cycle: i64,
    },
    RolloverAlreadyDone {
        cycle: i64,
    },
    /// A policy expression failed; `rule` says which.
    ExpressionFailed {
        rule: RuleRef,
        error: EvalErrorKind,
    },
    /// An amount the policy computed is negative.
    NegativeAmount {
        rule: RuleRef,
    },
    /// A hook failed (a limit, a script error, a result of the wrong type); the decision's
    /// `hook_error` has the message and the line.
    HookFailed {
        rule: RuleRef,
        kind: crate::hooks::HookErrorKind,
    },
}

/// A policy rule a reason or trace step points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleRef {
    Cost {
        feature: FeatureId,
        unit: UnitId,
    },
    Eligible {
        exchange: ExchangeId,
    },
    /// An allowance amount computed by a hook.
    Allowance {
        unit: UnitId,
    },
}

impl Reason {
    /// The stable code, such as `exchange.already_done`.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Paid { .. } => "use.paid",
            Reason::PlatformCannotConsume { .. } => "platform.cannot_consume",
            Reason::PlatformCannotShowBalance { .. } => "platform.cannot_show_balance",
            Reason::PlatformRefuses { .. } => "platform.refuses",
            Reason::PlatformDelegates { .. } => "platform.delegates",
            Reason::ClientTooOld { .. } => "platform.client_too_old",
            Reason::FeatureNotInPlan { .. } => "feature.not_in_plan",
            Reason::BalanceInsufficient { .. } => "balance.insufficient",
            Reason::ExchangeAlreadyDone { .. } => "exchange.already_done",
            Reason::ExchangeNotEligible { .. } => "exchange.not_eligible",
            Reason::ExchangeGivesNothing { .. } => "exchange.gives_nothing",
            Reason::ExchangeNotExact { .. } => "exchange.not_exact",
            Reason::NothingToExchange { .. } => "exchange.nothing_to_exchange",
            Reason::ConfirmationRequired { .. } => "exchange.confirmation_required",
            Reason::QuoteStale { .. } => "quote.stale",
            Reason::RolloverNeeded { .. } => "cycle.rollover_needed",
            Reason::RolloverAlreadyDone { .. } => "rollover.already_done",
            Reason::ExpressionFailed { error, .. } => error.code(),
            Reason::NegativeAmount { .. } => "eval.negative_amount",
            Reason::HookFailed { kind, .. } => kind.code(),
        }
    }
}

/// One grant paying part of a use: the grant's index in the snapshot and the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    pub grant: usize,
    pub amount: Decimal,
}

/// What converting an account's balance would give, and what the quote is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub exchange: ExchangeId,
    /// The usable balance of the source unit.
    pub from_amount: Decimal,
    /// How much of it pays for what is received.
    pub converted: Decimal,
    /// `from_amount - converted`: forfeited or kept, as `remainder_forfeited` says.
    pub remainder: Decimal,
    pub remainder_forfeited: bool,
    /// What the account receives.
    pub to_amount: Decimal,
    /// The exact, unrounded value of `from_amount`.
    pub exact: Decimal,
    pub rounding: Rounding,
    pub rounded: bool,
    /// When the received grant expires (`None`: never).
    pub grant_expires: Option<DateTime<Utc>>,
    /// The cycle the quote is bound to.
    pub cycle: i64,
    /// The snapshot version the quote is bound to.
    pub balance_version: u64,
    pub valid_until: DateTime<Utc>,
}

impl Quote {
    /// The quote as a client sends it back with an `exchange` request.
    pub fn to_ref(&self, policy: &crate::policy::Policy) -> super::QuoteRef {
        super::QuoteRef {
            exchange: policy
                .exchanges
                .get(self.exchange.0 as usize)
                .map_or_else(String::new, |x| x.name.clone()),
            cycle: self.cycle,
            policy_version: policy.version.clone(),
            balance_version: self.balance_version,
            valid_until: self.valid_until,
            from_amount: self.from_amount,
            to_amount: self.to_amount,
        }
    }
}

/// The exchange offer, shown with a feature use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub quote: Quote,
    /// Where "Exchange now" leads: this platform (it executes) or another one.
    pub hand_off_to: Option<PlatformId>,
}

/// Details of an allowed or denied feature use.
#[derive(Debug, Clone, PartialEq)]
pub struct UseDetail {
    pub feature: FeatureId,
    /// The unit and amount charged (or that would have been, for a denial).
    pub cost: Option<(UnitId, Decimal)>,
    pub charges: SmallList<Charge, 4>,
    pub offer: Option<Offer>,
}

/// A change to one existing grant or one new grant, in the order apply makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantRef {
    /// Index into the snapshot's grants.
    Existing(usize),
    /// Index into this decision's new grants.
    New(usize),
}

/// A new grant a decision creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewGrant {
    pub unit: UnitId,
    pub amount: Decimal,
    pub effective: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    pub source: crate::account::GrantSource,
    /// The cycle it was granted for (names the grant).
    pub cycle: i64,
    /// `EntryKind::Grant`, `ConvertIn` or `Rollover`.
    pub kind: EntryKind,
}

/// One change, in order. Debits take `amount` from a grant; `Close` removes an expired grant
/// (after an `Expire` debit of whatever was left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Debit {
        grant: GrantRef,
        kind: EntryKind,
        amount: Decimal,
    },
    Create(usize),
    /// Expire what is left and drop the grant from the snapshot.
    Close(GrantRef),
}

/// The changes of an exchange or a rollover.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    pub new_grants: Vec<NewGrant>,
    pub steps: Vec<Change>,
    /// The mode the account switches to.
    pub switch_mode: Option<crate::policy::model::ModeId>,
    /// The cycle the account is rolled over to.
    pub cycle: Option<i64>,
    /// The exchange recorded (with its quote).
    pub exchange: Option<Quote>,
}

/// One step of the explanation `--explain` prints: a rule and what it gave.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TraceStep {
    /// The rule, as a path in the policy file (`exchanges.pro_uses_to_credits.eligible`).
    pub rule: String,
    /// The expression, when the rule is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    pub result: String,
}

/// The evaluator's answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'r> {
    pub request_id: &'r str,
    pub kind: super::RequestKind,
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
    /// The snapshot version decided on; apply refuses any other.
    pub based_on: u64,
    /// The cycle containing `at`.
    pub cycle: Cycle,
    pub platform: Option<PlatformId>,
    pub reasons: SmallList<Reason, 3>,
    /// Usable balances at `at`, before the decision.
    pub balances: Balances,
    pub use_detail: Option<UseDetail>,
    pub quote: Option<Quote>,
    pub hand_off_to: Option<PlatformId>,
    pub changes: Option<Changes>,
    /// The exchange whose eligibility rule was evaluated, and its result (for coverage).
    pub eligibility: Option<(ExchangeId, bool)>,
    /// When a hook failed: which, why and where in its script.
    pub hook_error: Option<Box<crate::hooks::HookError>>,
    /// Filled only when asked for (`DecideOptions::explain`).
    pub trace: Option<Vec<TraceStep>>,
}

impl Decision<'_> {
    /// Whether applying the decision changes the account.
    pub fn changes_state(&self) -> bool {
        match self.outcome {
            Outcome::Allowed => self
                .use_detail
                .as_ref()
                .is_some_and(|u| !u.charges.is_empty()),
            Outcome::Exchanged | Outcome::RolledOver => self.changes.is_some(),
            _ => false,
        }
    }

    /// The reason codes, in order.
    pub fn reason_codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.reasons.iter().map(Reason::code)
    }
}
