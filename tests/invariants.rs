//! Property tests of the rules that must hold whatever the policy says (DOMAIN.md section 4).
//!
//! Random accounts for the reference policies (every plan, mode and status; time zones with
//! daylight saving and UTC; anchors often on the 28th to 31st and at 02:00-03:00 local time;
//! starting empty, from the state a few random steps reach, or from an imported snapshot with
//! grants of every source and priority) play random request sequences (uses on every platform and
//! feature with random parameters, quotes, exchanges with or without the last quote, tampered
//! quotes, the quote-warning-exchange flow, offers accepted, rollovers, balances) at non-decreasing
//! instants over several months. Every state-changing decision is applied. After every step:
//! conservation per unit (ledger totals against the grants, and per transition), grant bounds,
//! the one-time exchange at most once and its mode switch never undone, rollover idempotent,
//! deciding never mutates, the ledger replays to the snapshot, same input same output (explaining
//! included), stale decisions refused, charges in burn-down order, carried amounts, quote rounding
//! and cycle starts. Also run across two policy versions, and with a policy whose eligibility
//! forgets the one-time rule. Garbage (random names, parameters, snapshots, instants) gets a
//! decision or an error, never a panic.
//!
//! Runs are deterministic: a fixed ChaCha seed per test, no failure persistence.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use quotient::Calendar;
use quotient::Limits;
use quotient::Policy;
use quotient::ledger::{self, LedgerGroup};
use quotient::{ApplyError, Transition, apply};
use quotient::{
    DecideOptions, Decision, Outcome, ParamValue, Quote, QuoteRef, Request, RequestKind, decide,
};
use quotient::{ExchangeRecord, Grant, GrantSource, Snapshot};
// These tests check the evaluator's own data (ids, indexes, exact amounts, the policy's tables)
// against an independent reading of the rules, so they reach internals through `unstable`.
use quotient::unstable::EntryKind;
use quotient::unstable::model::{
    BurnKey, ExchangeCapability, ParamType, Rollover, Rounding, TimeZoneSource,
};
use rust_decimal::{Decimal, RoundingStrategy};

/// Sequences per policy in `invariants_hold_over_random_sequences`.
const SEQUENCES_PER_POLICY: u32 = 5_000;
/// Sequences in `one_time_exchange_is_enforced_by_the_engine`.
const LAX_SEQUENCES: u32 = 2_000;
/// Sequences in `invariants_hold_across_policy_versions`.
const VERSIONED_SEQUENCES: u32 = 2_000;
/// Garbage requests per policy in `garbage_never_panics`.
const GARBAGE_PER_POLICY: u32 = 4_000;

const ZONES: [&str; 6] = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Pacific/Chatham",
    "America/Sao_Paulo",
];

/// Client versions sent with requests (`None` for the first).
const CLIENT_VERSIONS: [Option<&str>; 9] = [
    None,
    Some("6.0"),
    Some("6.1.2"),
    Some("5.9"),
    Some("3.2"),
    Some("3.1"),
    Some("10"),
    Some(""),
    Some("six"),
];

mod common;

fn load(file: &str) -> Arc<Policy> {
    common::policy(&format!("policies/{file}"))
}

static CAPCUT: LazyLock<Arc<Policy>> = LazyLock::new(|| load("capcut-pro.yaml"));
static LUMEN: LazyLock<Arc<Policy>> = LazyLock::new(|| load("lumen-studio.yaml"));

/// CapCut with an eligibility that forgets the one-time rule, and a few Pro uses granted in the
/// credits mode too, so the account is eligible again after the exchange: only the engine's own
/// one-time rule stops a second exchange.
static CAPCUT_LAX: LazyLock<Arc<Policy>> = LazyLock::new(|| {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/capcut-pro.yaml");
    let text = std::fs::read_to_string(path).expect("capcut-pro.yaml");
    let credits = "credit: { amount: 40, expires: cycle_end, rollover: none }";
    let forgets = "        && !account.exchanged.pro_uses_to_credits\n";
    assert!(
        text.contains(credits) && text.contains(forgets),
        "capcut-pro.yaml changed"
    );
    let text = text.replace(forgets, "").replace(
        credits,
        &format!(
            "{credits}\n          pro_use: {{ amount: 10, expires: cycle_end, rollover: none }}"
        ),
    );
    let loaded = quotient::load_str("capcut-lax.yaml", &text, &Limits::default());
    loaded
        .single()
        .and_then(|set| set.latest())
        .unwrap_or_else(|| panic!("the lax policy does not load: {:?}", loaded.diagnostics()))
        .clone()
});

fn runner(cases: u32, seed: u8) -> TestRunner {
    let config = Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        failure_persistence: None,
        ..Config::default()
    };
    let mut bytes = [0x5a_u8; 32];
    bytes[0] = seed;
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn run<S: Strategy>(
    cases: u32,
    seed: u8,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    match runner(cases, seed).run(&strategy, test) {
        Ok(()) => {}
        Err(TestError::Fail(why, case)) => {
            panic!("{why}\nminimal failing case: {case:#?}")
        }
        Err(TestError::Abort(why)) => panic!("aborted: {why}"),
    }
}

// ---------------------------------------------------------------------------------------------
// What is generated: abstract specs, read against the policy when the sequence is played.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Case {
    account: AccountSpec,
    start: Start,
    steps: Vec<StepSpec>,
}

#[derive(Debug, Clone)]
struct AccountSpec {
    plan: Index,
    mode: Index,
    /// 0..8 active, 8 cancelled, 9 past_due.
    status: u8,
    zone: Index,
    year: i32,
    month: u32,
    /// Clamped to the month's last day.
    day: u32,
    hour: u32,
    minute: u32,
    version: u64,
    /// Seconds from the anchor to the first step.
    first_offset: i64,
}

#[derive(Debug, Clone)]
enum Start {
    /// No grants, cycle `None`: the first rollover grants.
    Empty,
    /// The state these steps reach from an empty account.
    AfterSteps(Vec<StepSpec>),
    /// A snapshot imported from elsewhere, with grants of every source and priority.
    Imported(ImportSpec),
}

#[derive(Debug, Clone)]
struct ImportSpec {
    grants: Vec<GrantSpec>,
    /// 0: never rolled over, 1: the current cycle, 2: the previous one.
    cycle: u8,
    exchanged: bool,
}

#[derive(Debug, Clone)]
struct GrantSpec {
    unit: Index,
    /// In the unit's smallest step (cents of a token).
    amount: u32,
    remaining_percent: u32,
    effective_days_ago: i64,
    lifetime_days: Option<i64>,
    source: u8,
    priority: i32,
    /// Take an id the engine would also make (`c2-credit`).
    engine_like_id: bool,
}

#[derive(Debug, Clone)]
struct StepSpec {
    delta: Delta,
    /// Roll over before the request, as a timeline does.
    auto_rollover: bool,
    op: Op,
    /// Also decide the same request a second time on the same snapshot (a double submit).
    rival: bool,
}

#[derive(Debug, Clone)]
enum Delta {
    Same,
    Secs(i64),
    Days(i64, i64),
    /// The next cycle boundary, plus these seconds (never going back).
    Boundary(i64),
}

#[derive(Debug, Clone)]
enum Op {
    Use {
        platform: Index,
        version: Index,
        feature: Index,
        params: ParamSpec,
    },
    Quote {
        platform: Index,
        version: Index,
        exchange: ExchangeName,
    },
    Exchange {
        platform: Index,
        version: Index,
        exchange: ExchangeName,
        quote: QuoteChoice,
        confirm: bool,
    },
    Rollover {
        platform: Option<Index>,
    },
    Balance {
        platform: Index,
    },
    /// Change the account's time zone to one of `ZONES`.
    TimeZone {
        platform: Index,
        zone: Index,
    },
    /// The whole exchange flow: a quote (or the offer shown with a use), `gap` seconds later
    /// maybe the exchange without confirmation (the final warning), then the confirmed exchange
    /// sending that quote back. `None` platforms are the policy's executing platform.
    Flow {
        source: FlowSource,
        quote_platform: Option<Index>,
        exchange_platform: Option<Index>,
        version: Index,
        gap: i64,
        warn_first: bool,
        tamper: Option<u8>,
    },
}

#[derive(Debug, Clone)]
enum FlowSource {
    Quote,
    /// The offer shown with a use of this feature.
    Offer(Index, ParamSpec),
}

#[derive(Debug, Clone)]
enum ExchangeName {
    Omitted,
    Named,
    Unknown,
}

#[derive(Debug, Clone)]
enum QuoteChoice {
    None,
    Last,
    /// The last quote with one field changed (see `tamper`).
    Tampered(u8),
}

#[derive(Debug, Clone)]
struct ParamSpec {
    int: i64,
    mantissa: i64,
    scale: u32,
    /// 0..8 well formed, 8 missing, 9 an extra parameter, 10 wrong types.
    shape: u8,
}

