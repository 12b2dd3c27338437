//! What the embedding API refuses, whatever the embedder does with it: a decision applied to
//! another account, under another policy version or on another snapshot version; an exchange
//! that would grant more than the largest supported amount; a policy with more exchanges or
//! parameters than the evaluator can hold; a snapshot with two grants of one id. Only the
//! public API is used here.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::{DateTime, Utc};
use quotient::{
    ApplyError, DecideOptions, Limits, Outcome, Policy, Request, RequestKind, Snapshot, apply,
    decide,
};

mod common;

fn now() -> DateTime<Utc> {
    "2026-04-02T10:00:00Z".parse().expect("instant")
}

fn account() -> Snapshot {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/accounts/pro-midcycle.json");
    Snapshot::from_json(&std::fs::read_to_string(path).expect("file")).expect("account")
}

fn use_image() -> Request {
    let mut r = Request::new("u-1", RequestKind::Use).on("web");
    r.feature = Some("ai_image_generation".into());
    r
}

#[test]
fn a_decision_applies_only_to_the_account_it_was_made_for() {
    let policy = common::policy("policies/capcut-pro.yaml");
    let mine = account();
    let request = use_image();
    let d = decide(&policy, &mine, &request, now(), &DecideOptions::default()).expect("decides");
    assert_eq!(d.account_id(), "acct-1001");
    let mut other = mine.clone();
    other.id = "acct-2002".into();
    assert_eq!(
        apply(&policy, &other, &d),
        Err(ApplyError::OtherAccount {
            decided_for: "acct-1001".into(),
            given: "acct-2002".into(),
        })
    );
    assert!(apply(&policy, &mine, &d).is_ok());
}

/// Found by the `decide` fuzz target: the ledger names grants by id, so on a snapshot with two
/// grants of one id the group could replay onto the other one; apply refuses such a snapshot.
#[test]
fn a_snapshot_with_two_grants_of_one_id_is_not_applied() {
    let policy = common::policy("policies/capcut-pro.yaml");
    let mut twice = account();
    let mut top_up = twice.grants[0].clone();
    top_up.source = quotient::GrantSource::TopUp;
    top_up.remaining = top_up.amount;
    twice.grants.push(top_up);
    let request = use_image();
    let d = decide(&policy, &twice, &request, now(), &DecideOptions::default()).expect("decides");
    assert!(d.changes_state());
    assert_eq!(
        apply(&policy, &twice, &d),
        Err(ApplyError::Inconsistent(
            "grant id `g-2026-03-pro` is used twice, so the ledger could not tell the grants apart"
                .into()
        ))
    );
}

#[test]
fn a_decision_applies_only_under_the_policy_version_that_made_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/versions/capcut");
    let loaded = quotient::load_paths(&[dir], &Limits::default());
    let set = loaded.single().expect("two versions of one policy");
    let march = set.at("2026-04-01T00:00:00Z".parse().unwrap()).unwrap();
    let june = set.at("2026-07-01T00:00:00Z".parse().unwrap()).unwrap();
    let s = account();
    let request = use_image();
    let d = decide(march, &s, &request, now(), &DecideOptions::default()).expect("decides");
    assert_eq!(
        (d.policy_name(), d.policy_version()),
        ("capcut-pro", "2026.03")
    );
    let err = apply(june, &s, &d).expect_err("another version");
    assert_eq!(
        err,
        ApplyError::OtherPolicy {
            decided_under: "`capcut-pro` 2026.03".into(),
            given: "`capcut-pro` 2026.06".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "the decision was made under policy `capcut-pro` 2026.03, not `capcut-pro` 2026.06; decide again"
    );
    // Another policy altogether, with the same account.
    let lumen = common::policy("policies/lumen-studio.yaml");
    assert!(matches!(
        apply(&lumen, &s, &d),
        Err(ApplyError::OtherPolicy { .. })
    ));
}

