//! The secure exchange page Desktop hands off to: `GET /exchange?t=<token>` shows the live
//! quote for the account now (from the engine, not from the token), with the exact value and
//! the rounding, when the credits expire on the account's wall clock, that future cycles grant
//! credits, and what the balance buys of each feature before and after; "Exchange now" leads to
//! the final warning (`POST /exchange/warning`) with a second, explicit confirmation; confirming
//! (`POST /exchange/confirm`) exchanges through the same store transaction as the API, with the
//! hand-off as the idempotency key, so a double click or a reload exchanges once. If the
//! balance changed since the page was shown, confirming shows the new quote instead.
//!
//! Every page carries a strict Content-Security-Policy, `Referrer-Policy: no-referrer`,
//! `Cache-Control: no-store` and `X-Frame-Options: DENY`; the forms carry a CSRF token bound to
//! the hand-off, checked against a `SameSite=Strict` cookie. The token travels in the query
//! string once and in form bodies after; neither is ever logged. No JavaScript.

// A page handler's error is the page that says what went wrong: a `Response`, as large as any.
#![allow(clippy::result_large_err)]

mod render;

use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use quotient::{Decision, Policy, Request, RequestKind, Snapshot, decide};
use serde::{Deserialize, Serialize};

use super::handoff::{Handoff, csrf_for, same, sha256_hex};
use super::state::App;
use super::store::{Idempotency, Plan, Store, StoredResponse};
use render::{QuoteWords, local, message, page, rounding_words, secure};

/// The CSRF cookie's name.
const COOKIE: &str = "quotient_exchange_csrf";

/// How long a confirmation waits for another tab's confirmation of the same hand-off.
const WAIT_FOR_OTHER_TAB: Duration = Duration::from_secs(5);

/// `GET /exchange/style.css`.
pub async fn style() -> Response {
    let mut r = render::STYLE.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    secure(r)
}

/// A hand-off opened from its link, with the policy and the account it is for.
struct Opened {
    app: App,
    handoff: Handoff,
    policy: Arc<Policy>,
    account: Snapshot,
    now: DateTime<Utc>,
}

impl Opened {
    fn platform_display(&self, name: &str) -> String {
        self.policy
            .platforms()
            .find(|p| p.name == name)
            .map_or_else(|| name.to_string(), |p| p.display.to_string())
    }

    fn product(&self) -> String {
        self.platform_display(&self.handoff.to_platform)
    }

    fn reopen(&self) -> String {
        format!(
            "Open the offer again in {} to get a new link.",
            self.platform_display(&self.handoff.from_platform)
        )
    }

    fn unit_display(&self, name: &str) -> String {
        self.policy
            .units()
            .find(|u| u.name == name)
            .map_or_else(|| name.to_string(), |u| u.display.to_string())
    }

    fn zone(&self) -> chrono_tz::Tz {
        self.policy
            .calendar(&self.account)
            .map(|c| c.zone())
            .unwrap_or(chrono_tz::UTC)
    }

    /// A request of `kind` for this hand-off's exchange, on the platform that executes.
    fn request(&self, id: &str, kind: RequestKind) -> Request {
        let mut r = Request::new(id, kind).on(&self.handoff.to_platform);
        r.exchange = Some(self.handoff.exchange.clone());
        r
    }
}

/// A page for a link that cannot be used: what happened and what to do.
fn refused(status: StatusCode, product: &str, heading: &str, what: &str, next: &str) -> Response {
    message(status, product, heading, what, next)
}

fn broken(e: impl std::fmt::Display) -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Exchange",
        "Something went wrong",
        &format!("The exchange page could not be shown: {e}"),
        "Nothing was changed. Try again in a moment.",
    )
}

