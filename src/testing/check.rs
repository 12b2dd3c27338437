//! Comparing what a case expects with what the evaluator decided: one readable line per
//! difference, `field: expected X, got Y`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::file::{Amount, Expect};
use crate::timeline::Played;

fn amount(text: &str) -> Option<Decimal> {
    Decimal::from_str_exact(text).ok()
}

fn show(map: &BTreeMap<String, Amount>) -> String {
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k} {}", v.0.normalize()))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

pub(super) fn compare(want: &Expect, got: &Played) -> Vec<String> {
    let d = &got.decision;
    let mut out = Vec::new();
    let mut differ = |field: &str, expected: String, actual: String| {
        out.push(format!("{field}: expected {expected}, got {actual}"));
    };
    if let Some(e) = &want.error {
        differ(
            "error",
            format!("one containing `{e}`"),
            format!("a `{}` decision", d.outcome),
        );
    }
    if let Some(o) = &want.outcome {
        if o != d.outcome {
            differ("outcome", format!("`{o}`"), format!("`{}`", d.outcome));
        }
    }
    if let Some(r) = &want.reasons {
        let codes: Vec<&str> = d.reasons.iter().map(|r| r.code).collect();
        if *r != codes {
            differ("reasons", format!("{r:?}"), format!("{codes:?}"));
        }
    }
    if let Some(c) = &want.cost {
        let actual: BTreeMap<String, Amount> = d
            .cost
            .iter()
            .filter_map(|c| Some((c.unit.clone(), Amount(amount(&c.amount)?))))
            .collect();
        if *c != actual {
            differ("cost", show(c), show(&actual));
        }
    }
    if let Some(c) = &want.charges {
        let actual: BTreeMap<String, Amount> = d
            .charges
            .iter()
            .filter_map(|c| Some((c.grant.clone(), Amount(amount(&c.amount)?))))
            .collect();
        if *c != actual {
            differ("charges", show(c), show(&actual));
        }
    }
    if let Some(o) = want.offer {
        if o != d.offer.is_some() {
            differ("offer", format!("{o}"), format!("{}", d.offer.is_some()));
        }
    }
    if let Some(q) = &want.quote {
        match d.quote.as_ref().or(d.offer.as_ref().map(|o| &o.quote)) {
            None => differ("quote", "a quote".into(), "none".into()),
            Some(actual) => {
                for (field, wanted, have) in [
                    ("quote.from_amount", q.from_amount, &actual.from_amount),
                    ("quote.to_amount", q.to_amount, &actual.to_amount),
                    ("quote.remainder", q.remainder, &actual.remainder),
                ] {
                    if let Some(w) = wanted {
                        if amount(have) != Some(w.0) {
                            differ(field, w.0.normalize().to_string(), have.clone());
                        }
                    }
                }
            }
        }
    }
    if let Some(h) = &want.hand_off {
        let actual = d.hand_off.as_ref().map_or("none", |h| h.platform.as_str());
        if h != actual {
            differ("hand_off", format!("`{h}`"), format!("`{actual}`"));
        }
    }
    if let Some(b) = &want.balances_after {
        let actual: BTreeMap<String, Amount> = got
            .balances_after
            .iter()
            .filter(|(u, _)| b.contains_key(*u))
            .filter_map(|(u, a)| Some((u.clone(), Amount(amount(a)?))))
            .collect();
        if *b != actual {
            differ("balances_after", show(b), show(&actual));
        }
    }
    if let Some(m) = &want.mode_after {
        if *m != got.mode_after {
            differ(
                "mode_after",
                format!("`{m}`"),
                format!("`{}`", got.mode_after),
            );
        }
    }
    out
}