fn param_spec() -> impl Strategy<Value = ParamSpec> {
    (
        prop_oneof![
            8 => 0i64..700,
            1 => -100i64..0,
            1 => any::<i64>(),
        ],
        prop_oneof![
            8 => 0i64..20_000,
            1 => -500i64..0,
            1 => any::<i64>(),
        ],
        0u32..5,
        prop_oneof![10 => 0u8..8, 1 => 8u8..11],
    )
        .prop_map(|(int, mantissa, scale, shape)| ParamSpec {
            int,
            mantissa,
            scale,
            shape,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let exchange_name = || {
        prop_oneof![
            6 => Just(ExchangeName::Omitted),
            3 => Just(ExchangeName::Named),
            1 => Just(ExchangeName::Unknown),
        ]
    };
    prop_oneof![
        10 => (any::<Index>(), any::<Index>(), any::<Index>(), param_spec()).prop_map(
            |(platform, version, feature, params)| Op::Use {
                platform,
                version,
                feature,
                params
            }
        ),
        3 => (any::<Index>(), any::<Index>(), exchange_name()).prop_map(
            |(platform, version, exchange)| Op::Quote {
                platform,
                version,
                exchange
            }
        ),
        5 => (
            any::<Index>(),
            any::<Index>(),
            exchange_name(),
            prop_oneof![
                3 => Just(QuoteChoice::None),
                5 => Just(QuoteChoice::Last),
                2 => (0u8..8).prop_map(QuoteChoice::Tampered),
            ],
            prop::bool::weighted(0.75),
        )
            .prop_map(|(platform, version, exchange, quote, confirm)| Op::Exchange {
                platform,
                version,
                exchange,
                quote,
                confirm
            }),
        2 => prop::option::weighted(0.2, any::<Index>())
            .prop_map(|platform| Op::Rollover { platform }),
        1 => any::<Index>().prop_map(|platform| Op::Balance { platform }),
        1 => (any::<Index>(), any::<Index>())
            .prop_map(|(platform, zone)| Op::TimeZone { platform, zone }),
        3 => (
            prop_oneof![
                3 => Just(FlowSource::Quote),
                1 => (any::<Index>(), param_spec()).prop_map(|(f, p)| FlowSource::Offer(f, p)),
            ],
            prop::option::weighted(0.3, any::<Index>()),
            prop::option::weighted(0.3, any::<Index>()),
            any::<Index>(),
            prop_oneof![3 => 0i64..120, 1 => 0i64..1_200],
            any::<bool>(),
            prop::option::weighted(0.15, 0u8..8),
        )
            .prop_map(
                |(source, quote_platform, exchange_platform, version, gap, warn_first, tamper)| {
                    Op::Flow {
                        source,
                        quote_platform,
                        exchange_platform,
                        version,
                        gap,
                        warn_first,
                        tamper,
                    }
                }
            ),
    ]
}

fn delta() -> impl Strategy<Value = Delta> {
    prop_oneof![
        2 => Just(Delta::Same),
        4 => (1i64..1_200).prop_map(Delta::Secs),
        2 => (1i64..172_800).prop_map(Delta::Secs),
        3 => (1i64..40, 0i64..86_400).prop_map(|(d, s)| Delta::Days(d, s)),
        2 => (-2i64..3).prop_map(Delta::Boundary),
    ]
}

fn step() -> impl Strategy<Value = StepSpec> {
    (
        delta(),
        prop::bool::weighted(0.7),
        op(),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(delta, auto_rollover, op, rival)| StepSpec {
            delta,
            auto_rollover,
            op,
            rival,
        })
}

fn account_spec(years: Range<i32>, months: Range<u32>) -> impl Strategy<Value = AccountSpec> {
    (
        (any::<Index>(), any::<Index>(), 0u8..10, any::<Index>()),
        (
            years,
            months,
            prop_oneof![3 => 28u32..32, 2 => 1u32..32],
            prop_oneof![1 => Just(2u32), 1 => Just(3u32), 3 => 0u32..24],
            prop_oneof![1 => Just(0u32), 1 => Just(30u32), 1 => 0u32..60],
        ),
        prop_oneof![3 => 0u64..5, 1 => 5u64..10_000],
        prop_oneof![
            1 => Just(0i64),
            3 => 0i64..(60 * 86_400),
            1 => (0i64..5).prop_map(|m| m * 31 * 86_400),
        ],
    )
        .prop_map(
            |(
                (plan, mode, status, zone),
                (year, month, day, hour, minute),
                version,
                first_offset,
            )| {
                AccountSpec {
                    plan,
                    mode,
                    status,
                    zone,
                    year,
                    month,
                    day,
                    hour,
                    minute,
                    version,
                    first_offset,
                }
            },
        )
}

fn grant_spec() -> impl Strategy<Value = GrantSpec> {
    (
        any::<Index>(),
        prop_oneof![1 => Just(0u32), 6 => 1u32..6_000],
        prop_oneof![1 => Just(0u32), 1 => Just(100u32), 3 => 0u32..101],
        0i64..60,
        prop::option::weighted(0.7, 1i64..70),
        0u8..4,
        prop_oneof![3 => Just(0i32), 1 => -2i32..3],
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(
                unit,
                amount,
                remaining_percent,
                effective_days_ago,
                lifetime_days,
                source,
                priority,
                engine_like_id,
            )| GrantSpec {
                unit,
                amount,
                remaining_percent,
                effective_days_ago,
                lifetime_days,
                source,
                priority,
                engine_like_id,
            },
        )
}

fn case(years: Range<i32>, months: Range<u32>) -> impl Strategy<Value = Case> {
    let start = prop_oneof![
        4 => Just(Start::Empty),
        3 => prop::collection::vec(step(), 1..8).prop_map(Start::AfterSteps),
        2 => (
            prop::collection::vec(grant_spec(), 0..6),
            0u8..3,
            prop::bool::weighted(0.2),
        )
            .prop_map(|(grants, cycle, exchanged)| Start::Imported(ImportSpec {
                grants,
                cycle,
                exchanged
            })),
    ];
    (
        account_spec(years, months),
        start,
        prop::collection::vec(step(), 5..26),
    )
        .prop_map(|(account, start, steps)| Case {
            account,
            start,
            steps,
        })
}

// ---------------------------------------------------------------------------------------------
// Small helpers.
// ---------------------------------------------------------------------------------------------

/// The sum of `remaining` over every grant of `unit`, live or not.
fn held(s: &Snapshot, unit: &str) -> Decimal {
    s.grants
        .iter()
        .filter(|g| g.unit == unit)
        .map(|g| g.remaining)
        .sum()
}

/// The usable balance of `unit` at `at`.
fn live(s: &Snapshot, unit: &str, at: DateTime<Utc>) -> Decimal {
    s.grants
        .iter()
        .filter(|g| g.unit == unit && g.is_live(at))
        .map(|g| g.remaining)
        .sum()
}

fn net(totals: &BTreeMap<String, ledger::UnitTotals>, unit: &str) -> Decimal {
    totals
        .get(unit)
        .map_or(Decimal::ZERO, |t| t.net().unwrap_or(Decimal::MAX))
}

fn quote_ref(policy: &Policy, q: &Quote) -> QuoteRef {
    q.to_ref(policy)
}

fn tamper(mut q: QuoteRef, how: u8) -> QuoteRef {
    match how {
        0 => q.to_amount += Decimal::ONE,
        1 => q.from_amount += Decimal::ONE,
        2 => q.balance_version = q.balance_version.wrapping_add(1),
        3 => q.cycle -= 1,
        4 => q.policy_version.push_str("-old"),
        5 => q.exchange.push_str("_other"),
        6 => q.valid_until -= Duration::minutes(20),
        _ => q.to_amount = Decimal::ZERO,
    }
    q
}

/// The local wall-clock instant, moved past a daylight-saving gap if it falls in one.
fn local_instant(zone: chrono_tz::Tz, spec: &AccountSpec) -> DateTime<Utc> {
    let last_day = (28..=31)
        .rev()
        .find(|d| NaiveDate::from_ymd_opt(spec.year, spec.month, *d).is_some())
        .unwrap_or(28);
    let date = NaiveDate::from_ymd_opt(spec.year, spec.month, spec.day.min(last_day))
        .expect("a clamped day exists");
    let mut naive = date
        .and_hms_opt(spec.hour, spec.minute, 0)
        .expect("a valid time of day");
    for _ in 0..4 {
        if let Some(t) = zone.from_local_datetime(&naive).earliest() {
            return t.with_timezone(&Utc);
        }
        naive += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&naive)
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

// ---------------------------------------------------------------------------------------------
// Playing a sequence and checking every step.
// ---------------------------------------------------------------------------------------------

struct Player<'p> {
    /// The version in force now (the first one before any is).
    policy: &'p Policy,
    /// Every version, oldest first.
    versions: &'p [Arc<Policy>],
    calendar: Calendar,
    /// The model of the account's earlier zones (DOMAIN: a change keeps the current cycle's
    /// bounds): each zone with the last cycle wholly on its clock, oldest first. Empty when the
    /// policy fixes the zone.
    eras: Vec<(chrono_tz::Tz, i64)>,
    /// Whether the policy computes cycles in the account's own zone.
    account_zone: bool,
    /// The account the sequence started from (what the ledger replays onto).
    initial: Snapshot,
    state: Snapshot,
    groups: Vec<LedgerGroup>,
    /// The state after the prefix steps, and how many groups led to it.
    mid: Option<(Snapshot, usize)>,
    now: DateTime<Utc>,
    last_quote: Option<QuoteRef>,
    /// Exchanges executed during the sequence, with the mode each switched to.
    exchanged: Vec<(String, Option<String>)>,
    requests: usize,
    /// Keep the quote of an offer shown with a use as the last quote.
    offer_quote: bool,
}

impl<'p> Player<'p> {
    fn new(versions: &'p [Arc<Policy>], case: &Case) -> Self {
        let policy: &Policy = &versions[0];
        let a = &case.account;
        let zone_name = ZONES[a.zone.index(ZONES.len())];
        let zone: chrono_tz::Tz = zone_name.parse().expect("a known zone");
        let cycle_zone: chrono_tz::Tz = match &policy.cycle.time_zone {
            TimeZoneSource::Account => zone,
            TimeZoneSource::Fixed(z) => z.parse().expect("a known zone"),
        };
        let anchor = local_instant(cycle_zone, a);
        let calendar = Calendar::new(anchor, cycle_zone, policy.cycle.period).expect("calendar");
        let plan = &policy.plans[a.plan.index(policy.plans.len())];
        let status = match a.status {
            0..8 => "active",
            8 => "cancelled",
            _ => "past_due",
        };
        let now = anchor + Duration::seconds(a.first_offset);
        let mut initial = Snapshot {
            id: "acct-prop".into(),
            plan: plan.name.clone(),
            status: status.into(),
            time_zone: zone_name.into(),
            earlier_time_zones: Vec::new(),
            anchor,
            mode: policy.modes[a.mode.index(policy.modes.len())].clone(),
            version: a.version,
            cycle: None,
            exchanges: Vec::new(),
            grants: Vec::new(),
        };
        if let Start::Imported(spec) = &case.start {
            import(policy, &calendar, &mut initial, spec, now);
        }
        let mut player = Player {
            policy,
            versions,
            calendar,
            eras: Vec::new(),
            account_zone: policy.cycle.time_zone == TimeZoneSource::Account,
            state: initial.clone(),
            initial,
            groups: Vec::new(),
            mid: None,
            now,
            last_quote: None,
            exchanged: Vec::new(),
            requests: 0,
            offer_quote: false,
        };
        player.select_version();
        player
    }

    fn select_version(&mut self) {
        let now = self.now;
        self.policy = self
            .versions
            .iter()
            .rev()
            .find(|p| p.effective_from <= now)
            .unwrap_or(&self.versions[0]);
    }

    fn advance(&mut self, delta: &Delta) {
        let next = match *delta {
            Delta::Same => self.now,
            Delta::Secs(s) => self.now + Duration::seconds(s),
            Delta::Days(d, s) => self.now + Duration::days(d) + Duration::seconds(s),
            Delta::Boundary(off) => {
                let end = self.calendar.cycle_at(self.now).map_or(self.now, |c| c.end);
                end + Duration::seconds(off)
            }
        };
        self.now = next.max(self.now);
        self.select_version();
    }

    fn play_case(&mut self, case: &Case) -> Result<(), TestCaseError> {
        self.check_state()?;
        let prefix = match &case.start {
            Start::AfterSteps(prefix) => prefix.as_slice(),
            _ => &[],
        };
        for (n, s) in prefix.iter().chain(&case.steps).enumerate() {
            if n == prefix.len() && !prefix.is_empty() {
                self.mid = Some((self.state.clone(), self.groups.len()));
            }
            self.play_step(s).map_err(|e| match e {
                TestCaseError::Fail(why) => fail(format!(
                    "step {} of {} (at {}, account version {}): {}",
                    n + 1,
                    prefix.len() + case.steps.len(),
                    self.now.to_rfc3339(),
                    self.state.version,
                    why.message()
                )),
                other => other,
            })?;
        }
        Ok(())
    }

    fn play_step(&mut self, spec: &StepSpec) -> Result<(), TestCaseError> {
        self.advance(&spec.delta);
        self.requests += 1;
        let id = format!("r{}", self.requests);
        if spec.auto_rollover && !matches!(spec.op, Op::Rollover { .. }) {
            let roll = Request::new(format!("{id}/rollover"), RequestKind::Rollover);
            self.play(&roll, true, false)?;
            self.check_state()?;
        }
        if let Op::Flow {
            source,
            quote_platform,
            exchange_platform,
            version,
            gap,
            warn_first,
            tamper,
        } = &spec.op
        {
            return self.play_flow(
                id,
                source,
                quote_platform.as_ref(),
                exchange_platform.as_ref(),
                version,
                *gap,
                *warn_first,
                *tamper,
                spec.rival,
            );
        }
        let (request, well_formed) = self.request(&spec.op, id);
        self.play(&request, well_formed, spec.rival)?;
        self.check_state()
    }

    #[allow(clippy::too_many_arguments)]
    fn play_flow(
        &mut self,
        id: String,
        source: &FlowSource,
        quote_platform: Option<&Index>,
        exchange_platform: Option<&Index>,
        version: &Index,
        gap: i64,
        warn_first: bool,
        tamper_how: Option<u8>,
        rival: bool,
    ) -> Result<(), TestCaseError> {
        let executes = self
            .policy
            .platforms
            .iter()
            .position(|p| p.exchange == ExchangeCapability::Execute)
            .unwrap_or(0);
        let pick = |i: Option<&Index>| {
            let n = i.map_or(executes, |i| i.index(self.policy.platforms.len()));
            self.policy.platforms[n].name.clone()
        };
        let (quote_platform, exchange_platform) = (pick(quote_platform), pick(exchange_platform));
        self.last_quote = None;
        match source {
            FlowSource::Quote => {
                let mut r =
                    Request::new(format!("{id}/quote"), RequestKind::Quote).on(&quote_platform);
                r.client_version = Self::client_version(version);
                self.play(&r, true, false)?;
            }
            FlowSource::Offer(feature, params) => {
                let op = Op::Use {
                    platform: *version, // any: the flow's platform is set next
                    version: *version,
                    feature: *feature,
                    params: params.clone(),
                };
                let (mut r, ok) = self.request(&op, format!("{id}/use"));
                r.platform = Some(quote_platform);
                self.offer_quote = true;
                let played = self.play(&r, ok, false);
                self.offer_quote = false;
                played?;
            }
        }
        self.check_state()?;
        self.advance(&Delta::Secs(gap));
        let quote = self.last_quote.clone().map(|q| match tamper_how {
            Some(how) => tamper(q, how),
            None => q,
        });
        let mut r =
            Request::new(format!("{id}/exchange"), RequestKind::Exchange).on(&exchange_platform);
        r.client_version = Self::client_version(version);
        r.quote = quote;
        if warn_first {
            self.play(&r, true, false)?;
            self.check_state()?;
        }
        r.id.push_str("/confirmed");
        r.confirm = true;
        self.play(&r, true, rival)?;
        self.check_state()
    }

    fn platform(&self, i: &Index) -> String {
        self.policy.platforms[i.index(self.policy.platforms.len())]
            .name
            .clone()
    }

    fn client_version(i: &Index) -> Option<String> {
        CLIENT_VERSIONS[i.index(CLIENT_VERSIONS.len())].map(str::to_string)
    }

    fn exchange_name(&self, name: &ExchangeName) -> (Option<String>, bool) {
        match name {
            ExchangeName::Omitted => (None, self.policy.exchanges.len() == 1),
            ExchangeName::Named => (
                self.policy.exchanges.first().map(|x| x.name.clone()),
                !self.policy.exchanges.is_empty(),
            ),
            ExchangeName::Unknown => (Some("no_such_exchange".into()), false),
        }
    }

    /// The request an op describes, and whether it is well formed (must not be an error).
    fn request(&self, op: &Op, id: String) -> (Request, bool) {
        match op {
            Op::Use {
                platform,
                version,
                feature,
                params,
            } => {
                let mut r = Request::new(id, RequestKind::Use).on(&self.platform(platform));
                r.client_version = Self::client_version(version);
                let f = &self.policy.features[feature.index(self.policy.features.len())];
                r.feature = Some(f.name.clone());
                let mut ok = true;
                for (n, p) in f.params.iter().enumerate() {
                    let value = match (params.shape, p.ty) {
                        (8, _) if n == 0 => {
                            ok = false;
                            continue;
                        }
                        (10, _) => {
                            ok = false;
                            ParamValue::Bool(true)
                        }
                        (_, ParamType::Int) => ParamValue::Int(params.int),
                        (s, ParamType::Decimal) if s % 2 == 0 => ParamValue::Text(
                            Decimal::new(params.mantissa, params.scale).to_string(),
                        ),
                        (_, ParamType::Decimal) => ParamValue::Int(params.int),
                        (_, ParamType::String) => ParamValue::Text("x".into()),
                        (_, ParamType::Bool) => ParamValue::Bool(params.int % 2 == 0),
                    };
                    // A number outside the declared bounds is refused, not used.
                    let number = match &value {
                        ParamValue::Int(i) => Some(Decimal::from(*i)),
                        ParamValue::Text(t) if p.ty == ParamType::Decimal => t.parse().ok(),
                        _ => None,
                    };
                    if let Some(number) = number {
                        let below = p.min.is_some_and(|min| number < min);
                        let above = p.max.is_some_and(|max| number > max);
                        if below || above {
                            ok = false;
                        }
                    }
                    r.params.insert(p.name.clone(), value);
                }
                if params.shape == 9 {
                    ok = false;
                    r.params.insert("bogus".into(), ParamValue::Int(1));
                }
                (r, ok)
            }
            Op::Quote {
                platform,
                version,
                exchange,
            } => {
                let mut r = Request::new(id, RequestKind::Quote).on(&self.platform(platform));
                r.client_version = Self::client_version(version);
                let (name, ok) = self.exchange_name(exchange);
                r.exchange = name;
                (r, ok)
            }
            Op::Exchange {
                platform,
                version,
                exchange,
                quote,
                confirm,
            } => {
                let mut r = Request::new(id, RequestKind::Exchange).on(&self.platform(platform));
                r.client_version = Self::client_version(version);
                let (name, ok) = self.exchange_name(exchange);
                r.exchange = name;
                r.confirm = *confirm;
                r.quote = match quote {
                    QuoteChoice::None => None,
                    QuoteChoice::Last => self.last_quote.clone(),
                    QuoteChoice::Tampered(how) => self.last_quote.clone().map(|q| tamper(q, *how)),
                };
                (r, ok)
            }
            Op::Rollover { platform } => {
                let mut r = Request::new(id, RequestKind::Rollover);
                r.platform = platform.as_ref().map(|p| self.platform(p));
                (r, true)
            }
            Op::Balance { platform } => (
                Request::new(id, RequestKind::Balance).on(&self.platform(platform)),
                true,
            ),
            Op::TimeZone { platform, zone } => {
                let mut r = Request::new(id, RequestKind::TimeZone).on(&self.platform(platform));
                r.time_zone = Some(ZONES[zone.index(ZONES.len())].to_string());
                (r, true)
            }
            Op::Flow { .. } => unreachable!("flows are played step by step"),
        }
    }

    /// Decides `request` now, checks the decision, and applies it when it changes state.
    fn play(
        &mut self,
        request: &Request,
        well_formed: bool,
        rival: bool,
    ) -> Result<(), TestCaseError> {
        let policy = self.policy;
        let options = DecideOptions::default();
        let before = self.state.clone();
        let request_before = request.clone();

        let first = decide(policy, &self.state, request, self.now, &options);
        // (5) deciding never mutates.
        prop_assert_eq!(&self.state, &before, "decide mutated the snapshot");
        prop_assert_eq!(request, &request_before, "decide mutated the request");
        // (7) the same input gives the same output; explaining changes nothing but the trace.
        let second = decide(policy, &self.state, request, self.now, &options);
        prop_assert_eq!(&first, &second, "deciding twice gave different answers");
        let explain = DecideOptions::explaining(true);
        match (
            &first,
            decide(policy, &self.state, request, self.now, &explain),
        ) {
            (Ok(a), Ok(mut b)) => {
                prop_assert!(b.trace.is_some(), "an explained decision has no trace");
                b.trace = None;
                prop_assert_eq!(a, &b, "explaining changed the decision");
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, &b),
            (a, b) => {
                return Err(fail(format!(
                    "explaining changed the result: {a:?} vs {b:?}"
                )));
            }
        }

        let d = match first {
            Err(e) => {
                prop_assert!(
                    !well_formed,
                    "a well-formed request was refused: {e} ({request:?} at {})",
                    self.now
                );
                prop_assert!(!e.to_string().is_empty());
                return Ok(());
            }
            Ok(d) => d,
        };
        let report = d.report(policy, &self.state);
        prop_assert!(!report.to_text().is_empty());
        self.check_decision(request, &d)?;

        // A second submit of the same request, decided on the same snapshot.
        let mut rival_id = request.clone();
        rival_id.id.push_str("~again");
        let rival = if rival {
            let r = decide(policy, &self.state, &rival_id, self.now, &options)
                .map_err(|e| fail(format!("the same request decided again failed: {e}")))?;
            let mut same = r.clone();
            same.request_id = d.request_id();
            prop_assert_eq!(
                &same,
                &d,
                "the same request on the same snapshot decided otherwise"
            );
            Some(r)
        } else {
            None
        };

        if let Some(q) = &d.quote {
            self.last_quote = Some(quote_ref(policy, q));
        }
        if self.offer_quote {
            if let Some(o) = d.use_detail.as_ref().and_then(|u| u.offer.as_ref()) {
                self.last_quote = Some(quote_ref(policy, &o.quote));
            }
        }
        if !d.changes_state() {
            prop_assert_eq!(
                apply(policy, &self.state, &d),
                Err(ApplyError::NothingToApply(d.outcome()))
            );
            return Ok(());
        }
        let t = apply(policy, &self.state, &d)
            .map_err(|e| fail(format!("apply refused a fresh decision: {e}\n{d:#?}")))?;
        // (9) nothing apply writes is refused on the next read: the new snapshot validates,
        // and it survives a round trip through its JSON form unchanged.
        let problems = quotient::validate(&t.snapshot, policy);
        prop_assert!(
            problems.is_empty(),
            "apply wrote a snapshot that does not validate: {problems:?}"
        );
        let text = serde_json::to_string(&t.snapshot).map_err(|e| fail(e.to_string()))?;
        let read_back = Snapshot::from_json(&text);
        prop_assert_eq!(
            read_back.as_ref(),
            Ok(&t.snapshot),
            "the new snapshot does not read back"
        );
        // (7) applying twice gives the same transition.
        let again = apply(policy, &self.state, &d);
        prop_assert_eq!(
            again.as_ref(),
            Ok(&t),
            "applying twice gave different transitions"
        );
        self.check_transition(request, &d, &t)?;
        let zone_change = t.ledger.time_zone.clone();
        // (8) a decision made on an older version is refused, so two decisions made on one
        // snapshot (two exchanges included) never both apply.
        let stale = Err(ApplyError::StaleSnapshot {
            decided_on: self.state.version,
            now: t.snapshot.version,
        });
        prop_assert_eq!(apply(policy, &t.snapshot, &d), stale.clone());
        if let Some(r) = &rival {
            prop_assert_eq!(apply(policy, &t.snapshot, r), stale);
        }
        if let Some(x) = &t.ledger.exchange {
            let ex = policy
                .exchanges
                .iter()
                .find(|e| e.name == x.exchange)
                .ok_or_else(|| fail(format!("unknown exchange `{}` recorded", x.exchange)))?;
            let mode = ex.switch_mode.map(|m| policy.modes[m.0 as usize].clone());
            self.exchanged.push((x.exchange.clone(), mode));
        }
        self.state = t.snapshot;
        self.groups.push(t.ledger);
        if let Some(z) = zone_change {
            self.change_zone(&z)?;
        }
        Ok(())
    }

    /// A time zone change keeps the bounds of the cycle the account is in and moves the later
    /// ones onto the new zone's clock: the model's calendar follows, and the one the library
    /// builds from the new snapshot must be the same.
    fn change_zone(&mut self, z: &quotient::ledger::TimeZoneChange) -> Result<(), TestCaseError> {
        let cycle = |c: &Calendar, index: i64| c.cycle(index).map_err(|e| fail(e.to_string()));
        let before = cycle(&self.calendar, z.cycle)?;
        let in_use_before = cycle(&self.calendar, z.until_cycle)?;
        if self.account_zone {
            let to: chrono_tz::Tz = z.to.parse().map_err(|_| fail("unknown zone".into()))?;
            // The old zone keeps every boundary still in use: this cycle's end, and the next
            // one's when a live grant expires there.
            let next_end = self.calendar.cycle(z.cycle + 1).map(|c| c.end).ok();
            let until = if self
                .state
                .grants
                .iter()
                .any(|g| g.is_live(self.now) && g.expires.is_some() && g.expires == next_end)
            {
                z.cycle + 1
            } else {
                z.cycle
            };
            prop_assert_eq!(
                z.until_cycle,
                until,
                "the zone change keeps the wrong bounds"
            );
            self.eras.retain(|(_, u)| u + 1 >= z.cycle);
            if self.eras.last().is_none_or(|(_, u)| *u < until) {
                self.eras.push((self.calendar.zone(), until));
            }
            self.calendar = Calendar::new(self.calendar.anchor(), to, self.calendar.period())
                .and_then(|c| c.with_earlier_zones(&self.eras))
                .map_err(|e| fail(e.to_string()))?;
        }
        let after = cycle(&self.calendar, z.cycle)?;
        prop_assert_eq!(before, after, "a time zone change moved the current cycle");
        let in_use_after = cycle(&self.calendar, z.until_cycle)?;
        prop_assert_eq!(
            in_use_before,
            in_use_after,
            "a time zone change moved a bound in use"
        );
        prop_assert_eq!(
            self.policy.calendar(&self.state).ok(),
            Some(self.calendar),
            "the library's calendar of the new snapshot is not the model's"
        );
        Ok(())
    }

    fn check_decision(&self, request: &Request, d: &Decision<'_>) -> Result<(), TestCaseError> {
        let policy = self.policy;
        let s = &self.state;
        prop_assert_eq!(d.account_version(), s.version);
        prop_assert_eq!(d.at(), self.now);
        prop_assert!(
            d.cycle().contains(self.now),
            "the decision's cycle misses now"
        );
        prop_assert_eq!(Some(d.cycle()), self.calendar.cycle_at(self.now).ok());
        check_cycle_start(&self.calendar, &self.eras, d.cycle().index, d.cycle().start)?;
        for (i, u) in policy.units.iter().enumerate() {
            prop_assert_eq!(
                d.balances[i],
                live(s, &u.name, self.now),
                "balance of {}",
                u.name
            );
        }
        let platform = d.platform.map(|p| &policy.platforms[p.0 as usize]);
        if let Some(q) = &d.quote {
            let x = &policy.exchanges[q.exchange.0 as usize];
            prop_assert_eq!(q.balance_version, s.version);
            prop_assert_eq!(q.cycle, d.cycle().index);
            prop_assert!(q.valid_until > self.now && q.valid_until <= d.cycle().end);
            prop_assert!(q.converted >= Decimal::ZERO && q.converted <= q.from_amount);
            prop_assert_eq!(q.remainder, q.from_amount - q.converted);
            prop_assert!(q.to_amount >= Decimal::ZERO);
            if !q.remainder_forfeited || q.rounding == Rounding::Floor {
                // Never more than what is paid for.
                prop_assert!(
                    q.to_amount * x.ratio.from <= q.converted * x.ratio.to,
                    "the quote gives more than it takes: {q:?}"
                );
            }
            // The whole usable balance, converted at the ratio and rounded as the policy says.
            let decimals = policy.units[x.to.0 as usize].decimals;
            prop_assert_eq!(q.from_amount, d.balances[x.from.0 as usize]);
            prop_assert_eq!(q.exact, q.from_amount * x.ratio.to / x.ratio.from);
            let rounded = q.exact.round_dp_with_strategy(
                decimals,
                match q.rounding {
                    Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
                    Rounding::Ceiling => RoundingStrategy::ToPositiveInfinity,
                    Rounding::HalfEven | Rounding::Exact => RoundingStrategy::MidpointNearestEven,
                },
            );
            if q.remainder_forfeited {
                prop_assert_eq!(
                    q.to_amount,
                    rounded,
                    "rounded otherwise than the policy says"
                );
            } else {
                // Lowered, if rounding went up, to what the balance pays for, and no further.
                let step = Decimal::new(1, decimals);
                prop_assert!(q.to_amount <= rounded);
                prop_assert!(
                    q.to_amount == rounded
                        || (q.to_amount + step) * x.ratio.from > q.from_amount * x.ratio.to,
                    "the quote gives less than the balance pays for: {q:?}"
                );
            }
            prop_assert_eq!(q.rounded, q.to_amount != q.exact);
        }
        match d.outcome() {
            Outcome::Allowed => {
                let detail = d
                    .use_detail
                    .as_ref()
                    .ok_or_else(|| fail("no detail".into()))?;
                let (unit, cost) = detail.cost.ok_or_else(|| fail("no cost".into()))?;
                let unit_name = &policy.units[unit.0 as usize].name;
                prop_assert!(
                    cost <= d.balances[unit.0 as usize],
                    "allowed beyond the balance"
                );
                let mut paid = Decimal::ZERO;
                let mut seen = BTreeSet::new();
                for c in detail.charges.iter() {
                    let g = s
                        .grants
                        .get(c.grant)
                        .ok_or_else(|| fail(format!("charge to grant {}", c.grant)))?;
                    prop_assert!(seen.insert(c.grant), "a grant charged twice");
                    prop_assert_eq!(&g.unit, unit_name);
                    prop_assert!(g.is_live(self.now), "a charge to a grant not live");
                    prop_assert!(c.amount > Decimal::ZERO && c.amount <= g.remaining);
                    paid += c.amount;
                }
                prop_assert_eq!(paid, cost, "charges do not add up to the cost");
                prop_assert!(platform.is_some_and(|p| p.consume));
                // The grants pay in the policy's burn-down order: the first ones in full, the
                // last one maybe in part.
                let order = burn_order(policy, s, unit_name, self.now);
                let charged: Vec<usize> = detail.charges.iter().map(|c| c.grant).collect();
                prop_assert!(
                    order.starts_with(&charged),
                    "charged {:?}, but the burn-down order is {:?}",
                    charged,
                    order
                );
                for c in detail.charges.iter().take(charged.len().saturating_sub(1)) {
                    prop_assert_eq!(c.amount, s.grants[c.grant].remaining);
                }
            }
            Outcome::Exchanged => {
                prop_assert!(request.confirm, "exchanged without confirmation");
                prop_assert!(
                    platform.is_some_and(|p| p.exchange == ExchangeCapability::Execute),
                    "exchanged on a platform that does not execute"
                );
                let q = d.quote.as_ref().ok_or_else(|| fail("no quote".into()))?;
                let x = &policy.exchanges[q.exchange.0 as usize];
                if x.one_time {
                    prop_assert!(
                        !s.exchanges.iter().any(|r| r.exchange == x.name),
                        "a one-time exchange decided a second time"
                    );
                }
                // Execution grants exactly what was quoted, or refuses.
                if let Some(sent) = &request.quote {
                    prop_assert_eq!(q.to_amount, sent.to_amount);
                    prop_assert_eq!(q.from_amount, sent.from_amount);
                    prop_assert_eq!(q.balance_version, sent.balance_version);
                    prop_assert!(self.now < sent.valid_until);
                }
            }
            Outcome::HandedOff => {
                prop_assert!(d.hand_off_to.is_some());
                let delegates = matches!(
                    platform.map(|p| &p.exchange),
                    Some(ExchangeCapability::Delegate { .. })
                );
                prop_assert!(delegates, "handed off by a platform that does not delegate");
            }
            _ => {}
        }
        if let Some(offer) = d.use_detail.as_ref().and_then(|u| u.offer.as_ref()) {
            prop_assert!(
                platform.is_some_and(|p| p.offer),
                "an offer on a platform without"
            );
            let x = &policy.exchanges[offer.quote.exchange.0 as usize];
            prop_assert!(!(x.one_time && s.exchanges.iter().any(|r| r.exchange == x.name)));
        }
        Ok(())
    }

    fn check_transition(
        &self,
        request: &Request,
        d: &Decision<'_>,
        t: &Transition,
    ) -> Result<(), TestCaseError> {
        let policy = self.policy;
        let (before, after, group) = (&self.state, &t.snapshot, &t.ledger);
        prop_assert_eq!(after.version, before.version + 1);
        prop_assert_eq!(group.version_before, before.version);
        prop_assert_eq!(group.version_after, after.version);
        prop_assert_eq!(&group.request_id, &request.id);
        prop_assert_eq!(group.at, self.now);
        prop_assert_eq!(&group.policy_version, &policy.version);
        // (1) the transition balances, unit by unit.
        let totals = ledger::totals([group]).map_err(|e| fail(e.to_string()))?;
        for u in &policy.units {
            prop_assert_eq!(
                net(&totals, &u.name),
                held(after, &u.name) - held(before, &u.name),
                "the transition does not balance for {}",
                u.name
            );
            if let Some(tot) = totals.get(&u.name) {
                prop_assert_eq!(tot.rolled_in, tot.rolled_out, "a rollover makes or loses");
            }
        }
        for e in &group.entries {
            prop_assert!(e.amount >= Decimal::ZERO, "a negative entry {e:?}");
            if e.opened.is_some() {
                prop_assert!(e.before == Decimal::ZERO && e.after == e.amount, "{e:?}");
            } else {
                prop_assert_eq!(e.before - e.amount, e.after, "{:?}", e);
            }
        }
        let sum = |kind: EntryKind| -> Decimal {
            group
                .entries
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.amount)
                .sum()
        };
        match d.outcome() {
            Outcome::Allowed => {
                let cost = d
                    .use_detail
                    .as_ref()
                    .and_then(|u| u.cost)
                    .map_or(Decimal::ZERO, |(_, c)| c);
                prop_assert!(group.entries.iter().all(|e| e.kind == EntryKind::Consume));
                prop_assert_eq!(sum(EntryKind::Consume), cost);
                prop_assert_eq!(&after.mode, &before.mode);
                prop_assert_eq!(after.cycle, before.cycle);
            }
            Outcome::Exchanged => {
                let q = d.quote.as_ref().ok_or_else(|| fail("no quote".into()))?;
                prop_assert_eq!(sum(EntryKind::ConvertOut), q.converted);
                prop_assert_eq!(sum(EntryKind::ConvertIn), q.to_amount);
                let forfeited = if q.remainder_forfeited {
                    q.remainder
                } else {
                    Decimal::ZERO
                };
                prop_assert_eq!(sum(EntryKind::Forfeit), forfeited);
                let record = group
                    .exchange
                    .as_ref()
                    .ok_or_else(|| fail("an exchange without its record".into()))?;
                prop_assert_eq!(record.at, self.now);
                prop_assert_eq!(record.converted, q.converted);
                prop_assert_eq!(record.received, q.to_amount);
                prop_assert_eq!(after.exchanges.last(), Some(record));
                for g in after
                    .grants
                    .iter()
                    .filter(|g| g.source == GrantSource::Exchange)
                {
                    if before.grants.iter().all(|b| b.id != g.id) {
                        prop_assert_eq!(g.expires, q.grant_expires);
                        prop_assert_eq!(g.effective, self.now);
                        prop_assert_eq!(g.amount, q.to_amount);
                    }
                }
                prop_assert_eq!(after.exchanges.len(), before.exchanges.len() + 1);
                let x = &policy.exchanges[q.exchange.0 as usize];
                if let Some(m) = x.switch_mode {
                    prop_assert_eq!(&after.mode, &policy.modes[m.0 as usize]);
                }
                prop_assert_eq!(after.cycle, before.cycle);
            }
            Outcome::RolledOver => {
                prop_assert_eq!(after.cycle, Some(d.cycle().index));
                check_carry(policy, before, group)?;
                prop_assert_eq!(&after.mode, &before.mode, "a rollover changed the mode");
                prop_assert_eq!(&after.exchanges, &before.exchanges);
                for g in &after.grants {
                    prop_assert!(
                        g.expires.is_none_or(|e| e > self.now),
                        "grant `{}` ended at {:?} and is still there after the rollover",
                        g.id,
                        g.expires
                    );
                }
                // The new cycle's allowance for the account's mode.
                if before.status == "active" {
                    let plan = policy
                        .plans
                        .iter()
                        .find(|p| p.name == before.plan)
                        .ok_or_else(|| fail("plan".into()))?;
                    for a in plan
                        .allowances
                        .iter()
                        .filter(|a| policy.modes[a.mode.0 as usize] == before.mode)
                    {
                        let unit = &policy.units[a.unit.0 as usize].name;
                        // A hook may compute the amount (lumen's loyalty bonus).
                        let amount = policy
                            .allowance_amount(a, d.cycle().index)
                            .ok_or_else(|| fail("allowance amount".into()))?;
                        prop_assert!(
                            after
                                .grants
                                .iter()
                                .any(|g| g.source == GrantSource::Allowance
                                    && &g.unit == unit
                                    && g.effective == d.cycle().start
                                    && g.amount == amount
                                    && g.remaining == amount),
                            "no allowance of {} for cycle {}",
                            unit,
                            d.cycle().index
                        );
                    }
                }
            }
            Outcome::Updated => {
                // A time zone change: nothing but the zone (and the zones kept) changes.
                let z = group
                    .time_zone
                    .as_ref()
                    .ok_or_else(|| fail("an update without its record".into()))?;
                prop_assert!(group.entries.is_empty(), "a zone change moved amounts");
                prop_assert_eq!(&z.from, &before.time_zone);
                prop_assert_eq!(Some(&z.to), request.time_zone.as_ref());
                prop_assert_eq!(&after.time_zone, &z.to);
                prop_assert_eq!(Some(z.cycle), before.cycle);
                prop_assert_eq!(&after.grants, &before.grants);
                prop_assert_eq!(&after.mode, &before.mode);
                prop_assert_eq!(after.cycle, before.cycle);
                prop_assert!(after.earlier_time_zones.len() <= quotient::MAX_EARLIER_TIME_ZONES);
            }
            other => return Err(fail(format!("applied a `{}` decision", other.as_str()))),
        }
        Ok(())
    }

    /// The invariants of the account as it is now.
    fn check_state(&self) -> Result<(), TestCaseError> {
        let policy = self.policy;
        let s = &self.state;
        // (2) every grant within 0 ..= amount, in its unit's decimals; ids unique.
        let mut ids = BTreeSet::new();
        for g in &s.grants {
            let unit = policy
                .units
                .iter()
                .find(|u| u.name == g.unit)
                .ok_or_else(|| fail(format!("grant `{}` of unknown unit", g.id)))?;
            prop_assert!(
                g.remaining >= Decimal::ZERO && g.remaining <= g.amount,
                "grant `{}` has {} of {}",
                g.id,
                g.remaining,
                g.amount
            );
            prop_assert!(g.amount.normalize().scale() <= unit.decimals);
            prop_assert!(
                g.remaining.normalize().scale() <= unit.decimals,
                "grant `{}` has {} {}: more decimals than the unit has",
                g.id,
                g.remaining,
                g.unit
            );
            prop_assert!(ids.insert(g.id.as_str()), "grant id `{}` twice", g.id);
        }
        // (1) conservation: what the ledger added less what it took is what the grants hold.
        let totals = ledger::totals(&self.groups).map_err(|e| fail(e.to_string()))?;
        let since_mid = match self.mid.as_ref() {
            Some((m, n)) => Some((
                m,
                ledger::totals(&self.groups[*n..]).map_err(|e| fail(e.to_string()))?,
            )),
            None => None,
        };
        for u in &policy.units {
            prop_assert_eq!(
                net(&totals, &u.name),
                held(s, &u.name) - held(&self.initial, &u.name),
                "{} is not conserved",
                u.name
            );
            if let Some(t) = totals.get(&u.name) {
                prop_assert_eq!(t.rolled_in, t.rolled_out);
            }
            if let Some((mid, totals)) = &since_mid {
                prop_assert_eq!(net(totals, &u.name), held(s, &u.name) - held(mid, &u.name));
            }
        }
        // (3) a one-time exchange at most once, and its mode switch never undone.
        for x in policy.exchanges.iter().filter(|x| x.one_time) {
            let n = s.exchanges.iter().filter(|r| r.exchange == x.name).count();
            prop_assert!(n <= 1, "one-time exchange `{}` done {} times", x.name, n);
        }
        for (name, mode) in &self.exchanged {
            if let Some(mode) = mode {
                prop_assert_eq!(&s.mode, mode, "the switch of `{}` was undone", name);
            }
        }
        // (6) the ledger replays to the snapshot.
        let replayed = ledger::replay(&self.initial, &self.groups)
            .map_err(|e| fail(format!("the ledger does not replay: {e}")))?;
        prop_assert_eq!(
            &replayed,
            s,
            "the replayed ledger differs from the snapshot"
        );
        if let Some((mid, n)) = &self.mid {
            let replayed = ledger::replay(mid, &self.groups[*n..])
                .map_err(|e| fail(format!("the ledger does not replay from the middle: {e}")))?;
            prop_assert_eq!(&replayed, s);
        }
        // (4) rolling over to a cycle already rolled over to changes nothing.
        let roll = Request::new("check/rollover", RequestKind::Rollover);
        let d = decide(policy, s, &roll, self.now, &DecideOptions::default())
            .map_err(|e| fail(format!("a rollover was refused: {e}")))?;
        if s.cycle == Some(d.cycle().index) {
            prop_assert_eq!(d.outcome(), Outcome::Unchanged);
            prop_assert!(!d.changes_state());
            prop_assert!(d.changes.is_none());
        } else {
            prop_assert_eq!(d.outcome(), Outcome::RolledOver);
        }
        Ok(())
    }
}

/// Cycle `index` starts on the anchor's local wall-clock time, `index` months after the anchor's
/// local date with the day clamped to the month's end; a start in a daylight-saving gap is moved
/// forward on the same day, one in an overlap is the earlier instant.
fn check_cycle_start(
    calendar: &Calendar,
    eras: &[(chrono_tz::Tz, i64)],
    index: i64,
    start: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    if calendar.period() != quotient::Period::Monthly {
        return Ok(());
    }
    // The start of cycle `index` is on the clock of the first earlier zone whose last whole
    // cycle is `index - 1` or later; otherwise on the account's zone.
    let zone = eras
        .iter()
        .find(|(_, until)| index <= until + 1)
        .map_or(calendar.zone(), |(z, _)| *z);
    let anchor = calendar.anchor().with_timezone(&zone).naive_local();
    let months = i64::from(anchor.year()) * 12 + i64::from(anchor.month0()) + index;
    let (year, month) = (
        i32::try_from(months.div_euclid(12)).unwrap_or(i32::MAX),
        u32::try_from(months.rem_euclid(12)).unwrap_or(0) + 1,
    );
    let day = (28..=anchor.day())
        .rev()
        .find(|&d| NaiveDate::from_ymd_opt(year, month, d).is_some())
        .unwrap_or(anchor.day());
    let date = NaiveDate::from_ymd_opt(year, month, day.min(anchor.day()))
        .ok_or_else(|| fail(format!("no date {year}-{month}-{day}")))?;
    let wall = date.and_time(anchor.time());
    match zone.from_local_datetime(&wall).earliest() {
        Some(t) => prop_assert_eq!(
            start,
            t.with_timezone(&Utc),
            "cycle {} of an account anchored at {} ({})",
            index,
            anchor,
            zone
        ),
        None => prop_assert_eq!(
            start.with_timezone(&zone).date_naive(),
            date,
            "cycle {} (in a daylight-saving gap) moved to another day",
            index
        ),
    }
    Ok(())
}

/// The live grants of `unit` with something left, in the order the policy's `burn_down` keys
/// say (an independent reading of DOMAIN.md: priority highest first, soonest expiry with
/// never-expiring last, oldest, id), ties by position.
fn burn_order(policy: &Policy, s: &Snapshot, unit: &str, now: DateTime<Utc>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..s.grants.len())
        .filter(|&i| {
            let g = &s.grants[i];
            g.unit == unit && g.remaining > Decimal::ZERO && g.is_live(now)
        })
        .collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&s.grants[a], &s.grants[b]);
        policy
            .burn_down
            .iter()
            .map(|key| match key {
                BurnKey::Priority => y.priority.cmp(&x.priority),
                BurnKey::SoonestExpiry => match (x.expires, y.expires) {
                    (Some(p), Some(q)) => p.cmp(&q),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                },
                BurnKey::Oldest => x.effective.cmp(&y.effective),
                BurnKey::Id => x.id.cmp(&y.id),
            })
            .find(|o| o.is_ne())
            .unwrap_or(a.cmp(&b))
    });
    order
}

