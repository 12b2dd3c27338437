//! What one request does to one account, decided by the engine: the rollover due at the
//! request's instant first (so no client ever sees last month's balance), then the request
//! itself, each applied when it changes state. Pure: it is handed the stored account, the
//! policy in force and the instant, and returns a [`Plan`] (what to write, what to answer) for
//! the store to carry out in the same transaction. Only the library's public API is used.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use quotient::ledger::LedgerGroup;
use quotient::{
    DecideOptions, DecisionReport, Policy, Request, RequestError, RequestKind, Snapshot, apply,
    decide,
};
use serde::Serialize;

use super::error::ApiError;
use super::store::{Event, Plan, StoredAccount, StoredResponse, Write};

/// A transition that was applied: the account version it made and its ledger group's seq.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Applied {
    /// The account's version after the transition.
    pub version: u64,
    /// The ledger group's sequence number (equal to `version`).
    pub ledger_group: u64,
}

/// The answer to a request: the decision in words (the same JSON as `quotient eval --format
/// json`), what was applied, and the rollover applied first if one was due.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestResponse {
    /// The decision.
    #[serde(flatten)]
    pub decision: DecisionReport,
    /// The request's transition, when it changed the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Applied>,
    /// The rollover applied first, when one was due at the request's instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_over: Option<Applied>,
    /// The hand-off link minted for a platform that hands the exchange off (Desktop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffLink>,
}

/// An account as every client sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    /// The account's id.
    pub id: String,
    /// Its plan.
    pub plan: String,
    /// `active`, `cancelled`, ...
    pub status: String,
    /// The allowance mode its plan grants in.
    pub mode: String,
    /// Its version (every transition adds one).
    pub version: u64,
    /// Usable balances now, by unit.
    pub balances: BTreeMap<String, String>,
    /// The billing cycle containing now.
    pub cycle: CycleView,
    /// Exchanges done.
    pub exchanges: Vec<quotient::ExchangeRecord>,
    /// The policy and version in force (`capcut-pro 2026.03`).
    pub policy: String,
}

/// A billing cycle: `[start, end)`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CycleView {
    /// Cycles since the anchor (0 for the first).
    pub index: i64,
    /// The first instant of the cycle.
    pub start: DateTime<Utc>,
    /// The first instant of the next one.
    pub end: DateTime<Utc>,
}

/// What subscribers receive after a transition.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventPayload {
    /// The account's id.
    pub account: String,
    /// Its version after the transition (also the event's id).
    pub version: u64,
    /// Its mode after the transition.
    pub mode: String,
    /// Usable balances after the transition, by unit.
    pub balances: BTreeMap<String, String>,
    /// The ledger group that made it.
    pub ledger_group: u64,
    /// What kind of request made it (`use`, `exchange`, `rollover`).
    pub kind: &'static str,
}

/// A request's failure as an API error, naming the field at fault.
pub fn request_error(e: &RequestError) -> ApiError {
    match e {
        RequestError::Invalid { field, message } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid",
            message.clone(),
        )
        .at(field.clone()),
        RequestError::Snapshot(problems) => ApiError::new(
            StatusCode::CONFLICT,
            "account.does_not_fit_policy",
            "the stored account cannot be decided on under the policy in force",
        )
        .with_problems(
            problems
                .iter()
                .map(|p| serde_json::json!({ "path": p.path, "message": p.message }))
                .collect(),
        ),
        RequestError::Cycle(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.instant_outside_calendar",
            e.to_string(),
        ),
        other => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "policy.unsupported",
            other.to_string(),
        ),
    }
}

fn apply_error(e: &quotient::ApplyError) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "apply.failed",
        e.to_string(),
    )
}

/// Usable balances of `s` at `at`, by unit, as text.
pub fn balances(policy: &Policy, s: &Snapshot, at: DateTime<Utc>) -> BTreeMap<String, String> {
    quotient::testing::timeline::balances(policy, s, at)
}

/// Rolls `snapshot` over to the cycle containing `now` when one is due: the new snapshot and
/// its ledger group, or `None` when nothing was due.
fn roll_over(
    policy: &Policy,
    snapshot: &Snapshot,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Snapshot, LedgerGroup)>, ApiError> {
    let roll = Request::new(format!("{request_id}/rollover"), RequestKind::Rollover);
    let d = decide(policy, snapshot, &roll, now, &DecideOptions::default())
        .map_err(|e| request_error(&e))?;
    if !d.changes_state() {
        return Ok(None);
    }
    let t = apply(policy, snapshot, &d).map_err(|e| apply_error(&e))?;
    Ok(Some((t.snapshot, t.ledger)))
}

