//! Data-driven scenarios: each file under `tests/inputs/scenarios/` is a timeline script (the
//! `quotient::testing::timeline::Script` format, with its starting account inline under `account:`) that
//! is played against one policy, and the whole result is snapshot-tested.
//!
//! Which policy: a scenario file has one extra top-level line, `policy: <path>`, naming the
//! policy file relative to the repository root (`policy: policies/capcut-pro.yaml`). It must be
//! a plain one-line scalar at column 0. `Script` denies unknown fields (and serde's `flatten`
//! cannot be combined with that), so the test takes that one line out, leaves a blank line in
//! its place (YAML errors still point at the right line of the file) and reads the rest as a
//! `Script`. The file as a whole stays plain YAML that any tool can read.
//!
//! Each snapshot holds, in this order: the policy path and the script's description as `#`
//! lines, `Timeline::to_text()` (every decision with its reasons and the balances after it),
//! `--- final account ---` and the final snapshot as pretty JSON, and `--- ledger ---` with one
//! compact JSON line per ledger group.
//! Every scenario also checks that replaying the ledger onto the starting account gives exactly
//! the final account, and that every unit's ledger totals balance.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use quotient::DecideOptions;
use quotient::Limits;
use quotient::testing::timeline::{self, Script};

/// Splits the `policy: <path>` line out of a scenario file: the policy path, and the text with a
/// blank line in its place.
fn split_policy_line(name: &str, text: &str) -> (String, String) {
    let mut policy = None;
    let mut rest = String::with_capacity(text.len());
    for line in text.lines() {
        match line.strip_prefix("policy:") {
            Some(value) => {
                assert!(
                    policy.is_none(),
                    "{name}: more than one top-level `policy:` line"
                );
                let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
                assert!(!value.is_empty(), "{name}: `policy:` names no file");
                policy = Some(value.to_string());
            }
            None => rest.push_str(line),
        }
        rest.push('\n');
    }
    let policy = policy.unwrap_or_else(|| {
        panic!("{name}: a scenario needs a top-level `policy: <path>` line naming its policy file")
    });
    (policy, rest)
}

#[test]
fn scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    insta::glob!("inputs/scenarios/*.yaml", |path| {
        let name = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(path).expect("the scenario is readable");
        assert!(
            text.starts_with('#'),
            "{name}: a scenario starts with a comment saying what it demonstrates"
        );
        let (policy_path, yaml) = split_policy_line(&name, &text);
        let script: Script = quotient::read_document(&name, &yaml)
            .unwrap_or_else(|e| panic!("{name}: the scenario does not read: {e}"));

        let loaded = quotient::load_paths(&[root.join(&policy_path)], &Limits::default());
        assert!(
            !loaded.has_errors(),
            "{name}: the policy {policy_path} does not load: {:?}",
            loaded.diagnostics()
        );
        let policies = loaded
            .single()
            .unwrap_or_else(|| panic!("{name}: {policy_path} is not exactly one policy"));

        let start = script
            .account
            .clone()
            .unwrap_or_else(|| panic!("{name}: a scenario carries its account inline"));
        let played = timeline::play(policies, &start, &script, &DecideOptions::default())
            .unwrap_or_else(|e| panic!("{name}: the timeline stopped: {e}"));

        // Replaying the ledger onto the starting account gives exactly the final account.
        assert_eq!(
            quotient::ledger::replay(&start, &played.ledger),
            Ok(played.account.clone()),
            "{name}: the ledger does not replay to the final account"
        );
        // Conservation: per unit, what the ledger added less what it took is the change in the
        // remaining amounts.
        let totals = quotient::ledger::totals(&played.ledger).expect("the ledger adds up");
        for (unit, t) in &totals {
            let remaining = |s: &quotient::Snapshot| -> rust_decimal::Decimal {
                s.grants
                    .iter()
                    .filter(|g| &g.unit == unit)
                    .map(|g| g.remaining)
                    .sum()
            };
            assert_eq!(
                remaining(&start) + t.net().expect("the totals fit"),
                remaining(&played.account),
                "{name}: the ledger for `{unit}` does not balance: {t:?}"
            );
        }

        insta::assert_snapshot!(render(&policy_path, &script, &played));
    });
}