/// What a rollover carries out of each ended allowance grant is what the plan's rule lets carry:
/// all, at most `max`, or at most a percentage of the grant (rounded down).
fn check_carry(
    policy: &Policy,
    before: &Snapshot,
    group: &LedgerGroup,
) -> Result<(), TestCaseError> {
    let plan = policy
        .plans
        .iter()
        .find(|p| p.name == before.plan)
        .ok_or_else(|| fail("plan".into()))?;
    let mode = policy
        .modes
        .iter()
        .position(|m| *m == before.mode)
        .and_then(|i| u16::try_from(i).ok())
        .map(quotient::unstable::ModeId);
    for e in group
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Rollover && e.opened.is_none())
    {
        let amount = before
            .grants
            .iter()
            .find(|g| g.id == e.grant)
            .map(|g| g.amount)
            .or_else(|| {
                group
                    .entries
                    .iter()
                    .find(|o| o.grant == e.grant && o.opened.is_some())
                    .map(|o| o.amount)
            })
            .ok_or_else(|| fail(format!("carried out of unknown grant `{}`", e.grant)))?;
        let unit = policy
            .units
            .iter()
            .position(|u| u.name == e.unit)
            .ok_or_else(|| fail("unit".into()))?;
        let decimals = policy.units[unit].decimals;
        let unit = quotient::unstable::UnitId(u8::try_from(unit).unwrap_or(u8::MAX));
        let rule = plan
            .allowances
            .iter()
            .find(|a| a.unit == unit && Some(a.mode) == mode)
            .or_else(|| plan.allowances.iter().find(|a| a.unit == unit))
            .map(|a| &a.rollover);
        let expected = match rule {
            Some(Rollover::All { .. }) => e.before,
            Some(Rollover::Capped { max, .. }) => e.before.min(*max),
            Some(Rollover::Percent { percent, .. }) => e.before.min(
                (amount * percent / Decimal::ONE_HUNDRED)
                    .round_dp_with_strategy(decimals, RoundingStrategy::ToNegativeInfinity),
            ),
            Some(Rollover::None) | None => Decimal::ZERO,
        };
        prop_assert_eq!(
            e.amount,
            expected,
            "carried {} out of `{}` ({} left of {})",
            e.amount,
            e.grant,
            e.before,
            amount
        );
    }
    Ok(())
}