/// Builds the [`Write`] for the groups applied, with one event per group.
fn write(
    policy: &Policy,
    before: &Snapshot,
    steps: Vec<(Snapshot, LedgerGroup)>,
    now: DateTime<Utc>,
) -> Option<Write> {
    let last = steps.last()?.0.clone();
    let one_time: Vec<&str> = policy
        .exchanges()
        .filter(|x| x.one_time)
        .map(|x| x.name)
        .collect();
    let mut groups = Vec::new();
    let mut events = Vec::new();
    let mut exchanges = Vec::new();
    for (snapshot, group) in steps {
        if let Some(x) = &group.exchange {
            if one_time.contains(&x.exchange.as_str()) {
                exchanges.push((x.exchange.clone(), group.version_after, x.at));
            }
        }
        let payload = EventPayload {
            account: snapshot.id.clone(),
            version: snapshot.version,
            mode: snapshot.mode.clone(),
            balances: balances(policy, &snapshot, now),
            ledger_group: group.version_after,
            kind: group.request_kind.as_str(),
        };
        events.push(Event {
            version: snapshot.version,
            payload: serde_json::to_string(&payload).unwrap_or_default(),
        });
        groups.push(group);
    }
    Some(Write {
        expected_version: before.version,
        snapshot: last,
        groups,
        one_time_exchanges: exchanges,
        events,
    })
}

/// Decides `request` for the stored account at `now`: the rollover due first, then the
/// request; what to write and the [`RequestResponse`] to answer. With `spec`, a decision that
/// hands the exchange off also mints a hand-off (in the same transaction).
pub fn plan_request(
    policy: &Policy,
    account_id: &str,
    stored: Option<&StoredAccount>,
    request: &Request,
    now: DateTime<Utc>,
    spec: Option<&HandoffSpec>,
    options: &DecideOptions<'_>,
) -> Result<(Plan, &'static str, &'static str), ApiError> {
    let stored = stored.ok_or_else(|| ApiError::account_not_found(account_id))?;
    let before = &stored.snapshot;
    let mut steps = Vec::new();
    let rolled = roll_over(policy, before, &request.id, now)?;
    let rolled_over = rolled.as_ref().map(|(s, g)| Applied {
        version: s.version,
        ledger_group: g.version_after,
    });
    if let Some(step) = rolled {
        steps.push(step);
    }
    let current = steps.last().map_or(before, |(s, _)| s);
    let d = decide(policy, current, request, now, options).map_err(|e| request_error(&e))?;
    let mut report = d.report(policy, current);
    let (kind, outcome) = (d.kind().as_str(), d.outcome().as_str());
    // A hand-off changes no account: it is minted on the snapshot the decision was made on.
    let new_handoff = match spec {
        Some(spec) => handoff_for(policy, current, &d, spec, now, options)?,
        None => None,
    };
    let applied = if d.changes_state() {
        let t = apply(policy, current, &d).map_err(|e| apply_error(&e))?;
        let applied = Applied {
            version: t.snapshot.version,
            ledger_group: t.ledger.version_after,
        };
        steps.push((t.snapshot, t.ledger));
        Some(applied)
    } else {
        None
    };
    let handoff = new_handoff.as_ref().map(|(h, url)| {
        if let Some(ho) = &mut report.hand_off {
            ho.link = Some(url.clone());
        }
        HandoffLink {
            url: url.clone(),
            expires_at: h.expires_at,
        }
    });
    let body = RequestResponse {
        decision: report,
        applied,
        rolled_over,
        handoff,
    };
    let body = serde_json::to_string(&body)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok((
        Plan {
            write: write(policy, before, steps, now),
            response: StoredResponse { status: 200, body },
            store_response: true,
            handoffs: new_handoff.into_iter().map(|(h, _)| h).collect(),
            use_handoff: None,
        },
        kind,
        outcome,
    ))
}

/// What a request needs to mint a hand-off if its decision hands off: the id and token drawn
/// before the transaction (so every attempt makes the same one), how long it holds, and the
/// exchange page to link to instead of the policy's link (`--exchange-page`).
#[derive(Debug, Clone)]
pub struct HandoffSpec {
    /// The hand-off's id.
    pub id: String,
    /// Its token.
    pub token: String,
    /// How long it holds.
    pub ttl: chrono::Duration,
    /// The page to link to; the policy's link when `None`.
    pub page: Option<String>,
}

