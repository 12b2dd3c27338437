//! A report as a few lines of text, for a terminal or a reviewer.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::{DecisionReport, QuoteReport};

impl DecisionReport {
    /// A few lines for a terminal or a reviewer: outcome, reasons with help, amounts, the offer.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let what = match &self.feature {
            Some(f) => format!("{} {f}", self.kind),
            None => self.kind.to_string(),
        };
        let _ = writeln!(out, "{} {what}: {}", self.request, self.outcome);
        for r in &self.reasons {
            let _ = writeln!(out, "  {}: {}", r.code, r.message);
            if let Some(h) = &r.help {
                let _ = writeln!(out, "    help: {h}");
            }
        }
        if let Some(c) = &self.cost {
            let _ = writeln!(out, "  cost: {}", c.text);
        }
        for c in &self.charges {
            let _ = writeln!(out, "  charge: {} from `{}`", c.amount, c.grant);
        }
        if let Some(q) = &self.quote {
            let _ = writeln!(out, "  quote: {}", quote_line(q));
        }
        if let Some(h) = &self.hand_off {
            let _ = writeln!(
                out,
                "  hand off to {}{}",
                h.platform,
                h.link.as_ref().map_or(String::new(), |l| format!(": {l}"))
            );
        }
        if self.kind == "balance" && self.outcome == "shown" {
            let b: Vec<String> = self
                .balances
                .iter()
                .map(|(u, a)| format!("{u} {a}"))
                .collect();
            let _ = writeln!(out, "  balance: {}", b.join(", "));
        }
        for c in &self.changes {
            let _ = writeln!(out, "  change: {c}");
        }
        if let Some(o) = &self.offer {
            let _ = writeln!(
                out,
                "  offer: {} \"{}\" [{}] ({})",
                o.title, o.body, o.confirm, o.action
            );
        }
        if let Some(t) = &self.trace {
            let _ = writeln!(out, "  explain:");
            for s in t {
                match &s.expression {
                    Some(e) => {
                        let e = e.split_whitespace().collect::<Vec<_>>().join(" ");
                        let _ = writeln!(out, "    {}: `{e}` = {}", s.rule, s.result);
                    }
                    None => {
                        let _ = writeln!(out, "    {}: {}", s.rule, s.result);
                    }
                }
            }
        }
        out
    }
}

/// An exact value for reading: at most 6 decimal places, marked `≈` when that shortens it.
pub(super) fn readable(exact: &str) -> String {
    match Decimal::from_str_exact(exact) {
        Ok(d) if d.round_dp(6) != d => format!("≈{}", d.round_dp(6).normalize()),
        _ => exact.to_string(),
    }
}

fn quote_line(q: &QuoteReport) -> String {
    let mut s = format!(
        "{} {} -> {} {} (exact {}, {}{})",
        q.from_amount,
        q.from_unit,
        q.to_amount,
        q.to_unit,
        readable(&q.exact),
        q.rounding,
        if q.rounded { ", rounded" } else { "" }
    );
    if q.remainder != "0" {
        let _ = write!(s, "; {} {} {}", q.remainder, q.from_unit, q.remainder_is);
    }
    let _ = write!(
        s,
        "; expires {}; bound to cycle {}, policy {}, account version {}; valid until {}",
        q.grant_expires
            .map_or("never".to_string(), |t| t.to_rfc3339()),
        q.cycle,
        q.policy_version,
        q.balance_version,
        q.valid_until.to_rfc3339()
    );
    s
}