/// Fills `s` with the grants, cycle and exchange an imported account has.
fn import(
    policy: &Policy,
    calendar: &Calendar,
    s: &mut Snapshot,
    spec: &ImportSpec,
    now: DateTime<Utc>,
) {
    let current = calendar.cycle_at(now).map_or(0, |c| c.index);
    s.cycle = match spec.cycle {
        0 => None,
        1 => Some(current),
        _ => Some((current - 1).max(0)),
    };
    for (i, g) in spec.grants.iter().enumerate() {
        let unit = &policy.units[g.unit.index(policy.units.len())];
        let amount = Decimal::new(i64::from(g.amount), unit.decimals);
        let remaining = (amount * Decimal::from(g.remaining_percent) / Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(unit.decimals, rust_decimal::RoundingStrategy::ToZero);
        let mut effective = now - Duration::days(g.effective_days_ago);
        let mut expires = g.lifetime_days.map(|d| effective + Duration::days(d));
        // The engine makes allowance grants from the start of a cycle to the end of one, and a
        // snapshot whose allowance grants do not fit its calendar does not validate.
        if g.source == 0 {
            let Ok(first) = calendar.cycle_at(effective) else {
                continue;
            };
            effective = first.start;
            expires = match g.lifetime_days {
                None => None,
                Some(d) => match calendar.cycle(first.index + 1 + d.rem_euclid(2)) {
                    Ok(last) => Some(last.start),
                    Err(_) => continue,
                },
            };
        }
        let id = if g.engine_like_id {
            format!("c{}-{}", current + 1, unit.name)
        } else {
            format!("imported-{i}")
        };
        if s.grants.iter().any(|x| x.id == id) {
            continue;
        }
        s.grants.push(Grant {
            id,
            unit: unit.name.clone(),
            amount,
            remaining,
            effective,
            expires,
            source: match g.source {
                0 => GrantSource::Allowance,
                1 => GrantSource::Exchange,
                2 => GrantSource::TopUp,
                _ => GrantSource::Rollover,
            },
            priority: g.priority,
        });
    }
    if spec.exchanged {
        if let Some(x) = policy.exchanges.first() {
            s.exchanges.push(ExchangeRecord {
                exchange: x.name.clone(),
                at: now - Duration::days(1).min(now - s.anchor),
                policy_version: policy.version.clone(),
                converted: Decimal::ZERO,
                received: Decimal::ZERO,
            });
            if let Some(m) = x.switch_mode {
                s.mode = policy.modes[m.0 as usize].clone();
            }
        }
    }
}

fn sequences(
    versions: &[Arc<Policy>],
    cases: u32,
    seed: u8,
    years: Range<i32>,
    months: Range<u32>,
) {
    run(cases, seed, case(years, months), |case| {
        let mut p = Player::new(versions, &case);
        p.play_case(&case)
    });
}

#[test]
fn invariants_hold_over_random_sequences_capcut() {
    sequences(
        std::slice::from_ref(&*CAPCUT),
        SEQUENCES_PER_POLICY,
        1,
        2024..2028,
        1..13,
    );
}

#[test]
fn invariants_hold_over_random_sequences_lumen() {
    sequences(
        std::slice::from_ref(&*LUMEN),
        SEQUENCES_PER_POLICY,
        2,
        2024..2028,
        1..13,
    );
}

/// The one-time exchange stays one even when the policy's eligibility does not say so.
#[test]
fn one_time_exchange_is_enforced_by_the_engine() {
    sequences(
        std::slice::from_ref(&*CAPCUT_LAX),
        LAX_SEQUENCES,
        6,
        2024..2028,
        1..13,
    );
}

/// Two versions of the CapCut policy (the June one gives fewer credits): sequences from
/// January to June 2026 cross the change, so quotes go stale and modes must survive it.
#[test]
fn invariants_hold_across_policy_versions() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/versions/capcut");
    let loaded = quotient::load_paths(&[dir], &Limits::default());
    let versions = loaded
        .single()
        .map(|set| set.versions().to_vec())
        .unwrap_or_default();
    assert_eq!(versions.len(), 2, "{:?}", loaded.diagnostics());
    sequences(&versions, VERSIONED_SEQUENCES, 5, 2026..2027, 1..7);
}

