//! An impact report as one self-contained HTML file (inline CSS and SVG, no script, nothing
//! fetched): the same numbers as the Markdown report, in the same tables, plus bar charts of
//! changed decisions per request kind, amounts granted per unit before and after, and what an
//! exchange's units buy per feature before and after.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::DiffReport;

/// Text safe inside HTML elements and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar pair of a chart: a label and its value before and after.
struct Bars {
    label: String,
    base: Decimal,
    head: Decimal,
}

/// A horizontal bar chart as inline SVG: for each label a grey bar (`legend[0]`, usually
/// before) and a blue bar (`legend[1]`), scaled to the largest value, each with its number.
fn chart(title: &str, legend: [&str; 2], rows: &[Bars]) -> String {
    const WIDTH: u32 = 640;
    const LABEL: u32 = 200;
    const BAR: u32 = 14;
    const ROW: u32 = 2 * BAR + 14;
    let max = rows
        .iter()
        .flat_map(|r| [r.base, r.head])
        .max()
        .unwrap_or(Decimal::ZERO)
        .max(Decimal::ONE);
    let span = Decimal::from(WIDTH - LABEL - 80);
    let length = |v: Decimal| {
        (v.max(Decimal::ZERO) * span / max)
            .round()
            .to_string()
            .parse::<u32>()
            .unwrap_or(0)
    };
    let height = 28 + ROW * u32::try_from(rows.len()).unwrap_or(0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<figure><figcaption>{}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" aria-label="{}">"#,
        escape(title),
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<rect x="{LABEL}" y="4" width="10" height="10" fill="#9aa5b1"/><text x="{}" y="13" class="key">{}</text><rect x="{}" y="4" width="10" height="10" fill="#1f6feb"/><text x="{}" y="13" class="key">{}</text>"##,
        LABEL + 14,
        escape(legend[0]),
        LABEL + 100,
        LABEL + 114,
        escape(legend[1])
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 24 + ROW * u32::try_from(i).unwrap_or(0);
        let (b, h) = (length(r.base), length(r.head));
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" class="label" text-anchor="end">{}</text><rect x="{LABEL}" y="{y}" width="{b}" height="{BAR}" fill="#9aa5b1"/><text x="{}" y="{}" class="value">{}</text><rect x="{LABEL}" y="{}" width="{h}" height="{BAR}" fill="#1f6feb"/><text x="{}" y="{}" class="value">{}</text>"##,
            LABEL - 8,
            y + BAR + 4,
            escape(&r.label),
            LABEL + b + 4,
            y + BAR - 3,
            r.base.normalize(),
            y + BAR,
            LABEL + h + 4,
            y + 2 * BAR - 3,
            r.head.normalize(),
        );
    }
    svg.push_str("</svg></figure>\n");
    svg
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2328}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .6rem}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}\
.headline{font-size:1.1rem}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}\
svg text{font:12px system-ui,sans-serif;fill:#1f2328}svg .key{fill:#57606a}code{background:#f6f8fa;padding:0 .2rem}";

/// A table row: the cells, right-aligned when they are numbers.
fn row(cells: &[String]) -> String {
    let mut out = String::from("<tr>");
    for c in cells {
        let numeric = c
            .trim_start_matches(['+', '-'])
            .trim_end_matches('%')
            .chars()
            .all(|ch| ch.is_ascii_digit() || ch == '.');
        let class = if numeric && !c.is_empty() {
            " class=\"n\""
        } else {
            ""
        };
        let _ = write!(out, "<td{class}>{}</td>", escape(c));
    }
    out.push_str("</tr>\n");
    out
}

/// A table with a header row.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        out.push_str(&row(r));
    }
    out.push_str("</tbody></table>\n");
    out
}