/// Finds the hand-off of `token`, refusing (as a page) one that does not exist, was used or has
/// expired, and reads its account (rolled over first when a rollover is due).
async fn open(app: &App, token: &str) -> Result<Opened, Response> {
    let unknown = || {
        refused(
            StatusCode::NOT_FOUND,
            "Exchange",
            "This link is not valid",
            "This exchange link is not one we made, or it was changed on the way.",
            "Open the offer again in the app you started from, and follow its link as it is.",
        )
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    let handoff = app
        .store()
        .find_handoff(&sha256_hex(token))
        .await
        .map_err(broken)?
        .ok_or_else(unknown)?;
    let now = app.clock().now();
    let policy = app
        .policies()
        .at(now)
        .cloned()
        .ok_or_else(|| broken("no policy is in force"))?;
    let snapshot = app
        .store()
        .account(&handoff.account)
        .await
        .map_err(broken)?
        .ok_or_else(unknown)?;
    let mut opened = Opened {
        app: app.clone(),
        handoff,
        policy,
        account: snapshot,
        now,
    };
    if opened.handoff.used_at.is_some() {
        return Err(refused(
            StatusCode::GONE,
            &opened.product(),
            "This link was already used",
            "The exchange this link was for has been done; a link works only once.",
            &opened.reopen(),
        ));
    }
    if now >= opened.handoff.expires_at {
        return Err(refused(
            StatusCode::GONE,
            &opened.product(),
            "This link has expired",
            &format!(
                "Exchange links hold for a short time; this one expired at {}.",
                local(opened.handoff.expires_at, opened.zone())
            ),
            &opened.reopen(),
        ));
    }
    // The account as every client sees it now: rolled over first if a rollover is due.
    if super::transition::rollover_due(&opened.policy, &opened.account, now)
        .map_err(|e| broken(e.body.message))?
    {
        let (policy, id) = (opened.policy.clone(), opened.handoff.account.clone());
        let outcome = app
            .store()
            .transact(&id, None, now, &|stored| {
                let (write, view) = super::transition::plan_read(&policy, &id, stored, now)?;
                Ok(Plan {
                    write,
                    response: StoredResponse {
                        status: 200,
                        body: serde_json::to_string(&view).unwrap_or_default(),
                    },
                    ..Plan::default()
                })
            })
            .await
            .map_err(broken)?
            .map_err(|e| broken(e.body.message))?;
        super::routes::requests::publish(app, &id, outcome.written.as_ref());
        opened.account = app
            .store()
            .account(&id)
            .await
            .map_err(broken)?
            .ok_or_else(unknown)?;
    }
    Ok(opened)
}

/// The live quote for the opened hand-off's account, in words, and what the balance buys; or a
/// page saying why there is nothing to exchange.
fn live_quote(o: &Opened) -> Result<(QuoteWords, Vec<quotient::FeatureValue>), Response> {
    let request = o.request("page/quote", RequestKind::Quote);
    let d = decide(
        &o.policy,
        &o.account,
        &request,
        o.now,
        &o.app.decide_options(),
    )
    .map_err(broken)?;
    words(o, &d)
}

fn words(
    o: &Opened,
    d: &Decision<'_>,
) -> Result<(QuoteWords, Vec<quotient::FeatureValue>), Response> {
    let report = d.report(&o.policy, &o.account);
    let (Some(q), Some(quote)) = (report.quote.as_ref(), d.quote()) else {
        let reason = report.reasons.first();
        return Err(refused(
            StatusCode::CONFLICT,
            &o.product(),
            "There is nothing to exchange",
            &reason.map_or_else(
                || "This account cannot make this exchange now.".to_string(),
                |r| sentence(&r.message),
            ),
            &reason
                .and_then(|r| r.help.clone())
                .map_or_else(|| o.reopen(), |h| sentence(&h)),
        ));
    };
    if d.outcome() != quotient::Outcome::Quoted && d.outcome() != quotient::Outcome::ConfirmRequired
    {
        let reason = report.reasons.first();
        return Err(refused(
            StatusCode::CONFLICT,
            &o.product(),
            "There is nothing to exchange",
            &reason.map_or_else(String::new, |r| sentence(&r.message)),
            &o.reopen(),
        ));
    }
    let (from, to) = (o.unit_display(&q.from_unit), o.unit_display(&q.to_unit));
    let exchange = o.policy.exchanges().find(|x| x.name == q.exchange);
    let words = QuoteWords {
        from_amount: q.from_amount.clone(),
        from_display: from.clone(),
        to_amount: q.to_amount.clone(),
        to_display: to.clone(),
        exactly: if q.rounded {
            format!(
                "Your {} {from} are worth exactly {} {to}, {} to {}.",
                q.from_amount,
                q.exact,
                rounding_words(q.rounding),
                q.to_amount
            )
        } else {
            format!(
                "Your {} {from} are worth exactly {} {to}; no rounding.",
                q.from_amount, q.to_amount
            )
        },
        remainder_note: (q.remainder != "0").then(|| {
            format!(
                "{} {from} that do not make a whole {} are {}.",
                q.remainder,
                to.trim_end_matches('s'),
                if q.remainder_is == "forfeited" {
                    "forfeited"
                } else {
                    "kept"
                }
            )
        }),
        expires_local: q
            .grant_expires
            .map_or_else(|| "no end".to_string(), |t| local(t, o.zone())),
        future_note: exchange.and_then(|x| x.switches_to).map(|_| {
            format!("From your next billing cycle on, your plan grants {to} instead of {from}, for good.")
        }),
        balance_version: q.balance_version,
    };
    Ok((words, quote.value_per_feature(&o.policy)))
}

/// A reason's message as a sentence: capitalized, ending in a full stop.
fn sentence(text: &str) -> String {
    let text = text.replace('`', "");
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[derive(Serialize)]
struct ValueRow {
    display: String,
    before: String,
    after: String,
}

#[derive(Serialize)]
struct QuoteCtx {
    product: String,
    title: String,
    confirm_label: String,
    token: String,
    csrf: String,
    quote: QuoteWords,
    values: Vec<ValueRow>,
    changed: bool,
}

fn quote_page(o: &Opened, token: &str, changed: bool) -> Response {
    let (quote, values) = match live_quote(o) {
        Ok(q) => q,
        Err(page) => return page,
    };
    let count = |n: Option<u64>| n.map_or_else(|| "—".to_string(), |n| n.to_string());
    let ctx = QuoteCtx {
        product: o.product(),
        title: format!(
            "Switch from {} to {}?",
            quote.from_display, quote.to_display
        ),
        confirm_label: "Exchange now".to_string(),
        token: token.to_string(),
        csrf: csrf_for(token),
        quote,
        values: values
            .into_iter()
            .map(|v| ValueRow {
                display: v.display,
                before: count(v.before),
                after: count(v.after),
            })
            .collect(),
        changed,
    };
    with_cookie(
        page(
            if changed {
                StatusCode::CONFLICT
            } else {
                StatusCode::OK
            },
            "quote.html",
            ctx,
        ),
        &csrf_for(token),
    )
}

/// Sets the CSRF cookie: only sent back to `/exchange`, never to another site's requests.
fn with_cookie(mut r: Response, csrf: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={csrf}; Path=/exchange; HttpOnly; SameSite=Strict"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The link's query.
#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    t: Option<String>,
}

/// `GET /exchange?t=<token>`: the live quote.
pub async fn show(
    State(app): State<App>,
    q: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let token = q.ok().and_then(|Query(q)| q.t).unwrap_or_default();
    match open(&app, &token).await {
        Ok(o) => quote_page(&o, &token, false),
        Err(page) => page,
    }
}

/// What the forms send.
#[derive(Debug, Deserialize)]
pub struct Step {
    #[serde(default)]
    t: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    acknowledge: Option<String>,
}

/// The form's CSRF token matches the cookie and the hand-off; else a refusal page.
fn check_csrf(headers: &HeaderMap, step: &Step) -> Result<(), Response> {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")))
        .next()
        .unwrap_or("");
    let want = csrf_for(&step.t);
    if step.csrf.is_empty() || !same(&step.csrf, &want) || !same(cookie, &want) {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "Exchange",
            "This request was refused",
            "The form was not sent from the exchange page of this link, so nothing was changed.",
            "Open the link from the app again, and confirm on its page.",
        ));
    }
    Ok(())
}