// ---------------------------------------------------------------------------------------------
// Garbage: a decision or an error, never a panic.
// ---------------------------------------------------------------------------------------------

fn name(known: Vec<String>) -> impl Strategy<Value = String> {
    let known = if known.is_empty() {
        vec![String::new()]
    } else {
        known
    };
    prop_oneof![
        16 => prop::sample::select(known),
        2 => "\\PC{0,12}",
        1 => Just(String::new()),
        1 => Just(" web ".to_string()),
    ]
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        6 => (1_700_000_000i64..1_900_000_000).prop_map(|s| DateTime::from_timestamp(s, 0)),
        2 => (-8_000_000_000_000i64..8_000_000_000_000)
            .prop_map(|s| DateTime::from_timestamp(s, 0)),
        1 => Just(Some(DateTime::<Utc>::MAX_UTC)),
        1 => Just(Some(DateTime::<Utc>::MIN_UTC)),
    ]
    .prop_map(|t| t.unwrap_or(DateTime::<Utc>::UNIX_EPOCH))
}

fn amount() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        6 => (0i64..10_000, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => (any::<i64>(), 0u32..29).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => Just(Decimal::MAX),
        1 => Just(Decimal::MIN),
        1 => (-100i64..0).prop_map(Decimal::from),
    ]
}

