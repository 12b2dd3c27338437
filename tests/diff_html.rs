//! `quotient diff --format html`: one self-contained page (nothing fetched, no script) whose
//! tables hold exactly the Markdown report's rows, and which renders in a real headless Chromium
//! (Debian's `chromium` and `chromium-driver`); the screenshot is saved under
//! `<target>/tmp/screenshots/diff_html/` (the README's `docs/diff-report.png` is one).

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/browser.rs"]
#[allow(dead_code)] // this test drives only some of the browser helpers
mod browser;
mod common;

use common::quotient;

/// The reference policy against the variant in `tests/diff.rs`, over the same corpus.
fn report(format: &str) -> String {
    let (code, out, err) = quotient(&[
        "diff",
        "--base",
        "policies/capcut-pro.yaml",
        "--head",
        "tests/inputs/diff/capcut-pro-50-35.yaml",
        "--accounts",
        "tests/inputs/diff/capcut-accounts.jsonl",
        "--format",
        format,
    ]);
    assert_eq!(code, 3, "decisions changed\n{err}");
    out
}

/// The body rows of every Markdown table, as cells without their backticks.
fn markdown_rows(markdown: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut lines = markdown.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with("| ") {
            continue;
        }
        // A header row is followed by its `| --- |` separator; skip both.
        if lines.peek().is_some_and(|next| next.starts_with("| ---")) {
            lines.next();
            continue;
        }
        rows.push(
            line.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect(),
        );
    }
    rows
}

/// The body rows of every HTML table, cells unescaped.
fn html_rows(html: &str) -> Vec<Vec<String>> {
    let unescape = |t: &str| {
        t.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    html.split("<tr>")
        .skip(1)
        .filter(|r| r.contains("<td"))
        .map(|r| {
            let mut cells: Vec<String> = r
                .split("</td>")
                .filter_map(|c| c.rsplit_once('>').map(|(_, text)| unescape(text)))
                .collect();
            // The last piece is what follows the row's last cell.
            cells.pop();
            cells
        })
        .collect()
}

#[test]
fn the_html_report_holds_the_markdown_numbers_and_fetches_nothing() {
    let (markdown, html) = (report("markdown"), report("html"));
    let wanted = markdown_rows(&markdown);
    let shown = html_rows(&html);
    assert!(
        wanted.len() >= 8,
        "the Markdown report has its tables: {wanted:?}"
    );
    for row in &wanted {
        assert!(
            shown.contains(row),
            "the HTML report lacks the Markdown row {row:?}; its rows: {shown:#?}"
        );
    }
    assert_eq!(wanted.len(), shown.len(), "no row more, no row less");
    assert!(html.starts_with("<!DOCTYPE html>"), "a whole document");
    for fetch in ["<script", "<link", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(fetch), "self-contained: found `{fetch}`");
    }
    assert!(html.matches("<svg").count() >= 3, "three charts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_renders_in_chromium() {
    let Some(driver) = browser::driver("diff_html") else {
        return;
    };
    let dir = browser::screenshots("diff_html");
    let page = dir.join("report.html");
    std::fs::write(&page, report("html")).unwrap();
    let c = browser::session(&driver, &dir.join("profile")).await;
    c.goto(&format!("file://{}", page.display())).await.unwrap();
    let headline = browser::text_of(&c, "headline").await;
    assert!(headline.contains("decisions changed"), "{headline}");
    assert!(browser::heading(&c).await.starts_with("Policy impact"));
    browser::shot(&c, &dir, "diff-report").await;
    let png = std::fs::read(dir.join("diff-report.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    c.close().await.unwrap();
}