fn form(step: Result<Form<Step>, FormRejection>) -> Result<Step, Response> {
    step.map(|Form(s)| s).map_err(|_| {
        refused(
            StatusCode::BAD_REQUEST,
            "Exchange",
            "This request was refused",
            "The form was not complete, so nothing was changed.",
            "Open the link from the app again.",
        )
    })
}

#[derive(Serialize)]
struct WarningCtx {
    product: String,
    warning: String,
    token: String,
    csrf: String,
    quote: QuoteWords,
    back: String,
    error: Option<String>,
}

fn warning_page(o: &Opened, token: &str, error: Option<String>) -> Response {
    // The policy's final warning, filled in for this balance (an unconfirmed exchange answers
    // with it).
    let request = o.request("page/warning", RequestKind::Exchange);
    let d = match decide(
        &o.policy,
        &o.account,
        &request,
        o.now,
        &o.app.decide_options(),
    ) {
        Ok(d) => d,
        Err(e) => return broken(e),
    };
    let (quote, _) = match words(o, &d) {
        Ok(w) => w,
        Err(page) => return page,
    };
    let report = d.report(&o.policy, &o.account);
    let warning = report
        .reasons
        .iter()
        .find(|r| r.code == "exchange.confirmation_required")
        .map_or_else(
            || "This exchange is irreversible.".to_string(),
            |r| r.message.clone(),
        );
    page(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "warning.html",
        WarningCtx {
            product: o.product(),
            warning,
            token: token.to_string(),
            csrf: csrf_for(token),
            quote,
            back: super::handoff::link("/exchange", token),
            error,
        },
    )
}