#[test]
fn a_decision_applies_only_to_the_snapshot_version_it_was_made_on() {
    let policy = common::policy("policies/capcut-pro.yaml");
    let s = account();
    let request = use_image();
    let d = decide(&policy, &s, &request, now(), &DecideOptions::default()).expect("decides");
    let next = apply(&policy, &s, &d).expect("applies").snapshot;
    assert_eq!(
        apply(&policy, &next, &d),
        Err(ApplyError::StaleSnapshot {
            decided_on: 7,
            now: 8
        })
    );
}

/// A policy whose exchange multiplies: 1 `small` is 1000 `big`.
const MULTIPLIER: &str = r#"
policy: multiplier
version: "1"
effective_from: 2026-01-01T00:00:00Z
units: { small: { decimals: 0 }, big: { decimals: 0 } }
cycle: { period: monthly }
plans:
  basic:
    starts_in: small_mode
    modes:
      small_mode: { grants: { small: { amount: 10 } } }
      big_mode: { grants: { big: { amount: 10 } } }
features: { f: { cost: { small: 1, big: 1 } } }
platforms: { web: { consume: true, offer: true, exchange: execute } }
exchanges:
  grow:
    from: small
    to: big
    ratio: 1 small = 1000 big
    rounding: floor
    one_time: true
    eligible: "true"
    switch_mode: big_mode
burn_down: [id]
"#;

fn multiplier_account(small: &str) -> Snapshot {
    Snapshot::from_json(&format!(
        r#"{{ "id": "a", "plan": "basic", "status": "active", "time_zone": "UTC",
             "anchor": "2026-01-01T00:00:00Z", "mode": "small_mode", "version": 1, "cycle": 3,
             "grants": [{{ "id": "g", "unit": "small", "amount": "{small}", "remaining": "{small}",
                          "effective": "2026-04-01T00:00:00Z", "source": "top_up" }}] }}"#
    ))
    .expect("account")
}

fn multiplier() -> std::sync::Arc<Policy> {
    let loaded = quotient::load_str("multiplier.yaml", MULTIPLIER, &Limits::default());
    assert!(!loaded.has_errors(), "{}", loaded.render_human());
    loaded.single().and_then(|s| s.latest()).cloned().unwrap()
}

#[test]
fn an_exchange_that_would_grant_above_the_maximum_is_refused_when_decided() {
    let policy = multiplier();
    let mut request = Request::new("x-1", RequestKind::Exchange).on("web");
    request.confirm = true;
    // 10^12 small is 10^15 big: the largest amount there is, still allowed.
    let at_cap = multiplier_account("1000000000000");
    assert!(quotient::validate(&at_cap, &policy).is_empty());
    let d = decide(&policy, &at_cap, &request, now(), &DecideOptions::default()).unwrap();
    assert_eq!(d.outcome(), Outcome::Exchanged);
    let t = apply(&policy, &at_cap, &d).expect("applies");
    assert!(quotient::validate(&t.snapshot, &policy).is_empty());
    // Two more small would grant 10^15 + 2000: refused before anything is applied.
    let above = multiplier_account("1000000000002");
    let d = decide(&policy, &above, &request, now(), &DecideOptions::default()).unwrap();
    assert_eq!(d.outcome(), Outcome::Denied);
    assert_eq!(
        d.reason_codes().collect::<Vec<_>>(),
        ["exchange.above_maximum"]
    );
    assert!(!d.changes_state());
    // A quote says the same, and a use (leaving 10^12 + 1) shows no offer that could never be
    // accepted.
    let quote = Request::new("q-1", RequestKind::Quote).on("web");
    let q = decide(&policy, &above, &quote, now(), &DecideOptions::default()).unwrap();
    assert_eq!(
        q.reason_codes().collect::<Vec<_>>(),
        ["exchange.above_maximum"]
    );
    let mut use_f = Request::new("u-1", RequestKind::Use).on("web");
    use_f.feature = Some("f".into());
    let u = decide(&policy, &above, &use_f, now(), &DecideOptions::default()).unwrap();
    assert_eq!(u.outcome(), Outcome::Allowed);
    assert!(u.offer().is_none());
}

/// The multiplier policy with `n` exchanges.
fn with_exchanges(n: usize) -> String {
    let base = MULTIPLIER.split("exchanges:").next().unwrap();
    let mut text = format!("{base}exchanges:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  x{i}: {{ from: small, to: big, ratio: 1 small = 1 big, rounding: floor, one_time: false, eligible: \"true\" }}\n"
        ));
    }
    text + "burn_down: [id]\n"
}

