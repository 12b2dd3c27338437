//! The `decide` target: an account snapshot and a few requests at later (or earlier) instants,
//! built by `arbitrary` from the fuzzer's bytes out of a bundled policy's own names (its plans,
//! modes, units, features and parameters, platforms and exchanges) with a few wrong ones mixed
//! in, decided one after the other; every state-changing decision is applied and the next
//! request sees the new snapshot, and every step is held to the invariants of `transition`
//! (version + 1, the new snapshot validates, replaying the ledger group over the old snapshot
//! reproduces the new one). Snapshots range from a new account to one with grants on and off
//! the calendar, at the 10^15 bound, past the anchor's years and with versions at `u64::MAX`.

use arbitrary::{Result as ArbitraryResult, Unstructured};
use chrono::{DateTime, Duration, Utc};
use quotient::unstable::model::ParamType;
use quotient::{
    DecideOptions, Decimal, EarlierTimeZone, ExchangeRecord, Grant, GrantSource, MAX_AMOUNT,
    ParamValue, Policy, QuoteKey, QuoteRef, Request, RequestKind, Snapshot,
};

use super::{Checked, bundled, transition};

/// Zones with and without daylight saving, a 45-minute offset, and one that does not exist.
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Mars/Olympus",
];

/// Client versions, below, at and above the bundled policies' minimums, and not versions.
const CLIENT_VERSIONS: &[&str] = &["6.0", "6.1.2", "5.9", "3.2", "10", "", "six", "6.0.0.0.1"];

/// The most requests one input plays.
const MAX_STEPS: u32 = 8;

/// Builds a snapshot and requests from `data` and plays them (see the module's documentation).
pub fn check(data: &[u8]) -> Checked {
    let policies = bundled::policies()?;
    let mut u = Unstructured::new(data);
    let Ok(policy) = u.choose(policies) else {
        return Ok(());
    };
    let Ok(mut state) = snapshot(&mut u, policy) else {
        return Ok(());
    };
    let key = QuoteKey::new(b"the fuzzer's quote key, 32 bytes");
    let signed = u.arbitrary::<bool>().unwrap_or(false);
    let explain = u.arbitrary::<bool>().unwrap_or(false);
    let options = match (&key, signed) {
        (Some(key), true) => DecideOptions::explaining(explain).with_quote_key(key),
        _ => DecideOptions::explaining(explain),
    };
    let mut now = instant_near(&mut u, state.anchor).unwrap_or(state.anchor);
    let mut quote: Option<QuoteRef> = None;
    let steps = u.int_in_range(1..=MAX_STEPS).unwrap_or(1);
    for i in 0..steps {
        let Ok(request) = request(&mut u, policy, quote.as_ref(), i) else {
            break;
        };
        let stepped = transition::step(policy, &state, &request, now, &options)?;
        if stepped.quote.is_some() {
            quote = stepped.quote;
        }
        if let Some(next) = stepped.snapshot {
            state = next;
        }
        now = later(&mut u, now).unwrap_or(now);
    }
    Ok(())
}

/// One of `names`, or now and then a name the policy does not have.
fn name(u: &mut Unstructured<'_>, names: &[String], wrong: &str) -> ArbitraryResult<String> {
    if names.is_empty() || u.ratio(1, 16)? {
        return Ok(wrong.to_string());
    }
    u.choose(names).cloned()
}

/// An instant an RFC 3339 text can carry: mostly within two years of `base`, sometimes at the
/// ends of the years 0000 to 9999 or at the Unix epoch.
fn instant_near(u: &mut Unstructured<'_>, base: DateTime<Utc>) -> ArbitraryResult<DateTime<Utc>> {
    if u.ratio(1, 32)? {
        let seconds = *u.choose(&[
            -62_167_305_540_i64, // 0000-01-01T00:00:00+23:59, the earliest
            -62_167_219_200,     // 0000-01-01T00:00:00Z
            0,
            253_402_300_799, // 9999-12-31T23:59:59Z
            253_402_387_139, // 9999-12-31T23:59:59-23:59, the latest
        ])?;
        return Ok(DateTime::from_timestamp(seconds, 0).unwrap_or(base));
    }
    let minutes = u.int_in_range(-1_100_000..=1_100_000_i64)?;
    Ok(base
        .checked_add_signed(Duration::minutes(minutes))
        .unwrap_or(base))
}

/// The next request's instant: mostly later (within a few days, or a cycle or more), sometimes
/// the same or earlier.
fn later(u: &mut Unstructured<'_>, now: DateTime<Utc>) -> ArbitraryResult<DateTime<Utc>> {
    let minutes = match u.int_in_range(0..=7u8)? {
        0 => 0,
        1 => -u.int_in_range(1..=60 * 24 * 40)?,
        2..=4 => u.int_in_range(1..=60 * 24 * 3)?,
        5 | 6 => u.int_in_range(60 * 24 * 25..=60 * 24 * 35)?,
        _ => u.int_in_range(0..=60 * 24 * 400)?,
    };
    Ok(now
        .checked_add_signed(Duration::minutes(minutes))
        .unwrap_or(now))
}