/// `POST /exchange/warning`: the final warning, with the explicit confirmation.
pub async fn warning(
    State(app): State<App>,
    headers: HeaderMap,
    step: Result<Form<Step>, FormRejection>,
) -> Response {
    let step = match form(step) {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Err(page) = check_csrf(&headers, &step) {
        return page;
    }
    match open(&app, &step.t).await {
        Ok(o) => warning_page(&o, &step.t, None),
        Err(page) => page,
    }
}

/// What a confirmation came to, stored under the hand-off's idempotency key when it exchanged.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "page", rename_all = "snake_case")]
enum Confirmed {
    Done {
        from_amount: String,
        from_display: String,
        to_amount: String,
        to_display: String,
        balance: String,
        valid_until: String,
    },
    Changed,
    Refused {
        heading: String,
        message: String,
    },
}

/// `POST /exchange/confirm`: exchange, once.
pub async fn confirm(
    State(app): State<App>,
    headers: HeaderMap,
    step: Result<Form<Step>, FormRejection>,
) -> Response {
    let step = match form(step) {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Err(page) = check_csrf(&headers, &step) {
        return page;
    }
    let token_hash = sha256_hex(&step.t);
    let handoff = match app.store().find_handoff(&token_hash).await {
        Ok(Some(h)) => h,
        Ok(None) => {
            return open(&app, &step.t)
                .await
                .err()
                .unwrap_or_else(|| broken("no hand-off"));
        }
        Err(e) => return broken(e),
    };
    let idempotency = Idempotency {
        key: format!("handoff:{}", handoff.id),
        fingerprint: sha256_hex(&format!("handoff:{}", handoff.id)),
    };
    // A second tab confirming the same hand-off waits for the first, then replays its answer.
    let mut guard = app.begin_key(&handoff.account, &idempotency.key);
    let deadline = tokio::time::Instant::now() + WAIT_FOR_OTHER_TAB;
    while guard.is_none() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        guard = app.begin_key(&handoff.account, &idempotency.key);
    }
    let now = app.clock().now();
    let Some(policy) = app.policies().at(now).cloned() else {
        return broken("no policy is in force");
    };
    let account_id = handoff.account.clone();
    if step.acknowledge.as_deref() != Some("yes") {
        return match open(&app, &step.t).await {
            Ok(o) => warning_page(
                &o,
                &step.t,
                Some("Tick the box to confirm that you understand, then confirm again.".into()),
            ),
            Err(page) => page,
        };
    }
    let shown = (step.version, step.from.clone(), step.to.clone());
    let outcome = app
        .store()
        .transact(&account_id, Some(&idempotency), now, &|stored| {
            let Some(stored) = stored else {
                return Err(super::error::ApiError::account_not_found(&account_id));
            };
            let refused = |heading: &str, message: String| Plan {
                response: StoredResponse {
                    status: 409,
                    body: serde_json::to_string(&Confirmed::Refused {
                        heading: heading.to_string(),
                        message,
                    })
                    .unwrap_or_default(),
                },
                ..Plan::default()
            };
            if handoff.used_at.is_some() || now >= handoff.expires_at {
                return Ok(refused(
                    "This link can no longer be used",
                    "It was already used or has expired; nothing was exchanged.".into(),
                ));
            }
            let o = Opened {
                app: app.clone(),
                handoff: handoff.clone(),
                policy: policy.clone(),
                account: stored.snapshot.clone(),
                now,
            };
            // The live quote: if the balance changed since the page was shown, show it anew.
            let quote_request = o.request("page/confirm-quote", RequestKind::Quote);
            let quote = decide(
                &o.policy,
                &o.account,
                &quote_request,
                now,
                &o.app.decide_options(),
            )
            .map_err(|e| super::transition::request_error(&e))?;
            let Some(q) = quote.quote() else {
                let report = quote.report(&o.policy, &o.account);
                return Ok(refused(
                    "There is nothing to exchange",
                    report
                        .reasons
                        .first()
                        .map_or_else(String::new, |r| sentence(&r.message)),
                ));
            };
            let live = (
                Some(q.balance_version()),
                Some(q.from_amount().normalize().to_string()),
                Some(q.to_amount().normalize().to_string()),
            );
            if live != shown {
                return Ok(Plan {
                    response: StoredResponse {
                        status: 409,
                        body: serde_json::to_string(&Confirmed::Changed).unwrap_or_default(),
                    },
                    ..Plan::default()
                });
            }
            let mut exchange = o.request(&format!("page/{}", o.handoff.id), RequestKind::Exchange);
            exchange.confirm = true;
            exchange.quote = Some(q.to_ref(&o.policy));
            let (mut plan, _, outcome) = super::transition::plan_request(
                &o.policy,
                &account_id,
                Some(stored),
                &exchange,
                now,
                None,
                &o.app.decide_options(),
            )?;
            if outcome != "exchanged" {
                let body: serde_json::Value =
                    serde_json::from_str(&plan.response.body).unwrap_or_default();
                let message = body["reasons"][0]["message"]
                    .as_str()
                    .map(sentence)
                    .unwrap_or_default();
                return Ok(refused("This exchange cannot be done", message));
            }
            let after = plan
                .write
                .as_ref()
                .map(|w| super::transition::balances(&o.policy, &w.snapshot, now))
                .unwrap_or_default();
            let to_unit = o
                .policy
                .exchanges()
                .find(|x| x.name == o.handoff.exchange)
                .map(|x| x.to)
                .unwrap_or("");
            let balance = after
                .iter()
                .filter(|(_, a)| a.as_str() != "0")
                .map(|(u, a)| format!("{a} {}", o.unit_display(u)))
                .collect::<Vec<_>>()
                .join(", ");
            plan.response = StoredResponse {
                status: 200,
                body: serde_json::to_string(&Confirmed::Done {
                    from_amount: live.1.unwrap_or_default(),
                    from_display: o.unit_display(
                        o.policy
                            .exchanges()
                            .find(|x| x.name == o.handoff.exchange)
                            .map_or("", |x| x.from),
                    ),
                    to_amount: live.2.unwrap_or_default(),
                    to_display: o.unit_display(to_unit),
                    balance: if balance.is_empty() {
                        "nothing".into()
                    } else {
                        balance
                    },
                    valid_until: q
                        .grant_expires()
                        .map_or_else(|| "no end".into(), |t| local(t, o.zone())),
                })
                .unwrap_or_default(),
            };
            plan.use_handoff = Some(o.handoff.id.clone());
            plan.store_response = true;
            Ok(plan)
        })
        .await;
    drop(guard);
    let outcome = match outcome {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) if e.body.code == "handoff.spent" => {
            return open(&app, &step.t)
                .await
                .err()
                .unwrap_or_else(|| broken(e.body.message));
        }
        Ok(Err(e)) => return broken(e.body.message),
        Err(e) => return broken(e),
    };
    super::routes::requests::publish(&app, &account_id, outcome.written.as_ref());
    let product = policy
        .platforms()
        .find(|p| p.name == handoff.to_platform)
        .map_or_else(String::new, |p| p.display.to_string());
    match serde_json::from_str::<Confirmed>(&outcome.response.body) {
        Ok(Confirmed::Done {
            from_amount,
            from_display,
            to_amount,
            to_display,
            balance,
            valid_until,
        }) => {
            #[derive(Serialize)]
            struct DoneCtx {
                product: String,
                from_amount: String,
                from_display: String,
                to_amount: String,
                to_display: String,
                balance: String,
                valid_until: String,
            }
            page(
                StatusCode::OK,
                "done.html",
                DoneCtx {
                    product,
                    from_amount,
                    from_display,
                    to_amount,
                    to_display,
                    balance,
                    valid_until,
                },
            )
        }
        Ok(Confirmed::Changed) => match open(&app, &step.t).await {
            Ok(o) => quote_page(&o, &step.t, true),
            Err(page) => page,
        },
        Ok(Confirmed::Refused {
            heading,
            message: m,
        }) => {
            let next = format!(
                "Nothing was changed. {}",
                policy
                    .platforms()
                    .find(|p| p.name == handoff.from_platform)
                    .map_or_else(String::new, |p| format!(
                        "You can close this page and go back to {}.",
                        p.display
                    ))
            );
            message(StatusCode::CONFLICT, &product, &heading, &m, &next)
        }
        Err(e) => broken(e),
    }
}