fn param_value() -> impl Strategy<Value = ParamValue> {
    prop_oneof![
        any::<bool>().prop_map(ParamValue::Bool),
        prop_oneof![
            3 => -1_000i64..1_000,
            1 => Just(i64::MAX),
            1 => Just(i64::MIN),
            1 => any::<i64>(),
        ]
        .prop_map(ParamValue::Int),
        prop_oneof![
            Just("79228162514264337593543950335".to_string()),
            Just("-79228162514264337593543950335".to_string()),
            Just("0.0000000000000000000000000001".to_string()),
            Just("1e3".to_string()),
            Just(" 2.5 ".to_string()),
            "-?[0-9]{1,30}(\\.[0-9]{1,30})?",
            "\\PC{0,8}",
        ]
        .prop_map(ParamValue::Text),
    ]
}

#[derive(Debug, Clone)]
struct Garbage {
    snapshot: Snapshot,
    request: Request,
    /// Near the anchor, or anywhere.
    now: Result<i64, DateTime<Utc>>,
    roll_first: bool,
}

/// When a garbage grant starts or ends: days from the anchor (or from the start), or anywhere.
type When = Result<i64, DateTime<Utc>>;

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        8 => (-30i64..400).prop_map(Ok),
        1 => instant().prop_map(Err),
    ]
}