/// Renders the report as a whole HTML document.
pub fn render(r: &DiffReport) -> String {
    let title = format!("Policy impact: {} → {}", r.base, r.head);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    if let Some(at) = r.at {
        let _ = writeln!(
            out,
            "<p>Evaluated at {} over <strong>{}</strong> accounts.</p>",
            escape(&at.to_rfc3339()),
            r.accounts
        );
    }
    let headline = if r.has_changes() {
        format!(
            "<strong>{} of {} decisions changed</strong> ({}%).",
            r.changed,
            r.decisions,
            r.changed_percent()
        )
    } else {
        format!(
            "<strong>No decision changed</strong> ({} decisions compared).",
            r.decisions
        )
    };
    let _ = writeln!(out, "<p class=\"headline\" id=\"headline\">{headline}</p>");

    out.push_str("<h2>Decisions by request kind</h2>\n");
    let kinds: Vec<Vec<String>> = r
        .by_kind
        .iter()
        .map(|(k, (n, c))| vec![(*k).to_owned(), n.to_string(), c.to_string()])
        .collect();
    out.push_str(&table(&["request", "decisions", "changed"], &kinds));
    let changed: Vec<Bars> = r
        .by_kind
        .iter()
        .map(|(k, (n, c))| Bars {
            label: (*k).to_owned(),
            base: Decimal::from(*n),
            head: Decimal::from(*n - c),
        })
        .collect();
    out.push_str(&chart(
        "Decisions per request kind, and how many of them did not change",
        ["decisions", "unchanged"],
        &changed,
    ));

    if !r.groups.is_empty() {
        out.push_str("<h2>What changed</h2>\n");
        let groups: Vec<Vec<String>> = r
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.kind.to_owned(),
                    g.from.to_owned(),
                    g.to.to_owned(),
                    if g.reasons.is_empty() {
                        "-".to_owned()
                    } else {
                        g.reasons.clone()
                    },
                    g.what.clone(),
                    g.count.to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "request",
                "before",
                "after",
                "reasons after",
                "what changed",
                "decisions",
            ],
            &groups,
        ));
        out.push_str("<details><summary>Examples</summary>\n<ul>\n");
        for g in &r.groups {
            for e in &g.examples {
                let _ = writeln!(
                    out,
                    "<li><code>{}</code>, {}: {} → {}</li>",
                    escape(&e.account),
                    escape(&e.request),
                    escape(&e.base),
                    escape(&e.head)
                );
            }
        }
        out.push_str("</ul></details>\n");
    }

    out.push_str("<h2>Amounts</h2>\n");
    let mut amounts = Vec::new();
    let mut granted = Vec::new();
    for u in r.units() {
        let g = r.granted.get(u).cloned().unwrap_or_default();
        let c = r.consumed.get(u).cloned().unwrap_or_default();
        amounts.push(vec![
            u.clone(),
            g.base.normalize().to_string(),
            g.head.normalize().to_string(),
            super::markdown::delta(g.base, g.head),
            c.base.normalize().to_string(),
            c.head.normalize().to_string(),
            super::markdown::delta(c.base, c.head),
        ]);
        granted.push(Bars {
            label: u.clone(),
            base: g.base,
            head: g.head,
        });
    }
    out.push_str(&table(
        &[
            "unit",
            "granted before",
            "granted after",
            "change",
            "consumed before",
            "consumed after",
            "change",
        ],
        &amounts,
    ));
    out.push_str(&chart(
        "Amounts granted per unit",
        ["before", "after"],
        &granted,
    ));

    if !r.exchange_value.is_empty() {
        out.push_str("<h2>What an exchange is worth, in operations per feature</h2>\n");
        let _ = writeln!(
            out,
            "<p>Summed over the accounts whose exchange executed (before: {}; after: {}).</p>",
            r.exchange_value.first().map_or(0, |v| v.accounts_base),
            r.exchange_value.first().map_or(0, |v| v.accounts_head)
        );
        let rows: Vec<Vec<String>> = r
            .exchange_value
            .iter()
            .map(|v| {
                vec![
                    v.exchange.clone(),
                    v.feature.clone(),
                    format!("{} {}", v.ops_given_up_base, v.from_unit),
                    format!("{} {}", v.ops_received_base, v.to_unit),
                    format!("{} {}", v.ops_received_head, v.to_unit),
                    super::markdown::percent(v.ops_received_base, v.ops_received_head),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "exchange",
                "feature",
                "ops the units given up bought",
                "ops the units received buy, before",
                "after",
                "change",
            ],
            &rows,
        ));
        let value: Vec<Bars> = r
            .exchange_value
            .iter()
            .map(|v| Bars {
                label: v.feature.clone(),
                base: Decimal::from(v.ops_received_base),
                head: Decimal::from(v.ops_received_head),
            })
            .collect();
        out.push_str(&chart(
            "Operations the units received buy, per feature",
            ["before", "after"],
            &value,
        ));
    }
    out.push_str("</body></html>\n");
    out
}