fn render(policy_path: &str, script: &Script, played: &timeline::Timeline) -> String {
    let mut out = String::new();
    out.push_str(&format!("# policy: {policy_path}\n"));
    if let Some(d) = &script.description {
        out.push_str(&format!("# {}\n", d.trim()));
    }
    out.push_str(&played.to_text());
    out.push_str("--- final account ---\n");
    out.push_str(&serde_json::to_string_pretty(&played.account).expect("the account serializes"));
    out.push_str("\n--- ledger ---\n");
    for group in &played.ledger {
        out.push_str(&serde_json::to_string(group).expect("a ledger group serializes"));
        out.push('\n');
    }
    out
}

/// The quote shown with an offer describes the balance the use leaves, so it is bound to the
/// account version that applying the use makes: "Exchange now" with that very quote executes.
#[test]
fn an_offers_quote_can_be_accepted_after_the_use() {
    use quotient::{Outcome, QuoteRef, Request, RequestKind};

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = quotient::load_paths(&[root.join("policies/capcut-pro.yaml")], &Limits::default());
    let policies = loaded.single().expect("capcut-pro loads");
    let account: quotient::Snapshot = quotient::read_document(
        "account.json",
        r#"{"id": "acct-offer-quote", "plan": "pro", "status": "active",
            "time_zone": "America/New_York", "anchor": "2026-01-31T15:00:00Z",
            "mode": "pro_uses", "version": 7, "cycle": 2,
            "grants": [{"id": "c2-pro_use", "unit": "pro_use", "amount": 50, "remaining": "38",
                        "effective": "2026-03-31T14:00:00Z", "expires": "2026-04-30T14:00:00Z",
                        "source": "allowance"}]}"#,
    )
    .expect("the account reads");
    let options = DecideOptions::default();
    let at = |s: &str| {
        s.parse::<chrono::DateTime<chrono::Utc>>()
            .expect("an instant")
    };

    let now = at("2026-04-02T10:00:00Z");
    let policy = policies.at(now).expect("a version in force");
    let mut use_image = Request::new("u1", RequestKind::Use).on("web");
    use_image.feature = Some("ai_image_generation".into());
    let used = quotient::decide(policy, &account, &use_image, now, &options).expect("decides");
    assert_eq!(used.outcome(), Outcome::Allowed);
    let offer = *used
        .offer()
        .expect("web shows the offer with Pro uses left")
        .quote();
    let shown = used
        .report(policy, &account)
        .offer
        .expect("the offer is reported")
        .quote;
    assert_eq!(offer.from_amount(), rust_decimal::Decimal::from(37));
    assert_eq!(offer.to_amount(), rust_decimal::Decimal::from(29));
    let after_use = quotient::apply(policy, &account, &used).expect("applies");
    assert_eq!(offer.balance_version(), after_use.snapshot.version);

    let later = at("2026-04-02T10:01:00Z");
    let mut exchange = Request::new("x1", RequestKind::Exchange).on("web");
    exchange.confirm = true;
    exchange.quote = Some(QuoteRef {
        exchange: shown.exchange,
        cycle: offer.cycle(),
        policy_version: shown.policy_version,
        balance_version: offer.balance_version(),
        valid_until: offer.valid_until(),
        from_amount: offer.from_amount(),
        to_amount: offer.to_amount(),
        mac: None,
    });
    let done =
        quotient::decide(policy, &after_use.snapshot, &exchange, later, &options).expect("decides");
    assert_eq!(
        done.outcome(),
        Outcome::Exchanged,
        "{}",
        done.report(policy, &after_use.snapshot).to_text()
    );
}