#[test]
fn a_policy_with_one_exchange_more_than_the_evaluator_holds_does_not_load() {
    let fits = quotient::load_str(
        "many.yaml",
        &with_exchanges(quotient::MAX_EXCHANGES),
        &Limits::default(),
    );
    assert!(!fits.has_errors(), "{}", fits.render_human());
    let over = quotient::load_str(
        "many.yaml",
        &with_exchanges(quotient::MAX_EXCHANGES + 1),
        &Limits::default(),
    );
    assert!(over.policies().is_empty());
    let d = &over.diagnostics()[0];
    assert_eq!(d.code(), quotient::Code::OverLimit);
    assert_eq!(d.message(), "a policy may declare at most 64 exchanges");
    insta::assert_snapshot!(over.render_human());
}

#[test]
fn a_feature_with_one_parameter_more_than_the_evaluator_holds_does_not_load() {
    let params: Vec<String> = (0..=quotient::MAX_PARAMS)
        .map(|i| format!("p{i}: int"))
        .collect();
    let text = MULTIPLIER.replace(
        "features: { f: { cost: { small: 1, big: 1 } } }",
        &format!(
            "features: {{ f: {{ params: {{ {} }}, cost: {{ small: 1, big: 1 }} }} }}",
            params.join(", ")
        ),
    );
    let loaded = quotient::load_str("params.yaml", &text, &Limits::default());
    assert!(loaded.policies().is_empty());
    assert_eq!(
        loaded.diagnostics()[0].message(),
        "a feature may declare at most 16 parameters"
    );
}

#[test]
fn with_a_key_an_altered_quote_is_refused_as_tampered() {
    let policy = common::policy("policies/capcut-pro.yaml");
    let s = account();
    let key = quotient::QuoteKey::new(b"a secret the service keeps, 32 b").expect("a key");
    let signed = DecideOptions::default().with_quote_key(&key);
    let quote_request = Request::new("q-1", RequestKind::Quote).on("web");
    let q = decide(&policy, &s, &quote_request, now(), &signed).unwrap();
    let quote = q.quote().expect("a quote").to_ref(&policy);
    assert_eq!(quote.mac.as_ref().map(String::len), Some(64));
    let exchange_with = |sent: quotient::QuoteRef| {
        let mut r = Request::new("x-1", RequestKind::Exchange).on("web");
        r.confirm = true;
        r.quote = Some(sent);
        r
    };
    let codes = |r: &Request, options: &DecideOptions<'_>| {
        let d = decide(&policy, &s, r, now(), options).unwrap();
        (d.outcome(), d.reason_codes().collect::<Vec<_>>())
    };
    // As it came: exchanged.
    assert_eq!(
        codes(&exchange_with(quote.clone()), &signed).0,
        Outcome::Exchanged
    );
    // Stretched by a day, an amount changed, or the MAC dropped: refused.
    let mut stretched = quote.clone();
    stretched.valid_until += chrono::Duration::days(1);
    let mut richer = quote.clone();
    richer.to_amount += quotient::Decimal::ONE;
    let mut unsigned = quote.clone();
    unsigned.mac = None;
    for altered in [stretched.clone(), richer, unsigned] {
        assert_eq!(
            codes(&exchange_with(altered), &signed),
            (Outcome::Denied, vec!["quote.tampered"])
        );
    }
    // Another account's quote does not fit this one either.
    let mut other = s.clone();
    other.id = "acct-2002".into();
    let request = exchange_with(quote.clone());
    let d = decide(&policy, &other, &request, now(), &signed).unwrap();
    assert_eq!(d.reason_codes().collect::<Vec<_>>(), ["quote.tampered"]);
    // Without a key quotes are checked field by field only: the stretched one goes through
    // (its amounts, cycle and versions still hold). Said so in the README.
    assert_eq!(
        codes(&exchange_with(stretched), &DecideOptions::default()).0,
        Outcome::Exchanged
    );
}
