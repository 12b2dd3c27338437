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
    /// An account setting (its time zone) changes by applying the decision.
    Updated,
    /// The balance is shown.
    Shown,
    /// A policy expression failed while deciding (division by zero, a limit): this request only.
    Error,
}

impl Outcome {
    /// The outcome's word, as reports write it (`handed_off`).
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
            Outcome::Updated => "updated",
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
    /// The conversion would grant more than the largest supported amount (10^15).
    ExchangeAboveMaximum {
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
    /// The quote sent back is not one this embedder's key signed as it is (altered, or unsigned).
    QuoteTampered,
    /// The account has not been rolled over to the cycle containing the instant.
    RolloverNeeded {
        account_cycle: Option<i64>,
        now_cycle: i64,
    },
    RolloverAlreadyDone {
        cycle: i64,
    },
    /// The account already has the time zone asked for.
    TimeZoneUnchanged,
    /// A policy expression failed; `rule` says which.
    ExpressionFailed {
        rule: RuleRef,
        error: EvalErrorKind,
    },
    /// An amount the policy computed is negative (or not a number).
    NegativeAmount {
        rule: RuleRef,
    },
    /// An amount the policy computed is above [`crate::amount::MAX`] (10^15).
    AmountTooLarge {
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
            Reason::ExchangeAboveMaximum { .. } => "exchange.above_maximum",
            Reason::ExchangeNotExact { .. } => "exchange.not_exact",
            Reason::NothingToExchange { .. } => "exchange.nothing_to_exchange",
            Reason::ConfirmationRequired { .. } => "exchange.confirmation_required",
            Reason::QuoteStale { .. } => "quote.stale",
            Reason::QuoteTampered => "quote.tampered",
            Reason::RolloverNeeded { .. } => "cycle.rollover_needed",
            Reason::RolloverAlreadyDone { .. } => "rollover.already_done",
            Reason::TimeZoneUnchanged => "time_zone.unchanged",
            Reason::ExpressionFailed { error, .. } => error.code(),
            Reason::NegativeAmount { .. } => "eval.negative_amount",
            Reason::AmountTooLarge { .. } => "eval.amount_too_large",
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

crate::internal_fields::internal_fields! {
    /// What converting an account's balance would give, and what the quote is bound to.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Quote {
        exchange: ExchangeId,
        /// The usable balance of the source unit.
        from_amount: Decimal,
        /// How much of it pays for what is received.
        converted: Decimal,
        /// `from_amount - converted`: forfeited or kept, as `remainder_forfeited` says.
        remainder: Decimal,
        remainder_forfeited: bool,
        /// What the account receives.
        to_amount: Decimal,
        /// The exact, unrounded value of `from_amount`.
        exact: Decimal,
        rounding: Rounding,
        rounded: bool,
        /// When the received grant expires (`None`: never).
        grant_expires: Option<DateTime<Utc>>,
        /// The cycle the quote is bound to.
        cycle: i64,
        /// The snapshot version the quote is bound to.
        balance_version: u64,
        valid_until: DateTime<Utc>,
        /// The quote's HMAC (hex, 64 characters), when the embedder gave a key.
        mac: Option<[u8; 64]>,
    }
}

impl Quote {
    /// The usable balance of the source unit being exchanged.
    pub fn from_amount(&self) -> Decimal {
        self.from_amount
    }

    /// How much of it pays for what is received.
    pub fn converted(&self) -> Decimal {
        self.converted
    }

    /// `from_amount - converted`: forfeited or kept, as [`Quote::remainder_forfeited`] says.
    pub fn remainder(&self) -> Decimal {
        self.remainder
    }

    /// Whether the remainder is zeroed (the help page's "remaining Pro uses are zeroed").
    pub fn remainder_forfeited(&self) -> bool {
        self.remainder_forfeited
    }

    /// What the account receives.
    pub fn to_amount(&self) -> Decimal {
        self.to_amount
    }

    /// The exact, unrounded value of `from_amount` in the target unit.
    pub fn exact(&self) -> Decimal {
        self.exact
    }

    /// Whether rounding changed the amount.
    pub fn rounded(&self) -> bool {
        self.rounded
    }

    /// When the received grant expires (`None`: never).
    pub fn grant_expires(&self) -> Option<DateTime<Utc>> {
        self.grant_expires
    }

    /// The cycle the quote is bound to.
    pub fn cycle(&self) -> i64 {
        self.cycle
    }

    /// The account version the quote is bound to.
    pub fn balance_version(&self) -> u64 {
        self.balance_version
    }

    /// Until when the quote holds.
    pub fn valid_until(&self) -> DateTime<Utc> {
        self.valid_until
    }

    /// The quote's MAC, in hex, when the embedder gave a key (see [`QuoteKey`](crate::QuoteKey)).
    pub fn mac(&self) -> Option<&str> {
        self.mac.as_ref().and_then(|m| std::str::from_utf8(m).ok())
    }

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
            mac: self.mac().map(str::to_string),
        }
    }
}

crate::internal_fields::internal_fields! {
    /// The exchange offer, shown with a feature use.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Offer {
        quote: Quote,
        /// Where "Exchange now" leads: this platform (it executes) or another one.
        hand_off_to: Option<PlatformId>,
    }
}

impl Offer {
    /// The quote the offer shows.
    pub fn quote(&self) -> &Quote {
        &self.quote
    }

    /// Whether "Exchange now" hands off to another platform instead of executing here.
    pub fn hands_off(&self) -> bool {
        self.hand_off_to.is_some()
    }
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
    /// The account's new time zone, and the last cycle wholly on the old zone's clock.
    pub time_zone: Option<(chrono_tz::Tz, i64)>,
}

