//! Ledgers from outside are not trusted. `tests/inputs/ledgers/base.json` is a real ledger (what
//! `quotient timeline` wrote for the help page's month); each case under `tampered/` edits it
//! (`set` JSON pointers, `remove`, `swap`, `insert` a copy) and the snapshot shows what reading,
//! replaying and totalling the result says: a located refusal for every tampering, the final
//! account for the untampered ledger. A property test then mutates the ledger at random (huge,
//! negative and boundary amounts and versions, other names) and checks that replay and totals
//! never panic and that whatever replays also adds up.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use quotient::Snapshot;
use quotient::ledger::{self, LedgerGroup};
use serde_json::Value;

fn base() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/ledgers/base.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("base ledger")).expect("JSON")
}

/// Applies one case's edits to the base document.
fn edit(doc: &mut Value, case: &Value) {
    if let Some(sets) = case.get("set").and_then(Value::as_object) {
        for (pointer, value) in sets {
            // A key the base leaves out (`opened`, `closed`) is added to its object.
            let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
            match doc.pointer_mut(parent) {
                Some(Value::Object(m)) => {
                    m.insert(key.to_string(), value.clone());
                }
                Some(Value::Array(a)) => {
                    a[key.parse::<usize>().expect("an index")] = value.clone();
                }
                _ => panic!("no {parent} in the base ledger"),
            }
        }
    }
    if let Some([a, b]) = case
        .get("swap")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        let (a, b) = (a.as_str().expect("pointer"), b.as_str().expect("pointer"));
        let va = doc.pointer(a).expect("swap a").clone();
        let vb = doc.pointer(b).expect("swap b").clone();
        *doc.pointer_mut(a).expect("swap a") = vb;
        *doc.pointer_mut(b).expect("swap b") = va;
    }
    if let Some(insert) = case.get("insert") {
        let copy = doc
            .pointer(insert["copy_of"].as_str().expect("pointer"))
            .expect("copy_of")
            .clone();
        let at = insert["at"].as_str().expect("pointer");
        let (list, index) = at.rsplit_once('/').expect("a list index");
        let index: usize = index.parse().expect("an index");
        doc.pointer_mut(list)
            .and_then(Value::as_array_mut)
            .expect("a list")
            .insert(index, copy);
    }
    for pointer in case
        .get("remove")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pointer = pointer.as_str().expect("pointer");
        let (list, index) = pointer.rsplit_once('/').expect("a list index");
        let index: usize = index.parse().expect("an index");
        doc.pointer_mut(list)
            .and_then(Value::as_array_mut)
            .expect("a list")
            .remove(index);
    }
}

/// What reading, replaying and totalling a ledger document says, in words.
fn verdict(doc: &Value) -> (bool, String) {
    // Read from text, as a service reads a stored ledger.
    let start = Snapshot::from_json(&doc["start"].to_string());
    let groups: Result<Vec<LedgerGroup>, _> = serde_json::from_str(&doc["groups"].to_string());
    let (start, groups) = match (start, groups) {
        (Ok(s), Ok(g)) => (s, g),
        (Err(e), _) => return (false, format!("the start account does not read: {e}")),
        (_, Err(e)) => return (false, format!("the ledger does not read: {e}")),
    };
    let totals = match ledger::totals(&groups) {
        Ok(t) => format!("{} units add up", t.len()),
        Err(e) => format!("totals refused: {e}"),
    };
    match ledger::replay(&start, &groups) {
        Ok(end) => {
            let same = serde_json::to_value(&end).expect("serializes") == doc["final"];
            (
                true,
                format!(
                    "replays to version {} ({}); {totals}",
                    end.version,
                    if same {
                        "the final account"
                    } else {
                        "NOT the final account"
                    }
                ),
            )
        }
        Err(e) => (false, format!("replay refused: {e}; {totals}")),
    }
}

#[test]
fn tampered_ledgers_are_refused_with_their_place() {
    insta::glob!("inputs/ledgers/tampered/*.json", |path| {
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("case")).expect("case JSON");
        let mut doc = base();
        edit(&mut doc, &case);
        let (replays, words) = verdict(&doc);
        let untampered = path.ends_with("untampered.json");
        assert_eq!(replays, untampered, "{}: {words}", path.display());
        insta::assert_snapshot!(format!(
            "{}\n{words}",
            case["description"].as_str().unwrap_or("")
        ));
    });
}

/// Values a mutation may write: boundaries of every kind a ledger field holds.
fn wild_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::from("0")),
        Just(Value::from("-1")),
        Just(Value::from("1000000000000000")),
        Just(Value::from("1000000000000001")),
        Just(Value::from("79228162514264337593543950335")),
        Just(Value::from("0.0000000001")),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
        Just(Value::from(0)),
        Just(Value::from(7)),
        Just(Value::from(true)),
        Just(Value::Null),
        Just(Value::from("g-2026-03-pro")),
        Just(Value::from("c3-credit")),
        Just(Value::from("credit")),
        Just(Value::from("pro_use")),
        Just(Value::from("expire")),
        Just(Value::from("rollover")),
        Just(Value::from("2026-04-30T14:00:00Z")),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9.-]{0,12}".prop_map(Value::from),
    ]
}

/// Every pointer to a scalar in the groups, so a mutation can pick one.
fn scalar_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                scalar_pointers(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                scalar_pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}

proptest! {
    #![proptest_config(Config {
        cases: 3_000,
        rng_seed: RngSeed::Fixed(0x001e_d6e5),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn replay_and_totals_never_panic_on_mutated_ledgers(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), wild_value()), 1..4),
        drop_group in proptest::option::of(any::<proptest::sample::Index>()),
    ) {
        let mut doc = base();
        let mut pointers = Vec::new();
        scalar_pointers(&doc["groups"], "/groups".into(), &mut pointers);
        scalar_pointers(&doc["start"], "/start".into(), &mut pointers);
        for (i, value) in edits {
            let p = &pointers[i.index(pointers.len())];
            if let Some(slot) = doc.pointer_mut(p) {
                *slot = value;
            }
        }
        if let Some(i) = drop_group {
            if let Some(groups) = doc["groups"].as_array_mut() {
                let n = i.index(groups.len());
                groups.remove(n);
            }
        }
        let start = Snapshot::from_json(&doc["start"].to_string());
        let groups: Result<Vec<LedgerGroup>, _> = serde_json::from_str(&doc["groups"].to_string());
        if let (Ok(start), Ok(groups)) = (start, groups) {
            let totals = ledger::totals(&groups);
            if let Ok(end) = ledger::replay(&start, &groups) {
                // Whatever replays also adds up, and balances unit by unit.
                let totals = totals.map_err(|e| TestCaseError::fail(e.to_string()))?;
                for (unit, t) in &totals {
                    let held = |s: &Snapshot| -> rust_decimal::Decimal {
                        s.grants.iter().filter(|g| &g.unit == unit).map(|g| g.remaining).sum()
                    };
                    prop_assert_eq!(t.net().map(|n| held(&start) + n), Some(held(&end)), "{}", unit);
                }
            }
        }
    }
}