/// A hand-off link, as a Desktop client receives it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandoffLink {
    /// The secure exchange page, with the single-use token.
    pub url: String,
    /// Until when the link holds.
    pub expires_at: DateTime<Utc>,
}

/// The hand-off to mint for decision `d`, if it hands an exchange off (a delegating platform's
/// exchange, or an offer whose "Exchange now" leads elsewhere) and the executing platform would
/// quote something: a link for an exchange that would be refused as giving nothing is never
/// handed out.
fn handoff_for(
    policy: &Policy,
    s: &Snapshot,
    d: &quotient::Decision<'_>,
    spec: &HandoffSpec,
    now: DateTime<Utc>,
    options: &DecideOptions<'_>,
) -> Result<Option<(super::handoff::NewHandoff, String)>, ApiError> {
    let from = match d.outcome() {
        quotient::Outcome::HandedOff => true,
        _ => d.offer().is_some_and(quotient::Offer::hands_off),
    };
    let asking = d.platform_name(policy);
    let (Some(from_platform), true) = (
        policy
            .platforms()
            .find(|p| p.delegates_to.is_some() && Some(p.name) == asking),
        from,
    ) else {
        return Ok(None);
    };
    let Some((to, policy_link)) = from_platform.delegates_to else {
        return Ok(None);
    };
    let Some(base) = spec.page.clone().or(policy_link.map(str::to_string)) else {
        return Ok(None);
    };
    // The quote the executing platform would make now: no link unless it quotes.
    let mut quote = Request::new(
        format!("{}/handoff-quote", d.request_id()),
        RequestKind::Quote,
    )
    .on(to);
    quote.exchange = d.exchange_name(policy).map(str::to_string);
    let q = decide(policy, s, &quote, now, options).map_err(|e| request_error(&e))?;
    if q.outcome() != quotient::Outcome::Quoted {
        return Ok(None);
    }
    let Some(exchange) = quote.exchange.clone() else {
        return Ok(None);
    };
    let shown = serde_json::to_string(&q.report(policy, s).quote).unwrap_or_default();
    let h = super::handoff::NewHandoff {
        id: spec.id.clone(),
        token: spec.token.clone(),
        account: s.id.clone(),
        exchange,
        from_platform: from_platform.name.to_string(),
        to_platform: to.to_string(),
        policy_version: policy.version().to_string(),
        quote: shown,
        created_at: now,
        expires_at: now + spec.ttl,
    };
    let url = super::handoff::link(&base, &spec.token);
    Ok(Some((h, url)))
}

/// The account as clients see it at `now`, after the rollover due (if any); what to write.
pub fn plan_read(
    policy: &Policy,
    account_id: &str,
    stored: Option<&StoredAccount>,
    now: DateTime<Utc>,
) -> Result<(Option<Write>, AccountView), ApiError> {
    let stored = stored.ok_or_else(|| ApiError::account_not_found(account_id))?;
    let before = &stored.snapshot;
    let rolled = roll_over(policy, before, "read", now)?;
    let current = rolled.as_ref().map_or(before, |(s, _)| s);
    let view = view(policy, current, now)?;
    let write = write(policy, before, rolled.into_iter().collect(), now);
    Ok((write, view))
}

/// Whether a rollover is due for `snapshot` at `now` (deciding, without applying).
pub fn rollover_due(
    policy: &Policy,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let roll = Request::new("check/rollover", RequestKind::Rollover);
    decide(policy, snapshot, &roll, now, &DecideOptions::default())
        .map(|d| d.changes_state())
        .map_err(|e| request_error(&e))
}

/// The account view of `s` at `now`.
pub fn view(policy: &Policy, s: &Snapshot, now: DateTime<Utc>) -> Result<AccountView, ApiError> {
    let cycle = policy
        .calendar(s)
        .and_then(|c| c.cycle_at(now))
        .map_err(|e| request_error(&RequestError::Cycle(e)))?;
    Ok(AccountView {
        id: s.id.clone(),
        plan: s.plan.clone(),
        status: s.status.clone(),
        mode: s.mode.clone(),
        version: s.version,
        balances: balances(policy, s, now),
        cycle: CycleView {
            index: cycle.index,
            start: cycle.start,
            end: cycle.end,
        },
        exchanges: s.exchanges.clone(),
        policy: format!("{} {}", policy.name(), policy.version()),
    })
}