fn days_after(t: DateTime<Utc>, w: When) -> DateTime<Utc> {
    match w {
        Ok(days) => t.checked_add_signed(Duration::days(days)).unwrap_or(t),
        Err(at) => at,
    }
}

/// What a consistent snapshot needs from the policy.
struct Clean {
    plan: String,
    modes: Vec<String>,
    units: Vec<(String, u32)>,
    exchanges: Vec<(String, bool)>,
}

impl Clean {
    /// Fixes every field a snapshot check would refuse, keeping the rest.
    fn apply(&self, s: &mut Snapshot) {
        s.id = "acct".into();
        s.plan.clone_from(&self.plan);
        if !self.modes.contains(&s.mode) {
            s.mode = self.modes.first().cloned().unwrap_or_default();
        }
        if s.time_zone.parse::<chrono_tz::Tz>().is_err() {
            s.time_zone = "UTC".into();
        }
        if s.cycle.is_some_and(|c| !(0..3).contains(&c)) {
            s.cycle = None;
        }
        let mut seen = BTreeSet::new();
        s.exchanges.retain(|r| {
            self.exchanges
                .iter()
                .any(|(n, one_time)| *n == r.exchange && (!one_time || seen.insert(n.clone())))
        });
        for (i, g) in s.grants.iter_mut().enumerate() {
            g.id = format!("g{i}");
            let (unit, decimals) = self
                .units
                .iter()
                .find(|(u, _)| *u == g.unit)
                .or(self.units.first())
                .cloned()
                .unwrap_or_default();
            g.unit = unit;
            g.amount = g.amount.abs().trunc_with_scale(decimals);
            g.remaining = g.remaining.abs().trunc_with_scale(decimals).min(g.amount);
            if g.expires.is_some_and(|e| e <= g.effective) {
                g.expires = None;
            }
        }
    }
}