/// An amount: small whole numbers, decimals of any scale, the 10^15 bound and its neighbours,
/// and now and then a negative one.
fn amount(u: &mut Unstructured<'_>) -> ArbitraryResult<Decimal> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => Decimal::ZERO,
        1 => Decimal::ONE,
        2 => Decimal::from(50),
        3 | 4 => Decimal::from(u.int_in_range(0..=200u32)?),
        5 => Decimal::new(
            u.int_in_range(0..=10_000_000_i64)?,
            u.int_in_range(0..=12u32)?,
        ),
        6 => MAX_AMOUNT,
        7 => MAX_AMOUNT - Decimal::new(u.int_in_range(1..=1_000_i64)?, u.int_in_range(0..=3u32)?),
        8 => -Decimal::from(u.int_in_range(1..=50u32)?),
        _ => Decimal::new(u.arbitrary::<i64>()?, u.int_in_range(0..=28u32)?)
            .min(MAX_AMOUNT)
            .max(-MAX_AMOUNT),
    })
}

/// A snapshot for `policy`: a new account more often than not, else one with exchanges done
/// and grants (allowances on the account's calendar, or anywhere).
fn snapshot(u: &mut Unstructured<'_>, policy: &Policy) -> ArbitraryResult<Snapshot> {
    let plans: Vec<String> = policy.plans().map(|p| p.name.to_string()).collect();
    let plan = name(u, &plans, "enterprise")?;
    let starts_in = policy
        .plans()
        .find(|p| p.name == plan)
        .map(|p| p.starts_in.to_string());
    let mode = match starts_in {
        Some(m) if u.ratio(3, 4)? => m,
        _ => name(u, &policy.modes, "legacy")?,
    };
    let base = policy.effective_from();
    let anchor = instant_near(u, base)?;
    let mut s = transition::fresh(&plan, &mode, anchor);
    s.id = u.choose(&["acct-fuzz", "", "acct-2"])?.to_string();
    s.status = u
        .choose(&["active", "active", "active", "cancelled", "past_due", ""])?
        .to_string();
    s.time_zone = u.choose(ZONES)?.to_string();
    if u.ratio(1, 2)? {
        return Ok(s);
    }
    s.version = match u.int_in_range(0..=5u8)? {
        0 => u64::MAX,
        1 => u64::MAX - 1,
        _ => u.int_in_range(0..=40u64)?,
    };
    s.cycle = match u.int_in_range(0..=6u8)? {
        0 => None,
        1 => Some(i64::MAX),
        2 => Some(i64::MIN),
        _ => Some(u.int_in_range(-2..=30i64)?),
    };
    for _ in 0..u.int_in_range(0..=4u8)? {
        s.earlier_time_zones.push(EarlierTimeZone {
            zone: u.choose(ZONES)?.to_string(),
            until_cycle: u.int_in_range(-2..=30i64)?,
        });
    }
    let exchanges: Vec<String> = policy.exchanges().map(|x| x.name.to_string()).collect();
    for _ in 0..u.int_in_range(0..=2u8)? {
        s.exchanges.push(ExchangeRecord {
            exchange: name(u, &exchanges, "credits_to_gold")?,
            at: instant_near(u, anchor)?,
            policy_version: if u.ratio(7, 8)? {
                policy.version().to_string()
            } else {
                "0.9".into()
            },
            converted: amount(u)?,
            received: amount(u)?,
        });
    }
    let units: Vec<String> = policy.units().map(|x| x.name.to_string()).collect();
    let calendar = policy.calendar(&s).ok();
    for i in 0..u.int_in_range(0..=6u8)? {
        let unit = name(u, &units, "gold")?;
        let granted = amount(u)?;
        let remaining = if u.ratio(7, 8)? {
            granted * Decimal::new(u.int_in_range(0..=100i64)?, 2)
        } else {
            amount(u)?
        }
        .round_dp(u.int_in_range(0..=9u32)?);
        let source = *u.choose(&[
            GrantSource::Allowance,
            GrantSource::Exchange,
            GrantSource::TopUp,
            GrantSource::Rollover,
        ])?;
        let on_calendar = calendar
            .as_ref()
            .filter(|_| u.ratio(3, 4).unwrap_or(false))
            .and_then(|c| c.cycle(u.int_in_range(-1..=24i64).unwrap_or(0)).ok());
        let (effective, expires) = match on_calendar {
            Some(c) => (c.start, if u.ratio(1, 8)? { None } else { Some(c.end) }),
            None => {
                let effective = instant_near(u, anchor)?;
                let days = u.int_in_range(-5..=400i64)?;
                (
                    effective,
                    effective.checked_add_signed(Duration::days(days)),
                )
            }
        };
        s.grants.push(Grant {
            id: match u.int_in_range(0..=3u8)? {
                0 => format!("g-{}", i % 2),
                1 => format!("c{}-{unit}", s.cycle.unwrap_or(0)),
                _ => format!("g-{i}"),
            },
            unit,
            amount: granted,
            remaining,
            effective,
            expires,
            source,
            priority: *u.choose(&[0, 0, 1, -1, i32::MAX, i32::MIN])?,
        });
    }
    Ok(s)
}