/// One step of the explanation `--explain` prints: a rule and what it gave.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraceStep {
    /// The rule, as a path in the policy file (`exchanges.pro_uses_to_credits.eligible`).
    pub rule: String,
    /// The expression, when the rule is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// What the rule gave.
    pub result: String,
}

crate::internal_fields::internal_fields! {
    /// The evaluator's answer to one request: the outcome, the reasons, the amounts and, for a
    /// decision that changes state, exactly what [`apply`](crate::apply) will do. It records which
    /// account (id and version) and which policy (name and version) it was made for, and `apply`
    /// refuses it for any other. Borrowed from its inputs; deciding a feature use does not allocate.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Decision<'a> {
        request_id: &'a str,
        kind: super::RequestKind,
        outcome: Outcome,
        at: DateTime<Utc>,
        /// The account decided for.
        account: &'a str,
        /// The snapshot version decided on; apply refuses any other.
        based_on: u64,
        /// The policy and version that decided.
        policy: &'a str,
        policy_version: &'a str,
        /// The cycle containing `at`.
        cycle: Cycle,
        platform: Option<PlatformId>,
        reasons: SmallList<Reason, 3>,
        /// Usable balances at `at`, before the decision.
        balances: Balances,
        use_detail: Option<UseDetail>,
        quote: Option<Quote>,
        hand_off_to: Option<PlatformId>,
        changes: Option<Changes>,
        /// The exchange whose eligibility rule was evaluated, and its result (for coverage).
        eligibility: Option<(ExchangeId, bool)>,
        /// When a hook failed: which, why and where in its script.
        hook_error: Option<Box<crate::hooks::HookError>>,
        /// Filled only when asked for (`DecideOptions::explain`).
        trace: Option<Vec<TraceStep>>,
    }
}

/// Where a platform that delegates sends the user to exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandOff<'p> {
    /// The platform that executes (`web`).
    pub platform: &'p str,
    /// The policy's link to its exchange page, when it has one.
    pub link: Option<&'p str>,
}

impl<'a> Decision<'a> {
    /// The request's id.
    pub fn request_id(&self) -> &'a str {
        self.request_id
    }

    /// What was asked.
    pub fn kind(&self) -> super::RequestKind {
        self.kind
    }

    /// What happened.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The instant decided at.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The id of the account decided for.
    pub fn account_id(&self) -> &'a str {
        self.account
    }

    /// The account version decided on (`apply` takes only a snapshot at this version).
    pub fn account_version(&self) -> u64 {
        self.based_on
    }

    /// The name of the policy that decided.
    pub fn policy_name(&self) -> &'a str {
        self.policy
    }

    /// The version of the policy that decided.
    pub fn policy_version(&self) -> &'a str {
        self.policy_version
    }

    /// The billing cycle containing the instant.
    pub fn cycle(&self) -> Cycle {
        self.cycle
    }

    /// Whether applying the decision changes the account.
    pub fn changes_state(&self) -> bool {
        match self.outcome {
            Outcome::Allowed => self
                .use_detail
                .as_ref()
                .is_some_and(|u| !u.charges.is_empty()),
            Outcome::Exchanged | Outcome::RolledOver | Outcome::Updated => self.changes.is_some(),
            _ => false,
        }
    }

    /// The reason codes, in order (`use.paid`, `exchange.already_done`, ...).
    pub fn reason_codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.reasons.iter().map(Reason::code)
    }

    /// What a feature use costs (or would have cost), in the unit that pays (or could have).
    pub fn cost(&self) -> Option<Decimal> {
        self.use_detail.as_ref()?.cost.map(|(_, amount)| amount)
    }

    /// The quote, for `quote` and `exchange` requests.
    pub fn quote(&self) -> Option<&Quote> {
        self.quote.as_ref()
    }

    /// The exchange offer to show with a feature use.
    pub fn offer(&self) -> Option<&Offer> {
        self.use_detail.as_ref()?.offer.as_ref()
    }

    /// Where this platform hands the exchange off to, when it delegates (names from `policy`,
    /// the one that decided).
    pub fn hand_off<'p>(&self, policy: &'p crate::policy::Policy) -> Option<HandOff<'p>> {
        let to = self.hand_off_to?;
        let from = self
            .platform
            .and_then(|p| policy.platforms.get(p.0 as usize));
        let link = match from.map(|p| &p.exchange) {
            Some(crate::policy::model::ExchangeCapability::Delegate { link, .. }) => {
                link.as_deref()
            }
            _ => None,
        };
        Some(HandOff {
            platform: policy.platforms.get(to.0 as usize)?.name.as_str(),
            link,
        })
    }

    /// The name of the platform that asked (names from `policy`, the one that decided).
    pub fn platform_name<'p>(&self, policy: &'p crate::policy::Policy) -> Option<&'p str> {
        let p = self.platform?;
        policy.platforms.get(p.0 as usize).map(|p| p.name.as_str())
    }

    /// The exchange the decision is about: the one quoted, offered, or whose eligibility was
    /// checked (names from `policy`, the one that decided).
    pub fn exchange_name<'p>(&self, policy: &'p crate::policy::Policy) -> Option<&'p str> {
        let id = self
            .quote
            .map(|q| q.exchange)
            .or_else(|| self.offer().map(|o| o.quote.exchange))
            .or(self.eligibility.map(|(x, _)| x))?;
        policy.exchanges.get(id.0 as usize).map(|x| x.name.as_str())
    }

    /// The rules and expressions that decided, when explaining.
    pub fn trace(&self) -> Option<&[TraceStep]> {
        self.trace.as_deref()
    }
}