fn garbage(policy: &Policy) -> impl Strategy<Value = Garbage> {
    let plans: Vec<String> = policy.plans.iter().map(|p| p.name.clone()).collect();
    let units: Vec<String> = policy.units.iter().map(|u| u.name.clone()).collect();
    let exchanges: Vec<String> = policy.exchanges.iter().map(|x| x.name.clone()).collect();
    let platforms: Vec<String> = policy.platforms.iter().map(|p| p.name.clone()).collect();
    let features: Vec<String> = policy.features.iter().map(|f| f.name.clone()).collect();
    let params: Vec<String> = policy
        .features
        .iter()
        .flat_map(|f| f.params.iter().map(|p| p.name.clone()))
        .collect();
    let zones: Vec<String> = ZONES.iter().map(|z| z.to_string()).collect();
    let versions: Vec<String> = vec![policy.version.clone(), "0".into()];
    let first_feature = features.first().cloned().unwrap_or_default();
    let clean = Clean {
        plan: plans.first().cloned().unwrap_or_default(),
        modes: policy.modes.clone(),
        units: policy
            .units
            .iter()
            .map(|u| (u.name.clone(), u.decimals))
            .collect(),
        exchanges: policy
            .exchanges
            .iter()
            .map(|x| (x.name.clone(), x.one_time))
            .collect(),
    };

    let grant = (
        (
            name(vec![
                "g1".into(),
                "g2".into(),
                "c1-credit".into(),
                "c1-token".into(),
            ]),
            name(units),
            amount(),
            prop_oneof![3 => (0u32..101).prop_map(Ok), 1 => amount().prop_map(Err)],
        ),
        (
            when(),
            prop::option::weighted(0.8, when()),
            0u8..4,
            prop_oneof![3 => Just(0i32), 1 => any::<i32>()],
        ),
    );
    let record = (name(exchanges.clone()), instant(), amount(), amount()).prop_map(
        |(exchange, at, converted, received)| ExchangeRecord {
            exchange,
            at,
            policy_version: "x".into(),
            converted,
            received,
        },
    );
    let snapshot = (
        (
            name(vec!["acct".into()]),
            name(plans),
            name(vec!["active".into(), "cancelled".into()]),
            name(zones),
            instant(),
            name(policy.modes.clone()),
        ),
        (
            prop_oneof![3 => 0u64..10, 1 => any::<u64>(), 1 => Just(u64::MAX)],
            prop_oneof![
                2 => Just(None),
                4 => (-3i64..20).prop_map(Some),
                1 => any::<i64>().prop_map(Some),
                1 => Just(Some(i64::MIN)),
                1 => Just(Some(i64::MAX)),
            ],
            prop::collection::vec(record, 0..3),
            prop::collection::vec(grant, 0..5),
            // Make the snapshot consistent, so that the request is what is garbage.
            prop::bool::weighted(0.6),
        ),
    )
        .prop_map(
            move |(
                (id, plan, status, time_zone, anchor, mode),
                (version, cycle, exchanges, grants, make_clean),
            )| {
                let grants = grants
                    .into_iter()
                    .map(
                        |(
                            (id, unit, amount, remaining),
                            (effective, expires, source, priority),
                        )| {
                            let effective = days_after(anchor, effective);
                            Grant {
                                id,
                                unit,
                                amount,
                                remaining: match remaining {
                                    Ok(percent) => amount
                                        .checked_mul(Decimal::from(percent))
                                        .map_or(amount, |a| (a / Decimal::ONE_HUNDRED).trunc()),
                                    Err(r) => r,
                                },
                                effective,
                                expires: expires.map(|w| days_after(effective, w)),
                                source: match source {
                                    0 => GrantSource::Allowance,
                                    1 => GrantSource::Exchange,
                                    2 => GrantSource::TopUp,
                                    _ => GrantSource::Rollover,
                                },
                                priority,
                            }
                        },
                    )
                    .collect();
                let mut s = Snapshot {
                    id,
                    plan,
                    status,
                    time_zone,
                    earlier_time_zones: Vec::new(),
                    anchor,
                    mode,
                    version,
                    cycle,
                    exchanges,
                    grants,
                };
                if make_clean {
                    clean.apply(&mut s);
                }
                s
            },
        );
    let quote = (
        name(exchanges.clone()),
        prop_oneof![3 => -2i64..50, 1 => any::<i64>()],
        prop::sample::select(versions),
        prop_oneof![3 => 0u64..10, 1 => any::<u64>()],
        instant(),
        amount(),
        amount(),
    )
        .prop_map(
            |(exchange, cycle, policy_version, balance_version, valid_until, from, to)| QuoteRef {
                exchange,
                cycle,
                policy_version,
                balance_version,
                valid_until,
                from_amount: from,
                to_amount: to,
                mac: None,
            },
        );
    let request = (
        (
            name(vec!["r1".into()]),
            prop::sample::select(vec![
                RequestKind::Use,
                RequestKind::Quote,
                RequestKind::Exchange,
                RequestKind::Rollover,
                RequestKind::Balance,
                RequestKind::TimeZone,
            ]),
            prop::option::weighted(0.95, name(platforms)),
            prop::option::of(name(vec!["6.0".into(), "3.2".into(), "5.9".into()])),
        ),
        (
            prop::option::weighted(0.95, name(features)),
            prop::collection::btree_map(name(params), param_value(), 0..4),
            prop::option::weighted(0.3, name(exchanges)),
            prop::option::weighted(0.5, quote),
            any::<bool>(),
            // Keep the fields the kind does not read (an error) instead of dropping them.
            prop::bool::weighted(0.1),
            prop::option::weighted(
                0.8,
                name(vec![
                    "Asia/Tokyo".into(),
                    "America/New_York".into(),
                    "Pacific/Kiritimati".into(),
                    "UTC".into(),
                ]),
            ),
        ),
    )
        .prop_map(
            move |(
                (id, kind, platform, client_version),
                (feature, params, exchange, quote, confirm, stray, time_zone),
            )| {
                let mut r = Request {
                    id,
                    kind,
                    platform,
                    client_version,
                    feature,
                    params,
                    exchange,
                    quote,
                    confirm,
                    time_zone,
                    at: None,
                };
                if !stray {
                    if kind == RequestKind::Use {
                        r.feature = r.feature.or_else(|| Some(first_feature.clone()));
                    } else {
                        r.feature = None;
                        r.params.clear();
                    }
                    if !matches!(kind, RequestKind::Quote | RequestKind::Exchange) {
                        r.exchange = None;
                    }
                    if kind != RequestKind::Exchange {
                        r.quote = None;
                        r.confirm = false;
                    }
                    if kind != RequestKind::TimeZone {
                        r.time_zone = None;
                    }
                }
                r
            },
        );
    let now = prop_oneof![
        6 => (-86_400i64..(400 * 86_400)).prop_map(Ok),
        1 => instant().prop_map(Err),
    ];
    (snapshot, request, now, any::<bool>()).prop_map(|(snapshot, request, now, roll_first)| {
        Garbage {
            snapshot,
            request,
            now,
            roll_first,
        }
    })
}

fn garbage_in(policy: &Policy, g: &Garbage) -> Result<(), TestCaseError> {
    let now = match g.now {
        Ok(secs) => g
            .snapshot
            .anchor
            .checked_add_signed(Duration::seconds(secs))
            .unwrap_or(g.snapshot.anchor),
        Err(t) => t,
    };
    let mut snapshot = g.snapshot.clone();
    if g.roll_first {
        // Roll over first, so that uses and exchanges get past the cycle check.
        let roll = Request::new("roll", RequestKind::Rollover);
        if let Some(next) = decide_garbage(policy, &snapshot, &roll, now)? {
            snapshot = next;
        }
    }
    decide_garbage(policy, &snapshot, &g.request, now).map(|_| ())
}

/// Decides and, when the decision changes state, applies: never a panic; an applied transition
/// keeps every grant in bounds and balances. The new snapshot, if one was made.
fn decide_garbage(
    policy: &Policy,
    snapshot: &Snapshot,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Option<Snapshot>, TestCaseError> {
    let options = DecideOptions::default();
    let d = match decide(policy, snapshot, request, now, &options) {
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            return Ok(None);
        }
        Ok(d) => d,
    };
    let _ = d.report(policy, snapshot).to_text();
    let explain = DecideOptions::explaining(true);
    prop_assert!(decide(policy, snapshot, request, now, &explain).is_ok());
    if !d.changes_state() {
        return Ok(None);
    }
    let Ok(t) = apply(policy, snapshot, &d) else {
        return Ok(None);
    };
    for gr in &t.snapshot.grants {
        prop_assert!(gr.remaining >= Decimal::ZERO && gr.remaining <= gr.amount);
    }
    // Amounts this large overflow a plain sum (apply checks them); balance the others.
    let checked = |s: &Snapshot, unit: &str| {
        s.grants
            .iter()
            .filter(|g| g.unit == unit)
            .try_fold(Decimal::ZERO, |sum, g| sum.checked_add(g.remaining))
    };
    let small = |d: &Decimal| d.abs() < Decimal::from(1_000_000_000_000_i64);
    if t.ledger
        .entries
        .iter()
        .all(|e| small(&e.amount) && small(&e.before))
    {
        let totals = ledger::totals([&t.ledger]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (unit, tot) in &totals {
            if let (Some(a), Some(b)) = (checked(&t.snapshot, unit), checked(snapshot, unit)) {
                prop_assert_eq!(tot.net(), Some(a - b), "{} does not balance", unit);
            }
        }
    }
    Ok(Some(t.snapshot))
}

#[test]
fn garbage_never_panics_capcut() {
    let policy: &Policy = &CAPCUT;
    run(GARBAGE_PER_POLICY, 3, garbage(policy), |g| {
        garbage_in(policy, &g)
    });
}

#[test]
fn garbage_never_panics_lumen() {
    let policy: &Policy = &LUMEN;
    run(GARBAGE_PER_POLICY, 4, garbage(policy), |g| {
        garbage_in(policy, &g)
    });
}