/// The `step`th request: every kind, on the policy's platforms (or none, or one it does not
/// have), with the fields its kind reads and now and then one it does not; an exchange sends
/// back the last quote as it came, altered, or none.
fn request(
    u: &mut Unstructured<'_>,
    policy: &Policy,
    last_quote: Option<&QuoteRef>,
    step: u32,
) -> ArbitraryResult<Request> {
    let kind = *u.choose(&[
        RequestKind::Use,
        RequestKind::Use,
        RequestKind::Use,
        RequestKind::Quote,
        RequestKind::Exchange,
        RequestKind::Exchange,
        RequestKind::Rollover,
        RequestKind::Rollover,
        RequestKind::Balance,
        RequestKind::TimeZone,
    ])?;
    let mut r = Request::new(format!("r-{step}"), kind);
    let platforms: Vec<String> = policy.platforms().map(|p| p.name.to_string()).collect();
    let needs_platform = kind != RequestKind::Rollover;
    if needs_platform != u.ratio(1, 16)? {
        r.platform = Some(name(u, &platforms, "watch")?);
    }
    if u.ratio(1, 2)? {
        r.client_version = Some(u.choose(CLIENT_VERSIONS)?.to_string());
    }
    let exchanges: Vec<String> = policy.exchanges().map(|x| x.name.to_string()).collect();
    let odd_field = u.ratio(1, 16)?;
    match kind {
        RequestKind::Use => {
            let i = u.choose_index(policy.features.len().max(1))?;
            match policy
                .features
                .get(i)
                .filter(|_| !u.ratio(1, 16).unwrap_or(false))
            {
                Some(f) => {
                    r.feature = Some(f.name.clone());
                    for p in &f.params {
                        if u.ratio(1, 16)? {
                            continue;
                        }
                        r.params
                            .insert(p.name.clone(), param(u, p.ty, p.min, p.max)?);
                    }
                    if u.ratio(1, 16)? {
                        r.params.insert("colour".into(), ParamValue::Bool(true));
                    }
                }
                None => r.feature = Some("teleport".into()),
            }
            if odd_field {
                r.confirm = true;
            }
        }
        RequestKind::Quote | RequestKind::Exchange => {
            if u.ratio(1, 4)? {
                r.exchange = Some(name(u, &exchanges, "gold_to_lead")?);
            }
            if kind == RequestKind::Exchange {
                r.confirm = u.ratio(3, 4)?;
                if let Some(q) = last_quote.filter(|_| u.ratio(3, 4).unwrap_or(false)) {
                    r.quote = Some(tamper(u, q.clone())?);
                }
            }
            if odd_field {
                r.feature = Some("ai_image_generation".into());
            }
        }
        RequestKind::TimeZone => {
            if !u.ratio(1, 16)? {
                r.time_zone = Some(u.choose(ZONES)?.to_string());
            }
        }
        RequestKind::Rollover | RequestKind::Balance => {
            if odd_field {
                r.time_zone = Some("UTC".into());
            }
        }
    }
    Ok(r)
}

/// A value for a parameter of type `ty`: mostly of its type and within its bounds, sometimes at
/// or past them, of another type, or not a number.
fn param(
    u: &mut Unstructured<'_>,
    ty: ParamType,
    min: Option<Decimal>,
    max: Option<Decimal>,
) -> ArbitraryResult<ParamValue> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => transition::typical(ty, min),
        1 => transition::typical(ty, max),
        2 => ParamValue::Int(*u.choose(&[0, -1, 1, 31, 61, 86_401, i64::MAX, i64::MIN])?),
        3 => ParamValue::Bool(u.arbitrary()?),
        4 => ParamValue::Text(
            u.choose(&[
                "1.5",
                "0.000000001",
                "1e3",
                "",
                "NaN",
                "999999999999999999999999999999",
            ])?
            .to_string(),
        ),
        _ => match ty {
            ParamType::Int => ParamValue::Int(u.int_in_range(-10..=100_000i64)?),
            ParamType::Decimal => ParamValue::Text(amount(u)?.to_string()),
            ParamType::String => ParamValue::Text(u.arbitrary::<String>()?),
            ParamType::Bool => ParamValue::Bool(u.arbitrary()?),
        },
    })
}

/// The quote as it came, or with one binding or amount altered.
fn tamper(u: &mut Unstructured<'_>, mut q: QuoteRef) -> ArbitraryResult<QuoteRef> {
    match u.int_in_range(0..=11u8)? {
        0 => q.to_amount += Decimal::ONE,
        1 => q.from_amount -= Decimal::ONE,
        2 => q.balance_version = q.balance_version.wrapping_add(1),
        3 => q.cycle = q.cycle.wrapping_sub(1),
        4 => q.policy_version.push_str("-old"),
        5 => q.valid_until += Duration::minutes(u.int_in_range(-60..=60i64)?),
        6 => q.mac = None,
        7 => q.to_amount = MAX_AMOUNT,
        _ => {}
    }
    Ok(q)
}
