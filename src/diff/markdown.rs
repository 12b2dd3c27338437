//! An impact report as Markdown for a pull-request comment: the headline, changes per request
//! kind, the groups of changed decisions with examples, amounts granted and consumed, and what an
//! exchange's units buy per feature.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::DiffReport;

/// `head - base` with its sign, `0` when equal.
pub(crate) fn delta(base: Decimal, head: Decimal) -> String {
    let d = head - base;
    if d.is_zero() {
        "0".into()
    } else if d > Decimal::ZERO {
        format!("+{}", d.normalize())
    } else {
        d.normalize().to_string()
    }
}

/// The change from `base` to `head` in percent, `n/a` from zero.
pub(crate) fn percent(base: u64, head: u64) -> String {
    if base == 0 {
        return "n/a".into();
    }
    let (b, h) = (Decimal::from(base), Decimal::from(head));
    let p = ((h - b) * Decimal::ONE_HUNDRED / b).round_dp(1);
    if p > Decimal::ZERO {
        format!("+{p}%")
    } else {
        format!("{p}%")
    }
}

/// Renders the report.
pub fn render(r: &DiffReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Policy impact: `{}` → `{}`\n", r.base, r.head);
    if let Some(at) = r.at {
        let _ = writeln!(
            out,
            "Evaluated at {} over **{}** accounts.\n",
            at.to_rfc3339(),
            r.accounts
        );
    }
    if !r.has_changes() {
        let _ = writeln!(
            out,
            "**No decision changed** ({} decisions compared).",
            r.decisions
        );
    } else {
        let _ = writeln!(
            out,
            "**{} of {} decisions changed** ({}%).",
            r.changed,
            r.decisions,
            r.changed_percent()
        );
    }
    let _ = writeln!(out, "\n### Decisions by request kind\n");
    let _ = writeln!(out, "| request | decisions | changed |");
    let _ = writeln!(out, "| --- | ---: | ---: |");
    for (kind, (n, c)) in &r.by_kind {
        let _ = writeln!(out, "| {kind} | {n} | {c} |");
    }
    if !r.groups.is_empty() {
        let _ = writeln!(out, "\n### What changed\n");
        let _ = writeln!(
            out,
            "| request | before | after | reasons after | what changed | decisions |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | ---: |");
        for g in &r.groups {
            let reasons = if g.reasons.is_empty() {
                "-".to_string()
            } else {
                format!("`{}`", g.reasons)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {reasons} | {} | {} |",
                g.kind, g.from, g.to, g.what, g.count
            );
        }
        let _ = writeln!(out, "\n<details><summary>Examples</summary>\n");
        for g in &r.groups {
            let _ = writeln!(
                out,
                "**{}: {} → {}, {}** ({})\n",
                g.kind, g.from, g.to, g.what, g.count
            );
            for e in &g.examples {
                let _ = writeln!(
                    out,
                    "- `{}`, {}: {} → {}",
                    e.account, e.request, e.base, e.head
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "</details>");
    }
    let _ = writeln!(out, "\n### Amounts\n");
    let _ = writeln!(
        out,
        "| unit | granted before | granted after | change | consumed before | consumed after | change |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for u in r.units() {
        let g = r.granted.get(u).cloned().unwrap_or_default();
        let c = r.consumed.get(u).cloned().unwrap_or_default();
        let _ = writeln!(
            out,
            "| {u} | {} | {} | {} | {} | {} | {} |",
            g.base.normalize(),
            g.head.normalize(),
            delta(g.base, g.head),
            c.base.normalize(),
            c.head.normalize(),
            delta(c.base, c.head)
        );
    }
    if !r.exchange_value.is_empty() {
        let _ = writeln!(
            out,
            "\n### What an exchange is worth, in operations per feature\n"
        );
        let _ = writeln!(
            out,
            "Summed over the accounts whose exchange executed (before: {}; after: {}).\n",
            r.exchange_value.first().map_or(0, |v| v.accounts_base),
            r.exchange_value.first().map_or(0, |v| v.accounts_head)
        );
        let _ = writeln!(
            out,
            "| exchange | feature | ops the units given up bought | ops the units received buy, before | after | change |"
        );
        let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: | ---: |");
        for v in &r.exchange_value {
            let _ = writeln!(
                out,
                "| {} | {} | {} {} | {} {} | {} {} | {} |",
                v.exchange,
                v.feature,
                v.ops_given_up_base,
                v.from_unit,
                v.ops_received_base,
                v.to_unit,
                v.ops_received_head,
                v.to_unit,
                percent(v.ops_received_base, v.ops_received_head)
            );
        }
    }
    out
}
